"""Registering and signing in through the API, for the auth tests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Flask

from tests.helpers import DEFAULT_PASSWORD, GraphQL
from tests.operations import REFRESH_AS_AUTH_PAYLOAD, REGISTER_AS_AUTH_PAYLOAD


def register(
    gql: GraphQL, email: str, password: str = DEFAULT_PASSWORD, **more: Any
) -> dict[str, Any]:
    variables = {"input": {"email": email, "password": password, **more}}
    payload: dict[str, Any] = gql.data(REGISTER_AS_AUTH_PAYLOAD, variables)["register"]
    return payload


def refresh(gql: GraphQL, refresh_token: str) -> dict[str, Any]:
    payload: dict[str, Any] = gql.data(
        REFRESH_AS_AUTH_PAYLOAD, {"refreshToken": refresh_token}
    )["refreshToken"]
    return payload


@dataclass
class Login:
    """One signed-in login, and what a test needs to spoil its tokens."""

    app: Flask
    gql: GraphQL
    email: str
    access: str
    refresh: str
