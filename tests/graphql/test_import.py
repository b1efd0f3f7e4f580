"""importContacts through /graphql: every status with its errors' paths,
duplicates against the account and within the file, skipDuplicates both
ways, dryRun answering as the import does and changing nothing, file-level
refusals, sync and history seeing what was imported, the query cost and
rate limit by record, and the request-size limit that lets an import alone
past MAX_CONTENT_LENGTH."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from graphql import parse

from app.fields import needs_one_of
from app.schema.limits import query_cost
from tests.helpers import (
    NOTHING_STORED,
    GraphQL,
    create_contact,
    stored_rows,
)

IMPORT = """
mutation Import($input: ImportContactsInput!) {
  importContacts(input: $input) {
    importedCount duplicateCount skippedCount failedCount
    records {
      index status
      contact { id displayName emails { value primary } tags { name } version }
      duplicateOf { id displayName }
      errors { field message code }
    }
    userErrors { field message code }
  }
}
"""
CHANGES = """
query { contactChanges(first: 100) { changes { contact { id displayName } } } }
"""
HISTORY = """
query History($id: ID!) {
  contact(id: $id) { history { nodes { version kind } } }
}
"""
MAX_CONTENT_LENGTH = 100_000
IMPORT_MAX_BYTES = 5_000_000


def vcard(*lines: str) -> str:
    return (
        "BEGIN:VCARD\r\nVERSION:3.0\r\n"
        + "".join(f"{line}\r\n" for line in lines)
        + "END:VCARD\r\n"
    )


ADA = vcard(
    "N:Lovelace;Ada;;;",
    "FN:Ada Lovelace",
    "EMAIL;TYPE=INTERNET,WORK:ada@example.com",
    "TEL;TYPE=CELL:+1 650-253-0000",
    "CATEGORIES:Friends,Math",
)
EMPTY = vcard()
NOTE_ONLY = vcard("NOTE:Only a note")
BROKEN = vcard("FN:Grace Hopper", "EMAIL:not-an-email", "BDAY:1906-13-09")
BOB = vcard("FN:Bob Builder", "EMAIL:BOB@example.com")
FILE = ADA + EMPTY + NOTE_ONLY + BROKEN + BOB


def import_contacts(
    gql: GraphQL, token: str, data: str, **options: Any
) -> dict[str, Any]:
    payload: dict[str, Any] = gql.data(
        IMPORT, {"input": {"data": data, **options}}, token
    )["importContacts"]
    return payload


def statuses(payload: dict[str, Any]) -> list[tuple[int, str]]:
    return [(record["index"], record["status"]) for record in payload["records"]]


def counts(payload: dict[str, Any]) -> tuple[int, int, int, int]:
    return (
        payload["importedCount"],
        payload["duplicateCount"],
        payload["skippedCount"],
        payload["failedCount"],
    )


def error(field: list[str], message: str, code: str = "INVALID") -> dict[str, Any]:
    return {"field": field, "message": message, "code": code}


def test_each_record_of_a_vcard_file_gets_its_status(gql: GraphQL, token: str) -> None:
    bob = create_contact(
        gql, token, {"firstName": "Robert", "emails": [{"value": "bob@example.com"}]}
    )

    payload = import_contacts(gql, token, FILE)

    assert payload["userErrors"] == []
    assert counts(payload) == (1, 1, 2, 1)
    ada, empty, note, broken, duplicate = payload["records"]
    assert ada["status"] == "IMPORTED"
    assert ada["contact"] == {
        "id": ada["contact"]["id"],
        "displayName": "Ada Lovelace",
        "emails": [{"value": "ada@example.com", "primary": True}],
        "tags": [{"name": "Friends"}, {"name": "Math"}],
        "version": 1,
    }
    assert (ada["duplicateOf"], ada["errors"]) == (None, [])
    assert empty == {
        "index": 1,
        "status": "SKIPPED",
        "contact": None,
        "duplicateOf": None,
        "errors": [],
    }
    assert note == {
        "index": 2,
        "status": "SKIPPED",
        "contact": None,
        "duplicateOf": None,
        "errors": [
            error(["records", "2"], f"Give at least a {needs_one_of()}.", "REQUIRED")
        ],
    }
    assert broken == {
        "index": 3,
        "status": "FAILED",
        "contact": None,
        "duplicateOf": None,
        "errors": [
            error(["records", "3", "birthday"], BDAY_PROBLEM),
            error(
                ["records", "3", "emails", "0", "value"],
                "An email address must have an @-sign.",
            ),
        ],
    }
    assert duplicate["status"] == "DUPLICATE"
    assert duplicate["duplicateOf"] == {"id": bob["id"], "displayName": "Robert"}
    assert duplicate["contact"]["displayName"] == "Bob Builder"


# Line 20 of FILE: the reader's line numbers are the file's.
BDAY_PROBLEM = (
    'Line 20: BDAY "1906-13-09" is not a date: write 1985-04-15, or --04-15 '
    "without the year."
)


def test_a_csv_file_is_detected_and_read(gql: GraphQL, token: str) -> None:
    data = (
        "\ufefffirstName,lastName,birthday,emails,tags\r\n"
        "Ada,Lovelace,1815-12-10,work;ada@example.com;primary,Math\r\n"
        ",,,,\r\n"
        "Grace,Hopper,someday,,\r\n"
    )

    payload = import_contacts(gql, token, data)

    assert statuses(payload) == [(0, "IMPORTED"), (1, "FAILED")]
    assert payload["records"][1]["errors"] == [
        error(["records", "1", "birthday"], CSV_BIRTHDAY_PROBLEM)
    ]
    assert payload["records"][0]["contact"]["emails"] == [
        {"value": "ada@example.com", "primary": True}
    ]


CSV_BIRTHDAY_PROBLEM = "Not a date: write 1985-04-15, or --04-15 without the year."


def test_duplicates_within_the_file_name_the_earlier_records_contact(
    gql: GraphQL, token: str
) -> None:
    data = (
        ADA
        + vcard("FN:Augusta King", "EMAIL:ADA@example.com")
        + vcard("FN:Someone", "TEL:+16502530000")
    )

    created = import_contacts(gql, token, data)
    skipped = import_contacts(gql, token, data, skipDuplicates=True)

    first = created["records"][0]["contact"]
    assert [
        (r["status"], r["contact"] is not None, r["duplicateOf"])
        for r in created["records"]
    ] == [
        ("IMPORTED", True, None),
        ("DUPLICATE", True, {"id": first["id"], "displayName": "Ada Lovelace"}),
        ("DUPLICATE", True, {"id": first["id"], "displayName": "Ada Lovelace"}),
    ]
    assert counts(created) == (1, 2, 0, 0)
    # Imported again, skipping duplicates: each matches what the first
    # import created (the lowest id among contacts of one email or phone),
    # and nothing is created.
    assert [
        (r["status"], r["contact"], r["duplicateOf"]) for r in skipped["records"]
    ] == [("DUPLICATE", None, {"id": first["id"], "displayName": "Ada Lovelace"})] * 3
    total = gql.data("{ contacts { totalCount } }", token=token)
    assert total["contacts"]["totalCount"] == 3


@pytest.mark.parametrize("skip_duplicates", [False, True])
def test_a_dry_run_answers_as_the_import_and_changes_nothing(
    app: Flask, gql: GraphQL, token: str, skip_duplicates: bool
) -> None:
    create_contact(
        gql, token, {"firstName": "Robert", "emails": [{"value": "bob@example.com"}]}
    )
    data = FILE + vcard("FN:Ada Again", "EMAIL:ada@example.com")
    before = stored_rows(app)
    changes_before = gql.data(CHANGES, token=token)

    dry = import_contacts(gql, token, data, dryRun=True, skipDuplicates=skip_duplicates)
    assert stored_rows(app) == before
    assert gql.data(CHANGES, token=token) == changes_before
    real = import_contacts(gql, token, data, skipDuplicates=skip_duplicates)

    def as_dry_run(record: dict[str, Any]) -> dict[str, Any]:
        """What a dry run says of a record: no contact, and no duplicateOf
        that only the import's own contacts could be."""
        within_file = record["index"] == 5
        return record | {
            "contact": None,
            "duplicateOf": None if within_file else record["duplicateOf"],
        }

    assert dry == real | {"records": [as_dry_run(r) for r in real["records"]]}
    assert counts(dry) == (1, 2, 2, 1)


