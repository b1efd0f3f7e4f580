"""Tags: the viewer's own, by name, unique ignoring case, created on first use
and gone with their last contact."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers import (
    GraphQL,
    create_contact,
    delete,
    node,
    update_contact,
)

TAGS = "{ tags { id name contactCount } }"
CONTACT_TAGS = """
query ContactTags($id: ID!) { contact(id: $id) { tags { id name contactCount } } }
"""


def tags(gql: GraphQL, token: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = gql.data(TAGS, token=token)["tags"]
    return found


def names_and_counts(gql: GraphQL, token: str) -> list[tuple[str, int]]:
    return [(tag["name"], tag["contactCount"]) for tag in tags(gql, token)]


def tagged(gql: GraphQL, token: str, *names: str) -> dict[str, Any]:
    """A new contact carrying `names`."""
    return create_contact(gql, token, {"firstName": "Someone", "tags": list(names)})


def contact_tags(gql: GraphQL, token: str, contact_id: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = gql.data(CONTACT_TAGS, {"id": contact_id}, token)[
        "contact"
    ]["tags"]
    return found


def test_a_new_user_has_no_tags(gql: GraphQL, token: str) -> None:
    assert tags(gql, token) == []


def test_tags_are_sorted_by_name_ignoring_case(gql: GraphQL, token: str) -> None:
    tagged(gql, token, "gamma", "Beta")
    tagged(gql, token, "alpha", "Delta", "beta")

    assert names_and_counts(gql, token) == [
        ("alpha", 1),
        ("Beta", 2),
        ("Delta", 1),
        ("gamma", 1),
    ]


def test_contact_count_counts_the_contacts_carrying_the_tag(
    gql: GraphQL, token: str
) -> None:
    for _ in range(3):
        tagged(gql, token, "family")
    tagged(gql, token, "work", "family")
    create_contact(gql, token, {"firstName": "Untagged"})

    assert names_and_counts(gql, token) == [("family", 4), ("work", 1)]


def test_a_tag_is_created_on_first_use(gql: GraphQL, token: str) -> None:
    contact = tagged(gql, token, " Book club ")

    [tag] = tags(gql, token)
    assert tag["name"] == "Book club"
    assert contact["tags"] == [{"name": "Book club", "contactCount": 1}]
    assert node(gql, token, tag["id"]) == {
        "__typename": "Tag",
        "id": tag["id"],
        "name": "Book club",
        "contactCount": 1,
    }


def test_a_tag_is_unique_ignoring_case_and_keeps_its_first_spelling(
    gql: GraphQL, token: str
) -> None:
    first = tagged(gql, token, "Work")
    second = tagged(gql, token, "WORK")
    third = create_contact(gql, token, {"firstName": "Later", "tags": []})
    third = update_contact(gql, token, {"id": third["id"], "tags": [" work "]})

    [tag] = tags(gql, token)
    assert (tag["name"], tag["contactCount"]) == ("Work", 3)
    for contact in (first, second, third):
        assert contact_tags(gql, token, contact["id"]) == [tag]


def test_repeats_of_a_tag_in_one_input_count_once(gql: GraphQL, token: str) -> None:
    contact = tagged(gql, token, "work", "Work", " WORK ", "home")

    assert contact["tags"] == [
        {"name": "home", "contactCount": 1},
        {"name": "work", "contactCount": 1},
    ]
    assert names_and_counts(gql, token) == [("home", 1), ("work", 1)]


@pytest.mark.parametrize(
    "change",
    [{"tags": []}, {"tags": None}, {"tags": ["other"]}],
    ids=["empty-list", "null", "replaced"],
)
def test_a_tag_disappears_when_its_last_contact_drops_it(
    gql: GraphQL, token: str, change: dict[str, Any]
) -> None:
    contact = tagged(gql, token, "temporary")
    other = tagged(gql, token, "kept")
    [temporary] = [tag for tag in tags(gql, token) if tag["name"] == "temporary"]

    update_contact(gql, token, {"id": contact["id"], **change})

    assert "temporary" not in [name for name, _ in names_and_counts(gql, token)]
    assert node(gql, token, temporary["id"]) is None
    assert contact_tags(gql, token, other["id"])[0]["name"] == "kept"


def test_a_tag_stays_while_another_contact_carries_it(gql: GraphQL, token: str) -> None:
    first = tagged(gql, token, "shared")
    tagged(gql, token, "shared")

    update_contact(gql, token, {"id": first["id"], "tags": []})

    assert names_and_counts(gql, token) == [("shared", 1)]


def test_a_tag_disappears_when_its_last_contact_is_deleted(
    gql: GraphQL, token: str
) -> None:
    first = tagged(gql, token, "shared", "only-first")
    second = tagged(gql, token, "shared")
    ids = {tag["name"]: tag["id"] for tag in tags(gql, token)}

    delete(gql, token, first["id"])

    assert names_and_counts(gql, token) == [("shared", 1)]
    assert node(gql, token, ids["only-first"]) is None

    delete(gql, token, second["id"])

    assert tags(gql, token) == []
    assert node(gql, token, ids["shared"]) is None


def test_a_tag_keeps_its_id_while_it_exists(gql: GraphQL, token: str) -> None:
    tagged(gql, token, "stable")
    [before] = tags(gql, token)
    tagged(gql, token, "STABLE")

    [after] = tags(gql, token)

    assert after == {**before, "contactCount": 2}


def test_each_mutation_of_one_operation_reports_fresh_tag_counts(
    gql: GraphQL, token: str
) -> None:
    operation = """
    mutation Twice {
      a: createContact(input: {firstName: "A", tags: ["t"]}) {
        contact { tags { name contactCount } }
      }
      b: createContact(input: {firstName: "B", tags: ["T"]}) {
        contact { tags { name contactCount } }
      }
    }
    """

    data = gql.data(operation, token=token)

    assert data == {
        "a": {"contact": {"tags": [{"name": "t", "contactCount": 1}]}},
        "b": {"contact": {"tags": [{"name": "t", "contactCount": 2}]}},
    }


def test_a_tag_at_the_limit_is_kept_even_when_case_folding_lengthens_it(
    gql: GraphQL, token: str
) -> None:
    long_tag = "ß" * 50  # "ss" * 50 once case-folded

    tagged(gql, token, long_tag)
    tagged(gql, token, "ẞ" * 50)  # capital sharp s: the same tag ignoring case

    assert names_and_counts(gql, token) == [(long_tag, 2)]
