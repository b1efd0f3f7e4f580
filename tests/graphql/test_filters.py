"""`contacts(filter: ...)`: search, tag, favorite, updatedSince, and together."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from tests.helpers import Accounts, GraphQL, create_contact
from tests.operations import UPDATE

CONTACTS = """
query Contacts($filter: ContactFilter, $first: Int, $after: String) {
  contacts(filter: $filter, first: $first, after: $after) {
    edges { node { id } }
    pageInfo { hasNextPage endCursor }
    totalCount
  }
}
"""


def matching(
    gql: GraphQL, token: str, labels: dict[str, str], filter: dict[str, Any]
) -> list[str]:
    """The labels of the contacts `filter` finds, in order; totalCount must agree."""
    connection = gql.data(CONTACTS, {"filter": filter}, token)["contacts"]
    found = [labels[edge["node"]["id"]] for edge in connection["edges"]]
    assert connection["totalCount"] == len(found)
    return found


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("ada", ["lovelace"]),
        ("LOVELACE", ["lovelace"]),
        ("grace hopper", ["hopper"]),
        ("Ada Lovelace", ["lovelace"]),
        ("  hopper  ", ["hopper"]),
        ("analytical eng", ["lovelace"]),
        ("NAVY", ["hopper"]),
        ("example.ORG", ["turing"]),
        ("example", ["hopper", "lovelace", "turing"]),
        ("16502530000", ["lovelace"]),
        ("+1650253", ["lovelace"]),
        ("(650) 253", ["lovelace"]),
        ("650-253-0000", ["lovelace"]),
        ("20 7946", ["hopper"]),
        ("42 68 53", ["hamilton"]),
        ("%", ["cotton"]),
        ("100%", ["cotton"]),
        ("%a", []),
        ("_", ["turing"]),
        ("n_t", ["turing"]),
        ("a_a", []),
        ("\\", []),
        ("notes", []),
        ("nobody", []),
        ("", ["cotton", "hamilton", "hopper", "lovelace", "turing"]),
        ("   ", ["cotton", "hamilton", "hopper", "lovelace", "turing"]),
    ],
)
def test_search_matches_names_company_emails_and_phones(
    gql: GraphQL,
    people_viewer: tuple[str, dict[str, str]],
    search: str,
    expected: list[str],
) -> None:
    token, labels = people_viewer

    assert matching(gql, token, labels, {"search": search}) == expected


@pytest.mark.parametrize(
    "filter",
    [
        {"search": "a" * 201},
        {"search": "a\x00b"},
        {"tag": "a" * 201},
        {"tag": "a\x00b"},
        {"updatedSince": "yesterday"},
        {"updatedSince": "2024-13-01T00:00:00+00:00"},
        {"updatedSince": "0001-01-01T00:00:00+05:00"},
        {"updatedSince": "9999-12-31T23:00:00-05:00"},
    ],
    ids=[
        "search-too-long",
        "search-nul",
        "tag-too-long",
        "tag-nul",
        "since-not-a-time",
        "since-month-13",
        "since-before-year-1-in-utc",
        "since-after-9999-in-utc",
    ],
)
def test_filter_outside_the_rules_is_bad_user_input(
    gql: GraphQL, accounts: Accounts, filter: dict[str, str]
) -> None:
    token = accounts.token()

    assert gql.error_codes(CONTACTS, {"filter": filter}, token) == ["BAD_USER_INPUT"]


def test_search_of_200_characters_is_allowed(
    gql: GraphQL, people_viewer: tuple[str, dict[str, str]]
) -> None:
    token, labels = people_viewer

    assert matching(gql, token, labels, {"search": "a" * 200}) == []


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("Work", ["hopper", "lovelace"]),
        ("WORK", ["hopper", "lovelace"]),
        (" navy ", ["hopper"]),
        ("shops", ["cotton"]),
        ("Wor", []),
        ("Secret", []),
    ],
)
def test_tag_filter_ignores_case(
    gql: GraphQL,
    accounts: Accounts,
    people_viewer: tuple[str, dict[str, str]],
    tag: str,
    expected: list[str],
) -> None:
    token, labels = people_viewer
    create_contact(gql, accounts.token(), {"firstName": "Eve", "tags": ["Secret"]})

    assert matching(gql, token, labels, {"tag": tag}) == expected


@pytest.mark.parametrize(
    ("favorite", "expected"),
    [
        (True, ["lovelace", "turing"]),
        (False, ["cotton", "hamilton", "hopper"]),
        (None, ["cotton", "hamilton", "hopper", "lovelace", "turing"]),
    ],
)
def test_favorite_filter(
    gql: GraphQL,
    people_viewer: tuple[str, dict[str, str]],
    favorite: bool | None,
    expected: list[str],
) -> None:
    token, labels = people_viewer

    assert matching(gql, token, labels, {"favorite": favorite}) == expected


def in_zone(timestamp: str, hours: float) -> str:
    """The same instant, written with another UTC offset."""
    zone = timezone(timedelta(hours=hours))
    return datetime.fromisoformat(timestamp).astimezone(zone).isoformat()


@pytest.mark.parametrize("offset_hours", [0, 5.5, -8])
def test_updated_since_includes_changes_at_or_after_the_instant(
    gql: GraphQL, accounts: Accounts, offset_hours: float
) -> None:
    token = accounts.token()
    first, second, third = (
        create_contact(gql, token, {"lastName": name})
        for name in ("Adams", "Baker", "Clark")
    )
    labels = {first["id"]: "adams", second["id"]: "baker", third["id"]: "clark"}
    since = in_zone(second["updatedAt"], offset_hours)

    before_update = matching(gql, token, labels, {"updatedSince": since})
    update = {"id": first["id"], "notes": "changed"}
    gql.data(UPDATE, {"input": update}, token)
    after_update = matching(gql, token, labels, {"updatedSince": since})

    assert before_update == ["baker", "clark"]
    assert after_update == ["adams", "baker", "clark"]


def test_updated_since_in_the_future_matches_nothing(
    gql: GraphQL, people_viewer: tuple[str, dict[str, str]]
) -> None:
    token, labels = people_viewer

    found = matching(gql, token, labels, {"updatedSince": "2999-01-01T00:00:00Z"})

    assert found == []


@pytest.mark.parametrize(
    ("filter", "expected"),
    [
        ({"tag": "work", "favorite": True}, ["lovelace"]),
        ({"tag": "work", "favorite": False}, ["hopper"]),
        ({"search": "example", "favorite": True}, ["lovelace", "turing"]),
        ({"search": "example", "tag": "navy"}, ["hopper"]),
        ({"search": "a", "tag": "work", "favorite": True}, ["lovelace"]),
        (
            {"search": "", "tag": "", "favorite": None, "updatedSince": None},
            ["cotton", "hamilton", "hopper", "lovelace", "turing"],
        ),
        (
            {"search": "e", "updatedSince": "2000-01-01T00:00:00+00:00"},
            ["hamilton", "hopper", "lovelace", "turing"],
        ),
        ({"search": "cotton", "tag": "work"}, []),
    ],
)
def test_filters_combine_with_and(
    gql: GraphQL,
    people_viewer: tuple[str, dict[str, str]],
    filter: dict[str, Any],
    expected: list[str],
) -> None:
    token, labels = people_viewer

    assert matching(gql, token, labels, filter) == expected


def test_total_count_counts_every_filtered_match_across_pages(
    gql: GraphQL, people_viewer: tuple[str, dict[str, str]]
) -> None:
    token, labels = people_viewer
    filter = {"search": "e"}

    first_page = gql.data(CONTACTS, {"filter": filter, "first": 2}, token)["contacts"]
    after = first_page["pageInfo"]["endCursor"]
    variables = {"filter": filter, "first": 2, "after": after}
    second_page = gql.data(CONTACTS, variables, token)["contacts"]

    pages = [first_page, second_page]
    assert [[labels[e["node"]["id"]] for e in page["edges"]] for page in pages] == [
        ["hamilton", "hopper"],
        ["lovelace", "turing"],
    ]
    assert [page["totalCount"] for page in pages] == [4, 4]
    assert second_page["pageInfo"]["hasNextPage"] is False