PHONES = """
mutation Import($input: ImportContactsInput!) {
  importContacts(input: $input) {
    records { status contact { phones { value label } } errors { field message } }
    userErrors { field message code }
  }
}
"""
# Google's CSV writes numbers as they were typed: one national, one not.
NATIONAL_PHONES = (
    "First Name,Last Name,Phone 1 - Label,Phone 1 - Value\r\n"
    "Grace,Hopper,Work,(202) 555-0143 ::: +44 20 7946 0000\r\n"
)


def test_national_numbers_need_the_phone_region(gql: GraphQL, token: str) -> None:
    without = gql.data(PHONES, {"input": {"data": NATIONAL_PHONES}}, token)
    assert without["importContacts"] == {
        "records": [
            {
                "status": "FAILED",
                "contact": None,
                "errors": [
                    {
                        "field": ["records", "0", "phones", "0", "value"],
                        "message": (
                            "Write the number with its country code (+…), "
                            "or give the region it is a national number of."
                        ),
                    }
                ],
            }
        ],
        "userErrors": [],
    }


def test_national_numbers_are_read_in_the_phone_region(
    gql: GraphQL, token: str
) -> None:
    variables = {"input": {"data": NATIONAL_PHONES, "phoneRegion": " us "}}

    payload = gql.data(PHONES, variables, token)["importContacts"]

    assert payload == {
        "records": [
            {
                "status": "IMPORTED",
                "contact": {
                    "phones": [
                        {"value": "+12025550143", "label": "work"},
                        {"value": "+442079460000", "label": "work"},
                    ]
                },
                "errors": [],
            }
        ],
        "userErrors": [],
    }


