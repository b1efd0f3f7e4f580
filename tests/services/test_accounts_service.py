"""The account's own changes without HTTP: app.services.accounts; and the
rule that lets deleteAccount be one DELETE: every table that can hold an
account's rows reaches `users` through ON DELETE CASCADE foreign keys."""

from __future__ import annotations

import threading

import pytest
from flask import Flask
from sqlalchemy import ForeignKey, Table, func, select, update

from app.errors import FieldError, InvalidInput, NotAuthenticated, UserErrorCode
from app.extensions import Base, db
from app.models import AuthSession, User
from app.services import accounts, auth, contacts, passwords, tokens
from app.services.contact_input import AddressInput, EmailInput, PhoneInput

PASSWORD = "accounts service passphrase"
NEW_PASSWORD = "another fine passphrase"


def new_user(email: str = "ada@example.com") -> User:
    user = User(
        email=email, email_key=email, password_hash=passwords.hash_password(PASSWORD)
    )
    db.session.add(user)
    db.session.commit()
    return user


def fill(user: User) -> None:
    """A contact with every list and tags, and two logins (one rotated)."""
    contacts.create_contact(
        user.id,
        {
            "first_name": "Grace",
            "emails": [EmailInput(value="grace@example.com")],
            "phones": [PhoneInput(value="+16502530000")],
            "addresses": [AddressInput(city="Arlington", country="US")],
            "tags": ["Navy", "Pioneers"],
        },
    )
    tokens.start_session(user)
    rotated = tokens.start_session(user)
    db.session.commit()
    tokens.rotate(rotated.refresh_token)
    db.session.commit()


def row_counts() -> dict[str, int]:
    return {
        name: db.session.scalar(select(func.count()).select_from(table)) or 0
        for name, table in Base.metadata.tables.items()
    }


# --- every table an account owns goes with it -----------------------------------


def owned_tables() -> dict[str, Table]:
    """Every table whose rows belong to an account: one with a foreign key
    to `users`, or to a table whose rows do."""
    owned: dict[str, Table] = {}
    changed = True
    while changed:
        changed = False
        for table in Base.metadata.tables.values():
            if table.name in owned or table.name == "users":
                continue
            targets = {fk.column.table.name for fk in table.foreign_keys}
            if targets & ({"users"} | set(owned)):
                owned[table.name] = table
                changed = True
    return owned


def test_every_table_that_holds_an_accounts_rows_cascades_from_users() -> None:
    """Adding a table of per-account rows (trash, history, …) without ON
    DELETE CASCADE on its way to `users` would leave rows behind when an
    account is deleted, or make deleting it fail: this names the key."""
    owned = owned_tables()
    assert {"auth_sessions", "refresh_tokens", "contacts", "tags"} <= set(owned)
    not_cascading = [
        f"{table.name}.{fk.parent.name} -> {fk.target_fullname}"
        for table in owned.values()
        for fk in table.foreign_keys
        if fk.column.table.name in ({"users"} | set(owned))
        and (fk.ondelete or "").upper() != "CASCADE"
    ]
    assert not_cascading == []


def test_every_table_with_an_owner_column_refers_to_users() -> None:
    """A column that names an account (user_id, owner_id, …) must be a
    foreign key to users, or the cascade above cannot see the table."""
    unlinked = [
        f"{table.name}.{column.name}"
        for table in Base.metadata.tables.values()
        for column in table.columns
        if column.name in {"user_id", "owner_id", "account_id"}
        and not any(
            isinstance(fk, ForeignKey) and fk.column.table.name == "users"
            for fk in column.foreign_keys
        )
    ]
    assert unlinked == []


def test_delete_account_leaves_no_row_of_the_account_in_any_table(
    app_context: None,
) -> None:
    grace = new_user("grace@example.com")
    fill(grace)
    before = row_counts()
    ada = new_user()
    fill(ada)
    ada_id = ada.id

    assert accounts.delete_account(ada_id, PASSWORD) == ada_id

    db.session.expire_all()
    assert row_counts() == before
    for name, table in owned_tables().items():
        for column in table.columns:
            if any(fk.column.table.name == "users" for fk in column.foreign_keys):
                left = db.session.scalar(
                    select(func.count()).select_from(table).where(column == ada_id)
                )
                assert left == 0, f"{name}.{column.name} kept rows of the account"
    assert db.session.get(User, grace.id) is not None


