"""Export, then import into a new account, gives the same contacts, field
for field: generated contacts created through the API in one account,
exported as vCard 4.0, vCard 3.0 and CSV (GET /export/contacts.vcf and
.csv), each file imported with importContacts into an account of its own,
and the accounts' contacts compared as the API shows them: every declared
field, the display name, emails, phones and addresses with their labels and
primary flags, and tags (ids, times and versions aside)."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.helpers import Accounts, GraphQL
from tests.support.exporting import CSV, VCF, get
from tests.support.fuzzing import BASE_SETTINGS
from tests.support.round_trip import (
    CONTACTS,
    CREATE_CONTACTS,
    IMPORT_CONTACTS,
    contact_inputs,
)

# Per database: each example registers four accounts and sends a dozen
# requests.
EXAMPLES = 60
EXPORTS = [
    (VCF, {"version": "4.0"}, "VCARD"),
    (VCF, {"version": "3.0"}, "VCARD"),
    (CSV, {}, "CSV"),
]


def contacts_of(gql: GraphQL, token: str) -> list[dict[str, Any]]:
    nodes: list[dict[str, Any]] = gql.data(CONTACTS, token=token)["contacts"]["nodes"]
    return nodes


def exported(client: FlaskClient, path: str, token: str, **query: str) -> str:
    response = get(client, path, token, **query)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_data(as_text=True)


def imported(gql: GraphQL, token: str, data: str, file_format: str) -> dict[str, Any]:
    payload: dict[str, Any] = gql.data(
        IMPORT_CONTACTS, {"input": {"data": data, "format": file_format}}, token
    )["importContacts"]
    return payload


def test_export_then_import_gives_the_same_contacts(
    client: FlaskClient, gql: GraphQL, accounts: Accounts
) -> None:
    @settings(BASE_SETTINGS, max_examples=EXAMPLES)
    @given(inputs=st.lists(contact_inputs(), min_size=1, max_size=4))
    def round_trip(inputs: list[dict[str, Any]]) -> None:
        source = accounts.token()
        created = gql.data(CREATE_CONTACTS, {"input": inputs}, source)
        assert created["createContacts"]["userErrors"] == [], (inputs, created)
        expected = contacts_of(gql, source)
        for path, query, file_format in EXPORTS:
            text = exported(client, path, source, **query)
            target = accounts.token()
            payload = imported(gql, target, text, file_format)
            assert payload["userErrors"] == [], (file_format, text, payload)
            assert payload["failedCount"] == payload["skippedCount"] == 0, (
                file_format,
                text,
                payload,
            )
            assert payload["importedCount"] + payload["duplicateCount"] == len(inputs)
            assert contacts_of(gql, target) == expected, (path, query, text)

    round_trip()