def test_an_unknown_phone_region_refuses_the_file(
    app: Flask, gql: GraphQL, token: str
) -> None:
    for region in ("USA", "XX", "1"):
        variables = {"input": {"data": NATIONAL_PHONES, "phoneRegion": region}}
        payload = gql.data(PHONES, variables, token)["importContacts"]
        assert payload == {
            "records": [],
            "userErrors": [
                error(
                    ["input", "phoneRegion"],
                    "Must be an ISO 3166-1 alpha-2 country code, like US or GB.",
                )
            ],
        }, region
    assert stored_rows(app) == NOTHING_STORED


def test_file_level_problems_are_user_errors_and_change_nothing(
    app: Flask, gql: GraphQL, token: str
) -> None:
    cases = [
        ("Name,Phone\r\nAda,1\r\n", None, UNKNOWN_HEADER),
        ("hello, world", None, UNKNOWN_HEADER_HELLO),
        ("", None, "The file holds no contacts."),
        ("firstName,lastName\r\n", None, "The file holds no contacts."),
        ("no cards here", "VCARD", "The file holds no contacts."),
    ]
    for data, format, message in cases:
        options = {"format": format} if format else {}
        payload = import_contacts(gql, token, data, **options)
        assert payload == {
            "importedCount": 0,
            "duplicateCount": 0,
            "skippedCount": 0,
            "failedCount": 0,
            "records": [],
            "userErrors": [error(["input", "data"], message)],
        }, data
    assert stored_rows(app) == NOTHING_STORED


UNKNOWN_HEADER = (
    "The CSV header (Name, Phone) is not one this app reads: use Google "
    "Contacts' export (First Name, …, E-mail 1 - Value, …), Outlook's (First "
    "Name, …, E-mail Address, …) or this app's own (firstName, lastName, …)."
)
UNKNOWN_HEADER_HELLO = UNKNOWN_HEADER.replace("Name, Phone", "hello,  world")


@pytest.mark.app_settings(IMPORT_MAX_RECORDS=2)
def test_a_file_of_more_than_import_max_records_is_refused(
    app: Flask, gql: GraphQL, token: str
) -> None:
    at_limit = import_contacts(gql, token, ADA + BOB, dryRun=True)
    over = import_contacts(gql, token, ADA + BOB + NOTE_ONLY)

    assert counts(at_limit) == (2, 0, 0, 0)
    assert over["userErrors"] == [
        error(
            ["input", "data"],
            "The file holds more than 2 contacts (IMPORT_MAX_RECORDS); split it, "
            "or import it with `flask import-contacts`.",
        )
    ]
    assert stored_rows(app) == NOTHING_STORED


