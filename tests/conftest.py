"""Every fixture of the suite, and only fixtures.

First the ones most tests use: a fresh app and database per test, on SQLite
and (when TEST_DATABASE_URL is set) PostgreSQL, its client, CLI runner, a
client that speaks GraphQL and registered accounts. Then, one section per test
module, the fixtures only that module uses; what they build on (servers,
fakes, data) is in tests/support/, the documents in tests/operations.py."""

from __future__ import annotations

import logging
import logging.config
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from graphql import (
    GraphQLSchema,
    build_schema,
)
from itsdangerous import TimestampSigner
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.chrome.webdriver import WebDriver
from sqlalchemy import (
    Engine,
    create_engine,
    event,
    make_url,
    text,
)

from app import create_app
from app.config import (
    GRAPHQL_EXECUTORS,
    TestingConfig,
    database_url,
)
from app.db.pool_health import drop_dead_connections
from app.extensions import db
from app.services import auth, contact_queries, mail, seed
from tests.factories import ContactFactory, UserFactory
from tests.helpers import (
    DEFAULT_PASSWORD,
    FULL_INPUT,
    PRODUCTION_SECRETS,
    Accounts,
    GraphQL,
    create_contact,
    decode_id,
    release_database,
)
from tests.operations import LOGIN, REGISTER
from tests.smtp import SmtpServer, start_smtp_server
from tests.support import (
    auth_api,
    browsing,
    change_password,
    compiled_reads,
    cors,
    differential,
    email_spellings,
    examples_schema,
    faults,
    filters,
    fuzz_data,
    fuzzing,
    graphiql_page,
    gunicorn_server,
    hostile,
    integrity,
    isolation,
    limited_api,
    lockdown,
    logging_apps,
    login_timing,
    password_reset_api,
    password_reset_timing,
    query_limits,
    read_path,
    schema_repo,
    search_indexes,
    sessions,
    slow_clients,
    snapshot,
    token_hardening,
)
from tests.support.clock import Clock, freeze_time
from tests.support.servers import CONFIG, GUNICORN, ROOT, SECRETS, free_port

POSTGRES_SKIP_REASON = (
    "PostgreSQL tests need TEST_DATABASE_URL, e.g. "
    "postgresql://postgres@127.0.0.1:5432/postgres (a server the tests may "
    "create and drop databases on)"
)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "app_settings(**settings): settings the `app` fixture (and `mail_app`) "
        "puts on top of the testing config",
    )


def pytest_report_header() -> str:
    """Which GraphQL executor every app of the run uses: the config reads
    GRAPHQL_EXECUTOR from the environment, so `GRAPHQL_EXECUTOR=stock pytest`
    runs the whole suite, apps the tests build themselves included, on
    graphql-core's stock executor (`make test` runs both)."""
    return f"GraphQL executor: {TestingConfig.GRAPHQL_EXECUTOR} (GRAPHQL_EXECUTOR)"


@pytest.fixture(scope="session")
def postgres_server_url() -> str:
    url = os.environ.get("TEST_DATABASE_URL", "").strip()
    if not url:
        if os.environ.get("CI"):
            pytest.fail("CI must run the PostgreSQL tests: set TEST_DATABASE_URL")
        pytest.skip(POSTGRES_SKIP_REASON)
    return url


def _admin_dsn(server_url: str) -> str:
    return (
        make_url(database_url(server_url))
        .set(drivername="postgresql")
        .render_as_string(hide_password=False)
    )


@pytest.fixture(scope="session")
def make_postgres_database(postgres_server_url: str) -> Iterator[Any]:
    """A factory of fresh, empty PostgreSQL databases, all dropped at the end."""
    created: list[str] = []
    admin_dsn = _admin_dsn(postgres_server_url)

    def make() -> str:
        name = f"contacts_test_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(admin_dsn, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        created.append(name)
        return database_url(
            make_url(database_url(postgres_server_url))
            .set(database=name)
            .render_as_string(hide_password=False)
        )

    yield make
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        for name in created:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def postgres_database(make_postgres_database: Any) -> str:
    """One PostgreSQL database for the run; each test empties it after use."""
    url: str = make_postgres_database()
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Any) -> str:
    if request.param == "postgresql":
        url: str = request.getfixturevalue("postgres_database")
        return url
    return f"sqlite:///{tmp_path / 'test.db'}"


@pytest.fixture
def app(request: pytest.FixtureRequest, database: str) -> Iterator[Flask]:
    """The testing app on a fresh database, with the settings of the
    closest `app_settings` marker on top."""
    marker = request.node.get_closest_marker("app_settings")
    settings = marker.kwargs if marker else {}
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": database, **settings})
    with app.app_context():
        db.create_all()
    yield app
    release_database(app)


