"""The people the filter tests search among."""

from __future__ import annotations

from typing import Any

from tests.helpers import GraphQL, create_contact

# label -> createContact input. Their default (LAST_NAME) order is:
# cotton, hamilton, hopper, lovelace, turing.
PEOPLE: dict[str, dict[str, Any]] = {
    "lovelace": {
        "firstName": "Ada",
        "lastName": "Lovelace",
        "company": "Analytical Engines",
        "emails": [{"value": "ada@example.com"}],
        "phones": [{"value": "+1 650-253-0000"}],
        "tags": ["Work"],
        "favorite": True,
    },
    "hopper": {
        "firstName": "Grace",
        "lastName": "Hopper",
        "company": "US Navy",
        "emails": [{"value": "grace.hopper@navy.example"}],
        "phones": [{"value": "+44 20 7946 0958"}],
        "tags": ["work", "Navy"],
    },
    "turing": {
        "firstName": "Alan",
        "lastName": "Turing",
        "emails": [{"value": "alan_turing@example.org"}],
        "notes": "Has 100% of the notes, which search ignores.",
        "favorite": True,
    },
    "cotton": {"company": "100% Cotton", "tags": ["Shops"]},
    "hamilton": {
        "firstName": "Margaret",
        "lastName": "Hamilton",
        "company": "MIT",
        "phones": [{"value": "+33 1 42 68 53 00"}],
        "favorite": False,
    },
}


def create_people(gql: GraphQL, token: str) -> dict[str, str]:
    """PEOPLE for the viewer; label by contact id."""
    return {
        create_contact(gql, token, fields)["id"]: label
        for label, fields in PEOPLE.items()
    }
