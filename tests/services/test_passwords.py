"""Password rules and Argon2id hashing: app.services.passwords."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher
from flask import Flask

from app import create_app
from app.errors import FieldError, UserErrorCode
from app.services import passwords
from tests.helpers import DEFAULT_PASSWORD

PATH = ("input", "password")
EMAIL = "Ada.Lovelace@example.com"
TOO_COMMON = "This password is too common; choose another."
TOO_SHORT = "Must be at least 8 characters."
IS_THE_EMAIL = "The password must not be your email address."


@pytest.mark.parametrize(
    ("password", "code", "message"),
    [
        ("", UserErrorCode.REQUIRED, "Enter a password."),
        ("p" * 129, UserErrorCode.TOO_LONG, "Must be at most 128 characters."),
        ("seven77", UserErrorCode.WEAK_PASSWORD, TOO_SHORT),
        ("123456", UserErrorCode.WEAK_PASSWORD, TOO_SHORT),  # short and common
        ("password1", UserErrorCode.WEAK_PASSWORD, TOO_COMMON),
        ("PassWord1", UserErrorCode.WEAK_PASSWORD, TOO_COMMON),
        ("qwertyuiop", UserErrorCode.WEAK_PASSWORD, TOO_COMMON),
        ("iloveyou", UserErrorCode.WEAK_PASSWORD, TOO_COMMON),
        (EMAIL, UserErrorCode.WEAK_PASSWORD, IS_THE_EMAIL),
        (EMAIL.upper(), UserErrorCode.WEAK_PASSWORD, IS_THE_EMAIL),
        (f"  {EMAIL.lower()} ", UserErrorCode.WEAK_PASSWORD, IS_THE_EMAIL),
    ],
)
def test_a_bad_password_has_exactly_one_problem(
    password: str, code: UserErrorCode, message: str
) -> None:
    assert passwords.password_problems(password, EMAIL, PATH) == [
        FieldError(PATH, message, code)
    ]


@pytest.mark.parametrize(
    "password",
    [
        "k7#Qm2!x",
        "p" * 128,
        DEFAULT_PASSWORD,
        "Ada.Lovelace@example.org",
        "password1 is what I used to use",
        "ünïcödé-pässwörd",
    ],
)
def test_a_good_password_has_no_problems(password: str) -> None:
    assert passwords.password_problems(password, EMAIL, PATH) == []


def test_the_common_passwords_are_at_least_the_10000_most_common() -> None:
    common = passwords.common_passwords()

    assert len(common) >= 10_000
    assert {"123456", "password", "qwerty", "iloveyou", "password1"} <= common
    assert all(entry == entry.casefold() for entry in common)


def test_hash_password_makes_a_salted_argon2id_hash(hashing_app: Flask) -> None:
    first = passwords.hash_password(DEFAULT_PASSWORD)
    second = passwords.hash_password(DEFAULT_PASSWORD)

    assert first.startswith("$argon2id$v=19$m=8,t=1,p=1$")
    assert DEFAULT_PASSWORD not in first
    assert first != second
    assert passwords.verify_password(first, DEFAULT_PASSWORD)
    assert passwords.verify_password(second, DEFAULT_PASSWORD)


def test_the_hasher_uses_the_configured_cost() -> None:
    app = create_app(
        "testing",
        {
            "PASSWORD_HASH_TIME_COST": 2,
            "PASSWORD_HASH_MEMORY_COST": 16,
            "PASSWORD_HASH_PARALLELISM": 2,
        },
    )
    with app.app_context():
        assert passwords.hash_password(DEFAULT_PASSWORD).startswith(
            "$argon2id$v=19$m=16,t=2,p=2$"
        )


@pytest.mark.parametrize(
    "attempt",
    [DEFAULT_PASSWORD.upper(), DEFAULT_PASSWORD + " ", DEFAULT_PASSWORD[:-1], ""],
)
def test_verify_password_refuses_anything_but_the_password(
    hashing_app: Flask, attempt: str
) -> None:
    stored = passwords.hash_password(DEFAULT_PASSWORD)

    assert passwords.verify_password(stored, attempt) is False


@pytest.mark.parametrize(
    ("stored", "attempt"),
    [
        (None, DEFAULT_PASSWORD),
        (None, "not a real password, used to spend the time of a check"),
        ("not-a-hash", DEFAULT_PASSWORD),
        ("", DEFAULT_PASSWORD),
    ],
    ids=["no-account", "no-account-dummy-password", "malformed-hash", "empty-hash"],
)
def test_verify_password_without_a_usable_hash_lets_nobody_in(
    hashing_app: Flask, stored: str | None, attempt: str
) -> None:
    """No account (checked against a dummy hash, to take the same time) and
    a broken hash both refuse every password, the dummy's own included."""
    assert passwords.verify_password(stored, attempt) is False


def test_needs_rehash_when_the_cost_has_changed(hashing_app: Flask) -> None:
    older = PasswordHasher(time_cost=2, memory_cost=16, parallelism=1)

    assert passwords.needs_rehash(older.hash(DEFAULT_PASSWORD)) is True
    assert passwords.needs_rehash(passwords.hash_password(DEFAULT_PASSWORD)) is False