@pytest.fixture
def make_app(database: str) -> Iterator[Callable[..., Flask]]:
    """Apps of the test's own settings, all on the test's database:
    `make_app("production", RATELIMIT_ENABLED=True)` (the testing config
    unless named). Tables are created; afterwards the database is emptied
    and every app's connections closed."""
    apps: list[Flask] = []

    def make(config_name: str = "testing", /, **settings: Any) -> Flask:
        app = create_app(config_name, {"SQLALCHEMY_DATABASE_URI": database, **settings})
        with app.app_context():
            db.create_all()
        apps.append(app)
        return app

    yield make
    for index, app in enumerate(apps):
        if index == 0:
            release_database(app)
        else:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()


@pytest.fixture
def app_context(app: Flask) -> Iterator[None]:
    """The app's context around the test, for tests of services and models."""
    with app.app_context():
        yield


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    """Runs the app's `flask` commands in-process."""
    return app.test_cli_runner()


@pytest.fixture
def gql(client: FlaskClient) -> GraphQL:
    return GraphQL(client)


@pytest.fixture
def accounts(gql: GraphQL) -> Accounts:
    return Accounts(gql)


@pytest.fixture
def token(accounts: Accounts) -> str:
    """The access token of a newly registered user."""
    return accounts.token()


@pytest.fixture(scope="session")
def smtp_session() -> Iterator[SmtpServer]:
    """One real SMTP server on 127.0.0.1 (aiosmtpd) for the whole run."""
    server, controller = start_smtp_server()
    yield server
    controller.stop()


@pytest.fixture
def smtp_server(smtp_session: SmtpServer) -> SmtpServer:
    """The SMTP server, holding only the messages of this test; an app
    sends to it with `create_app(..., smtp_server.settings())`."""
    smtp_session.clear()
    return smtp_session


# --- tests/db/test_reads.py ------------------------------------------------


@pytest.fixture
def checkouts(app_context: None) -> Iterator[list[object]]:
    taken: list[object] = []

    def record(dbapi_connection: object, *_: object) -> None:
        taken.append(dbapi_connection)

    event.listen(db.engine, "checkout", record)
    yield taken
    event.remove(db.engine, "checkout", record)


# --- tests/db/test_compiled_reads.py ---------------------------------------


@pytest.fixture
def three_contacts(app_context: None) -> None:
    """Ada, Grace and Hedy, born and created at the same instants, of one
    user, committed."""
    user = UserFactory(email="ada@example.com")
    for first, favorite in [("Ada", True), ("Grace", False), ("Hedy", True)]:
        ContactFactory(
            user=user,
            first_name=first,
            favorite=favorite,
            birthday=compiled_reads.BORN,
            created_at=compiled_reads.CREATED,
            updated_at=compiled_reads.CREATED,
        )
    db.session.commit()


# --- tests/db/test_pool_health.py ------------------------------------------


@pytest.fixture
def engine(postgres_database: str) -> Iterator[Engine]:
    engine = create_engine(postgres_database, pool_size=1, max_overflow=0)
    drop_dead_connections(engine)
    yield engine
    engine.dispose()


# --- tests/graphql/test_auth.py --------------------------------------------


@pytest.fixture
def ada(app: Flask, gql: GraphQL) -> auth_api.Login:
    payload = auth_api.register(gql, "ada@example.com", name="Ada")
    return auth_api.Login(
        app, gql, "ada@example.com", payload["accessToken"], payload["refreshToken"]
    )


@pytest.fixture
def other_app(database: str, app: Flask) -> Iterator[Flask]:
    """A second app on the same database, like another worker or a restart."""
    other = create_app("testing", {"SQLALCHEMY_DATABASE_URI": database})
    yield other
    with other.app_context():
        db.session.remove()
        db.engine.dispose()


# --- tests/graphql/test_change_password.py ---------------------------------


@pytest.fixture
def change_password_ada(gql: GraphQL) -> change_password.Login:
    variables = {
        "input": {"email": change_password.EMAIL, "password": change_password.PASSWORD}
    }
    payload = gql.data(change_password.REGISTER, variables)["register"]
    assert payload["userErrors"] == []
    return change_password.Login(payload["accessToken"], payload["refreshToken"])


@pytest.fixture
def change_password_limited_app(make_app: Callable[..., Flask]) -> Flask:
    """An app with rate limits on: 3 login attempts an account a minute."""
    return limited_api.limited_app(make_app, RATELIMIT_LOGIN_PER_EMAIL="3/minute")


