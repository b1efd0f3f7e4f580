"""app.services.exports called directly: which contacts an export reads,
in which chunks, with how many statements, on which connection, and the
values it hands the writers."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from flask import Flask

from app import create_app
from app.errors import BadUserInput
from app.extensions import db
from app.formats.record import ContactData
from app.services import contacts
from app.services.contact_input import AddressInput, EmailInput, PhoneInput
from app.services.exports import Export, ExportFormat, Selection, batched
from tests.support.statements import executions, index_names, plan_nodes

EMPTY_FIELDS = {
    "first_name": None,
    "last_name": None,
    "nickname": None,
    "company": None,
    "job_title": None,
    "birthday": None,
    "notes": None,
    "favorite": False,
}


def create(user_id: int, **fields: Any) -> int:
    contact_id: int = contacts.create_contact(user_id, fields).id
    return contact_id


def names(chunk: list[ContactData]) -> list[str]:
    return [contact.fields["first_name"] for contact in chunk]


def test_a_contact_comes_out_with_every_value_as_the_api_shows_it(
    user_id: int,
) -> None:
    create(
        user_id,
        first_name=" Ada ",
        last_name="Lovelace",
        nickname="Enchantress",
        company="Analytical Engines",
        job_title="Mathematician",
        birthday=date(1815, 12, 10),
        notes="Wrote the first program.",
        favorite=True,
        emails=[
            EmailInput("Ada@Example.COM", " work "),
            EmailInput("ada@home.example", primary=True),
        ],
        phones=[PhoneInput("020 7946 0958", "office", region="GB")],
        addresses=[
            AddressInput(
                label="home",
                street="12 St James's Square",
                city="London",
                postal_code="SW1Y 4JH",
                country="gb",
            ),
            AddressInput(city="Paris"),
        ],
        tags=["work", "Friends"],
    )

    [contact] = Selection.of(user_id).contacts()

    assert contact == ContactData(
        fields={
            "first_name": "Ada",
            "last_name": "Lovelace",
            "nickname": "Enchantress",
            "company": "Analytical Engines",
            "job_title": "Mathematician",
            "birthday": date(1815, 12, 10),
            "notes": "Wrote the first program.",
            "favorite": True,
        },
        emails=[
            EmailInput("Ada@example.com", "work", False),
            EmailInput("ada@home.example", None, True),
        ],
        phones=[PhoneInput("+442079460958", "office", True)],
        addresses=[
            AddressInput(
                "home", "12 St James's Square", "London", None, "SW1Y 4JH", "GB"
            ),
            AddressInput(None, None, "Paris", None, None, None),
        ],
        tags=["Friends", "work"],
    )


@pytest.mark.app_settings(EXPORT_CHUNK_SIZE=2)
def test_live_contacts_of_the_account_only_by_id_in_chunks(
    user_id: int, other_user_id: int
) -> None:
    for name in ("A", "B", "C"):
        create(user_id, first_name=name)
    create(other_user_id, first_name="Other")
    contacts.delete_contact(user_id, create(user_id, first_name="Trashed"))
    create(user_id, first_name="D", emails=[EmailInput("d@example.com")])
    create(user_id, first_name="E")

    chunks = list(Selection.of(user_id).chunks())

    assert [names(chunk) for chunk in chunks] == [["A", "B"], ["C", "D"], ["E"]]
    assert chunks[1][1] == ContactData(
        fields={**EMPTY_FIELDS, "first_name": "D"},
        emails=[EmailInput("d@example.com", None, True)],
    )


@pytest.mark.app_settings(EXPORT_CHUNK_SIZE=2)
@pytest.mark.parametrize("tag", ["friends", " FRIENDS ", "Friends"])
def test_a_tag_selects_the_contacts_carrying_it_ignoring_case(
    user_id: int, other_user_id: int, tag: str
) -> None:
    create(user_id, first_name="A", tags=["Friends"])
    create(user_id, first_name="B", tags=["Work"])
    create(user_id, first_name="C", tags=["friends", "Work"])
    create(user_id, first_name="D", tags=["Friends"])
    create(other_user_id, first_name="Other", tags=["Friends"])

    chunks = Selection.of(user_id, tag).chunks()

    assert [names(chunk) for chunk in chunks] == [["A", "C"], ["D"]]


def test_a_tag_nobody_carries_selects_nothing(user_id: int) -> None:
    create(user_id, first_name="A", tags=["Friends"])

    assert list(Selection.of(user_id, "Family").chunks()) == []


def test_a_blank_tag_selects_every_contact(user_id: int) -> None:
    create(user_id, first_name="A", tags=["Friends"])
    create(user_id, first_name="B")

    assert names(list(Selection.of(user_id, "  ").contacts())) == ["A", "B"]


def test_a_tag_no_filter_could_take_is_refused_before_reading(user_id: int) -> None:
    with pytest.raises(BadUserInput, match="`tag` must be at most 200 characters"):
        Selection.of(user_id, "x" * 201)


CHUNK_STATEMENTS = [
    "SELECT contacts",
    "SELECT contact_emails",
    "SELECT contact_phones",
    "SELECT contact_addresses",
    "SELECT contact_tags",
]


@pytest.mark.app_settings(EXPORT_CHUNK_SIZE=3)
@pytest.mark.parametrize(
    ("count", "statements"),
    [
        (0, ["SELECT contacts"]),
        (2, CHUNK_STATEMENTS),
        (3, [*CHUNK_STATEMENTS, "SELECT contacts"]),
        (7, CHUNK_STATEMENTS * 3),
    ],
)
def test_each_chunk_is_one_statement_and_one_per_list_never_per_contact(
    app: Flask, user_id: int, count: int, statements: list[str]
) -> None:
    """The contacts' statement, then one per list for the chunk's
    contacts, all in autocommit; a full chunk asks once more (and finds
    none, or the next chunk)."""
    for index in range(count):
        create(
            user_id,
            first_name=f"P{index}",
            emails=[EmailInput(f"p{index}@example.com"), EmailInput("x@example.com")],
            phones=[PhoneInput("+16502530000")],
            addresses=[AddressInput(city="Oslo")],
            tags=["a", "b"],
        )

    with executions(app) as seen:
        exported = list(Selection.of(user_id).contacts())

    assert len(exported) == count
    assert [execution.kind for execution in seen] == statements
    assert {execution.isolation_level for execution in seen} == {"AUTOCOMMIT"}


def test_a_chunk_reads_the_users_live_contacts_by_id_through_their_index(
    app: Flask, user_id: int, other_user_id: int
) -> None:
    """On PostgreSQL the chunk's statement is answered by (user_id, id)
    WHERE deleted_at IS NULL (migration 0010), not by walking the primary
    key past everyone else's contacts."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the plan is PostgreSQL's")
    for name in ("A", "B"):
        create(other_user_id, first_name=name)
        create(user_id, first_name=name)

    with executions(app) as seen:
        list(Selection.of(user_id).chunks())

    [chunk] = [execution for execution in seen if execution.kind == "SELECT contacts"]
    assert index_names(plan_nodes(app, chunk, seqscan=False)) == {"ix_contacts_user_id"}


