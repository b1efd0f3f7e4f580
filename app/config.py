"""Settings, one class per environment, read from the process environment.

`APP_ENV` picks the class (development by default). python-dotenv loads `.env`
before the classes read the environment, so a value there works like an
exported variable, and an exported variable wins over `.env`.
"""

import os
from collections.abc import Mapping
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from dotenv import load_dotenv

load_dotenv()

KNOWN_DEFAULT_SECRETS = frozenset(
    {"", "change-me", "changeme", "secret", "dev", "development", "test"}
)
MIN_SECRET_BYTES = 32


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_int(name: str, default: int) -> int:
    raw = env_str(name)
    return int(raw) if raw else default


def env_bool(name: str, default: bool) -> bool:
    raw = env_str(name).lower()
    if not raw:
        return default
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise ValueError(f"{name} must be true or false, not {raw!r}")


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


def database_url(raw: str) -> str:
    """Use psycopg 3 for plain `postgresql://` URLs (SQLAlchemy's default is
    psycopg2, which we do not install)."""
    for prefix in ("postgresql://", "postgres://"):
        if raw.startswith(prefix):
            return "postgresql+psycopg://" + raw.removeprefix(prefix)
    return raw


# Distinct query texts a worker keeps parsed and known valid (0: none).
DOCUMENT_CACHE_SIZE = 256

# Default limits on one request; tests use exactly these, whatever the
# environment says.
LIMITS = {
    "MAX_CONTENT_LENGTH": 100_000,  # bytes
    "MAX_QUERY_TOKENS": 2000,
    # Fields once fragments are expanded: as many as a document within the
    # token limit can write out without fragments, however it reuses them.
    "MAX_QUERY_FIELDS": 2000,
    "MAX_QUERY_DEPTH": 10,
    "MAX_QUERY_ALIASES": 30,
    "MAX_QUERY_DIRECTIVES": 50,
    "MAX_VALIDATION_ERRORS": 10,
    "MAX_VARIABLES_DEPTH": 32,  # levels of lists and objects in `variables`
    # List items a response may hold: each list at its largest (a page of
    # `first`/`last`, 50 of each list of a contact), multiplied down each
    # path. A page of 100 contacts with all four lists costs 20,200, through
    # both edges and nodes 40,300.
    "MAX_QUERY_COST": 50_000,
    "MAX_RESPONSE_BYTES": 5_000_000,  # a larger response is refused, not sent
    # importContacts alone: the request's bytes (app/http/body_limit.py)
    # and the file's records.
    "IMPORT_MAX_BYTES": 5_000_000,
    "IMPORT_MAX_RECORDS": 10_000,
}

# How validated operations execute (GRAPHQL_EXECUTOR): "fast" serves plain
# attribute fields inline (graphql_fastpath/), "stock" is graphql-core's
# own executor as strawberry runs it. Both answer alike; the tests run on both.
GRAPHQL_EXECUTORS = ("fast", "stock")