# --- tests/graphql/test_contacts.py ----------------------------------------


@pytest.fixture
def ada_contact(gql: GraphQL, token: str) -> dict[str, Any]:
    """The viewer's contact created from FULL_INPUT."""
    return create_contact(gql, token, FULL_INPUT)


# --- tests/graphql/test_delete_account.py ----------------------------------


@pytest.fixture
def delete_account_limited_app(make_app: Callable[..., Flask]) -> Flask:
    """An app with rate limits on: 2 login attempts an account a minute."""
    return limited_api.limited_app(make_app, RATELIMIT_LOGIN_PER_EMAIL="2/minute")


# --- tests/graphql/test_executor_differential.py ---------------------------


@pytest.fixture
def executors(
    app: Flask, accounts: Accounts, monkeypatch: pytest.MonkeyPatch
) -> Iterator[differential.Executors]:
    # A sync token holds the second it was signed in: both executors must
    # sign in the same second to send the same bytes.
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda _self: 1_800_000_000)
    ids, cursors = fuzzing.seed_user(
        accounts, differential.EMAIL, differential.CONTACTS
    )
    token = fuzzing.fresh_token(app, fuzzing.user_id(app, differential.EMAIL))
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    apps = {
        name: create_app(
            "testing", {"SQLALCHEMY_DATABASE_URI": url, "GRAPHQL_EXECUTOR": name}
        )
        for name in GRAPHQL_EXECUTORS
    }
    yield differential.Executors(
        {name: other.test_client() for name, other in apps.items()},
        token,
        ids,
        cursors,
    )
    for other in apps.values():
        with other.app_context():
            db.session.remove()
            db.engine.dispose()


# --- tests/graphql/test_filters.py -----------------------------------------


@pytest.fixture
def people_viewer(gql: GraphQL, accounts: Accounts) -> tuple[str, dict[str, str]]:
    """A user with PEOPLE, beside another user with the same contacts."""
    token = accounts.token()
    labels = filters.create_people(gql, token)
    filters.create_people(gql, accounts.token())
    return token, labels


# --- tests/graphql/test_isolation.py ---------------------------------------


@pytest.fixture
def alice(gql: GraphQL, accounts: Accounts) -> isolation.Alice:
    registered = accounts.register("alice@example.com")
    token = registered["accessToken"]
    contact = create_contact(
        gql,
        token,
        {
            "firstName": "Ada",
            "lastName": "Lovelace",
            "emails": [{"value": "ada@example.com"}],
            "phones": [{"value": "+1 650-253-0000"}],
            "addresses": [{"city": "London", "country": "GB"}],
            "tags": ["Friends", "work"],
        },
    )
    create_contact(gql, token, {"company": "ACME", "tags": ["Friends"]})
    return isolation.Alice(
        token=token,
        user_id=registered["user"]["id"],
        contact_id=contact["id"],
        tag_ids=[
            tag["id"] for tag in gql.data(isolation.SNAPSHOT, token=token)["tags"]
        ],
    )


@pytest.fixture
def bob(accounts: Accounts) -> str:
    """The second user's access token."""
    return accounts.token("bob@example.com")


# --- tests/graphql/test_password_reset.py ----------------------------------


@pytest.fixture
def mail_app(
    request: pytest.FixtureRequest, database: str, smtp_server: SmtpServer
) -> Iterator[Flask]:
    """The testing app, sending mail to the tests' SMTP server, with the
    settings of the closest `app_settings` marker on top."""
    marker = request.node.get_closest_marker("app_settings")
    settings = marker.kwargs if marker else {}
    app = password_reset_api.make_app(database, smtp_server, **settings)
    yield app
    assert mail.OUTBOX.wait_idle(password_reset_api.IDLE_TIMEOUT)
    release_database(app)


@pytest.fixture
def mail_client(mail_app: Flask) -> FlaskClient:
    return mail_app.test_client()


@pytest.fixture
def mail_gql(mail_client: FlaskClient) -> GraphQL:
    return GraphQL(mail_client)


@pytest.fixture
def mail_accounts(mail_gql: GraphQL) -> Accounts:
    return Accounts(mail_gql)


# --- tests/graphql/test_read_path.py ---------------------------------------


@pytest.fixture
def reader(app: Flask, accounts: Accounts) -> read_path.Viewer:
    registered = accounts.register("reader@example.com")
    user_id = int(decode_id(registered["user"]["id"]).split(":")[1])
    return read_path.Viewer(registered["accessToken"], user_id, app)


