"""Password rules (NIST SP 800-63B) and Argon2id hashing."""

import gzip
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

from app.errors import FieldError, UserErrorCode
from app.services.text import unusable_characters

MIN_LENGTH = 8
MAX_LENGTH = 128
COMMON_PASSWORDS_FILE = (
    Path(__file__).parent.parent / "data" / "common-passwords.txt.gz"
)


@cache
def common_passwords() -> frozenset[str]:
    """The 20,000 most common passwords, lower-cased (see app/data/README.md)."""
    with gzip.open(COMMON_PASSWORDS_FILE, "rt", encoding="utf-8") as lines:
        return frozenset(line.strip() for line in lines if line.strip())


def password_problems(
    password: str, email: str, path: tuple[str, ...]
) -> list[FieldError]:
    """Why `password` may not be used for an account with `email`, if at all."""

    def problem(message: str, code: UserErrorCode) -> list[FieldError]:
        return [FieldError(path, message, code)]

    unusable = unusable_characters(password)
    if unusable is not None:
        return problem(f"Must not contain {unusable}.", UserErrorCode.INVALID)
    if not password:
        return problem("Enter a password.", UserErrorCode.REQUIRED)
    if len(password) > MAX_LENGTH:
        return problem(
            f"Must be at most {MAX_LENGTH} characters.", UserErrorCode.TOO_LONG
        )
    if len(password) < MIN_LENGTH:
        return problem(
            f"Must be at least {MIN_LENGTH} characters.", UserErrorCode.WEAK_PASSWORD
        )
    if password.casefold() in common_passwords():
        return problem(
            "This password is too common; choose another.",
            UserErrorCode.WEAK_PASSWORD,
        )
    if password.strip().casefold() == email.strip().casefold():
        return problem(
            "The password must not be your email address.",
            UserErrorCode.WEAK_PASSWORD,
        )
    return []


@cache
def _hasher(time_cost: int, memory_cost: int, parallelism: int) -> PasswordHasher:
    return PasswordHasher(
        time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism
    )


def hasher() -> PasswordHasher:
    """The Argon2id hasher with the cost the app is configured for."""
    config = current_app.config
    return _hasher(
        config["PASSWORD_HASH_TIME_COST"],
        config["PASSWORD_HASH_MEMORY_COST"],
        config["PASSWORD_HASH_PARALLELISM"],
    )


def hash_password(password: str) -> str:
    return hasher().hash(password)


@cache
def _dummy_hash(hasher: PasswordHasher) -> str:
    return hasher.hash("not a real password, used to spend the time of a check")


def prepare_dummy_hash() -> None:
    """Compute the dummy hash now (at start-up), so that the first login for
    an unknown email in a worker is not slower than the ones after it."""
    _dummy_hash(hasher())


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether `password` matches; with no hash (unknown account) a dummy hash
    is checked instead, so both failures take the same time."""
    current = hasher()
    try:
        return current.verify(password_hash or _dummy_hash(current), password) and (
            password_hash is not None
        )
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return hasher().check_needs_rehash(password_hash)