def test_sync_and_history_see_the_imported_contacts(gql: GraphQL, token: str) -> None:
    payload = import_contacts(gql, token, ADA + BOB)
    ids = [record["contact"]["id"] for record in payload["records"]]

    changes = gql.data(CHANGES, token=token)["contactChanges"]["changes"]
    history = gql.data(HISTORY, {"id": ids[0]}, token)["contact"]["history"]

    assert [change["contact"] for change in changes] == [
        {"id": ids[0], "displayName": "Ada Lovelace"},
        {"id": ids[1], "displayName": "Bob Builder"},
    ]
    assert history["nodes"] == [{"version": 1, "kind": "CREATED"}]


# --- the query cost and the rate limit, by record ---------------------------


@pytest.mark.parametrize(
    ("document", "variables", "cost"),
    [
        # Two records, and the payload's two records, each with a
        # contact's emails (50 at most).
        (
            "mutation($input: ImportContactsInput!) { importContacts(input: $input)"
            " { records { index contact { emails { value } } } } }",
            {"input": {"data": ADA + BOB}},
            2 + 2 + 2 * 50,
        ),
        # The file in a literal, a variable of `data` only.
        (
            'mutation { importContacts(input: {data: "firstName\\nA\\nB\\nC\\n"})'
            " { importedCount records { index } } }",
            {},
            4 + 4,
        ),
        (
            "mutation($d: String!) { importContacts(input: {data: $d})"
            " { records { index } } }",
            {"d": ADA},
            1 + 1,
        ),
        # More records than IMPORT_MAX_RECORDS count as many: it is refused.
        (
            "mutation($d: String!) { importContacts(input: {data: $d})"
            " { records { index } } }",
            {"d": ADA * 10_001},
            10_000 + 10_000,
        ),
    ],
)
def test_the_query_cost_counts_an_import_by_its_records(
    document: str, variables: dict[str, Any], cost: int
) -> None:
    assert query_cost(parse(document), variables, None) == cost


@pytest.mark.app_settings(MAX_QUERY_COST=10)
def test_the_cost_limit_sees_the_records_of_the_file(gql: GraphQL, token: str) -> None:
    query = (
        "mutation($input: ImportContactsInput!) {"
        " importContacts(input: $input) { records { index } } }"
    )
    within = gql(query, {"input": {"data": ADA * 5, "dryRun": True}}, token)
    over = gql(query, {"input": {"data": ADA * 6, "dryRun": True}}, token)

    assert len(within["data"]["importContacts"]["records"]) == 5
    assert over == {
        "data": None,
        "errors": [
            {
                "message": "The query may return 12 nodes; the limit is 10. "
                "Ask for smaller pages (first/last).",
                "extensions": {"code": "BAD_USER_INPUT"},
            }
        ],
    }


@pytest.mark.app_settings(RATELIMIT_ENABLED=True, RATELIMIT_PER_TOKEN="5/minute")
def test_an_import_counts_one_use_of_the_token_per_record(
    gql: GraphQL, token: str
) -> None:
    assert counts(import_contacts(gql, token, ADA * 3, dryRun=True)) == (1, 2, 0, 0)
    body = gql(IMPORT, {"input": {"data": ADA * 3, "dryRun": True}}, token)
    assert [e["extensions"]["code"] for e in body["errors"]] == ["RATE_LIMITED"]


@pytest.mark.app_settings(RATELIMIT_ENABLED=True, RATELIMIT_PER_TOKEN="5/minute")
def test_an_import_larger_than_the_token_limit_still_runs_once(
    gql: GraphQL, token: str
) -> None:
    """It counts a whole window's worth, not more: it could never run."""
    assert counts(import_contacts(gql, token, ADA * 8, dryRun=True)) == (1, 7, 0, 0)
    body = gql(IMPORT, {"input": {"data": ADA, "dryRun": True}}, token)
    assert [e["extensions"]["code"] for e in body["errors"]] == ["RATE_LIMITED"]