# --- tests/graphql/test_sessions.py ----------------------------------------


@pytest.fixture
def sessions_ada(app: Flask, client: FlaskClient) -> sessions.Login:
    return sessions.sign_in(app, client, "ada@example.com", "Laptop", new=True)


@pytest.fixture
def sessions_grace(app: Flask, client: FlaskClient) -> sessions.Login:
    return sessions.sign_in(app, client, "grace@example.com", "Grace's phone", new=True)


# --- tests/http/test_cors.py -----------------------------------------------


@pytest.fixture(
    params=[[cors.ALLOWED], [cors.ALLOWED, cors.SECOND]], ids=["one", "two"]
)
def cors_app(request: pytest.FixtureRequest, make_app: Callable[..., Flask]) -> Flask:
    return make_app(CORS_ORIGINS=request.param)


# --- tests/http/test_health.py ---------------------------------------------


@pytest.fixture
def silent_port() -> Iterator[socket.socket]:
    """A port that accepts TCP connections (the kernel completes them into
    the backlog) but never reads or answers: a database that hangs."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    yield listener
    listener.close()


# --- tests/services/test_contacts_service.py -------------------------------


@pytest.fixture
def user_id(app_context: None) -> int:
    """A user's id, committed."""
    user = UserFactory(email="ada@example.com")
    db.session.commit()
    user_id: int = user.id
    return user_id


@pytest.fixture
def other_user_id(app_context: None) -> int:
    """Another user's id, committed."""
    user = UserFactory(email="bob@example.com")
    db.session.commit()
    user_id: int = user.id
    return user_id


# --- tests/services/test_passwords.py --------------------------------------


@pytest.fixture
def hashing_app() -> Iterator[Flask]:
    """An app context for the hasher's settings (hashing needs no database,
    so these tests run once rather than once per database)."""
    app = create_app("testing")
    with app.app_context():
        yield app


# --- tests/services/test_rate_limits.py ------------------------------------


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """The rate limiter's clock, stopped at a fixed instant."""
    return freeze_time(monkeypatch, 1_000_000.0)


