"""duplicateContacts, black-box through /graphql: groups of the viewer's
live contacts linked by an email, a phone or a name that nothing
contradicts, with each kind of link found; transitive, paged, blind to the
trash and to other accounts, and never merging anything."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from graphql import parse

from app.schema.limits import query_cost
from tests.helpers import GraphQL, create_contact, delete, global_id, update_contact
from tests.operations import load
from tests.support.statements import executions

DUPLICATES = load("duplicate-contacts")
GROUPS = """
query Groups($first: Int, $after: String) {
  duplicateContacts(first: $first, after: $after) {
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    nodes { reasons contacts { displayName } }
  }
}
"""
RESTORE = """
mutation Restore($id: ID!) { restoreContact(id: $id) { userErrors { code } } }
"""


def page(gql: GraphQL, token: str, **variables: Any) -> dict[str, Any]:
    found: dict[str, Any] = gql.data(GROUPS, variables, token)["duplicateContacts"]
    return found


def groups(gql: GraphQL, token: str) -> list[tuple[list[str], list[str]]]:
    """Each group as ([display names, by id], reasons)."""
    return [
        ([contact["displayName"] for contact in group["contacts"]], group["reasons"])
        for group in page(gql, token, first=100)["nodes"]
    ]


def person(first: str, last: str | None = None, **fields: Any) -> dict[str, Any]:
    return {"firstName": first, "lastName": last, **fields}


def emails(*values: str) -> list[dict[str, str]]:
    return [{"value": value} for value in values]


def phones(*values: str) -> list[dict[str, str]]:
    return [{"value": value} for value in values]


def add(gql: GraphQL, token: str, *inputs: dict[str, Any]) -> list[str]:
    return [create_contact(gql, token, input)["id"] for input in inputs]


def test_no_contacts_no_groups(gql: GraphQL, token: str) -> None:
    assert page(gql, token) == {
        "pageInfo": {
            "hasNextPage": False,
            "hasPreviousPage": False,
            "startCursor": None,
            "endCursor": None,
        },
        "nodes": [],
    }


def test_same_email_ignoring_case(gql: GraphQL, token: str) -> None:
    add(
        gql,
        token,
        person("Ada", "Lovelace", emails=emails("ada@example.com")),
        person("Augusta", "King", emails=emails("x@example.org", "ADA@Example.com")),
        person("Charles", "Babbage", emails=emails("charles@example.com")),
    )

    assert groups(gql, token) == [(["Ada Lovelace", "Augusta King"], ["SAME_EMAIL"])]


def test_same_phone_in_any_spelling(gql: GraphQL, token: str) -> None:
    add(
        gql,
        token,
        person("Grace", "Hopper", phones=phones("+1 650-253-0000")),
        {"company": "US Navy", "phones": [{"value": "(650) 253-0000", "region": "US"}]},
        person("Grace", "Murray", phones=phones("+16502530001")),
    )

    assert groups(gql, token) == [(["Grace Hopper", "US Navy"], ["SAME_PHONE"])]


def test_same_name_normalised(gql: GraphQL, token: str) -> None:
    add(
        gql,
        token,
        person("Ada", "Lovelace"),
        person("ADA ", " lovelace", company="Analytical Engines"),
        person("Ａｄａ", "Ｌｏｖｅｌａｃｅ"),  # full-width letters: NFKC
        person("Ada"),
        {"company": "Ada Lovelace"},  # a company is no name
    )

    assert groups(gql, token) == [
        (["Ada Lovelace", "ADA lovelace", "Ａｄａ Ｌｏｖｅｌａｃｅ"], ["SAME_NAME"])
    ]


def test_every_kind_of_link_in_a_group_is_a_reason(gql: GraphQL, token: str) -> None:
    add(
        gql,
        token,
        person("Ada", "Lovelace", emails=emails("ada@example.com")),
        person("Ada", "Lovelace", emails=emails("ada@example.com")),
    )

    assert groups(gql, token) == [
        (["Ada Lovelace", "Ada Lovelace"], ["SAME_EMAIL", "SAME_NAME"])
    ]


def test_groups_are_transitive(gql: GraphQL, token: str) -> None:
    add(
        gql,
        token,
        person("A", emails=emails("shared@example.com")),
        person(
            "B", emails=emails("shared@example.com"), phones=phones("+441234567890")
        ),
        person("C", phones=phones("+441234567890")),
        person("D", phones=phones("+441234567891")),
    )

    assert groups(gql, token) == [(["A", "B", "C"], ["SAME_EMAIL", "SAME_PHONE"])]


BIRTHDAY = "1815-12-10"


@pytest.mark.parametrize(
    ("one", "other", "found"),
    [
        # Nothing on either side, or only on one side: the name stands.
        ({}, {}, True),
        ({"birthday": BIRTHDAY}, {}, True),
        ({"company": "Acme"}, {"emails": emails("b@example.com")}, True),
        ({"phones": phones("+441234567890")}, {"birthday": BIRTHDAY}, True),
        # Both have them, and they agree.
        ({"birthday": BIRTHDAY}, {"birthday": BIRTHDAY}, True),
        ({"company": "Acme"}, {"company": " ACME "}, True),
        # A birthday without a year (Apple's 1604) agrees with any year.
        ({"birthday": "1604-12-10"}, {"birthday": BIRTHDAY}, True),
        # Both have them, and they disagree: two people.
        ({"birthday": BIRTHDAY}, {"birthday": "1815-12-11"}, False),
        ({"company": "Acme"}, {"company": "Initech"}, False),
        (
            {"emails": emails("a@example.com")},
            {"emails": emails("b@example.com")},
            False,
        ),
        (
            {"phones": phones("+441234567890")},
            {"phones": phones("+441234567891")},
            False,
        ),
    ],
)
def test_a_name_only_match_needs_nothing_contradicting_it(
    gql: GraphQL,
    token: str,
    one: dict[str, Any],
    other: dict[str, Any],
    found: bool,
) -> None:
    add(
        gql, token, person("Ada", "Lovelace", **one), person("Ada", "Lovelace", **other)
    )

    expected = [(["Ada Lovelace", "Ada Lovelace"], ["SAME_NAME"])] if found else []
    assert groups(gql, token) == expected


def test_a_contradicted_name_still_groups_by_a_shared_phone(
    gql: GraphQL, token: str
) -> None:
    add(
        gql,
        token,
        person("Ada", "Lovelace", company="Acme", phones=phones("+441234567890")),
        person("Ada", "Lovelace", company="Initech", phones=phones("+441234567890")),
    )

    assert groups(gql, token) == [(["Ada Lovelace", "Ada Lovelace"], ["SAME_PHONE"])]


def test_the_trash_is_invisible(gql: GraphQL, token: str) -> None:
    _, trashed = add(
        gql,
        token,
        person("Ada", emails=emails("ada@example.com")),
        person("Augusta", emails=emails("ada@example.com")),
    )
    assert delete(gql, token, trashed)["userErrors"] == []

    assert groups(gql, token) == []

    restored = gql.data(RESTORE, {"id": trashed}, token)["restoreContact"]
    assert restored["userErrors"] == []
    assert groups(gql, token) == [(["Ada", "Augusta"], ["SAME_EMAIL"])]


def test_another_accounts_contacts_are_never_grouped_with_the_viewers(
    gql: GraphQL, accounts: Any
) -> None:
    mine, theirs = accounts.token(), accounts.token()
    same = person(
        "Ada",
        "Lovelace",
        emails=emails("ada@example.com"),
        phones=phones("+441234567890"),
    )
    add(gql, mine, same)
    add(gql, theirs, same)

    assert groups(gql, mine) == []
    assert groups(gql, theirs) == []

    add(gql, theirs, same)
    assert groups(gql, mine) == []
    assert groups(gql, theirs) == [
        (["Ada Lovelace", "Ada Lovelace"], ["SAME_EMAIL", "SAME_PHONE", "SAME_NAME"])
    ]


def test_pages_of_groups_in_the_order_of_their_first_contact(
    gql: GraphQL, token: str
) -> None:
    for index in range(5):
        address = emails(f"person{index}@example.com")
        add(
            gql,
            token,
            person(f"P{index}", emails=address),
            {"company": f"Co{index}"},
            person(f"Q{index}", emails=address),
        )

    first = page(gql, token, first=2)
    second = page(gql, token, first=2, after=first["pageInfo"]["endCursor"])
    last = page(gql, token, first=2, after=second["pageInfo"]["endCursor"])

    def names(found: dict[str, Any]) -> list[list[str]]:
        return [[c["displayName"] for c in g["contacts"]] for g in found["nodes"]]

    assert names(first) == [["P0", "Q0"], ["P1", "Q1"]]
    assert names(second) == [["P2", "Q2"], ["P3", "Q3"]]
    assert names(last) == [["P4", "Q4"]]
    assert [
        (p["pageInfo"]["hasNextPage"], p["pageInfo"]["hasPreviousPage"])
        for p in (first, second, last)
    ] == [(True, False), (True, True), (False, True)]
    assert first["pageInfo"]["startCursor"] != first["pageInfo"]["endCursor"]
    assert page(gql, token, first=2, after=last["pageInfo"]["endCursor"])["nodes"] == []
    assert len(page(gql, token)["nodes"]) == 5  # default 20


def test_the_example_shows_the_contacts_whole(gql: GraphQL, token: str) -> None:
    fields = {
        "firstName": "Grace",
        "lastName": "Hopper",
        "company": "US Navy",
        "birthday": "1906-12-09",
        "emails": emails("grace@navy.example"),
        "phones": phones("+16502530000"),
    }
    ids = add(gql, token, fields, {**fields, "emails": []})

    found = gql.data(DUPLICATES, {"first": 20, "after": None}, token)
    [group] = found["duplicateContacts"]["nodes"]
    for contact in group["contacts"]:
        assert contact.pop("updatedAt")
    assert group == {
        "reasons": ["SAME_PHONE", "SAME_NAME"],
        "contactCount": 2,
        "contacts": [
            {
                "id": ids[0],
                "displayName": "Grace Hopper",
                "company": "US Navy",
                "birthday": "1906-12-09",
                "emails": [{"value": "grace@navy.example"}],
                "phones": [{"value": "+16502530000"}],
                "version": 1,
            },
            {
                "id": ids[1],
                "displayName": "Grace Hopper",
                "company": "US Navy",
                "birthday": "1906-12-09",
                "emails": [],
                "phones": [{"value": "+16502530000"}],
                "version": 1,
            },
        ],
    }


def test_statements_do_not_grow_with_the_groups(
    app: Flask, gql: GraphQL, token: str
) -> None:
    def statements() -> list[str]:
        with executions(app) as seen:
            gql.data(DUPLICATES, {"first": 20, "after": None}, token)
        return [execution.kind for execution in seen]

    add(
        gql,
        token,
        person("A", emails=emails("a@example.com"), phones=phones("+441234567890")),
        person("A", emails=emails("a@example.com"), phones=phones("+441234567890")),
    )
    few = statements()
    for index in range(10):
        add(
            gql,
            token,
            person(f"N{index}", emails=emails(f"{index}@example.com")),
            person(f"N{index}", phones=phones(f"+4412345678{index:02}")),
        )

    # The groups every write keeps: is the account in the backlog, then
    # one read of the page's groups, whatever their number.
    assert statements() == few
    assert [kind for kind in few if "duplicate" in kind] == [
        "SELECT duplicate_backlog",
        "SELECT duplicate_members",
    ]
    assert len(page(gql, token, first=100)["nodes"]) == 11


def test_nothing_is_merged(gql: GraphQL, token: str) -> None:
    ids = add(
        gql,
        token,
        person("Ada", emails=emails("ada@example.com")),
        person("Ada", emails=emails("ada@example.com")),
    )
    page(gql, token)
    page(gql, token)

    listed = gql.data("{ contacts { nodes { id version } } }", {}, token)
    assert listed["contacts"]["nodes"] == [
        {"id": ids[0], "version": 1},
        {"id": ids[1], "version": 1},
    ]


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"first": 101}, "`first` must be between 0 and 100."),
        ({"first": -1}, "`first` must be between 0 and 100."),
        ({"after": "not a cursor"}, "`after` is not a valid cursor."),
        ({"after": global_id("Contact", 1)}, "`after` is not a valid cursor."),
    ],
)
def test_bad_arguments(
    gql: GraphQL, token: str, variables: dict[str, Any], message: str
) -> None:
    body = gql(GROUPS, variables, token)

    assert [
        (error["message"], error["extensions"]["code"]) for error in body["errors"]
    ] == [(message, "BAD_USER_INPUT")]


def test_needs_a_token(gql: GraphQL) -> None:
    assert gql.error_codes(GROUPS) == ["UNAUTHENTICATED"]


def test_a_change_shows_at_once(gql: GraphQL, token: str) -> None:
    ada, augusta = add(
        gql,
        token,
        person("Ada", emails=emails("ada@example.com")),
        person("Augusta", emails=emails("ada@example.com")),
    )
    assert groups(gql, token) == [(["Ada", "Augusta"], ["SAME_EMAIL"])]

    update_contact(gql, token, {"id": augusta, "emails": emails("augusta@example.com")})
    assert groups(gql, token) == []

    update_contact(gql, token, {"id": ada, "phones": phones("+441234567890")})
    update_contact(gql, token, {"id": augusta, "phones": phones("+441234567890")})
    assert groups(gql, token) == [(["Ada", "Augusta"], ["SAME_PHONE"])]


SHOWN = """
query Shown($first: Int) {
  duplicateContacts {
    nodes {
      contactCount
      some: contacts(first: $first) { displayName }
      all: contacts { displayName }
    }
  }
}
"""


def test_a_group_shows_its_first_contacts_and_counts_them(
    gql: GraphQL, token: str
) -> None:
    address = emails("shared@example.com")
    add(gql, token, *(person(f"P{index}", emails=address) for index in range(4)))

    for first, shown in ((2, ["P0", "P1"]), (0, []), (None, ["P0", "P1", "P2", "P3"])):
        [group] = gql.data(SHOWN, {"first": first}, token)["duplicateContacts"]["nodes"]
        assert group == {
            "contactCount": 4,
            "some": [{"displayName": name} for name in shown],
            "all": [{"displayName": f"P{index}"} for index in range(4)],
        }, first


def test_a_groups_contacts_take_at_most_100(gql: GraphQL, token: str) -> None:
    add(gql, token, person("Ada"), person("Ada"))

    body = gql(SHOWN, {"first": 101}, token)

    assert [(e["message"], e["path"]) for e in body["errors"]] == [
        (
            "`first` must be between 0 and 100.",
            ["duplicateContacts", "nodes", 0, "some"],
        )
    ]


@pytest.mark.parametrize(
    ("document", "cost"),
    [
        # 20 groups, each its `nodes` item and 20 contacts.
        ("{ duplicateContacts { nodes { contacts { id } } } }", 20 + 20 * (1 + 20)),
        # 10 groups of 5 contacts, each with up to 50 emails.
        (
            "{ duplicateContacts(first: 10) { nodes { contacts(first: 5) {"
            " emails { value } } } } }",
            10 + 10 * (1 + 5 + 5 * 50),
        ),
    ],
)
def test_the_query_cost_counts_every_contact_a_page_of_groups_may_show(
    document: str, cost: int
) -> None:
    assert query_cost(parse(document), {}, None) == cost


def test_a_group_shows_more_than_20_when_asked_by_a_variable(
    gql: GraphQL, token: str
) -> None:
    address = emails("shared@example.com")
    add(gql, token, *(person(f"P{index:02}", emails=address) for index in range(22)))
    query = """
    query Shown($first: Int) {
      duplicateContacts {
        nodes { contactCount contacts(first: $first) { displayName } }
      }
    }
    """

    [group] = gql.data(query, {"first": 21}, token)["duplicateContacts"]["nodes"]

    assert group == {
        "contactCount": 22,
        "contacts": [{"displayName": f"P{index:02}"} for index in range(21)],
    }


ADA = person(
    "Ada",
    "Lovelace",
    company="Analytical Engines",
    birthday="1815-12-10",
    emails=emails("ada@example.com"),
    phones=phones("+441234567890"),
)


@pytest.mark.parametrize(
    "edit",
    [
        {"firstName": "Augusta"},
        {"lastName": "King"},
        {"company": "Difference Engines"},
        {"birthday": "1816-12-10"},
        {"emails": emails("augusta@example.com")},
        {"phones": phones("+441234567899")},
    ],
    ids=lambda edit: next(iter(edit)),
)
def test_an_edit_of_what_matches_finds_the_groups_anew(
    gql: GraphQL, token: str, edit: dict[str, Any]
) -> None:
    """Each edit makes the second Ada another person (by name, or a
    contradiction), after the groups were found and kept."""
    _, other = add(gql, token, ADA, person("Ada", "Lovelace"))
    assert groups(gql, token) == [(["Ada Lovelace", "Ada Lovelace"], ["SAME_NAME"])]

    update_contact(gql, token, {"id": other, **edit})

    assert groups(gql, token) == []


@pytest.mark.parametrize(
    "edit",
    [
        {"favorite": True},
        {"notes": "Met at the Society."},
        {"nickname": "Addie"},
        {"tags": ["Friends"]},
        {"addresses": [{"city": "London"}]},
        {"emails": [{"value": "ada@example.com", "label": "work"}]},
    ],
    ids=lambda edit: next(iter(edit)),
)
def test_groups_are_kept_across_edits_of_nothing_that_matches(
    app: Flask, gql: GraphQL, token: str, edit: dict[str, Any]
) -> None:
    first, _ = add(gql, token, ADA, person("Ada", "Lovelace"))

    with executions(app) as seen:
        update_contact(gql, token, {"id": first, **edit})

    # A list edited in any way counts as changed (an email's label here):
    # the write relinks the contact's group; any other edit reads and
    # writes no group.
    regrouped = [e.kind for e in seen if "duplicate" in " ".join(e.tables | {e.kind})]
    assert bool(regrouped) == ("emails" in edit)
    assert groups(gql, token) == [(["Ada Lovelace", "Ada Lovelace"], ["SAME_NAME"])]


def test_a_contact_trashed_or_created_finds_the_groups_anew(
    gql: GraphQL, token: str
) -> None:
    _, other = add(gql, token, ADA, person("Ada", "Lovelace"))
    assert len(groups(gql, token)) == 1

    delete(gql, token, other)
    assert groups(gql, token) == []

    add(gql, token, person("Ada", "Lovelace"))
    assert len(groups(gql, token)) == 1