class Config:
    """Settings shared by every environment; production values by default."""

    ENV_NAME = "base"
    DEBUG = False
    TESTING = False

    SECRET_KEY = env_str("SECRET_KEY")
    JWT_SECRET_KEY = env_str("JWT_SECRET_KEY")

    SQLALCHEMY_DATABASE_URI = database_url(
        env_str("DATABASE_URL", "sqlite:///contacts.db")
    )
    # Engine options the factory adds to SQLALCHEMY_ENGINE_OPTIONS: give
    # up connecting after this many seconds (libpq's minimum is 2), and keep
    # bound parameters out of error messages and logs.
    DATABASE_CONNECT_TIMEOUT = env_int("DATABASE_CONNECT_TIMEOUT", 2)
    SQLALCHEMY_HIDE_PARAMETERS = True

    ACCESS_TOKEN_TTL = timedelta(seconds=env_int("ACCESS_TOKEN_TTL", 15 * 60))
    REFRESH_TOKEN_TTL = timedelta(
        seconds=env_int("REFRESH_TOKEN_TTL", 30 * 24 * 60 * 60)
    )
    JWT_ACCESS_TOKEN_EXPIRES = ACCESS_TOKEN_TTL
    JWT_REFRESH_TOKEN_EXPIRES = REFRESH_TOKEN_TTL

    # The address book over time (app/services/trash.py, change_log.py,
    # sync.py): how long a deleted contact stays in the trash, and how long
    # a sync token (and so the change log, and history) reaches back.
    # `flask purge`, run daily, enforces both.
    TRASH_RETENTION_DAYS = env_int("TRASH_RETENTION_DAYS", 30)
    SYNC_TOKEN_TTL_DAYS = env_int("SYNC_TOKEN_TTL_DAYS", 30)
    JWT_ALGORITHM = "HS256"
    JWT_TOKEN_LOCATION = ["headers"]
    JWT_COOKIE_CSRF_PROTECT = False  # no cookies, so no CSRF claim in tokens
    JWT_DECODE_LEEWAY = 0
    # Access tokens a worker remembers as verified (app/services/tokens.py);
    # 0 verifies every token on every request.
    ACCESS_TOKEN_CACHE_SIZE = env_int("ACCESS_TOKEN_CACHE_SIZE", 4096)

    CORS_ORIGINS = env_list("CORS_ORIGINS")

    GRAPHIQL = env_bool("GRAPHIQL", False)
    INTROSPECTION = env_bool("INTROSPECTION", False)
    FIELD_SUGGESTIONS = env_bool("FIELD_SUGGESTIONS", False)
    MASK_ERRORS = True
    GRAPHQL_EXECUTOR = env_str("GRAPHQL_EXECUTOR", "fast").lower()

    # Limits on one request, checked before any resolver runs.
    MAX_CONTENT_LENGTH = env_int("MAX_CONTENT_LENGTH", LIMITS["MAX_CONTENT_LENGTH"])
    MAX_QUERY_TOKENS = env_int("MAX_QUERY_TOKENS", LIMITS["MAX_QUERY_TOKENS"])
    MAX_QUERY_FIELDS = env_int("MAX_QUERY_FIELDS", LIMITS["MAX_QUERY_FIELDS"])
    MAX_QUERY_DEPTH = env_int("MAX_QUERY_DEPTH", LIMITS["MAX_QUERY_DEPTH"])
    MAX_QUERY_ALIASES = env_int("MAX_QUERY_ALIASES", LIMITS["MAX_QUERY_ALIASES"])
    MAX_QUERY_DIRECTIVES = env_int(
        "MAX_QUERY_DIRECTIVES", LIMITS["MAX_QUERY_DIRECTIVES"]
    )
    MAX_VALIDATION_ERRORS = env_int(
        "MAX_VALIDATION_ERRORS", LIMITS["MAX_VALIDATION_ERRORS"]
    )
    MAX_QUERY_COST = env_int("MAX_QUERY_COST", LIMITS["MAX_QUERY_COST"])
    MAX_VARIABLES_DEPTH = env_int("MAX_VARIABLES_DEPTH", LIMITS["MAX_VARIABLES_DEPTH"])
    MAX_RESPONSE_BYTES = env_int("MAX_RESPONSE_BYTES", LIMITS["MAX_RESPONSE_BYTES"])
    IMPORT_MAX_BYTES = env_int("IMPORT_MAX_BYTES", LIMITS["IMPORT_MAX_BYTES"])
    IMPORT_MAX_RECORDS = env_int("IMPORT_MAX_RECORDS", LIMITS["IMPORT_MAX_RECORDS"])
    GRAPHQL_DOCUMENT_CACHE_SIZE = env_int(
        "GRAPHQL_DOCUMENT_CACHE_SIZE", DOCUMENT_CACHE_SIZE
    )

    HSTS_SECONDS = 0

    # Argon2id cost: argon2-cffi's RFC 9106 "low memory" profile by default.
    PASSWORD_HASH_TIME_COST = env_int("PASSWORD_HASH_TIME_COST", 3)
    PASSWORD_HASH_MEMORY_COST = env_int("PASSWORD_HASH_MEMORY_COST", 64 * 1024)
    PASSWORD_HASH_PARALLELISM = env_int("PASSWORD_HASH_PARALLELISM", 4)

    # Rate limits (app/services/rate_limits.py): "N/period" strings, several
    # joined with ";". Counted in RATELIMIT_STORAGE_URI: memory:// is per
    # process, so production uses Redis, which every worker shares.
    RATELIMIT_ENABLED = env_bool("RATELIMIT_ENABLED", True)
    RATELIMIT_STORAGE_URI = env_str("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_KEY_PREFIX = env_str("RATELIMIT_KEY_PREFIX", "contacts-api")
    RATELIMIT_STORAGE_TIMEOUT = float(env_str("RATELIMIT_STORAGE_TIMEOUT", "0.5"))
    RATELIMIT_LOGIN_PER_IP = env_str("RATELIMIT_LOGIN_PER_IP", "20/minute")
    RATELIMIT_LOGIN_PER_EMAIL = env_str(
        "RATELIMIT_LOGIN_PER_EMAIL", "10/minute;100/hour"
    )
    RATELIMIT_REGISTER_PER_IP = env_str("RATELIMIT_REGISTER_PER_IP", "20/hour")
    RATELIMIT_REFRESH_PER_IP = env_str("RATELIMIT_REFRESH_PER_IP", "60/minute")
    RATELIMIT_PER_TOKEN = env_str("RATELIMIT_PER_TOKEN", "600/minute")
    # Nodes one account may ask for (the query cost), across all its logins.
    RATELIMIT_COST_PER_ACCOUNT = env_str(
        "RATELIMIT_COST_PER_ACCOUNT", "500000/minute;5000000/hour"
    )
    # Every /graphql request per client address (the rule is in
    # app/services/rate_limits.py too; Flask-Limiter counts it, sharing
    # RATELIMIT_STORAGE_URI, and fails open: app/http/address_limit.py).
    RATELIMIT_PER_IP = env_str("RATELIMIT_PER_IP", "300/minute")
    RATELIMIT_SWALLOW_ERRORS = True
    # Flask-Limiter's own headers would rewrite the Retry-After that the
    # per-operation rules set; app/http/address_limit.py sets its own.
    RATELIMIT_HEADERS_ENABLED = False
    RATELIMIT_STORAGE_OPTIONS = {
        "socket_timeout": RATELIMIT_STORAGE_TIMEOUT,
        "socket_connect_timeout": RATELIMIT_STORAGE_TIMEOUT,
    }
    RATELIMIT_RESET_REQUEST_PER_IP = env_str(
        "RATELIMIT_RESET_REQUEST_PER_IP", "10/minute;50/hour"
    )
    RATELIMIT_RESET_REQUEST_PER_EMAIL = env_str(
        "RATELIMIT_RESET_REQUEST_PER_EMAIL", "3/hour;10/day"
    )
    RATELIMIT_RESET_PASSWORD_PER_IP = env_str(
        "RATELIMIT_RESET_PASSWORD_PER_IP", "20/minute;100/hour"
    )
    # Exports per account (each reads the whole address book), whichever login.
    RATELIMIT_EXPORT_PER_ACCOUNT = env_str(
        "RATELIMIT_EXPORT_PER_ACCOUNT", "10/minute;100/hour"
    )
    # Contacts an export reads per statement (app/services/exports.py).
    EXPORT_CHUNK_SIZE = env_int("EXPORT_CHUNK_SIZE", 500)
    # How many reverse proxies in front of the app set X-Forwarded-For; 0
    # trusts none and uses the connection's address (app/http/proxy.py).
    TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)

    # Password reset by email (app/services/password_reset.py). The link
    # in the message: "{token}" in PASSWORD_RESET_URL is replaced by the
    # token, else "?token=..." (or "&token=...") is appended. Never built
    # from the request's Host. Production refuses to start without it and
    # a mail server, unless PASSWORD_RESET_ENABLED=false.
    PASSWORD_RESET_ENABLED = env_bool("PASSWORD_RESET_ENABLED", True)
    PASSWORD_RESET_URL = env_str("PASSWORD_RESET_URL")
    PASSWORD_RESET_TTL = timedelta(seconds=env_int("PASSWORD_RESET_TTL", 30 * 60))

    # Mail (Flask-Mailman): "smtp" in production, "console" (printed to
    # standard output, links and all) in development, "locmem" in tests
    # unless a test names its SMTP server.
    MAIL_BACKEND = "smtp"
    MAIL_SERVER = env_str("MAIL_SERVER")
    MAIL_USE_SSL = env_bool("MAIL_USE_SSL", False)  # implicit TLS (port 465)
    MAIL_USE_TLS = env_bool("MAIL_USE_TLS", not MAIL_USE_SSL)  # STARTTLS
    MAIL_PORT = env_int("MAIL_PORT", 465 if MAIL_USE_SSL else 587)
    MAIL_USERNAME = env_str("MAIL_USERNAME") or None
    MAIL_PASSWORD = env_str("MAIL_PASSWORD") or None
    MAIL_DEFAULT_SENDER = env_str("MAIL_DEFAULT_SENDER")
    MAIL_TIMEOUT = float(env_str("MAIL_TIMEOUT", "10"))  # seconds per SMTP step

    LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
    LOG_FORMAT = env_str("LOG_FORMAT", "text")  # json | text
    ACCESS_LOG = env_bool("ACCESS_LOG", True)  # an app.access line per request
    # Seconds /readyz waits for the database before answering 503.
    READINESS_TIMEOUT = float(env_str("READINESS_TIMEOUT", "0.9"))

    @staticmethod
    def validate(settings: Mapping[str, Any]) -> None:
        """Refuse to start with settings that are unsafe for this environment."""
        for name in ("ACCESS_TOKEN_TTL", "REFRESH_TOKEN_TTL"):
            # flask-jwt-extended reads a zero lifetime as "never expires".
            if settings[name] <= timedelta(0):
                raise RuntimeError(f"{name} must be a positive number of seconds")
        for name in ("TRASH_RETENTION_DAYS", "SYNC_TOKEN_TTL_DAYS"):
            if settings[name] < 1:
                raise RuntimeError(f"{name} must be a whole number of days, 1 or more")
        if settings["EXPORT_CHUNK_SIZE"] < 1:
            raise RuntimeError(
                "EXPORT_CHUNK_SIZE must be a number of contacts, 1 or more"
            )
        check_executor(settings["GRAPHQL_EXECUTOR"])
        check_password_reset(settings)