@pytest.fixture
def hung_server() -> Iterator[int]:
    """A TCP port that accepts connections and never answers: a Redis that
    hangs rather than refuses."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.05)
    stop = threading.Event()
    accepted: list[socket.socket] = []

    def accept() -> None:
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join(timeout=5)
    server.close()
    for connection in accepted:
        connection.close()
    assert not thread.is_alive()


# --- tests/test_browser.py -------------------------------------------------


@pytest.fixture(scope="module")
def frontend_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("frontend")


@pytest.fixture(scope="module")
def allowed_frontend(frontend_dir: Path) -> Iterator[str]:
    with browsing.serving_directory(frontend_dir) as origin:
        yield origin


@pytest.fixture(scope="module")
def other_frontend(frontend_dir: Path) -> Iterator[str]:
    with browsing.serving_directory(frontend_dir) as origin:
        yield origin


@pytest.fixture(scope="module")
def api_app(tmp_path_factory: pytest.TempPathFactory, allowed_frontend: str) -> Flask:
    database = tmp_path_factory.mktemp("browser") / "api.db"
    app = create_app(
        "testing",
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
            "GRAPHIQL": True,
            "CORS_ORIGINS": [allowed_frontend],
        },
    )
    with app.app_context():
        db.create_all()
    return app


@pytest.fixture(scope="module")
def browser_token(api_app: Flask) -> str:
    variables = {"input": {"email": browsing.EMAIL, "password": DEFAULT_PASSWORD}}
    response = api_app.test_client().post(
        "/graphql", json={"query": REGISTER, "variables": variables}
    )
    payload = response.get_json()["data"]["register"]
    assert payload["userErrors"] == []
    return browsing.Token(payload["accessToken"])


@pytest.fixture(scope="module")
def api_origin(api_app: Flask) -> Iterator[str]:
    with browsing.serving(api_app) as origin:
        yield origin
    with api_app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebDriver]:
    options = Options()
    options.binary_location = browsing.CHROMIUM
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium')}",
    ):
        options.add_argument(flag)
    options.set_capability(
        "goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"}
    )
    driver = WebDriver(
        options=options, service=Service(executable_path=browsing.CHROMEDRIVER)
    )
    driver.set_page_load_timeout(browsing.WAIT_SECONDS)
    # Leave Chromium's own start page before anything is measured.
    driver.get("about:blank")
    driver.get_log("performance")
    try:
        yield driver
    finally:
        driver.quit()


# --- tests/test_email_spellings.py -----------------------------------------


@pytest.fixture
def limited_app(make_app: Callable[..., Flask]) -> Flask:
    """Rate limits high but for login per email, which the spellings of one
    address but the last may use up."""
    high = email_spellings.HIGH
    return make_app(
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI="memory://",
        RATELIMIT_LOGIN_PER_IP=high,
        RATELIMIT_LOGIN_PER_EMAIL=f"{len(email_spellings.SPELLINGS) - 1}/minute",
        RATELIMIT_REGISTER_PER_IP=high,
        RATELIMIT_REFRESH_PER_IP=high,
        RATELIMIT_PER_TOKEN=high,
        RATELIMIT_PER_IP=high,
    )


# --- tests/test_examples.py ------------------------------------------------


@pytest.fixture(scope="module")
def checked_in_schema() -> GraphQLSchema:
    return build_schema(examples_schema.SCHEMA_FILE.read_text(encoding="utf-8"))


# --- tests/test_faults.py --------------------------------------------------


@pytest.fixture
def proxy(postgres_server_url: str) -> Iterator[faults.TcpProxy]:
    server = make_url(postgres_server_url)
    proxy = faults.TcpProxy((server.host or "127.0.0.1", server.port or 5432))
    proxy.start()
    yield proxy
    proxy.stop()


@pytest.fixture
def proxied_production_app(
    make_postgres_database: Callable[[], str], proxy: faults.TcpProxy
) -> Iterator[Flask]:
    """A production app whose database connections go through `proxy`."""
    url = make_url(make_postgres_database()).set(host="127.0.0.1", port=proxy.port)
    app = create_app(
        "production",
        {
            **faults.SECRETS,
            "SQLALCHEMY_DATABASE_URI": url.render_as_string(hide_password=False),
            "SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"connect_timeout": 1}},
            "RATELIMIT_ENABLED": False,
            "PASSWORD_HASH_TIME_COST": 1,
            "PASSWORD_HASH_MEMORY_COST": 8,
            "PASSWORD_HASH_PARALLELISM": 1,
        },
    )
    with app.app_context():
        db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def killer(
    app: Flask, postgres_server_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[faults.Killer]:
    database = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database
    killer = faults.Killer(faults.libpq_dsn(postgres_server_url), str(database))
    killer.install(app, monkeypatch)
    yield killer
    killer.close()


# --- tests/test_fuzz.py ----------------------------------------------------


@pytest.fixture
def fuzz_targets(app: Flask, accounts: Accounts) -> fuzz_data.Seeded:
    victim = f"victim@{fuzz_data.VICTIM_MARK}.example"
    victim_ids, victim_cursors = fuzzing.seed_user(
        accounts, victim, fuzz_data.victim_contacts()
    )
    fuzzer_ids, fuzzer_cursors = fuzzing.seed_user(
        accounts, "fuzzer@example.com", fuzz_data.fuzzer_contacts()
    )
    return fuzz_data.Seeded(
        fuzzer_id=fuzzing.user_id(app, "fuzzer@example.com"),
        victim_id=fuzzing.user_id(app, victim),
        ids=victim_ids + fuzzer_ids,
        cursors=victim_cursors + fuzzer_cursors,
    )


@pytest.fixture
def hostile_token(accounts: Accounts) -> str:
    """A user with a contact, so that IDs and cursors have rows to miss."""
    token = accounts.token("hostile@example.com")
    create_contact(accounts.gql, token, {"lastName": "Adams"})
    return token


# --- tests/test_graphiql.py ------------------------------------------------


@pytest.fixture
def graphiql(tmp_path: Path) -> Flask:
    return create_app(
        "testing",
        {"GRAPHIQL": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'g.db'}"},
    )


@pytest.fixture
def page(graphiql: Flask) -> graphiql_page.PageParser:
    response = graphiql.test_client().get("/graphql", headers=graphiql_page.HTML)
    assert (response.status_code, response.mimetype) == (200, "text/html")
    parser = graphiql_page.PageParser()
    parser.feed(response.get_data(as_text=True))
    return parser


# --- tests/test_gunicorn.py ------------------------------------------------


@pytest.fixture
def server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[gunicorn_server.Server]:
    if not GUNICORN.exists():
        pytest.skip(f"gunicorn is not installed next to {sys.executable}")
    database = f"sqlite:///{tmp_path / 'served.db'}"
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": database})
    with app.app_context():
        db.create_all()
        db.engine.dispose()

    port = free_port()
    for name in ("GUNICORN_THREADS", "PORT"):
        monkeypatch.delenv(name, raising=False)
    env = {
        **os.environ,
        **SECRETS,
        "APP_ENV": "production",
        # Empty: the production default (json), whatever a .env says.
        "LOG_FORMAT": "",
        "RATELIMIT_STORAGE_URI": "memory://",
        "DATABASE_URL": database,
        "BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "1",
        "LOG_LEVEL": "INFO",
        # Cheap hashing: registering is not what this test measures.
        "PASSWORD_HASH_TIME_COST": "1",
        "PASSWORD_HASH_MEMORY_COST": "8",
        "PASSWORD_HASH_PARALLELISM": "1",
    }
    log_path = tmp_path / "gunicorn.out"
    with log_path.open("wb") as out:
        process = subprocess.Popen(
            [str(GUNICORN), "-c", str(CONFIG), "run:app"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    served = gunicorn_server.Server(port, process, log_path)
    try:
        gunicorn_server.wait_for_health(served)
        yield served
    finally:
        served.stop()


# --- tests/test_hostile_input.py -------------------------------------------


@pytest.fixture
def no_traceback_logged(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Every case here is the client's error: nothing may be logged as an
    unexpected one."""
    with caplog.at_level(logging.WARNING):
        yield
    unexpected = [
        record.getMessage()
        for record in caplog.records
        if record.levelno >= logging.ERROR or record.exc_info
    ]
    assert unexpected == []


