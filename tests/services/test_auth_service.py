"""Register, log in, refresh and log out without HTTP: app.services.auth."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher
from flask_jwt_extended import decode_token
from sqlalchemy import func, select

from app.errors import FieldError, InvalidInput, NotAuthenticated, UserErrorCode
from app.extensions import db
from app.models import AuthSession, User
from app.services import auth, passwords, text, tokens
from tests.helpers import DEFAULT_PASSWORD

WRONG_CREDENTIALS = FieldError(
    None, "Wrong email or password.", UserErrorCode.INVALID_CREDENTIALS
)
TAKEN = FieldError(
    ("input", "email"),
    "An account with this email already exists.",
    UserErrorCode.TAKEN,
)


def count(model: type[db.Model]) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def session_of(issued: tokens.IssuedTokens) -> AuthSession:
    return db.session.get_one(AuthSession, decode_token(issued.access_token)["sid"])


def revoked(issued: tokens.IssuedTokens) -> bool:
    session = session_of(issued)
    db.session.refresh(session)
    return session.revoked_at is not None


def test_register_stores_the_cleaned_account(app_context: None) -> None:
    issued = auth.register(" Ada.Lovelace@Example.COM ", DEFAULT_PASSWORD, "  Ada ")

    user = db.session.scalars(select(User)).one()
    assert issued.user == user
    assert (user.email, user.email_key, user.name) == (
        "Ada.Lovelace@example.com",
        "ada.lovelace@example.com",
        "Ada",
    )
    assert user.password_hash.startswith("$argon2id$")
    assert passwords.verify_password(user.password_hash, DEFAULT_PASSWORD)
    assert session_of(issued).user_id == user.id


def test_register_reports_every_problem_and_stores_nothing(app_context: None) -> None:
    with pytest.raises(InvalidInput) as refused:
        auth.register("nope", "short", "n" * 101)

    assert refused.value.errors == [
        FieldError(
            ("input", "email"),
            "An email address must have an @-sign.",
            UserErrorCode.INVALID,
        ),
        FieldError(
            ("input", "name"), "Must be at most 100 characters.", UserErrorCode.TOO_LONG
        ),
        FieldError(
            ("input", "password"),
            "Must be at least 8 characters.",
            UserErrorCode.WEAK_PASSWORD,
        ),
    ]
    assert (count(User), count(AuthSession)) == (0, 0)


def test_register_refuses_an_email_taken_in_another_case(app_context: None) -> None:
    auth.register("ada@example.com", DEFAULT_PASSWORD, None)

    with pytest.raises(InvalidInput) as refused:
        auth.register("ADA@example.com", "another fine passphrase", None)

    assert refused.value.errors == [TAKEN]
    assert (count(User), count(AuthSession)) == (1, 1)


def test_register_turns_a_lost_race_for_the_email_into_taken(
    app_context: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two requests can both see the email free; the unique key decides."""
    auth.register("ada@example.com", DEFAULT_PASSWORD, None)
    monkeypatch.setattr(auth, "_email_taken", lambda email: False)

    with pytest.raises(InvalidInput) as refused:
        auth.register("Ada@Example.com", "another fine passphrase", None)

    assert refused.value.errors == [TAKEN]
    assert (count(User), count(AuthSession)) == (1, 1)
    assert auth.login("ada@example.com", DEFAULT_PASSWORD).user.email == (
        "ada@example.com"
    )


@pytest.mark.parametrize(
    ("email", "key"),
    [
        ("ada@example.com", "ada@example.com"),
        (" Ada.Lovelace@Example.COM ", "ada.lovelace@example.com"),
        ("STRASSE@example.de", "strasse@example.de"),
        ("Straße@example.de", "strasse@example.de"),
        ("user@xn--bcher-kva.example", "user@bücher.example"),
        ("USER@BÜCHER.EXAMPLE", "user@bücher.example"),
        ("jose\u0301@example.com", "jos\u00e9@example.com"),
        (" No Address ", "no address"),
        ("JOSE\u0301", "jos\u00e9"),
    ],
)
def test_email_key_ignores_case_spelling_and_surrounding_space(
    email: str, key: str
) -> None:
    assert text.email_key(email) == key


