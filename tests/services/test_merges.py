"""The merge rules (app.services.merges.merged_fields) on contacts built in
memory, and the merge's row and refusals through the service, inside an
app context."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import orjson
import pytest
from sqlalchemy import func, select
from sqlalchemy.util import IdentitySet

from app.errors import InvalidInput, UserErrorCode
from app.extensions import db
from app.fields import CONTACT_FIELDS, ContactField, Kind
from app.models import (
    Contact,
    ContactMerge,
    EmailAddress,
    PhoneNumber,
    PostalAddress,
    Tag,
    utcnow,
)
from app.services import change_log, contacts, merges, trash
from app.services.contact_input import AddressInput, EmailInput, PhoneInput

# Three distinct values of each kind of field: the primary's, the first
# other's, the second other's.
SAMPLES: dict[Kind, tuple[Any, Any, Any]] = {
    Kind.TEXT: ("P", "F", "S"),
    Kind.DATE: (date(1815, 12, 10), date(1906, 12, 9), date(1912, 6, 23)),
    Kind.BOOL: (True, True, True),
}
SINGLE_VALUED = [f for f in CONTACT_FIELDS if f.kind is not Kind.LONG_TEXT]


def person(**fields: Any) -> Contact:
    """A contact in memory (never saved) with these fields and lists."""
    values: dict[str, Any] = {f.name: f.default for f in CONTACT_FIELDS}
    return Contact(**{**values, **fields})


def email(value: str, label: str | None = None, primary: bool = False) -> Any:
    return EmailAddress(value=value, label=label, primary=primary)


def phone(value: str, label: str | None = None, primary: bool = False) -> Any:
    return PhoneNumber(value=value, label=label, primary=primary)


def tag(name: str) -> Tag:
    return Tag(name=name, name_key=name.casefold())


def count(model: Any) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def field_name(field: ContactField) -> str:
    return field.name


# --- single values -----------------------------------------------------------


@pytest.mark.parametrize("field", SINGLE_VALUED, ids=field_name)
def test_a_declared_field_the_primary_lacks_comes_from_the_first_other_with_it(
    field: ContactField,
) -> None:
    _, first, second = SAMPLES[field.kind]
    lacking = False if field.kind is Kind.BOOL else None

    from_second = merges.merged_fields(
        person(**{field.name: lacking}),
        [person(**{field.name: lacking}), person(**{field.name: second})],
    )
    from_first = merges.merged_fields(
        person(**{field.name: lacking}),
        [person(**{field.name: first}), person(**{field.name: second})],
    )

    assert from_second[field.name] == second
    assert from_first[field.name] == first


@pytest.mark.parametrize("field", SINGLE_VALUED, ids=field_name)
def test_a_declared_field_the_primary_has_is_kept(field: ContactField) -> None:
    own, first, second = SAMPLES[field.kind]
    others = [person(**{field.name: first}), person(**{field.name: second})]

    merged = merges.merged_fields(person(**{field.name: own}), others)

    assert merged[field.name] == own


def test_favorite_if_any_is() -> None:
    def merged(*flags: bool) -> Any:
        everyone = [person(favorite=flag) for flag in flags]
        return merges.merged_fields(everyone[0], everyone[1:])["favorite"]

    assert [merged(False, False), merged(False, True), merged(True, False)] == [
        False,
        True,
        True,
    ]


@pytest.mark.parametrize(
    ("notes", "joined"),
    [
        (["Primary.", "Other.", "Third."], "Primary.\n\nOther.\n\nThird."),
        (["Met at PyCon 2019.", "PyCon", None], "Met at PyCon 2019."),
        ([None, "Other.", "Other."], "Other."),
        (["Primary.", "Other.", "Primary.\n\nOther."], "Primary.\n\nOther."),
        ([None, None, ""], None),
    ],
    ids=["each", "contained", "primary-without", "already-joined", "none"],
)
def test_notes_are_joined_without_repeats(
    notes: list[str | None], joined: str | None
) -> None:
    primary, *others = [person(notes=text) for text in notes]

    assert merges.merged_fields(primary, others)["notes"] == joined


# --- lists -------------------------------------------------------------------


def test_emails_are_unioned_once_ignoring_case_with_the_primarys_primary() -> None:
    primary = person(
        emails=[email("ada@example.com", "work"), email("a@b.example", primary=True)]
    )
    first = person(
        emails=[email("ADA@Example.com", "home", primary=True), email("x@y.example")]
    )
    second = person(emails=[email("X@Y.example", "other"), email("z@y.example")])

    merged = merges.merged_fields(primary, [first, second])

    assert merged["emails"] == [
        EmailInput("ada@example.com", "work", False),
        EmailInput("a@b.example", None, True),
        EmailInput("x@y.example", None, False),
        EmailInput("z@y.example", None, False),
    ]


def test_without_emails_of_its_own_the_primary_takes_the_first_others_primary() -> None:
    first = person(emails=[email("a@x.example"), email("b@x.example", primary=True)])
    second = person(emails=[email("c@x.example", primary=True)])

    merged = merges.merged_fields(person(), [first, second])

    assert [(e.value, e.primary) for e in merged["emails"]] == [
        ("a@x.example", False),
        ("b@x.example", True),
        ("c@x.example", False),
    ]


def test_phones_are_unioned_by_their_e164_number() -> None:
    primary = person(phones=[phone("+442079460958", "office", primary=True)])
    first = person(
        phones=[phone("+16502530000", primary=True), phone("+442079460958", "home")]
    )

    merged = merges.merged_fields(primary, [first])

    assert merged["phones"] == [
        PhoneInput("+442079460958", "office", True),
        PhoneInput("+16502530000", None, False),
    ]


def test_addresses_are_one_when_their_parts_agree_ignoring_case_space_and_label() -> (
    None
):
    primary = person(
        addresses=[PostalAddress(label="home", street="12 Main St", country="GB")]
    )
    first = person(
        addresses=[
            PostalAddress(label="Work", street=" 12  main st", country="GB"),
            PostalAddress(street="12 Main St", city="Leeds", country="GB"),
        ]
    )

    merged = merges.merged_fields(primary, [first])

    assert merged["addresses"] == [
        AddressInput(label="home", street="12 Main St", country="GB"),
        AddressInput(street="12 Main St", city="Leeds", country="GB"),
    ]


def test_tags_are_unioned_ignoring_case_in_order() -> None:
    primary = person(tags=[tag("Work")])
    first = person(tags=[tag("Friends"), tag("work")])
    second = person(tags=[tag("FRIENDS"), tag("Pioneers")])

    merged = merges.merged_fields(primary, [first, second])

    assert merged["tags"] == ["Work", "Friends", "Pioneers"]


def test_the_merged_values_are_cleaned_with_an_updates_limits() -> None:
    primary = person(
        first_name="P",
        emails=[email(f"p{i}@x.example") for i in range(30)],
        notes="a" * 9_000,
    )
    other = person(emails=[email(f"o{i}@x.example") for i in range(21)], notes="b")

    with pytest.raises(InvalidInput) as raised:
        contacts.clean(merges.merged_fields(primary, [other]), current={})

    assert [(e.field, e.code) for e in raised.value.errors] == [
        (("input", "emails"), UserErrorCode.TOO_LONG),
    ]
    joined = merges.merged_fields(primary, [person(notes="b" * 1_000)])
    with pytest.raises(InvalidInput) as too_long:
        contacts.clean(joined, current={})
    assert [(e.field, e.code) for e in too_long.value.errors] == [
        (("input", "notes"), UserErrorCode.TOO_LONG),
    ]


# --- through the service -----------------------------------------------------


def test_the_merge_row_keeps_the_primary_before_and_the_version_it_got(
    user_id: int,
) -> None:
    primary = contacts.create_contact(user_id, {"first_name": "Ada", "tags": ["A"]})
    other = contacts.create_contact(user_id, {"company": "Engines", "tags": ["B"]})
    before = change_log.snapshot(contacts.get_contact(user_id, primary.id))  # type: ignore[arg-type]

    result = merges.merge_contacts(user_id, primary.id, [other.id])

    assert result.merge is not None
    merge = merges.get_merge(user_id, result.merge.id)
    assert merge is not None
    assert (merge.user_id, merge.contact_id, merge.version) == (user_id, primary.id, 2)
    assert orjson.loads(merge.snapshot) == before
    assert merges.merged_ids(merge) == [other.id]
    assert merge.undone_at is None
    assert merge.created_at == result.contact.updated_at
    merged = change_log.snapshot(result.contact)
    assert (merged["firstName"], merged["company"], merged["tags"]) == (
        "Ada",
        "Engines",
        ["A", "B"],
    )

    undone = merges.undo_merge(user_id, merge.id)

    assert undone.merge is not None
    assert undone.merge.undone_at is not None
    assert change_log.snapshot(undone.contact) == before


def test_another_users_contacts_and_merges_are_not_found(
    user_id: int, other_user_id: int
) -> None:
    primary = contacts.create_contact(user_id, {"first_name": "Ada"})
    other = contacts.create_contact(user_id, {"first_name": "Augusta"})
    result = merges.merge_contacts(user_id, primary.id, [other.id])
    assert result.merge is not None

    with pytest.raises(InvalidInput) as merging:
        merges.merge_contacts(other_user_id, primary.id, [other.id], dry_run=True)
    with pytest.raises(InvalidInput) as undoing:
        merges.undo_merge(other_user_id, result.merge.id)

    assert [(e.field, e.code) for e in merging.value.errors] == [
        (("input", "primaryId"), UserErrorCode.NOT_FOUND),
        (("input", "otherIds", "0"), UserErrorCode.NOT_FOUND),
    ]
    assert [(e.field, e.code) for e in undoing.value.errors] == [
        (("id",), UserErrorCode.NOT_FOUND),
    ]
    assert merges.get_merge(other_user_id, result.merge.id) is None
    assert merges.primary_now(other_user_id, result.merge.id) is None


def test_a_dry_run_leaves_nothing_in_the_session_to_save(user_id: int) -> None:
    primary = contacts.create_contact(user_id, {"first_name": "Ada", "tags": ["A"]})
    other = contacts.create_contact(
        user_id, {"first_name": "Ada", "emails": [EmailInput("a@x.example")]}
    )

    preview = merges.merge_contacts(user_id, primary.id, [other.id], dry_run=True)

    assert preview.merge is None
    assert preview.contact not in db.session
    assert (db.session.new, db.session.dirty) == (IdentitySet(), IdentitySet())
    db.session.commit()  # as a later mutation of the same operation would
    assert change_log.snapshot(preview.contact)["emails"] == [
        {"value": "a@x.example", "label": None, "primary": True}
    ]
    saved = contacts.get_contact(user_id, primary.id)
    assert saved is not None
    assert (saved.version, saved.emails) == (1, [])
    assert count(ContactMerge) == 0


def test_flask_purge_takes_merges_whose_primary_it_purges(user_id: int) -> None:
    primary = contacts.create_contact(user_id, {"first_name": "Ada"})
    other = contacts.create_contact(user_id, {"first_name": "Augusta"})
    kept = contacts.create_contact(user_id, {"first_name": "Grace"})
    twin = contacts.create_contact(user_id, {"first_name": "Grace"})
    merges.merge_contacts(user_id, primary.id, [other.id])
    merges.merge_contacts(user_id, kept.id, [twin.id])
    contacts.delete_contact(user_id, primary.id)

    report = trash.purge_expired(
        timedelta(0), timedelta(days=30), now=utcnow() + timedelta(seconds=1)
    )

    assert report.contacts == 3
    assert [merge.contact_id for merge in db.session.scalars(select(ContactMerge))] == [
        kept.id
    ]