@pytest.fixture
def tagged_contact(gql: GraphQL, token: str) -> dict[str, Any]:
    created: dict[str, Any] = gql.data(hostile.CREATE, token=token)["createContact"][
        "contact"
    ]
    return created


# --- tests/test_http.py ----------------------------------------------------


@pytest.fixture
def production_app(tmp_path: Any) -> Flask:
    settings = {
        **PRODUCTION_SECRETS,
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'production.db'}",
    }
    return create_app("production", settings)


# --- tests/test_integrity.py -----------------------------------------------


@pytest.fixture
def rendezvous(app: Flask) -> Iterator[Callable[[int], integrity.Rendezvous]]:
    made: list[integrity.Rendezvous] = []

    def make(parties: int) -> integrity.Rendezvous:
        made.append(
            integrity.Rendezvous(parties, app.config["SQLALCHEMY_DATABASE_URI"])
        )
        return made[-1]

    yield make
    for meeting in made:
        meeting.close()


@pytest.fixture(
    scope="module",
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)],
)
def seeded_account(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[integrity.Seeded]:
    if request.param == "postgresql":
        url = request.getfixturevalue("make_postgres_database")()
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('inputs') / 'test.db'}"
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        db.create_all()
    gql = GraphQL(app.test_client())
    account = integrity.register(gql, "ada@example.com")
    contact = create_contact(
        gql, account["accessToken"], {"firstName": "Ada", "tags": ["Work"]}
    )
    page = gql.data(
        "{ contacts(first: 1) { pageInfo { endCursor } } }",
        token=account["accessToken"],
    )
    yield integrity.Seeded(
        app,
        gql,
        account["accessToken"],
        account["refreshToken"],
        contact["id"],
        page["contacts"]["pageInfo"]["endCursor"],
    )
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


# --- tests/test_lockdown.py ------------------------------------------------


@pytest.fixture
def make_production_app(make_app: Callable[..., Flask]) -> Callable[..., Flask]:
    """Apps on the test database: production unless asked, with `settings`
    on top."""

    def make(
        settings: dict[str, Any] | None = None, config_name: str = "production"
    ) -> Flask:
        production = PRODUCTION_SECRETS | lockdown.CHEAP_HASHING
        return make_app(config_name, **(production | (settings or {})))

    return make


@pytest.fixture
def production(make_production_app: Callable[..., Flask]) -> Flask:
    return make_production_app()


# --- tests/test_logging.py -------------------------------------------------


@pytest.fixture
def make_logging_app(tmp_path: Path) -> Iterator[logging_apps.MakeApp]:
    """Apps on a SQLite file, with /work (logs a line) and /boom (raises)."""
    made: list[Flask] = []

    def make(config_name: str = "testing", **settings: Any) -> Flask:
        overrides = {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'log.db'}"}
        if config_name == "production":
            overrides |= logging_apps.PRODUCTION_SECRETS
        app = create_app(config_name, {**overrides, **settings})

        @app.get("/work")
        def work() -> dict[str, str]:
            logging_apps.log.info("doing the work")
            logging_apps.log.warning("still working")
            return {"done": "yes"}

        @app.get("/boom")
        def boom() -> dict[str, str]:
            raise RuntimeError("it broke")

        with app.app_context():
            db.create_all()
        made.append(app)
        return app

    yield make
    for app in made:
        with app.app_context():
            db.engine.dispose()