@pytest.mark.app_settings(EXPORT_CHUNK_SIZE=2)
def test_no_connection_is_held_between_chunks(user_id: int) -> None:
    for name in ("A", "B", "C"):
        create(user_id, first_name=name)
    db.session.remove()

    in_use = [
        (names(chunk), db.engine.pool.checkedout())  # type: ignore[attr-defined]
        for chunk in Selection.of(user_id).chunks()
    ]

    assert in_use == [(["A", "B"], 0), (["C"], 0)]


@pytest.mark.parametrize("version", ["2.1", "4", "", "4.0 "])
def test_a_vcard_version_other_than_4_0_and_3_0_is_refused(
    user_id: int, version: str
) -> None:
    with pytest.raises(BadUserInput, match=r"^`version` must be 4.0 or 3.0.$"):
        Export.of(user_id, ExportFormat.VCARD, version)


def test_an_export_is_vcard_4_0_unless_asked_and_keeps_the_tag_trimmed(
    user_id: int,
) -> None:
    assert Export.of(user_id, ExportFormat.VCARD).version == "4.0"
    assert Export.of(user_id, ExportFormat.VCARD, "3.0").version == "3.0"
    assert Export.of(user_id, ExportFormat.CSV, tag=" Friends ").tag == "Friends"
    assert Export.of(user_id, ExportFormat.CSV, tag=" ").tag is None


def test_batched_joins_pieces_to_at_least_the_size() -> None:
    assert list(batched(["ab", "c", "de", "f", "g"], size=3)) == ["abc", "def", "g"]
    assert list(batched([], size=3)) == []


@pytest.mark.parametrize("size", [0, -1])
def test_a_chunk_of_no_contacts_stops_the_start(size: int) -> None:
    with pytest.raises(RuntimeError, match=r"^EXPORT_CHUNK_SIZE must be a number"):
        create_app("testing", {"EXPORT_CHUNK_SIZE": size})