class DevelopmentConfig(Config):
    ENV_NAME = "development"
    DEBUG = True
    SECRET_KEY = env_str("SECRET_KEY", "dev-secret-key-not-for-production")
    JWT_SECRET_KEY = env_str("JWT_SECRET_KEY", "dev-jwt-secret-key-not-for-production")
    CORS_ORIGINS = env_list(
        "CORS_ORIGINS", "http://localhost:3000,http://localhost:5173"
    )
    GRAPHIQL = env_bool("GRAPHIQL", True)
    INTROSPECTION = env_bool("INTROSPECTION", True)
    FIELD_SUGGESTIONS = env_bool("FIELD_SUGGESTIONS", True)
    MASK_ERRORS = False
    SQLALCHEMY_HIDE_PARAMETERS = False
    PASSWORD_RESET_URL = env_str(
        "PASSWORD_RESET_URL", "http://localhost:5173/reset-password?token={token}"
    )
    MAIL_BACKEND = env_str("MAIL_BACKEND", "console")
    MAIL_DEFAULT_SENDER = env_str("MAIL_DEFAULT_SENDER", "contacts@localhost")


class TestingConfig(Config):
    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "testing-secret-key-that-is-long-enough-for-hs256"
    JWT_SECRET_KEY = "testing-jwt-secret-key-that-is-long-enough-for-hs256"
    SQLALCHEMY_DATABASE_URI = "sqlite://"
    CORS_ORIGINS = ["http://allowed.example"]
    GRAPHIQL = True
    INTROSPECTION = True
    FIELD_SUGGESTIONS = False
    MASK_ERRORS = True
    MAX_CONTENT_LENGTH = LIMITS["MAX_CONTENT_LENGTH"]
    MAX_QUERY_TOKENS = LIMITS["MAX_QUERY_TOKENS"]
    MAX_QUERY_FIELDS = LIMITS["MAX_QUERY_FIELDS"]
    MAX_QUERY_DEPTH = LIMITS["MAX_QUERY_DEPTH"]
    MAX_QUERY_ALIASES = LIMITS["MAX_QUERY_ALIASES"]
    MAX_QUERY_DIRECTIVES = LIMITS["MAX_QUERY_DIRECTIVES"]
    MAX_VALIDATION_ERRORS = LIMITS["MAX_VALIDATION_ERRORS"]
    MAX_QUERY_COST = LIMITS["MAX_QUERY_COST"]
    MAX_VARIABLES_DEPTH = LIMITS["MAX_VARIABLES_DEPTH"]
    MAX_RESPONSE_BYTES = LIMITS["MAX_RESPONSE_BYTES"]
    IMPORT_MAX_BYTES = LIMITS["IMPORT_MAX_BYTES"]
    IMPORT_MAX_RECORDS = LIMITS["IMPORT_MAX_RECORDS"]
    # Cheap hashing keeps the suite fast; production cost is tested separately.
    PASSWORD_HASH_TIME_COST = 1
    PASSWORD_HASH_MEMORY_COST = 8
    PASSWORD_HASH_PARALLELISM = 1
    RATELIMIT_ENABLED = False
    RATELIMIT_STORAGE_URI = "memory://"
    PASSWORD_RESET_ENABLED = True
    PASSWORD_RESET_URL = "https://app.example/reset-password?token={token}"
    PASSWORD_RESET_TTL = timedelta(minutes=30)
    MAIL_BACKEND = "locmem"
    MAIL_SERVER = "127.0.0.1"
    MAIL_DEFAULT_SENDER = "Contacts <no-reply@app.example>"
    MAIL_USE_TLS = False
    MAIL_USE_SSL = False
    MAIL_USERNAME = None
    MAIL_PASSWORD = None
    MAIL_TIMEOUT = 5.0