def test_delete_account_with_a_wrong_password_changes_nothing(
    app_context: None,
) -> None:
    ada = new_user()
    fill(ada)
    before = row_counts()

    with pytest.raises(InvalidInput) as raised:
        accounts.delete_account(ada.id, "wrong passphrase")

    assert raised.value.errors == [
        FieldError(
            ("password",), "The password is wrong.", UserErrorCode.INVALID_CREDENTIALS
        )
    ]
    assert row_counts() == before


def test_a_gone_account_is_unauthenticated(app_context: None) -> None:
    with pytest.raises(NotAuthenticated):
        accounts.delete_account(12345, PASSWORD)
    with pytest.raises(NotAuthenticated):
        accounts.change_password(12345, "no-session", PASSWORD, NEW_PASSWORD)


# --- change_password -------------------------------------------------------------


def test_change_password_sets_the_hash_ends_the_others_and_renews_this_login(
    app_context: None,
) -> None:
    ada, grace = new_user(), new_user("grace@example.com")
    mine, other = tokens.start_session(ada), tokens.start_session(ada)
    graces = tokens.start_session(grace)
    db.session.commit()

    renewed = accounts.change_password(ada.id, mine.session_id, PASSWORD, NEW_PASSWORD)

    db.session.expire_all()
    user = db.session.get_one(User, ada.id)
    assert passwords.verify_password(user.password_hash, NEW_PASSWORD)
    assert renewed.session_id == mine.session_id
    assert db.session.get_one(AuthSession, mine.session_id).revoked_at is None
    assert db.session.get_one(AuthSession, other.session_id).revoked_at is not None
    assert db.session.get_one(AuthSession, graces.session_id).revoked_at is None


def test_change_password_refused_changes_nothing(app_context: None) -> None:
    ada = new_user()
    mine, other = tokens.start_session(ada), tokens.start_session(ada)
    db.session.commit()

    with pytest.raises(InvalidInput) as raised:
        accounts.change_password(ada.id, mine.session_id, "wrong passphrase", "short")

    assert raised.value.errors == [
        FieldError(
            ("input", "currentPassword"),
            "The password is wrong.",
            UserErrorCode.INVALID_CREDENTIALS,
        ),
        FieldError(
            ("input", "newPassword"),
            "Must be at least 8 characters.",
            UserErrorCode.WEAK_PASSWORD,
        ),
    ]
    db.session.expire_all()
    user = db.session.get_one(User, ada.id)
    assert passwords.verify_password(user.password_hash, PASSWORD)
    assert db.session.get_one(AuthSession, other.session_id).revoked_at is None


def test_a_login_waits_for_a_password_change_under_way_and_checks_the_new_hash(
    app: Flask,
) -> None:
    """PostgreSQL: without the login's row lock, a login with the old
    password racing a change would read the old hash and open a login the
    change never saw (SQLite writes one at a time, so it cannot race)."""
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("SQLite serialises writers; the race needs PostgreSQL")
        ada = new_user()
        ada_id, new_hash = ada.id, passwords.hash_password(NEW_PASSWORD)
        engine = db.engine
    outcome: list[object] = []

    def log_in_with_the_old_password() -> None:
        with app.app_context():
            try:
                outcome.append(auth.login("ada@example.com", PASSWORD))
            except InvalidInput as error:
                outcome.append(error.errors)

    with engine.connect() as change:
        # A change under way: the row locked and the new hash written, not
        # yet committed (accounts.change_password holds the same lock).
        change.execute(select(User.id).where(User.id == ada_id).with_for_update())
        change.execute(
            update(User).where(User.id == ada_id).values(password_hash=new_hash)
        )
        racer = threading.Thread(target=log_in_with_the_old_password)
        racer.start()
        racer.join(timeout=1)
        waited = racer.is_alive()
        change.commit()
    racer.join(timeout=10)

    assert waited
    assert outcome == [
        [
            FieldError(
                None, "Wrong email or password.", UserErrorCode.INVALID_CREDENTIALS
            )
        ]
    ]
