"""createContact, updateContact, deleteContact, contact(id) and node(id),
black-box through /graphql."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask

from tests.helpers import (
    FULL_CONTACT,
    FULL_INPUT,
    NOTHING_STORED,
    Accounts,
    GraphQL,
    create,
    create_contact,
    decode_id,
    delete,
    errors_of,
    fetch,
    global_id,
    node,
    parse_time,
    stored_rows,
    update,
    update_contact,
    without_times,
)
from tests.operations import CONTACT, DELETE, NODE, UPDATE

# --- createContact ----------------------------------------------------------


def test_create_contact_stores_every_field_normalised(
    gql: GraphQL, accounts: Accounts, app: Flask
) -> None:
    token = accounts.token()
    before = datetime.now(UTC)

    payload = create(gql, token, FULL_INPUT)

    after = datetime.now(UTC)
    assert payload["userErrors"] == []
    contact = payload["contact"]
    assert without_times(contact) == FULL_CONTACT
    assert decode_id(contact["id"]).startswith("Contact:")
    assert contact["createdAt"] == contact["updatedAt"]
    assert before <= parse_time(contact["createdAt"]) <= after
    assert fetch(gql, token, contact["id"]) == contact
    assert stored_rows(app) == {
        "contacts": 1,
        "contact_emails": 2,
        "contact_phones": 2,
        "contact_addresses": 1,
        "tags": 2,
        "contact_tags": 2,
    }


def test_create_contact_with_one_field_has_empty_defaults(
    gql: GraphQL, accounts: Accounts
) -> None:
    contact = create_contact(gql, accounts.token(), {"lastName": "Hopper"})

    assert without_times(contact) == {
        "firstName": None,
        "lastName": "Hopper",
        "displayName": "Hopper",
        "nickname": None,
        "company": None,
        "jobTitle": None,
        "birthday": None,
        "notes": None,
        "favorite": False,
        "emails": [],
        "phones": [],
        "addresses": [],
        "tags": [],
        "version": 1,
    }
    assert contact["createdAt"] == contact["updatedAt"]


def test_create_contact_can_be_a_favorite(gql: GraphQL, accounts: Accounts) -> None:
    token = accounts.token()
    assert create_contact(gql, token, {"company": "ACME", "favorite": True})["favorite"]
    assert not create_contact(gql, token, {"company": "ACME", "favorite": None})[
        "favorite"
    ]


def test_create_contact_makes_the_first_item_primary_when_none_is_marked(
    gql: GraphQL, accounts: Accounts
) -> None:
    contact = create_contact(
        gql,
        accounts.token(),
        {
            "emails": [
                {"value": "a@example.com", "primary": False},
                {"value": "b@example.com"},
            ],
            "phones": [
                {"value": "+44 20 7946 0958"},
                {"value": "+33 1 42 68 53 00", "primary": True},
            ],
        },
    )

    assert contact["emails"] == [
        {"value": "a@example.com", "label": None, "primary": True},
        {"value": "b@example.com", "label": None, "primary": False},
    ]
    assert contact["phones"] == [
        {"value": "+442079460958", "label": None, "primary": False},
        {"value": "+33142685300", "label": None, "primary": True},
    ]


def test_create_contact_accepts_values_at_the_length_limits(
    gql: GraphQL, accounts: Accounts
) -> None:
    longest_email = "a" * 64 + "@" + "b" * 63 + "." + "c" * 63 + "." + "d" * 57 + ".com"
    assert len(longest_email) == 254
    input = {
        "firstName": "f" * 100,
        "lastName": "l" * 100,
        "company": "c" * 200,
        "jobTitle": "j" * 200,
        "notes": "n" * 10_000,
        "emails": [{"value": longest_email, "label": "e" * 50}]
        + [{"value": f"x{i}@example.com"} for i in range(49)],
        "addresses": [
            {
                "street": "s" * 200,
                "city": "c" * 100,
                "region": "r" * 100,
                "postalCode": "p" * 20,
            }
        ],
        "tags": ["t" * 50] + [f"tag {i}" for i in range(49)],
    }

    contact = create_contact(gql, accounts.token(), input)

    assert contact["firstName"] == input["firstName"]
    assert contact["notes"] == input["notes"]
    assert contact["emails"][0]["value"] == longest_email
    assert len(contact["emails"]) == 50
    assert len(contact["tags"]) == 50
    assert contact["addresses"][0]["postalCode"] == "p" * 20


@pytest.mark.parametrize(
    ("input", "display_name"),
    [
        ({"firstName": "Ada", "lastName": "Lovelace"}, "Ada Lovelace"),
        ({"firstName": "Ada", "company": "ACME"}, "Ada"),
        ({"lastName": "Lovelace", "company": "ACME"}, "Lovelace"),
        ({"firstName": " ", "company": "ACME"}, "ACME"),
        ({"lastName": "Lovelace", "nickname": "Countess"}, "Lovelace"),
        ({"nickname": "Bob", "company": "ACME"}, "Bob"),
        ({"nickname": "Bob", "emails": [{"value": "bob@example.com"}]}, "Bob"),
        (
            {"company": "ACME", "emails": [{"value": "ada@example.com"}]},
            "ACME",
        ),
        (
            {
                "emails": [
                    {"value": "first@example.com"},
                    {"value": "second@example.com"},
                ],
                "phones": [{"value": "+1 650-253-0000"}],
            },
            "first@example.com",
        ),
        (
            {"phones": [{"value": "+1 415 555 2671"}, {"value": "+1 650-253-0000"}]},
            "+14155552671",
        ),
    ],
    ids=[
        "first-and-last",
        "first-only",
        "last-only",
        "company-when-no-name",
        "name-before-nickname",
        "nickname-before-company",
        "nickname-before-email",
        "company-before-email",
        "first-email-before-phone",
        "first-phone",
    ],
)
def test_display_name_is_name_else_company_else_first_email_else_first_phone(
    gql: GraphQL, accounts: Accounts, input: dict[str, Any], display_name: str
) -> None:
    contact = create_contact(gql, accounts.token(), input)

    assert contact["displayName"] == display_name


def item_list(count: int, item: dict[str, Any]) -> list[dict[str, Any]]:
    return [dict(item) for _ in range(count)]


INVALID_CREATE_INPUTS = [
    pytest.param({}, [(["input"], "REQUIRED")], id="empty"),
    pytest.param(
        {"firstName": "  ", "lastName": "", "company": "\t"},
        [(["input"], "REQUIRED")],
        id="only-blank-names",
    ),
    pytest.param(
        {
            "jobTitle": "Engineer",
            "notes": "no name",
            "birthday": "1990-01-01",
            "favorite": True,
            "addresses": [{"city": "London"}],
            "tags": ["friends"],
        },
        [(["input"], "REQUIRED")],
        id="no-identifying-field",
    ),
    pytest.param(
        {"firstName": "a" * 101}, [(["input", "firstName"], "TOO_LONG")], id="first"
    ),
    pytest.param(
        {"lastName": "a" * 101}, [(["input", "lastName"], "TOO_LONG")], id="last"
    ),
    pytest.param(
        {"nickname": "a" * 101}, [(["input", "nickname"], "TOO_LONG")], id="nickname"
    ),
    pytest.param(
        {"company": "a" * 201}, [(["input", "company"], "TOO_LONG")], id="company"
    ),
    pytest.param(
        {"firstName": "Ada", "jobTitle": "a" * 201},
        [(["input", "jobTitle"], "TOO_LONG")],
        id="job-title",
    ),
    pytest.param(
        {"firstName": "Ada", "notes": "a" * 10_001},
        [(["input", "notes"], "TOO_LONG")],
        id="notes",
    ),
    pytest.param(
        {"firstName": "Ada\x00"}, [(["input", "firstName"], "INVALID")], id="nul"
    ),
    pytest.param(
        {"firstName": "Ada", "notes": "a\x00b"},
        [(["input", "notes"], "INVALID")],
        id="nul-in-notes",
    ),
    pytest.param(
        {"emails": [{"value": "not-an-email"}]},
        [(["input", "emails", "0", "value"], "INVALID")],
        id="email-syntax",
    ),
    pytest.param(
        {"emails": [{"value": "  "}]},
        [(["input", "emails", "0", "value"], "REQUIRED")],
        id="email-blank",
    ),
    pytest.param(
        {"emails": [{"value": "a" * 243 + "@example.com"}]},
        [(["input", "emails", "0", "value"], "TOO_LONG")],
        id="email-too-long",
    ),
    pytest.param(
        {"emails": [{"value": "ada@example.com", "label": "a" * 51}]},
        [(["input", "emails", "0", "label"], "TOO_LONG")],
        id="email-label-too-long",
    ),
    pytest.param(
        {
            "emails": [
                {"value": "a@example.com", "primary": True},
                {"value": "b@example.com", "primary": True},
            ]
        },
        [(["input", "emails"], "INVALID")],
        id="two-primary-emails",
    ),
    pytest.param(
        {"firstName": "Ada", "emails": item_list(51, {"value": "a@example.com"})},
        [(["input", "emails"], "TOO_LONG")],
        id="too-many-emails",
    ),
    pytest.param(
        {"phones": [{"value": "020 7946 0958"}]},
        [(["input", "phones", "0", "value"], "INVALID")],
        id="national-phone-without-region",
    ),
    pytest.param(
        {"phones": [{"value": "020 7946 0958", "region": "XX"}]},
        [(["input", "phones", "0", "region"], "INVALID")],
        id="phone-region-unknown",
    ),
    pytest.param(
        {"phones": [{"value": "+1 650-253-0000", "region": "USA"}]},
        [(["input", "phones", "0", "region"], "INVALID")],
        id="phone-region-alpha-3",
    ),
    pytest.param(
        {"phones": [{"value": "+1 555"}]},
        [(["input", "phones", "0", "value"], "INVALID")],
        id="phone-not-valid",
    ),
    pytest.param(
        {"phones": [{"value": "call me"}]},
        [(["input", "phones", "0", "value"], "INVALID")],
        id="phone-not-a-number",
    ),
    pytest.param(
        {"phones": [{"value": ""}]},
        [(["input", "phones", "0", "value"], "REQUIRED")],
        id="phone-blank",
    ),
    pytest.param(
        {"phones": [{"value": "+1 650-253-0000", "label": "a" * 51}]},
        [(["input", "phones", "0", "label"], "TOO_LONG")],
        id="phone-label-too-long",
    ),
    pytest.param(
        {
            "phones": [
                {"value": "+1 650-253-0000", "primary": True},
                {"value": "+1 415 555 2671", "primary": True},
            ]
        },
        [(["input", "phones"], "INVALID")],
        id="two-primary-phones",
    ),
    pytest.param(
        {"firstName": "Ada", "addresses": [{"city": "London", "country": "XX"}]},
        [(["input", "addresses", "0", "country"], "INVALID")],
        id="country-unknown",
    ),
    pytest.param(
        {"firstName": "Ada", "addresses": [{"country": "USA"}]},
        [(["input", "addresses", "0", "country"], "INVALID")],
        id="country-alpha-3",
    ),
    pytest.param(
        {"firstName": "Ada", "addresses": [{"label": "home", "street": " "}]},
        [(["input", "addresses", "0"], "REQUIRED")],
        id="address-empty",
    ),
    pytest.param(
        {
            "firstName": "Ada",
            "addresses": [
                {
                    "street": "a" * 201,
                    "city": "a" * 101,
                    "region": "a" * 101,
                    "postalCode": "a" * 21,
                    "label": "a" * 51,
                }
            ],
        },
        [
            (["input", "addresses", "0", "street"], "TOO_LONG"),
            (["input", "addresses", "0", "city"], "TOO_LONG"),
            (["input", "addresses", "0", "region"], "TOO_LONG"),
            (["input", "addresses", "0", "postalCode"], "TOO_LONG"),
            (["input", "addresses", "0", "label"], "TOO_LONG"),
        ],
        id="address-parts-too-long",
    ),
    pytest.param(
        {"firstName": "Ada", "addresses": item_list(51, {"city": "London"})},
        [(["input", "addresses"], "TOO_LONG")],
        id="too-many-addresses",
    ),
    pytest.param(
        {"firstName": "Ada", "tags": ["friends", " "]},
        [(["input", "tags", "1"], "REQUIRED")],
        id="tag-blank",
    ),
    pytest.param(
        {"firstName": "Ada", "tags": ["a" * 51]},
        [(["input", "tags", "0"], "TOO_LONG")],
        id="tag-too-long",
    ),
    pytest.param(
        {"firstName": "Ada", "tags": [f"tag {i}" for i in range(51)]},
        [(["input", "tags"], "TOO_LONG")],
        id="too-many-tags",
    ),
    pytest.param(
        {
            "firstName": "a" * 101,
            "emails": [{"value": "ada@example.com"}, {"value": "nope"}],
            "phones": [{"value": "020 7946 0958", "region": "XX"}],
            "addresses": [{"country": "XX"}],
            "tags": ["ok", "a" * 51],
        },
        [
            (["input", "firstName"], "TOO_LONG"),
            (["input", "emails", "1", "value"], "INVALID"),
            (["input", "phones", "0", "region"], "INVALID"),
            (["input", "addresses", "0", "country"], "INVALID"),
            (["input", "tags", "1"], "TOO_LONG"),
        ],
        id="every-problem-at-once",
    ),
]


@pytest.mark.parametrize(("input", "expected"), INVALID_CREATE_INPUTS)
def test_create_contact_refuses_invalid_input_and_stores_nothing(
    gql: GraphQL,
    accounts: Accounts,
    app: Flask,
    input: dict[str, Any],
    expected: list[tuple[list[str], str]],
) -> None:
    payload = create(gql, accounts.token(), input)

    assert errors_of(payload) == expected
    assert payload["contact"] is None
    assert stored_rows(app) == NOTHING_STORED


# --- nickname ---------------------------------------------------------------

NICKNAME_SEARCH = """
query Search($search: String!) {
  contacts(filter: {search: $search}) { nodes { nickname displayName } }
}
"""


def test_nickname_is_created_updated_and_cleared(
    gql: GraphQL, accounts: Accounts
) -> None:
    token = accounts.token()
    created = create_contact(gql, token, {"firstName": "Robert", "nickname": " Bob "})
    assert created["nickname"] == "Bob"
    assert fetch(gql, token, created["id"])["nickname"] == "Bob"

    updated = update_contact(gql, token, {"id": created["id"], "nickname": "Rob"})
    assert updated["nickname"] == "Rob"
    assert updated["version"] == created["version"] + 1

    cleared = update_contact(gql, token, {"id": created["id"], "nickname": None})
    assert cleared["nickname"] is None
    assert fetch(gql, token, created["id"])["nickname"] is None


def test_nickname_alone_names_a_contact(gql: GraphQL, accounts: Accounts) -> None:
    contact = create_contact(gql, accounts.token(), {"nickname": "Bob"})

    assert contact["displayName"] == "Bob"


def test_nickname_at_the_limit_is_kept_and_longer_is_too_long(
    gql: GraphQL, accounts: Accounts
) -> None:
    token = accounts.token()
    assert create_contact(gql, token, {"nickname": "n" * 100})["nickname"] == "n" * 100

    payload = create(gql, token, {"firstName": "Ada", "nickname": "n" * 101})

    assert payload["contact"] is None
    assert payload["userErrors"] == [
        {
            "field": ["input", "nickname"],
            "message": "Must be at most 100 characters.",
            "code": "TOO_LONG",
        }
    ]


def test_search_finds_a_contact_by_nickname_case_insensitively(
    gql: GraphQL, accounts: Accounts
) -> None:
    token = accounts.token()
    create_contact(gql, token, {"firstName": "Robert", "nickname": "Bobby"})
    create_contact(gql, token, {"firstName": "Ada"})
    created = create_contact(gql, token, {"firstName": "Grace"})
    update_contact(gql, token, {"id": created["id"], "nickname": "Amazing Grace"})

    def found(search: str) -> list[str]:
        data = gql.data(NICKNAME_SEARCH, {"search": search}, token)
        return [node["nickname"] for node in data["contacts"]["nodes"]]

    assert found("BOBB") == ["Bobby"]
    assert found("amazing") == ["Amazing Grace"]
    assert found("nobody") == []


# --- updateContact ----------------------------------------------------------


def test_update_changes_only_the_given_fields(
    gql: GraphQL, token: str, ada_contact: dict[str, Any]
) -> None:
    updated = update_contact(
        gql,
        token,
        {"id": ada_contact["id"], "jobTitle": " Countess ", "favorite": True},
    )

    assert without_times(updated) == {
        **FULL_CONTACT,
        "jobTitle": "Countess",
        "favorite": True,
        "version": 2,
    }
    assert updated["id"] == ada_contact["id"]
    assert updated["createdAt"] == ada_contact["createdAt"]
    assert parse_time(updated["updatedAt"]) > parse_time(ada_contact["updatedAt"])
    assert fetch(gql, token, ada_contact["id"]) == updated


def test_update_with_null_clears_fields_and_lists(
    gql: GraphQL, token: str, ada_contact: dict[str, Any]
) -> None:
    cleared = {
        name: None
        for name in (
            "lastName",
            "company",
            "jobTitle",
            "birthday",
            "notes",
            "emails",
            "phones",
            "addresses",
            "tags",
        )
    }

    updated = update_contact(gql, token, {"id": ada_contact["id"], **cleared})

    assert without_times(updated) == {
        **FULL_CONTACT,
        **cleared,
        "displayName": "Ada",
        "emails": [],
        "phones": [],
        "addresses": [],
        "tags": [],
        "version": 2,
    }


def test_update_with_a_list_replaces_the_whole_list(
    gql: GraphQL, token: str, ada_contact: dict[str, Any]
) -> None:
    updated = update_contact(
        gql,
        token,
        {
            "id": ada_contact["id"],
            "emails": [{"value": "countess@Lovelace.ORG"}],
            "phones": [],
            "addresses": [{"city": "Paris", "country": "fr"}],
            "tags": ["work", "Scientists"],
        },
    )

    assert updated["emails"] == [
        {"value": "countess@lovelace.org", "label": None, "primary": True}
    ]
    assert updated["phones"] == []
    assert updated["addresses"] == [
        {
            "label": None,
            "street": None,
            "city": "Paris",
            "region": None,
            "postalCode": None,
            "country": "FR",
        }
    ]
    assert updated["tags"] == [
        {"name": "Scientists", "contactCount": 1},
        {"name": "work", "contactCount": 1},
    ]
    assert updated["version"] == 2


def test_update_favorite_null_means_false(gql: GraphQL, token: str) -> None:
    contact = create_contact(gql, token, {"firstName": "Ada", "favorite": True})

    updated = update_contact(gql, token, {"id": contact["id"], "favorite": None})

    assert updated["favorite"] is False
    assert updated["version"] == 2


@pytest.mark.parametrize(
    "same",
    [
        {},
        {"firstName": "Ada ", "lastName": "Lovelace", "favorite": False},
        {"favorite": None, "jobTitle": "  Mathematician"},
        {"emails": FULL_INPUT["emails"], "phones": FULL_INPUT["phones"]},
        {"addresses": FULL_INPUT["addresses"]},
        {"tags": ["WORK", "friends"]},
    ],
    ids=[
        "nothing-given",
        "same-names",
        "same-scalars",
        "same-lists",
        "same-address",
        "same-tags-other-case",
    ],
)
def test_update_that_changes_nothing_keeps_version_and_updated_at(
    gql: GraphQL, token: str, ada_contact: dict[str, Any], same: dict[str, Any]
) -> None:
    updated = update_contact(gql, token, {"id": ada_contact["id"], **same})

    assert updated == ada_contact
    assert fetch(gql, token, ada_contact["id"]) == ada_contact


def test_every_real_change_bumps_the_version_once(
    gql: GraphQL, token: str, ada_contact: dict[str, Any]
) -> None:
    changes: list[dict[str, Any]] = [
        {"notes": "Changed."},
        {"emails": [{"value": "Ada@Example.COM", "label": "office"}]},
        {"phones": [{"value": "+1 650-253-0000"}]},
        {"addresses": [{"city": "Paris"}]},
        {"tags": ["Friends"]},
        {"birthday": "1815-12-11"},
    ]
    last = ada_contact
    for version, change in enumerate(changes, start=2):
        updated = update_contact(gql, token, {"id": ada_contact["id"], **change})
        assert updated["version"] == version
        assert parse_time(updated["updatedAt"]) > parse_time(last["updatedAt"])
        last = updated


def test_update_with_the_current_expected_version_succeeds(
    gql: GraphQL, token: str, ada_contact: dict[str, Any]
) -> None:
    updated = update_contact(
        gql, token, {"id": ada_contact["id"], "expectedVersion": 1, "notes": "v2"}
    )
    assert (updated["notes"], updated["version"]) == ("v2", 2)

    updated = update_contact(
        gql, token, {"id": ada_contact["id"], "expectedVersion": 2, "notes": "v3"}
    )
    assert (updated["notes"], updated["version"]) == ("v3", 3)


def test_update_with_a_stale_expected_version_is_a_conflict_and_changes_nothing(
    gql: GraphQL, token: str, ada_contact: dict[str, Any], app: Flask
) -> None:
    current = update_contact(gql, token, {"id": ada_contact["id"], "notes": "v2"})
    rows = stored_rows(app)

    payload = update(
        gql,
        token,
        {
            "id": ada_contact["id"],
            "expectedVersion": 1,
            "notes": "lost",
            "tags": ["new"],
        },
    )

    assert errors_of(payload) == [(["input", "expectedVersion"], "CONFLICT")]
    assert payload["contact"] is None
    assert fetch(gql, token, ada_contact["id"]) == current
    assert stored_rows(app) == rows


@pytest.mark.parametrize(
    ("created", "change"),
    [
        ({"firstName": "Ada"}, {"firstName": None}),
        ({"firstName": "Ada"}, {"firstName": "   "}),
        ({"lastName": "L", "company": "ACME"}, {"lastName": None, "company": ""}),
        ({"emails": [{"value": "ada@example.com"}]}, {"emails": []}),
        ({"phones": [{"value": "+1 650-253-0000"}]}, {"phones": None}),
    ],
    ids=["first-null", "first-blank", "last-and-company", "emails-empty", "phones"],
)
def test_update_leaving_no_identifying_field_is_required(
    gql: GraphQL, token: str, created: dict[str, Any], change: dict[str, Any]
) -> None:
    contact = create_contact(gql, token, {**created, "notes": "kept"})

    payload = update(gql, token, {"id": contact["id"], **change})

    assert errors_of(payload) == [(["input"], "REQUIRED")]
    assert payload["contact"] is None
    assert fetch(gql, token, contact["id"]) == contact


def test_update_with_invalid_input_reports_every_problem_and_changes_nothing(
    gql: GraphQL, token: str, ada_contact: dict[str, Any], app: Flask
) -> None:
    rows = stored_rows(app)

    payload = update(
        gql,
        token,
        {
            "id": ada_contact["id"],
            "firstName": "Augusta",
            "lastName": "x" * 101,
            "emails": [{"value": "ok@example.com"}, {"value": "@"}],
            "tags": ["brand new"],
        },
    )

    assert errors_of(payload) == [
        (["input", "lastName"], "TOO_LONG"),
        (["input", "emails", "1", "value"], "INVALID"),
    ]
    assert payload["contact"] is None
    assert fetch(gql, token, ada_contact["id"]) == ada_contact
    assert stored_rows(app) == rows


@pytest.mark.parametrize(
    "missing_id",
    [global_id("Contact", 999), global_id("Tag", 1), global_id("User", 1)],
    ids=["no-such-contact", "tag-id", "user-id"],
)
def test_update_of_a_missing_contact_is_not_found(
    gql: GraphQL, token: str, ada_contact: dict[str, Any], missing_id: str
) -> None:
    payload = update(gql, token, {"id": missing_id, "notes": "x"})

    assert errors_of(payload) == [(["input", "id"], "NOT_FOUND")]
    assert payload["contact"] is None
    assert fetch(gql, token, ada_contact["id"]) == ada_contact


# --- deleteContact ----------------------------------------------------------


PURGE = """
mutation Purge($id: ID!) { purgeContact(id: $id) { deletedId userErrors { code } } }
"""


def test_delete_contact_moves_it_to_the_trash_and_purge_removes_it_whole(
    gql: GraphQL, token: str, ada_contact: dict[str, Any], app: Flask
) -> None:
    kept = create_contact(
        gql,
        token,
        {
            "firstName": "Charles",
            "emails": [{"value": "charles@example.com"}],
            "phones": [{"value": "+1 415 555 2671"}],
            "addresses": [{"city": "London"}],
            "tags": ["friends"],
        },
    )

    payload = delete(gql, token, ada_contact["id"])

    assert payload == {"deletedId": ada_contact["id"], "userErrors": []}
    assert fetch(gql, token, ada_contact["id"]) is None
    assert fetch(gql, token, kept["id"]) == {
        **kept,
        "tags": [{"name": "Friends", "contactCount": 1}],
    }
    in_the_trash = {  # Ada kept whole, for a restore
        "contacts": 2,
        "contact_emails": 3,
        "contact_phones": 3,
        "contact_addresses": 2,
        "tags": 2,
        "contact_tags": 3,
    }
    assert stored_rows(app) == in_the_trash

    purged = gql.data(PURGE, {"id": ada_contact["id"]}, token)["purgeContact"]

    assert purged == {"deletedId": ada_contact["id"], "userErrors": []}
    assert stored_rows(app) == {
        "contacts": 1,
        "contact_emails": 1,
        "contact_phones": 1,
        "contact_addresses": 1,
        "tags": 1,
        "contact_tags": 1,
    }


@pytest.mark.parametrize(
    "missing_id",
    [global_id("Contact", 999), global_id("Tag", 1)],
    ids=["no-such-contact", "tag-id"],
)
def test_delete_of_a_missing_contact_is_not_found(
    gql: GraphQL, token: str, ada_contact: dict[str, Any], missing_id: str
) -> None:
    payload = delete(gql, token, missing_id)

    assert errors_of(payload) == [(["id"], "NOT_FOUND")]
    assert payload["deletedId"] is None
    assert fetch(gql, token, ada_contact["id"]) == ada_contact


def test_delete_twice_is_not_found_the_second_time(
    gql: GraphQL, token: str, ada_contact: dict[str, Any]
) -> None:
    assert delete(gql, token, ada_contact["id"])["userErrors"] == []

    payload = delete(gql, token, ada_contact["id"])

    assert errors_of(payload) == [(["id"], "NOT_FOUND")]
    assert payload["deletedId"] is None


def test_update_of_a_deleted_contact_is_not_found(
    gql: GraphQL, token: str, ada_contact: dict[str, Any]
) -> None:
    delete(gql, token, ada_contact["id"])

    payload = update(gql, token, {"id": ada_contact["id"], "notes": "x"})

    assert errors_of(payload) == [(["input", "id"], "NOT_FOUND")]


# --- contact(id), node(id) and malformed IDs ------------------------------------


def test_contact_returns_the_viewers_contact(
    gql: GraphQL, token: str, ada_contact: dict[str, Any]
) -> None:
    assert fetch(gql, token, ada_contact["id"]) == ada_contact


@pytest.mark.parametrize(
    "other_id",
    [
        global_id("Contact", 999),
        global_id("Contact", 2**31),
        global_id("Contact", 10**30),
        global_id("Tag", 1),
        global_id("User", 1),
    ],
    ids=["missing", "beyond-32-bit", "huge", "tag-id", "user-id"],
)
def test_contact_is_null_for_a_missing_id_or_one_of_another_type(
    gql: GraphQL, token: str, ada_contact: dict[str, Any], other_id: str
) -> None:
    assert fetch(gql, token, other_id) is None


MALFORMED_IDS = [
    "nope",
    "!!!",
    "",
    global_id("Contact", "abc"),
    global_id("Contact", "-1"),
    global_id("Invoice", 1),
]


@pytest.mark.parametrize("bad_id", MALFORMED_IDS)
@pytest.mark.parametrize(
    ("operation", "variables"),
    [
        (CONTACT, lambda id: {"id": id}),
        (NODE, lambda id: {"id": id}),
        (DELETE, lambda id: {"id": id}),
        (UPDATE, lambda id: {"input": {"id": id, "notes": "x"}}),
    ],
    ids=["contact", "node", "deleteContact", "updateContact"],
)
def test_a_malformed_id_is_bad_user_input(
    gql: GraphQL,
    token: str,
    ada_contact: dict[str, Any],
    app: Flask,
    operation: str,
    variables: Any,
    bad_id: str,
) -> None:
    rows = stored_rows(app)

    assert gql.error_codes(operation, variables(bad_id), token) == ["BAD_USER_INPUT"]
    assert fetch(gql, token, ada_contact["id"]) == ada_contact
    assert stored_rows(app) == rows


def test_node_returns_the_viewers_contact(
    gql: GraphQL, token: str, ada_contact: dict[str, Any]
) -> None:
    assert node(gql, token, ada_contact["id"]) == {
        "__typename": "Contact",
        "id": ada_contact["id"],
        "displayName": "Ada Lovelace",
        "version": 1,
    }


def test_node_returns_the_viewer_as_user_and_not_another_user(
    gql: GraphQL, accounts: Accounts
) -> None:
    viewer = accounts.register("viewer@example.com")
    other = accounts.register("other@example.com")
    token = viewer["accessToken"]

    assert node(gql, token, viewer["user"]["id"]) == {
        "__typename": "User",
        "id": viewer["user"]["id"],
        "email": "viewer@example.com",
    }
    assert node(gql, token, other["user"]["id"]) is None


@pytest.mark.parametrize(
    "missing_id",
    [
        global_id("Contact", 999),
        global_id("Tag", 999),
        global_id("User", 999),
        global_id("Tag", 10**30),
    ],
    ids=["contact", "tag", "user", "huge-tag"],
)
def test_node_is_null_for_a_missing_object(
    gql: GraphQL, token: str, ada_contact: dict[str, Any], missing_id: str
) -> None:
    assert node(gql, token, missing_id) is None


def test_ids_are_opaque_and_stable(
    gql: GraphQL, token: str, ada_contact: dict[str, Any]
) -> None:
    pk = decode_id(ada_contact["id"]).removeprefix("Contact:")

    assert ada_contact["id"] == global_id("Contact", pk)
    assert (
        update_contact(gql, token, {"id": ada_contact["id"], "notes": "x"})["id"]
        == ada_contact["id"]
    )