# --- the request-size limit -------------------------------------------------


def post(client: FlaskClient, body: Any, token: str, padding: int = 0) -> Any:
    """POST `body` as JSON, padded with spaces to `padding` bytes over
    MAX_CONTENT_LENGTH (the padding is valid JSON whitespace)."""
    text = json.dumps(body)
    if padding:
        text += " " * (MAX_CONTENT_LENGTH + padding - len(text.encode()))
    return client.post(
        "/graphql",
        data=text,
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )


def too_large(limit: int, setting: str) -> dict[str, Any]:
    return {
        "errors": [
            {
                "message": (
                    f"The request body is larger than the limit of {limit} bytes "
                    f"({setting})."
                ),
                "extensions": {"code": "BAD_USER_INPUT"},
            }
        ]
    }


PHOTO = "PHOTO;ENCODING=b;TYPE=JPEG:" + "A" * 300_000


def test_an_import_may_send_more_than_max_content_length(
    app: Flask, client: FlaskClient, token: str
) -> None:
    """A vCard with a large photo (accepted and ignored) is well over
    MAX_CONTENT_LENGTH; so is a small import padded with spaces."""
    with_photo = vcard("FN:Ada Lovelace", PHOTO)
    big = post(
        client, {"query": IMPORT, "variables": {"input": {"data": with_photo}}}, token
    )
    padded = post(
        client,
        {"query": IMPORT, "variables": {"input": {"data": BOB}}},
        token,
        padding=1,
    )

    assert big.status_code == 200, big.get_json()
    assert counts(big.get_json()["data"]["importContacts"]) == (1, 0, 0, 0)
    assert padded.status_code == 200, padded.get_json()
    assert counts(padded.get_json()["data"]["importContacts"]) == (1, 0, 0, 0)
    assert stored_rows(app)["contacts"] == 2


ONE_IMPORT = (
    "mutation($input: ImportContactsInput!) {"
    " importContacts(input: $input) { importedCount } }"
)


@pytest.mark.parametrize(
    ("query", "operation_name"),
    [
        # Another operation.
        ("{ __typename }", None),
        ("mutation { logout { ok } }", None),
        # A second root field, aliased or not.
        (
            "mutation($input: ImportContactsInput!) { importContacts(input: $input)"
            " { importedCount } logout { ok } }",
            None,
        ),
        (
            "mutation($input: ImportContactsInput!) {"
            " a: importContacts(input: $input) { importedCount }"
            " b: importContacts(input: $input) { importedCount } }",
            None,
        ),
        # A second operation in the document, even when the import is chosen.
        (ONE_IMPORT + " query Other { __typename }", None),
        ("mutation Import" + ONE_IMPORT[8:] + " query Other { __typename }", "Import"),
        # The root field behind a fragment.
        (
            "mutation($input: ImportContactsInput!) { ...Root }"
            " fragment Root on Mutation {"
            " importContacts(input: $input) { importedCount } }",
            None,
        ),
        # A query named importContacts is no mutation.
        ("query { importContacts }", None),
        # A type definition beside it (never valid in a request).
        (ONE_IMPORT + " scalar Extra", None),
        # Not GraphQL.
        ("mutation {", None),
    ],
)
def test_only_an_import_may_send_more_than_max_content_length(
    app: Flask, client: FlaskClient, token: str, query: str, operation_name: str | None
) -> None:
    body = {
        "query": query,
        "variables": {"input": {"data": BOB}},
        "operationName": operation_name,
    }

    refused = post(client, body, token, padding=1)

    assert (refused.status_code, refused.get_json()) == (
        413,
        too_large(MAX_CONTENT_LENGTH, "MAX_CONTENT_LENGTH"),
    )
    assert stored_rows(app) == NOTHING_STORED


def test_an_aliased_import_may_send_more_than_max_content_length(
    client: FlaskClient, token: str
) -> None:
    query = (
        "mutation($input: ImportContactsInput!) {"
        " mine: importContacts(input: $input) { importedCount } }"
    )

    answer = post(
        client, {"query": query, "variables": {"input": {"data": BOB}}}, token, 1
    )

    assert answer.get_json() == {"data": {"mine": {"importedCount": 1}}}