# --- tests/test_login_timing.py --------------------------------------------


@pytest.fixture
def timing_gql(tmp_path: Path) -> Iterator[GraphQL]:
    """/graphql of an app hashing at the production cost, with one account."""
    app: Flask = create_app(
        "testing",
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'timing.db'}",
            "RATELIMIT_ENABLED": False,
            **login_timing.PRODUCTION_COST,
        },
    )
    with app.app_context():
        db.create_all()
    gql = GraphQL(app.test_client())
    variables = {"input": {"email": login_timing.KNOWN, "password": DEFAULT_PASSWORD}}
    assert gql.data(REGISTER, variables)["register"]["userErrors"] == []
    yield gql
    with app.app_context():
        db.engine.dispose()


# --- tests/test_migrations.py ----------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_app(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Flask]:
    """An app on a database with no tables at all."""
    if request.param == "postgresql":
        url: str = request.getfixturevalue("make_postgres_database")()
    else:
        url = f"sqlite:///{tmp_path / 'migrations.db'}"
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": url})
    yield app
    with app.app_context():
        db.engine.dispose()


# --- tests/test_password_reset_timing.py -----------------------------------


@pytest.fixture
def reset_timing_gql(tmp_path: Path, smtp_server: SmtpServer) -> Iterator[GraphQL]:
    """/graphql of an app that mails the tests' (slow) SMTP server, with one
    account."""
    app: Flask = create_app(
        "testing",
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'timing.db'}",
            "RATELIMIT_ENABLED": False,
            **smtp_server.settings(),
        },
    )
    with app.app_context():
        db.create_all()
    gql = GraphQL(app.test_client())
    variables = {
        "input": {"email": password_reset_timing.KNOWN, "password": DEFAULT_PASSWORD}
    }
    assert gql.data(password_reset_timing.REGISTER, variables) == {
        "register": {"userErrors": []}
    }
    smtp_server.delay = password_reset_timing.SMTP_DELAY
    yield gql
    assert mail.OUTBOX.wait_idle(30)
    with app.app_context():
        db.engine.dispose()


# --- tests/test_query_limits.py --------------------------------------------


@pytest.fixture
def make_api(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[..., query_limits.Api]]:
    """Apps with the testing defaults, or with `settings` overriding them."""
    calls: list[str] = []
    list_contacts = contact_queries.list_contacts
    register = auth.register

    def recording_list_contacts(*args: Any, **kwargs: Any) -> Any:
        calls.append("list_contacts")
        return list_contacts(*args, **kwargs)

    def recording_register(*args: Any, **kwargs: Any) -> Any:
        calls.append("register")
        return register(*args, **kwargs)

    monkeypatch.setattr(contact_queries, "list_contacts", recording_list_contacts)
    monkeypatch.setattr(auth, "register", recording_register)
    apps: list[Flask] = []

    def make(settings: dict[str, Any] | None = None) -> query_limits.Api:
        url = f"sqlite:///{tmp_path / f'limits{len(apps)}.db'}"
        app = create_app(
            "testing", {"SQLALCHEMY_DATABASE_URI": url, **(settings or {})}
        )
        with app.app_context():
            db.create_all()
        apps.append(app)
        return query_limits.Api(app, calls)

    yield make
    for app in apps:
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def api(make_api: Callable[..., query_limits.Api]) -> query_limits.Api:
    return make_api()


@pytest.fixture
def cost_api(make_api: Callable[..., query_limits.Api]) -> query_limits.Api:
    return make_api(query_limits.SMALL_COST)


# --- tests/test_rate_limits.py ---------------------------------------------


@pytest.fixture
def make_limited_api(make_app: Callable[..., Flask]) -> limited_api.MakeApi:
    """Apps with rate limiting on, all on one database: `make_api(**settings)`."""

    def make(**settings: Any) -> limited_api.Api:
        return limited_api.Api(limited_api.limited_app(make_app, **settings))

    return make


