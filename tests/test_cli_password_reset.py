"""`flask create-user --reset-password`: a reset link for an operator to
hand to a user, for an existing account or a new one."""

from __future__ import annotations

from typing import Any

from click.testing import Result
from flask import Flask
from sqlalchemy import select

from app.cli import create_user_command
from app.extensions import db
from app.models import PasswordReset, User
from app.schema.ids import to_global_id
from tests.helpers import DEFAULT_PASSWORD, Accounts, GraphQL

LINK_PREFIX = "https://app.example/reset-password?token="
RESET = """
mutation ResetPassword($input: ResetPasswordInput!) {
  resetPassword(input: $input) { user { email name } userErrors { code } }
}
"""
NEW_PASSWORD = "a brand new passphrase"


def invoke(app: Flask, args: list[str], **kwargs: Any) -> Result:
    return app.test_cli_runner().invoke(create_user_command, args, **kwargs)


def link_of(result: Result) -> str:
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[-2] == (
        "Password reset link (works once, for 30 minutes; hand it to the user only):"
    )
    assert lines[-1].startswith(LINK_PREFIX)
    return lines[-1]


def reset(gql: GraphQL, link: str) -> dict[str, Any]:
    variables = {
        "input": {"token": link.removeprefix(LINK_PREFIX), "newPassword": NEW_PASSWORD}
    }
    payload: dict[str, Any] = gql.data(RESET, variables)["resetPassword"]
    return payload


def test_a_link_for_an_existing_account_resets_its_password(
    app: Flask, gql: GraphQL, accounts: Accounts
) -> None:
    user_id = accounts.register("ada@example.com")["user"]["id"]

    result = invoke(app, ["ADA@example.com", "--reset-password"])

    link = link_of(result)
    assert result.stdout.splitlines()[0] == (
        f"Existing user ada@example.com (id {user_id})"
    )
    assert "Password:" not in result.output  # no prompt
    assert reset(gql, link) == {
        "user": {"email": "ada@example.com", "name": None},
        "userErrors": [],
    }
    assert reset(gql, link)["userErrors"] == [{"code": "INVALID_TOKEN"}]


def test_a_link_for_a_new_account_lets_the_user_choose_the_password(
    app: Flask, gql: GraphQL
) -> None:
    result = invoke(app, ["grace@example.com", "--name", "Grace", "--reset-password"])

    link = link_of(result)
    with app.app_context():
        user = db.session.scalars(select(User)).one()
        stored = db.session.scalars(select(PasswordReset.token_hash)).one()
    assert result.stdout.splitlines()[0] == (
        f"Created user grace@example.com (id {to_global_id('User', user.id)})"
    )
    assert link.removeprefix(LINK_PREFIX) not in stored
    assert reset(gql, link) == {
        "user": {"email": "grace@example.com", "name": "Grace"},
        "userErrors": [],
    }


def test_reset_password_refuses_what_register_refuses(app: Flask) -> None:
    result = invoke(app, ["not an address", "--reset-password"])

    assert result.exit_code == 1
    assert result.output.startswith("Error: email: ")
    with app.app_context():
        assert db.session.scalars(select(User)).all() == []


def test_reset_password_and_password_stdin_exclude_each_other(app: Flask) -> None:
    result = invoke(
        app,
        ["ada@example.com", "--reset-password", "--password-stdin"],
        input=f"{DEFAULT_PASSWORD}\n",
    )

    assert result.exit_code == 2
    assert "--reset-password and --password-stdin exclude each other" in result.output


def test_reset_password_says_when_reset_is_switched_off(app: Flask) -> None:
    app.config["PASSWORD_RESET_ENABLED"] = False

    result = invoke(app, ["ada@example.com", "--reset-password"])

    assert result.exit_code == 1
    assert result.output == (
        "Error: Password reset is switched off on this server; ask its operator.\n"
    )


def test_help_describes_the_option(app: Flask) -> None:
    result = invoke(app, ["--help"])

    assert "--reset-password" in result.output
    assert "Print a password-reset link" in result.output
