"""mergeContacts and undoMerge, black-box through /graphql: the merge rules
on a primary and two duplicates written differently, dryRun changing
nothing, history and sync after a merge and after its undo, the undo
putting everything back exactly, the refusals, and two merges racing on
PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from tests.helpers import (
    Accounts,
    GraphQL,
    create_contact,
    delete,
    errors_of,
    global_id,
    update_contact,
)
from tests.operations import load
from tests.support.merges import (
    MERGE_NODE,
    MERGED,
    Trio,
    changes_since,
    create_trio,
    kinds,
    log_rows,
    merge,
    merge_together,
    revisions,
    sync_token,
    trashed,
    undo,
    whole,
    without,
)

EMPTY_TRASH = load("empty-trash")
PURGE = load("purge-contact")
RESTORE = load("restore-contact")
MERGED_TAGS = [
    {"name": "Friends", "contactCount": 1},
    {"name": "Pioneers", "contactCount": 1},
    {"name": "Work", "contactCount": 1},
]
TIMES = ("createdAt", "updatedAt")


def merged_trio(gql: GraphQL, token: str) -> tuple[Trio, dict[str, Any]]:
    """The trio, and the payload of merging the two duplicates into the
    primary, which must succeed."""
    trio = create_trio(gql, token)
    payload = merge(
        gql, token, trio.primary["id"], [trio.first["id"], trio.second["id"]]
    )
    assert payload["userErrors"] == []
    return trio, payload


# --- the rules ------------------------------------------------------------------


def test_merge_fills_what_the_primary_lacks_and_unions_the_lists_once(
    gql: GraphQL, token: str
) -> None:
    trio, payload = merged_trio(gql, token)

    contact = payload["contact"]
    assert without(contact, *TIMES) == {
        "id": trio.primary["id"],
        **MERGED,
        "tags": MERGED_TAGS,
        "version": 2,
        "deletedAt": None,
    }
    assert contact["createdAt"] == trio.primary["createdAt"]
    assert contact["updatedAt"] > trio.primary["updatedAt"]
    assert whole(gql, token, trio.primary["id"]) == without(contact, "deletedAt")
    assert payload["currentContact"] is None
    record = payload["merge"]
    assert record["contact"] == {"id": trio.primary["id"], "version": 2}
    assert record["mergedIds"] == [trio.first["id"], trio.second["id"]]
    assert record["createdAt"] == contact["updatedAt"]
    assert gql.data(MERGE_NODE, {"id": record["id"]}, token)["node"] == {
        "__typename": "ContactMerge",
        **record,
    }


def test_the_others_go_to_the_trash_as_they_were(gql: GraphQL, token: str) -> None:
    trio, payload = merged_trio(gql, token)

    assert whole(gql, token, trio.first["id"]) is None
    assert whole(gql, token, trio.second["id"]) is None
    in_trash = trashed(gql, token)
    assert in_trash["totalCount"] == 2
    deleted_at = payload["contact"]["updatedAt"]
    by_id = {node["id"]: node for node in in_trash["nodes"]}
    for other in (trio.first, trio.second):
        assert without(by_id[other["id"]], "updatedAt", "tags") == {
            **without(other, "updatedAt", "tags"),
            "version": 2,
            "deletedAt": deleted_at,
        }


def test_the_primary_keeps_its_own_values_and_flags(gql: GraphQL, token: str) -> None:
    primary = create_contact(
        gql,
        token,
        {
            "firstName": "Grace",
            "company": "US Navy",
            "notes": "Admiral. Wrote COBOL.",
            "favorite": True,
            "emails": [
                {"value": "a@navy.example"},
                {"value": "grace@navy.example", "primary": True},
            ],
        },
    )
    other = create_contact(
        gql,
        token,
        {
            "firstName": "Amazing Grace",
            "company": "Remington Rand",
            "notes": "Wrote COBOL.",
            "favorite": False,
            "emails": [{"value": "GRACE@navy.example", "primary": True}],
            "phones": [
                {"value": "+1 650-253-0000"},
                {"value": "(650) 253-0000", "region": "US"},
            ],
        },
    )

    merged = merge(gql, token, primary["id"], [other["id"]])["contact"]

    assert {
        key: merged[key]
        for key in ("firstName", "company", "notes", "favorite", "emails", "phones")
    } == {
        "firstName": "Grace",
        "company": "US Navy",
        "notes": "Admiral. Wrote COBOL.",
        "favorite": True,
        "emails": [
            {"value": "a@navy.example", "label": None, "primary": False},
            {"value": "grace@navy.example", "label": None, "primary": True},
        ],
        # The other's phones, one number written twice: once, primary, as
        # the primary had none.
        "phones": [{"value": "+16502530000", "label": None, "primary": True}],
    }


def test_a_merge_that_adds_nothing_is_still_one_merged_version(
    gql: GraphQL, token: str
) -> None:
    primary = create_contact(gql, token, {"firstName": "Ada", "tags": ["X"]})
    other = create_contact(gql, token, {"firstName": "Ada", "tags": ["x"]})

    payload = merge(gql, token, primary["id"], [other["id"]])

    assert without(payload["contact"], "updatedAt", "deletedAt") == {
        **without(primary, "updatedAt"),
        "version": 2,
    }
    assert revisions(gql, token, primary["id"])[0] == {
        "version": 2,
        "kind": "MERGED",
        "changes": [],
    }
    restored = undo(gql, token, payload["merge"]["id"])["contact"]
    assert (restored["version"], kinds(gql, token, primary["id"])[0]) == (
        3,
        (3, "REVERTED"),
    )


# --- dryRun -----------------------------------------------------------------------


def test_a_dry_run_answers_the_merged_contact_and_changes_nothing(
    app: Flask, gql: GraphQL, token: str
) -> None:
    trio = create_trio(gql, token)
    since = sync_token(gql, token)
    rows = log_rows(app)
    others = [trio.first["id"], trio.second["id"]]

    payload = merge(gql, token, trio.primary["id"], others, dry_run=True)

    assert payload["userErrors"] == []
    assert payload["merge"] is None
    assert payload["contact"] == {
        "id": trio.primary["id"],
        **MERGED,
        # The counts as they are: nothing was saved.
        "tags": [
            {"name": "Friends", "contactCount": 2},
            {"name": "Pioneers", "contactCount": 1},
            {"name": "Work", "contactCount": 1},
        ],
        "version": 1,
        "createdAt": trio.primary["createdAt"],
        "updatedAt": trio.primary["updatedAt"],
        "deletedAt": None,
    }
    for contact in (trio.primary, trio.first, trio.second):
        assert whole(gql, token, contact["id"]) == {
            **contact,
            "tags": whole(gql, token, contact["id"])["tags"],  # type: ignore[index]
        }
        assert kinds(gql, token, contact["id"]) == [(1, "CREATED")]
    assert trashed(gql, token)["totalCount"] == 0
    assert changes_since(gql, token, since) == []
    assert log_rows(app) == rows
    saved = merge(gql, token, trio.primary["id"], others, dry_run=False)
    assert without(saved["contact"], *TIMES) == without(
        payload["contact"], *TIMES, "tags", "version"
    ) | {"tags": MERGED_TAGS, "version": 2}


# --- history and sync ------------------------------------------------------------


def test_history_has_one_merged_revision_and_the_others_a_deletion(
    gql: GraphQL, token: str
) -> None:
    trio, _ = merged_trio(gql, token)

    [merged, created] = revisions(gql, token, trio.primary["id"])
    assert (created["version"], created["kind"]) == (1, "CREATED")
    assert (merged["version"], merged["kind"]) == (2, "MERGED")
    assert [(c["field"], c["before"], c["after"]) for c in merged["changes"]] == [
        ("nickname", None, '"Enchantress of Numbers"'),
        ("company", None, '"Analytical Engines"'),
        ("jobTitle", None, '"Mathematician"'),
        ("birthday", None, '"1815-12-10"'),
        (
            "notes",
            '"Met at the Royal Society."',
            '"Met at the Royal Society.\\n\\nWrote the first program."',
        ),
        ("favorite", "false", "true"),
        (
            "emails",
            '[{"value":"ada@example.com","label":"work","primary":true}]',
            '[{"value":"ada@example.com","label":"work","primary":true},'
            '{"value":"ada@engines.example","label":null,"primary":false},'
            '{"value":"lovelace@example.org","label":null,"primary":false}]',
        ),
        (
            "phones",
            '[{"value":"+442079460958","label":"office","primary":true}]',
            '[{"value":"+442079460958","label":"office","primary":true},'
            '{"value":"+16502530000","label":"mobile","primary":false}]',
        ),
        (
            "addresses",
            '[{"label":"home","street":"12 St James\'s Square","city":"London",'
            '"region":null,"postalCode":null,"country":"GB"}]',
            '[{"label":"home","street":"12 St James\'s Square","city":"London",'
            '"region":null,"postalCode":null,"country":"GB"},'
            '{"label":null,"street":null,"city":"Paris","region":null,'
            '"postalCode":null,"country":"FR"}]',
        ),
        ("tags", '["Friends"]', '["Friends","Work","Pioneers"]'),  # union order
    ]
    for other in (trio.first, trio.second):
        assert kinds(gql, token, other["id"]) == [(2, "DELETED"), (1, "CREATED")]


def test_sync_sends_the_primary_once_and_a_tombstone_for_each_other(
    gql: GraphQL, token: str
) -> None:
    trio = create_trio(gql, token)
    since = sync_token(gql, token)

    payload = merge(
        gql, token, trio.primary["id"], [trio.second["id"], trio.first["id"]]
    )

    deleted_at = payload["contact"]["updatedAt"]
    assert changes_since(gql, token, since) == [
        {
            "contact": {"id": trio.primary["id"], "version": 2, "firstName": "Ada"},
            "deletedId": None,
            "deletedAt": None,
        },
        {"contact": None, "deletedId": trio.second["id"], "deletedAt": deleted_at},
        {"contact": None, "deletedId": trio.first["id"], "deletedAt": deleted_at},
    ]


# --- undo ------------------------------------------------------------------------


def test_undo_puts_every_contact_back_exactly(gql: GraphQL, token: str) -> None:
    trio, payload = merged_trio(gql, token)
    originals = {c["id"]: c for c in (trio.primary, trio.first, trio.second)}
    since = sync_token(gql, token)

    undone = undo(gql, token, payload["merge"]["id"])

    assert undone["userErrors"] == []
    assert undone["currentContact"] is None
    assert undone["merge"] == {
        **payload["merge"],
        "contact": {"id": trio.primary["id"], "version": 3},
    }
    assert without(undone["contact"], "updatedAt") == {
        **without(originals[trio.primary["id"]], "updatedAt"),
        "tags": undone["contact"]["tags"],
        "version": 3,
        "deletedAt": None,
    }
    for contact_id, original in originals.items():
        now = whole(gql, token, contact_id)
        assert without(now, "updatedAt", "version") == without(
            original, "updatedAt", "version"
        ) | {"tags": now["tags"]}  # type: ignore[index]
        assert now["version"] == 3  # type: ignore[index]
    # The tags as they were before the merge, counts and all.
    assert [t["name"] for t in whole(gql, token, trio.primary["id"])["tags"]] == [  # type: ignore[index]
        "Friends"
    ]
    assert whole(gql, token, trio.first["id"])["tags"] == [  # type: ignore[index]
        {"name": "Friends", "contactCount": 2},
        {"name": "Work", "contactCount": 1},
    ]
    assert trashed(gql, token)["totalCount"] == 0
    assert kinds(gql, token, trio.primary["id"]) == [
        (3, "REVERTED"),
        (2, "MERGED"),
        (1, "CREATED"),
    ]
    for other in (trio.first, trio.second):
        assert kinds(gql, token, other["id"]) == [
            (3, "RESTORED"),
            (2, "DELETED"),
            (1, "CREATED"),
        ]
    assert [
        (c["contact"]["id"], c["contact"]["version"], c["deletedId"])
        for c in changes_since(gql, token, since)
    ] == [(i, 3, None) for i in trio.ids]


def test_the_whole_contacts_before_the_merge_and_after_the_undo_are_equal(
    gql: GraphQL, token: str
) -> None:
    trio = create_trio(gql, token)
    before = {i: whole(gql, token, i) for i in trio.ids}

    payload = merge(
        gql, token, trio.primary["id"], [trio.first["id"], trio.second["id"]]
    )
    undo(gql, token, payload["merge"]["id"])

    after = {i: whole(gql, token, i) for i in trio.ids}
    assert {i: without(c, "version", "updatedAt") for i, c in after.items()} == {
        i: without(c, "version", "updatedAt") for i, c in before.items()
    }


def test_undo_after_the_primary_changed_is_a_conflict_with_it_as_it_is(
    gql: GraphQL, token: str
) -> None:
    trio, payload = merged_trio(gql, token)
    changed = update_contact(gql, token, {"id": trio.primary["id"], "jobTitle": "Poet"})

    refused = undo(gql, token, payload["merge"]["id"])

    assert errors_of(refused) == [(["id"], "CONFLICT")]
    assert (refused["contact"], refused["merge"]) == (None, None)
    assert refused["currentContact"] == {**changed, "deletedAt": None}
    assert whole(gql, token, trio.primary["id"]) == changed
    assert trashed(gql, token)["totalCount"] == 2


def test_undo_of_a_primary_in_the_trash_is_a_conflict(gql: GraphQL, token: str) -> None:
    trio, payload = merged_trio(gql, token)
    delete(gql, token, trio.primary["id"])

    refused = undo(gql, token, payload["merge"]["id"])

    assert errors_of(refused) == [(["id"], "CONFLICT")]
    current = refused["currentContact"]
    assert (current["id"], current["version"]) == (trio.primary["id"], 3)
    assert current["deletedAt"] is not None
    assert trashed(gql, token)["totalCount"] == 3


def test_undoing_twice_is_a_conflict(gql: GraphQL, token: str) -> None:
    trio, payload = merged_trio(gql, token)
    undo(gql, token, payload["merge"]["id"])

    again = undo(gql, token, payload["merge"]["id"])

    assert errors_of(again) == [(["id"], "CONFLICT")]
    assert again["currentContact"]["version"] == 3
    assert kinds(gql, token, trio.primary["id"])[0] == (3, "REVERTED")


def test_undo_after_an_other_was_purged_is_a_conflict_and_keeps_the_merge(
    gql: GraphQL, token: str
) -> None:
    trio, payload = merged_trio(gql, token)
    gql.data(PURGE, {"id": trio.second["id"]}, token)

    refused = undo(gql, token, payload["merge"]["id"])

    assert errors_of(refused) == [(["id"], "CONFLICT")]
    assert whole(gql, token, trio.primary["id"])["version"] == 2  # type: ignore[index]
    assert [n["id"] for n in trashed(gql, token)["nodes"]] == [trio.first["id"]]


def test_undo_leaves_an_other_restored_by_hand_as_it_is(
    gql: GraphQL, token: str
) -> None:
    trio, payload = merged_trio(gql, token)
    gql.data(RESTORE, {"id": trio.first["id"]}, token)
    update_contact(gql, token, {"id": trio.first["id"], "jobTitle": "Poet"})

    undone = undo(gql, token, payload["merge"]["id"])

    assert undone["userErrors"] == []
    first = whole(gql, token, trio.first["id"])
    assert (first["jobTitle"], first["version"]) == ("Poet", 4)  # type: ignore[index]
    assert whole(gql, token, trio.second["id"])["version"] == 3  # type: ignore[index]


# --- refusals --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("primary", "others", "errors"),
    [
        ("missing", ["first"], [(["input", "primaryId"], "NOT_FOUND")]),
        ("trashed", ["first"], [(["input", "primaryId"], "NOT_FOUND")]),
        ("theirs", ["first"], [(["input", "primaryId"], "NOT_FOUND")]),
        ("tag", ["first"], [(["input", "primaryId"], "NOT_FOUND")]),
        (
            "primary",
            ["first", "missing", "trashed", "theirs"],
            [
                (["input", "otherIds", "1"], "NOT_FOUND"),
                (["input", "otherIds", "2"], "NOT_FOUND"),
                (["input", "otherIds", "3"], "NOT_FOUND"),
            ],
        ),
        ("primary", [], [(["input", "otherIds"], "INVALID")]),
        ("primary", ["first", "primary"], [(["input", "otherIds", "1"], "INVALID")]),
        (
            "primary",
            ["first", "second", "first"],
            [(["input", "otherIds", "2"], "INVALID")],
        ),
        ("primary", ["first"] * 51, [(["input", "otherIds"], "TOO_LONG")]),
    ],
    ids=[
        "primary-missing",
        "primary-trashed",
        "primary-another-accounts",
        "primary-a-tag",
        "others-missing-trashed-theirs",
        "no-others",
        "primary-among-others",
        "an-other-twice",
        "more-than-50",
    ],
)
@pytest.mark.parametrize("dry_run", [False, True], ids=["merge", "dry-run"])
def test_wrong_ids_are_user_errors_and_change_nothing(
    app: Flask,
    gql: GraphQL,
    token: str,
    accounts: Accounts,
    primary: str,
    others: list[str],
    errors: list[tuple[list[str], str]],
    dry_run: bool,
) -> None:
    trio = create_trio(gql, token)
    gone = create_contact(gql, token, {"firstName": "Gone"})
    delete(gql, token, gone["id"])
    theirs = create_contact(gql, accounts.token(), {"firstName": "Theirs"})
    ids = {
        "primary": trio.primary["id"],
        "first": trio.first["id"],
        "second": trio.second["id"],
        "missing": global_id("Contact", 999),
        "trashed": gone["id"],
        "theirs": theirs["id"],
        "tag": global_id("Tag", 1),
    }
    rows = log_rows(app)

    payload = merge(gql, token, ids[primary], [ids[o] for o in others], dry_run)

    assert errors_of(payload) == errors
    assert (payload["merge"], payload["contact"]) == (None, None)
    assert log_rows(app) == rows
    assert trashed(gql, token)["totalCount"] == 1


def test_a_merged_list_over_the_limit_or_notes_too_long_are_user_errors(
    gql: GraphQL, token: str
) -> None:
    emails = [{"value": f"p{i}@example.com"} for i in range(30)]
    more = [{"value": f"o{i}@example.com"} for i in range(21)]
    primary = create_contact(gql, token, {"firstName": "P", "emails": emails})
    other = create_contact(gql, token, {"firstName": "O", "emails": more})
    wordy = create_contact(gql, token, {"firstName": "W", "notes": "a" * 6000})
    wordier = create_contact(gql, token, {"firstName": "V", "notes": "b" * 4000})

    too_many = merge(gql, token, primary["id"], [other["id"]])
    too_long = merge(gql, token, wordy["id"], [wordier["id"]])
    just_enough = merge(gql, token, primary["id"], [wordy["id"]], dry_run=True)

    assert errors_of(too_many) == [(["input", "emails"], "TOO_LONG")]
    assert errors_of(too_long) == [(["input", "notes"], "TOO_LONG")]
    assert just_enough["userErrors"] == []
    assert len(just_enough["contact"]["emails"]) == 30
    assert whole(gql, token, primary["id"])["version"] == 1  # type: ignore[index]


def test_undo_of_an_unknown_or_another_accounts_merge_is_not_found(
    gql: GraphQL, token: str, accounts: Accounts
) -> None:
    _, payload = merged_trio(gql, token)
    other_token = accounts.token()

    for refused in (
        undo(gql, other_token, payload["merge"]["id"]),
        undo(gql, token, global_id("ContactMerge", 999)),
        undo(gql, token, global_id("Contact", 1)),
    ):
        assert errors_of(refused) == [(["id"], "NOT_FOUND")]
        assert refused["currentContact"] is None
    node = gql.data(MERGE_NODE, {"id": payload["merge"]["id"]}, other_token)["node"]
    assert node is None
    assert gql.error_codes(
        'mutation { undoMerge(id: "bm90IGFuIGlk") { userErrors { code } } }',
        None,
        token,
    ) == ["BAD_USER_INPUT"]


def test_merging_needs_a_token(gql: GraphQL) -> None:
    document = (
        'mutation { mergeContacts(input: {primaryId: "x", otherIds: []}) '
        "{ userErrors { code } } }"
    )
    assert gql.error_codes(document) == ["UNAUTHENTICATED"]


# --- purging with merges ----------------------------------------------------------


def test_purging_the_others_and_the_primary_works_with_merges(
    app: Flask, gql: GraphQL, token: str
) -> None:
    trio, payload = merged_trio(gql, token)

    emptied = gql.data(EMPTY_TRASH, {}, token)["emptyTrash"]
    assert emptied == {"purgedCount": 2, "userErrors": []}
    assert gql.data(MERGE_NODE, {"id": payload["merge"]["id"]}, token)["node"]
    delete(gql, token, trio.primary["id"])
    purged = gql.data(PURGE, {"id": trio.primary["id"]}, token)["purgeContact"]

    assert purged == {"deletedId": trio.primary["id"], "userErrors": []}
    assert gql.data(MERGE_NODE, {"id": payload["merge"]["id"]}, token)["node"] is None
    assert log_rows(app)["contact_merges"] == 0
    assert errors_of(undo(gql, token, payload["merge"]["id"])) == [
        (["id"], "NOT_FOUND")
    ]


# --- racing merges on PostgreSQL --------------------------------------------------


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
def test_two_merges_sharing_a_contact_do_not_both_take_it(
    app: Flask, gql: GraphQL, token: str
) -> None:
    for trial in range(5):
        email = f"s{trial}@example.org"
        shared = create_contact(gql, token, {"emails": [{"value": email}]})
        left = create_contact(gql, token, {"firstName": f"L{trial}"})
        right = create_contact(gql, token, {"firstName": f"R{trial}"})

        results = merge_together(
            app, token, [(left["id"], [shared["id"]]), (right["id"], [shared["id"]])]
        )

        won = [r for r in results if r["userErrors"] == []]
        lost = [r for r in results if r["userErrors"] != []]
        assert (len(won), len(lost)) == (1, 1)
        assert errors_of(lost[0]) == [(["input", "otherIds", "0"], "NOT_FOUND")]
        winner = won[0]["contact"]
        assert [e["value"] for e in winner["emails"]] == [email]
        assert winner["version"] == 2
        loser_id = right["id"] if winner["id"] == left["id"] else left["id"]
        loser = whole(gql, token, loser_id)
        assert (loser["emails"], loser["version"]) == ([], 1)  # type: ignore[index]
        assert kinds(gql, token, shared["id"]) == [(2, "DELETED"), (1, "CREATED")]
    assert trashed(gql, token)["totalCount"] == 5
