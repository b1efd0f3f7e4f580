"""The executors the differential test compares, and what it seeds."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask.testing import FlaskClient

EMAIL = "differential@example.com"

# The same id on both requests, so that masked errors read alike.
REQUEST_ID = "differential-test"

CONTACTS: list[dict[str, Any]] = [
    {
        "firstName": "Ada",
        "lastName": "Lovelace",
        "company": "Analytical Engines",
        "jobTitle": "Programmer",
        "birthday": "1815-12-10",
        "notes": "First program",
        "favorite": True,
        "emails": [
            {"value": "ada@example.com", "label": "home", "primary": True},
            {"value": "ada@engines.example"},
        ],
        "phones": [{"value": "+442079460000", "label": "work"}],
        "addresses": [
            {"street": "12 St James's Square", "city": "London", "country": "GB"},
            {"label": "summer", "city": "Ockham"},
        ],
        "tags": ["Friends", "Work"],
    },
    {"firstName": "Grace", "lastName": "Hopper", "tags": ["Work"]},
    {"company": "Nameless Ltd", "phones": [{"value": "+16502530000"}]},
    {"emails": [{"value": "only-email@example.com", "primary": True}]},
    {
        "lastName": "Turing",
        "favorite": True,
        "addresses": [{"country": "GB"}],
        "tags": ["Family"],
    },
]


@dataclass
class Executors:
    """One client per executor, all on the same database and viewer."""

    clients: dict[str, FlaskClient]
    token: str
    ids: list[str]
    cursors: list[str]

    def check(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        signed_in: bool = True,
    ) -> dict[str, Any]:
        """The response body, after checking that both executors sent it."""
        headers = {"X-Request-ID": REQUEST_ID}
        if signed_in:
            headers["Authorization"] = f"Bearer {self.token}"
        responses = {
            name: client.post(
                "/graphql",
                json={"query": query, "variables": variables},
                headers=headers,
            )
            for name, client in self.clients.items()
        }
        fast, stock = responses["fast"], responses["stock"]
        assert fast.get_json() == stock.get_json(), query
        assert fast.get_data() == stock.get_data(), query
        assert fast.status_code == stock.status_code
        body: dict[str, Any] = stock.get_json()
        return body