class ProductionConfig(Config):
    ENV_NAME = "production"
    LOG_FORMAT = env_str("LOG_FORMAT", "json")
    HSTS_SECONDS = env_int("HSTS_SECONDS", 365 * 24 * 60 * 60)
    # No default: memory:// counts per worker, so several workers would each
    # allow the full limit. The operator names the store (`validate`).
    RATELIMIT_STORAGE_URI = env_str("RATELIMIT_STORAGE_URI")

    @staticmethod
    def validate(settings: Mapping[str, Any]) -> None:
        Config.validate(settings)
        for name in ("SECRET_KEY", "JWT_SECRET_KEY"):
            check_secret(name, settings.get(name) or "")
        if "*" in settings["CORS_ORIGINS"]:
            raise RuntimeError(
                "CORS_ORIGINS must list the allowed origins, not '*', in production"
            )
        if not settings["RATELIMIT_STORAGE_URI"]:
            raise RuntimeError(
                "RATELIMIT_STORAGE_URI must be set in production: "
                "redis://host:port/db, which every worker shares, or memory:// "
                "for a single worker only (each process counts on its own)"
            )
        check_production_mail(settings)


def check_executor(name: object) -> None:
    if name not in GRAPHQL_EXECUTORS:
        raise RuntimeError(
            f"GRAPHQL_EXECUTOR must be one of {', '.join(GRAPHQL_EXECUTORS)}, "
            f"not {name!r}"
        )