def test_other_bodies_over_max_content_length_are_refused(
    client: FlaskClient, token: str
) -> None:
    """A batch of operations, JSON that is no object, text that is no JSON,
    and a query text itself over MAX_CONTENT_LENGTH (it would be parsed
    and cached whole)."""
    import_body = {"query": IMPORT, "variables": {"input": {"data": BOB}}}
    long_query = IMPORT + "#" + "x" * MAX_CONTENT_LENGTH
    bodies = [
        json.dumps([import_body]) + " " * MAX_CONTENT_LENGTH,
        json.dumps("text") + " " * MAX_CONTENT_LENGTH,
        "x" * (MAX_CONTENT_LENGTH + 1),
        json.dumps({"query": long_query, "variables": import_body["variables"]}),
    ]
    for body in bodies:
        refused = client.post(
            "/graphql",
            data=body,
            content_type="application/json",
            headers={"Authorization": f"Bearer {token}"},
        )
        assert (refused.status_code, refused.get_json()) == (
            413,
            too_large(MAX_CONTENT_LENGTH, "MAX_CONTENT_LENGTH"),
        ), body[:40]


@pytest.mark.app_settings(IMPORT_MAX_BYTES=300_000)
def test_an_import_over_import_max_bytes_is_refused(
    app: Flask, client: FlaskClient, token: str
) -> None:
    body = {"query": IMPORT, "variables": {"input": {"data": BOB}}}

    at_limit = post(client, body, token, padding=300_000 - MAX_CONTENT_LENGTH)
    over = post(client, body, token, padding=300_000 - MAX_CONTENT_LENGTH + 1)

    assert at_limit.status_code == 200
    assert (over.status_code, over.get_json()) == (
        413,
        too_large(300_000, "IMPORT_MAX_BYTES"),
    )
    assert stored_rows(app)["contacts"] == 1


@pytest.mark.app_settings(IMPORT_MAX_BYTES=50_000)
def test_an_import_max_bytes_below_max_content_length_changes_nothing(
    client: FlaskClient, token: str
) -> None:
    body = {"query": IMPORT, "variables": {"input": {"data": BOB}}}

    over = post(client, body, token, padding=1)

    assert (over.status_code, over.get_json()) == (
        413,
        too_large(MAX_CONTENT_LENGTH, "MAX_CONTENT_LENGTH"),
    )


def test_a_chunked_body_is_held_to_the_same_limits(
    client: FlaskClient, token: str
) -> None:
    """Without a Content-Length the body is read to find its size: an
    import passes, anything else over MAX_CONTENT_LENGTH does not."""

    def chunked(body: dict[str, Any]) -> Any:
        text = json.dumps(body) + " " * MAX_CONTENT_LENGTH
        return client.post(
            "/graphql",
            input_stream=io.BytesIO(text.encode()),
            content_type="application/json",
            headers={
                "Authorization": f"Bearer {token}",
                "Transfer-Encoding": "chunked",
            },
            # What gunicorn says of a chunked body it has de-chunked.
            environ_overrides={"wsgi.input_terminated": True},
        )

    imported = chunked({"query": IMPORT, "variables": {"input": {"data": BOB}}})
    refused = chunked({"query": "{ __typename }"})

    assert imported.status_code == 200, imported.get_json()
    assert counts(imported.get_json()["data"]["importContacts"]) == (1, 0, 0, 0)
    assert (refused.status_code, refused.get_json()) == (
        413,
        too_large(MAX_CONTENT_LENGTH, "MAX_CONTENT_LENGTH"),
    )


def test_an_import_over_get_is_refused(
    app: Flask, client: FlaskClient, token: str
) -> None:
    """The larger limit is for POST, the only way a mutation comes."""
    answer = client.get(
        "/graphql",
        query_string={
            "query": ONE_IMPORT,
            "variables": json.dumps({"input": {"data": BOB}}),
        },
        headers={"Accept": "application/json", "Authorization": f"Bearer {token}"},
    )

    assert (answer.status_code, answer.get_json()["errors"][0]["message"]) == (
        400,
        "mutations are not allowed when using GET",
    )
    assert stored_rows(app) == NOTHING_STORED
