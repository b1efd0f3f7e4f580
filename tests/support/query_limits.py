"""Apps that record which services the query limits let through."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from tests.helpers import DEFAULT_PASSWORD
from tests.operations import ME_EMAIL, REGISTER_FOR_A_TOKEN

EMAIL = "limits@example.com"


# The arithmetic of the cost is shown at this limit; the default is larger.
SMALL_COST = {"MAX_QUERY_COST": 1000}


class Api:
    """A client of one app, signed in, that knows which resolvers ran."""

    def __init__(self, app: Flask, calls: list[str]) -> None:
        self.app = app
        self.client: FlaskClient = app.test_client()
        self.calls = calls
        self.token: str | None = None
        body = self.post(
            REGISTER_FOR_A_TOKEN,
            {"input": {"email": EMAIL, "password": DEFAULT_PASSWORD}},
        )
        self.token = body["data"]["register"]["accessToken"]

    def post(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        operation_name: str | None = None,
    ) -> Any:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        response = self.client.post(
            "/graphql",
            json={
                "query": query,
                "variables": variables,
                "operationName": operation_name,
            },
            headers=headers,
        )
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.get_json()

    def refused(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        operation_name: str | None = None,
    ) -> Any:
        """The error messages for a document refused before execution: no
        data, no resolver ran, and the app still answers normally after."""
        self.calls.clear()
        body = self.post(query, variables, operation_name)
        assert body["data"] is None
        assert self.calls == []
        self.answers_normally()
        return [error["message"] for error in body["errors"]]

    def allowed(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        operation_name: str | None = None,
    ) -> Any:
        """The data of a document that ran, reaching its resolvers."""
        self.calls.clear()
        body = self.post(query, variables, operation_name)
        assert "errors" not in body, body["errors"]
        assert self.calls
        return body["data"]

    def answers_normally(self) -> None:
        assert self.post(ME_EMAIL) == {"data": {"me": {"email": EMAIL}}}