@pytest.fixture
def clock_from_now(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """The rate limiter's clock, stopped at the real time now, so that the
    tokens the app issues meanwhile are valid."""
    return freeze_time(monkeypatch, time.time())


@pytest.fixture(scope="session")
def redis_url() -> str:
    url = os.environ.get("TEST_REDIS_URL", "").strip()
    if not url:
        if os.environ.get("CI"):
            pytest.fail("CI must run the Redis tests: set TEST_REDIS_URL")
        pytest.skip(limited_api.REDIS_SKIP_REASON)
    return url


@pytest.fixture
def key_prefix(redis_url: str) -> Iterator[Callable[[], str]]:
    """Unique key prefixes; their keys are deleted afterwards."""
    made: list[str] = []

    def make() -> str:
        made.append(f"test-{uuid.uuid4().hex}")
        return made[-1]

    yield make
    with redis.Redis.from_url(redis_url) as client:
        for prefix in made:
            keys = list(client.scan_iter(match=f"*/{prefix}/*"))
            if keys:
                client.delete(*keys)
            assert list(client.scan_iter(match=f"*{prefix}*")) == []


# --- tests/test_schema_diff.py ---------------------------------------------


@pytest.fixture
def repo(tmp_path: Path) -> schema_repo.Repo:
    repo = schema_repo.Repo(tmp_path)
    repo.write(schema_repo.BASE_SDL)
    repo.commit("Add the schema")
    return repo


# --- tests/test_schema_snapshot.py -----------------------------------------


@pytest.fixture(scope="module")
def schema_app() -> Flask:
    """The schema does not depend on the database; one app serves every test."""
    return create_app("testing")


@pytest.fixture(scope="module")
def served_sdl(schema_app: Flask) -> str:
    return str(schema_app.extensions["graphql_schema"])


@pytest.fixture(scope="module")
def served(served_sdl: str) -> GraphQLSchema:
    return build_schema(served_sdl)


@pytest.fixture(scope="module")
def contract() -> GraphQLSchema:
    if not snapshot.CONTRACT_FILE.is_file():
        pytest.skip(f"the API contract is not at {snapshot.CONTRACT_FILE}")
    match = snapshot.SDL_BLOCK.search(
        snapshot.CONTRACT_FILE.read_text(encoding="utf-8")
    )
    assert match, f"no ```graphql block under '## Schema' in {snapshot.CONTRACT_FILE}"
    return build_schema(match.group(1))


# --- tests/test_search_indexes.py ------------------------------------------


@pytest.fixture
def seeded_address_books(postgres_database: str) -> Iterator[tuple[GraphQL, str]]:
    """A PostgreSQL app with two demo users of ADDRESS_BOOK contacts each,
    vacuumed and analysed; the GraphQL client and the first user's token."""
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": postgres_database})
    with app.app_context():
        db.create_all()
        seed.seed(users=2, contacts_per_user=search_indexes.ADDRESS_BOOK, random_seed=5)
        # VACUUM also moves the rows just inserted from the GIN index's
        # pending list into the index proper, as autovacuum would.
        autocommit = db.engine.execution_options(isolation_level="AUTOCOMMIT")
        with autocommit.connect() as connection:
            connection.execute(text("VACUUM ANALYZE"))
    gql = GraphQL(app.test_client())
    credentials = {"email": seed.demo_email(1), "password": seed.DEMO_PASSWORD}
    token: str = gql.data(LOGIN, {"input": credentials})["login"]["accessToken"]
    yield gql, token
    release_database(app)


# --- tests/test_slow_clients.py --------------------------------------------


@pytest.fixture(scope="module")
def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[slow_clients.Backend]:
    if not GUNICORN.exists():
        pytest.skip(f"gunicorn is not installed next to {sys.executable}")
    slow_clients.nginx_binary()
    directory = tmp_path_factory.mktemp("backend")
    database = slow_clients.database_for(request, directory)
    slow_clients.create_schema(database)
    port = free_port()
    redis_url = os.environ.get("TEST_REDIS_URL", "").strip() or None
    key_prefix = f"test-slow-{uuid.uuid4().hex}"
    env = slow_clients.gunicorn_environment(database, port, redis_url, key_prefix)
    log = directory / "gunicorn.out"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(GUNICORN), "-c", str(CONFIG), "run:app"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        slow_clients.wait_until_healthy(port, process, log)
        yield slow_clients.Backend(port, redis_url)
    finally:
        slow_clients.stop(process)
        if redis_url:
            slow_clients.delete_keys(redis_url, key_prefix)


# --- tests/test_token_hardening.py -----------------------------------------


@pytest.fixture
def ada_signed_up(app: Flask, gql: GraphQL) -> token_hardening.Login:
    return token_hardening.sign_up(app, gql, "ada@example.com")


@pytest.fixture
def worker(app: Flask, database: str) -> Iterator[token_hardening.Worker]:
    worker = token_hardening.Worker(database)
    yield worker
    worker.close()