def check_password_reset(settings: Mapping[str, Any]) -> None:
    """Reset settings that cannot work, in every environment."""
    if not settings["PASSWORD_RESET_ENABLED"]:
        return
    if settings["PASSWORD_RESET_TTL"] <= timedelta(0):
        raise RuntimeError("PASSWORD_RESET_TTL must be a positive number of seconds")
    url = settings["PASSWORD_RESET_URL"]
    if url:
        parts = urlsplit(url.replace("{token}", "TOKEN"))
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise RuntimeError(
                "PASSWORD_RESET_URL must be an absolute http(s) URL, e.g. "
                "https://app.example/reset-password?token={token}"
            )
    if settings["MAIL_USE_TLS"] and settings["MAIL_USE_SSL"]:
        raise RuntimeError(
            "MAIL_USE_TLS (STARTTLS, port 587) and MAIL_USE_SSL (implicit TLS, "
            "port 465) exclude each other: set one"
        )


def check_production_mail(settings: Mapping[str, Any]) -> None:
    """Password reset needs its link and a mail server in production, or
    to be switched off on purpose; the console backend, which prints
    messages and so their reset links, is for development only."""
    if not settings["PASSWORD_RESET_ENABLED"]:
        return
    switch_off = "or set PASSWORD_RESET_ENABLED=false to turn password reset off"
    if not settings["PASSWORD_RESET_URL"]:
        raise RuntimeError(
            "PASSWORD_RESET_URL must be set in production (the page of the "
            "frontend that takes the token, e.g. "
            f"https://app.example/reset-password?token={{token}}), {switch_off}"
        )
    if urlsplit(settings["PASSWORD_RESET_URL"]).scheme != "https":
        raise RuntimeError(
            "PASSWORD_RESET_URL must be an https:// URL in production: the "
            "link carries a token that signs in to the account"
        )
    if not settings["MAIL_SERVER"]:
        raise RuntimeError(
            f"MAIL_SERVER must be set in production (the SMTP server), {switch_off}"
        )
    if not settings["MAIL_DEFAULT_SENDER"]:
        raise RuntimeError(
            "MAIL_DEFAULT_SENDER must be set in production (the From address "
            f"of the reset message), {switch_off}"
        )
    if settings["MAIL_BACKEND"] != "smtp":
        raise RuntimeError(
            "MAIL_BACKEND must be smtp in production: other backends print "
            "or drop messages, and reset links with them"
        )


def check_secret(name: str, value: str) -> None:
    if value.lower() in KNOWN_DEFAULT_SECRETS or "change-me" in value.lower():
        raise RuntimeError(
            f"{name} is missing or a known default; set it to a random value"
        )
    if len(value.encode()) < MIN_SECRET_BYTES:
        raise RuntimeError(f"{name} is shorter than {MIN_SECRET_BYTES} bytes")


CONFIGS: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_for(name: str | None) -> type[Config]:
    """The config class for `name`, else for `APP_ENV`, else development."""
    key = (name or env_str("APP_ENV") or "development").lower()
    try:
        return CONFIGS[key]
    except KeyError:
        raise RuntimeError(
            f"APP_ENV must be one of {', '.join(CONFIGS)}, not {key!r}"
        ) from None
