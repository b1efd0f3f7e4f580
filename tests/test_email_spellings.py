"""One address, however it is spelt, is one account for every rule that
compares emails: the per-email login limit counts all its spellings together
(tests/graphql/test_auth.py has register and login)."""

from __future__ import annotations

from typing import Any

from flask import Flask

from tests.helpers import REFUSED_LOGIN, GraphQL
from tests.operations import LOGIN
from tests.support.email_spellings import SPELLINGS


def login(gql: GraphQL, email: str) -> dict[str, Any]:
    return gql(LOGIN, {"input": {"email": email, "password": "not the password"}})


def test_the_per_email_login_limit_counts_every_spelling_together(
    limited_app: Flask,
) -> None:
    gql = GraphQL(limited_app.test_client())
    *first, last = SPELLINGS

    for spelling in first:
        assert login(gql, spelling)["data"]["login"] == REFUSED_LOGIN
    refused = login(gql, last)

    assert [error["extensions"]["code"] for error in refused["errors"]] == [
        "RATE_LIMITED"
    ]
    other = login(gql, "other@b\u00fccher.example")
    assert "errors" not in other