@pytest.mark.parametrize(
    "email", ["Ada@Example.com", "ada@example.com", "ADA@EXAMPLE.COM"]
)
def test_login_opens_a_new_login_whatever_the_case_of_the_email(
    app_context: None, email: str
) -> None:
    registered = auth.register("Ada@Example.com", DEFAULT_PASSWORD, None)

    issued = auth.login(email, DEFAULT_PASSWORD)

    assert issued.user == registered.user
    assert session_of(issued).id != session_of(registered).id
    assert count(AuthSession) == 2


@pytest.mark.parametrize(
    ("email", "password"),
    [
        ("ada@example.com", "a wrong passphrase"),
        ("bob@example.com", DEFAULT_PASSWORD),
        ("ada\x00@example.com", DEFAULT_PASSWORD),
    ],
    ids=["wrong-password", "unknown-email", "nul-in-email"],
)
def test_login_refuses_wrong_credentials_all_alike(
    app_context: None, email: str, password: str
) -> None:
    auth.register("ada@example.com", DEFAULT_PASSWORD, None)

    with pytest.raises(InvalidInput) as refused:
        auth.login(email, password)

    assert refused.value.errors == [WRONG_CREDENTIALS]
    assert count(AuthSession) == 1


def test_login_rehashes_a_password_hashed_at_an_older_cost(app_context: None) -> None:
    user = auth.register("ada@example.com", DEFAULT_PASSWORD, None).user
    older = PasswordHasher(time_cost=2, memory_cost=16, parallelism=1)
    user.password_hash = older.hash(DEFAULT_PASSWORD)
    db.session.commit()

    auth.login("ada@example.com", DEFAULT_PASSWORD)

    db.session.refresh(user)
    assert user.password_hash.startswith("$argon2id$v=19$m=8,t=1,p=1$")
    assert passwords.verify_password(user.password_hash, DEFAULT_PASSWORD)


def test_login_keeps_a_current_hash(app_context: None) -> None:
    user = auth.register("ada@example.com", DEFAULT_PASSWORD, None).user
    current = user.password_hash

    auth.login("ada@example.com", DEFAULT_PASSWORD)

    db.session.refresh(user)
    assert user.password_hash == current


def test_refresh_rotates_within_the_same_login(app_context: None) -> None:
    issued = auth.register("ada@example.com", DEFAULT_PASSWORD, None)

    rotated = auth.refresh(issued.refresh_token)

    assert session_of(rotated).id == session_of(issued).id
    assert rotated.refresh_token != issued.refresh_token
    with pytest.raises(InvalidInput):
        auth.refresh(issued.refresh_token)
    assert revoked(rotated)


def test_logout_without_any_token_needs_a_sign_in(app_context: None) -> None:
    with pytest.raises(NotAuthenticated) as refused:
        auth.logout(None, None, None)

    assert refused.value.message == (
        "Sign in to do this: send Authorization: Bearer <accessToken>."
    )


def test_logout_ends_the_viewers_login_only(app_context: None) -> None:
    issued = auth.register("ada@example.com", DEFAULT_PASSWORD, None)
    other = auth.login("ada@example.com", DEFAULT_PASSWORD)

    auth.logout(issued.user, session_of(issued).id, None)

    assert (revoked(issued), revoked(other)) == (True, False)


def test_logout_ends_the_login_of_the_refresh_token(app_context: None) -> None:
    issued = auth.register("ada@example.com", DEFAULT_PASSWORD, None)
    other = auth.login("ada@example.com", DEFAULT_PASSWORD)

    auth.logout(None, None, issued.refresh_token)
    auth.logout(None, None, issued.refresh_token)  # twice is fine

    assert (revoked(issued), revoked(other)) == (True, False)


def test_logout_with_a_bad_refresh_token_changes_nothing(app_context: None) -> None:
    issued = auth.register("ada@example.com", DEFAULT_PASSWORD, None)

    with pytest.raises(InvalidInput) as refused:
        auth.logout(issued.user, session_of(issued).id, "not-a-token")

    assert refused.value.errors == [
        FieldError(
            ("refreshToken",),
            "The refresh token is invalid.",
            UserErrorCode.INVALID_TOKEN,
        )
    ]
    assert not revoked(issued)


def test_an_account_is_found_by_any_spelling_of_its_email(user_id: int) -> None:
    assert auth.account_id("ADA@example.com") == user_id
    assert auth.account_id(" ADA@example.com") == user_id
    assert auth.account_id("nobody@example.com") is None
    assert auth.account_id("a\x00@example.com") is None
