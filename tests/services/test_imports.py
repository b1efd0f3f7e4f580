"""app.services.imports called directly, with records built by hand (what
app/formats' readers produce): each status, errors at the record's paths,
duplicates against the account and within the file, dry runs that answer
as the import does, chunks whose statements do not grow, the change log,
and the file-level refusals."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from app.errors import FieldError, InvalidInput, UserErrorCode
from app.extensions import db
from app.fields import needs_one_of
from app.formats.record import ContactData, ParsedRecord
from app.formats.sniffing import Format
from app.models import Contact, ContactChange
from app.services import batches, contacts, imports
from app.services.contact_input import EmailInput, PhoneInput
from app.services.imports import ImportOptions, ImportStatus, RecordResult
from tests.factories import UserFactory
from tests.support.statements import executions

IMPORTED = ImportStatus.IMPORTED
DUPLICATE = ImportStatus.DUPLICATE
SKIPPED = ImportStatus.SKIPPED
FAILED = ImportStatus.FAILED
MAX_RECORDS = 10_000
REQUIRED_MESSAGE = f"Give at least a {needs_one_of()}."


def person(
    first: str | None = None,
    last: str | None = None,
    emails: tuple[str, ...] = (),
    phones: tuple[str, ...] = (),
    **fields: Any,
) -> ContactData:
    names = {"first_name": first, "last_name": last}
    return ContactData(
        fields={**{k: v for k, v in names.items() if v is not None}, **fields},
        emails=[EmailInput(value) for value in emails],
        phones=[PhoneInput(value) for value in phones],
    )


def records(*contacts: ContactData | ParsedRecord) -> list[ParsedRecord]:
    return [
        item if isinstance(item, ParsedRecord) else ParsedRecord(index, item)
        for index, item in enumerate(contacts)
    ]


def run(
    user_id: int, items: list[ParsedRecord], **options: bool
) -> imports.ImportReport:
    return imports.import_records(user_id, items, ImportOptions(**options), MAX_RECORDS)


def outcome(report: imports.ImportReport) -> list[tuple[int, ImportStatus]]:
    return [(record.index, record.status) for record in report.records]


def count(model: type[Any], user_id: int) -> int:
    return (
        db.session.scalar(
            select(func.count()).select_from(model).where(model.user_id == user_id)
        )
        or 0
    )


def existing(user_id: int, **fields: Any) -> int:
    contact = contacts.create_contact(user_id, fields)
    contact_id: int = contact.id
    return contact_id


def test_each_record_gets_its_status_and_errors_at_its_path(user_id: int) -> None:
    report = run(
        user_id,
        records(
            person("Ada", "Lovelace", emails=("ada@example.com",)),
            ContactData(),
            ContactData(fields={"notes": "met at the fair"}),
            person("Grace", emails=("not an email",)),
            ParsedRecord(
                4,
                person("Alan", "Turing"),
                [
                    FieldError(
                        ("birthday",), "Not a date: 1912-13-01.", UserErrorCode.INVALID
                    ),
                    FieldError(("first_name",), "Unreadable.", UserErrorCode.INVALID),
                ],
            ),
            ParsedRecord(
                5,
                person(emails=("nope",)),
                [
                    FieldError(
                        ("addresses", "0", "postal_code"), "Bad.", UserErrorCode.INVALID
                    )
                ],
            ),
        ),
    )

    assert outcome(report) == [
        (0, IMPORTED),
        (1, SKIPPED),
        (2, SKIPPED),
        (3, FAILED),
        (4, FAILED),
        (5, FAILED),
    ]
    assert [record.errors for record in report.records] == [
        (),
        (),
        (FieldError(("records", "2"), REQUIRED_MESSAGE, UserErrorCode.REQUIRED),),
        (
            FieldError(
                ("records", "3", "emails", "0", "value"),
                "An email address must have an @-sign.",
                UserErrorCode.INVALID,
            ),
        ),
        (
            FieldError(
                ("records", "4", "birthday"),
                "Not a date: 1912-13-01.",
                UserErrorCode.INVALID,
            ),
            FieldError(
                ("records", "4", "firstName"), "Unreadable.", UserErrorCode.INVALID
            ),
        ),
        (
            FieldError(
                ("records", "5", "addresses", "0", "postalCode"),
                "Bad.",
                UserErrorCode.INVALID,
            ),
            FieldError(
                ("records", "5", "emails", "0", "value"),
                "An email address must have an @-sign.",
                UserErrorCode.INVALID,
            ),
        ),
    ]
    assert report.totals == imports.ImportTotals(imported=1, skipped=2, failed=3)
    [ada] = db.session.scalars(select(Contact).where(Contact.user_id == user_id))
    assert report.records[0].contact_id == ada.id
    assert (ada.first_name, ada.last_name, [e.value for e in ada.emails]) == (
        "Ada",
        "Lovelace",
        ["ada@example.com"],
    )


def test_a_record_is_cleaned_as_create_contact_cleans(user_id: int) -> None:
    report = run(
        user_id,
        records(
            person(
                "  Ada ",
                emails=("Ada@EXAMPLE.com",),
                phones=("+1 650-253-0000",),
                birthday=date(1815, 12, 10),
            )
        ),
    )

    contact_id = report.records[0].contact_id
    assert contact_id is not None
    contact = contacts.get_contact(user_id, contact_id)
    assert contact is not None
    assert (
        contact.first_name,
        contact.birthday,
        [(e.value, e.primary) for e in contact.emails],
        [(p.value, p.primary) for p in contact.phones],
        contact.version,
    ) == (
        "Ada",
        date(1815, 12, 10),
        [("Ada@example.com", True)],
        [("+16502530000", True)],
        1,
    )


@pytest.mark.parametrize("skip_duplicates", [False, True])
def test_duplicates_of_the_accounts_contacts(
    user_id: int, other_user_id: int, skip_duplicates: bool
) -> None:
    by_email = existing(
        user_id, first_name="Ada", emails=[EmailInput("ada@example.com")]
    )
    by_phone = existing(user_id, company="Acme", phones=[PhoneInput("+16502530000")])
    by_name = existing(user_id, first_name="Grace", last_name="Hopper")
    contradicted = existing(
        user_id, first_name="Alan", last_name="Turing", birthday=date(1912, 6, 23)
    )
    existing(other_user_id, first_name="Bob", emails=[EmailInput("bob@example.com")])
    trashed = existing(
        user_id, first_name="Old", emails=[EmailInput("old@example.com")]
    )
    contacts.delete_contact(user_id, trashed)

    report = run(
        user_id,
        records(
            person("Augusta", emails=("ADA@example.com",)),
            person("Someone", phones=("+1 (650) 253-0000",)),
            person(" grace ", "HOPPER"),
            person("Alan", "Turing", birthday=date(1912, 6, 24)),
            person("Bob", emails=("bob@example.com",)),
            person("Old", emails=("old@example.com",)),
        ),
        skip_duplicates=skip_duplicates,
    )

    assert [(record.status, record.duplicate_of_id) for record in report.records] == [
        (DUPLICATE, by_email),
        (DUPLICATE, by_phone),
        (DUPLICATE, by_name),
        (IMPORTED, None),
        (IMPORTED, None),
        (IMPORTED, None),
    ]
    created = [record.contact_id is not None for record in report.records]
    assert created == [not skip_duplicates] * 3 + [True] * 3
    assert report.totals == imports.ImportTotals(imported=3, duplicates=3)
    assert contradicted not in [record.duplicate_of_id for record in report.records]
    assert count(Contact, user_id) == 5 + 3 + (0 if skip_duplicates else 3)


def test_duplicates_within_the_file_name_the_contact_the_earlier_record_became(
    user_id: int,
) -> None:
    report = run(
        user_id,
        records(
            person("Ada", emails=("ada@example.com",)),
            person("Ada L.", emails=("Ada@Example.com",), phones=("+16502530000",)),
            person("Someone", phones=("+1 650 253 0000",)),
            person("Grace", "Hopper", emails=("grace@example.com",)),
            person("Grace", "Hopper", emails=("other@example.com",)),
            person("grace", "hopper"),
        ),
    )

    ids = [record.contact_id for record in report.records]
    assert all(ids)
    assert [(r.status, r.duplicate_of_id) for r in report.records] == [
        (IMPORTED, None),
        (DUPLICATE, ids[0]),
        (DUPLICATE, ids[1]),
        (IMPORTED, None),
        # Same name, but both have emails and share none: two people.
        (IMPORTED, None),
        (DUPLICATE, ids[3]),
    ]


def test_skipped_duplicates_within_the_file(user_id: int) -> None:
    """With skipDuplicates, a record that duplicates one not created names
    no contact; one that duplicates a created record names it."""
    ada = existing(user_id, first_name="Ada", emails=[EmailInput("ada@example.com")])

    report = run(
        user_id,
        records(
            person("Ada", emails=("ada@example.com",), phones=("+16502530000",)),
            person("Someone", phones=("+16502530000",)),
            person("Grace", emails=("grace@example.com",)),
            person("G.", emails=("grace@example.com",)),
        ),
        skip_duplicates=True,
    )

    grace = report.records[2].contact_id
    assert grace is not None
    assert [(r.status, r.contact_id, r.duplicate_of_id) for r in report.records] == [
        (DUPLICATE, None, ada),
        (DUPLICATE, None, None),
        (IMPORTED, grace, None),
        (DUPLICATE, None, grace),
    ]
    assert count(Contact, user_id) == 2


@pytest.mark.parametrize("skip_duplicates", [False, True])
def test_a_dry_run_answers_as_the_import_and_writes_nothing(
    app: Flask, user_id: int, skip_duplicates: bool
) -> None:
    ada = existing(user_id, first_name="Ada", emails=[EmailInput("ada@example.com")])
    items = records(
        person("Ada", emails=("ada@example.com",)),
        person("Grace", emails=("grace@example.com",), tags=["Navy"]),
        person("G.", emails=("grace@example.com",)),
        ContactData(),
        person("Bad", emails=("bad",)),
    )
    before = (count(Contact, user_id), count(ContactChange, user_id))

    dry = run(user_id, items, dry_run=True, skip_duplicates=skip_duplicates)
    assert (count(Contact, user_id), count(ContactChange, user_id)) == before
    real = run(user_id, items, skip_duplicates=skip_duplicates)

    def without_ids(record: RecordResult) -> tuple[Any, ...]:
        return (record.index, record.status, record.errors)

    assert [without_ids(r) for r in dry.records] == [
        without_ids(r) for r in real.records
    ]
    assert (
        dry.totals
        == real.totals
        == imports.ImportTotals(imported=1, duplicates=2, skipped=1, failed=1)
    )
    assert [r.contact_id for r in dry.records] == [None] * 5
    assert [r.duplicate_of_id for r in dry.records] == [ada, None, None, None, None]


def test_created_contacts_are_in_the_change_log(user_id: int) -> None:
    report = run(user_id, records(person("Ada"), person("Grace"), ContactData()))

    db.session.expire_all()
    entries = db.session.execute(
        select(ContactChange.contact_id, ContactChange.version, ContactChange.kind)
        .where(ContactChange.user_id == user_id)
        .order_by(ContactChange.id)
    ).all()
    assert [tuple(entry) for entry in entries] == [
        (report.records[0].contact_id, 1, "CREATED"),
        (report.records[1].contact_id, 1, "CREATED"),
    ]


def unique_people(count: int) -> list[ParsedRecord]:
    return records(
        *(
            person(
                f"Person{i}",
                emails=(f"p{i}@example.com",),
                phones=(f"+1650253{i:04d}",),
                tags=["Imported"],
            )
            for i in range(count)
        )
    )


def test_the_statements_do_not_grow_with_the_records(app: Flask, user_id: int) -> None:
    """A chunk of records costs the same statements whatever its size, and
    a file the same per chunk of batches.MAX_ITEMS."""
    small = unique_people(3)
    full = unique_people(batches.MAX_ITEMS)
    two_chunks = unique_people(batches.MAX_ITEMS + 1)

    def statements(items: list[ParsedRecord], **options: bool) -> list[str]:
        """The statements of an import into a new account."""
        user = UserFactory()
        db.session.commit()
        with executions(app) as seen:
            run(user.id, items, **options)
        return [execution.kind for execution in seen]

    one_chunk = statements(small)
    assert statements(full) == one_chunk
    assert len(statements(two_chunks)) < 2 * len(one_chunk)
    assert statements(full, dry_run=True) == statements(small, dry_run=True)


def test_a_file_over_a_chunk_finds_duplicates_across_chunks(user_id: int) -> None:
    items = unique_people(batches.MAX_ITEMS + 1)
    items[-1] = ParsedRecord(
        items[-1].index, person("Again", emails=("p0@example.com",))
    )

    for options in ({"dry_run": True}, {}):
        report = run(user_id, items, **options)
        last = report.records[-1]
        assert (last.index, last.status) == (batches.MAX_ITEMS, DUPLICATE)
        assert last.duplicate_of_id == report.records[0].contact_id
    assert report.totals == imports.ImportTotals(
        imported=batches.MAX_ITEMS, duplicates=1
    )


def test_a_file_without_records_or_with_too_many_is_refused(user_id: int) -> None:
    with pytest.raises(InvalidInput) as none:
        run(user_id, [])
    with pytest.raises(InvalidInput) as too_many:
        imports.import_records(user_id, unique_people(4), ImportOptions(), 3)

    assert none.value.errors == [
        FieldError(
            ("input", "data"), "The file holds no contacts.", UserErrorCode.INVALID
        )
    ]
    assert too_many.value.errors == [
        FieldError(
            ("input", "data"),
            "The file holds more than 3 contacts (IMPORT_MAX_RECORDS); split it, "
            "or import it with `flask import-contacts`.",
            UserErrorCode.INVALID,
        )
    ]
    assert count(Contact, user_id) == 0


def test_a_stream_is_imported_a_chunk_per_transaction(user_id: int) -> None:
    seen: list[tuple[int, int, int]] = []

    def on_chunk(results: Any) -> None:
        db.session.expire_all()
        seen.append((results[0].index, len(results), count(Contact, user_id)))

    totals = imports.import_stream(
        user_id,
        iter(unique_people(batches.MAX_ITEMS + 5)),
        ImportOptions(),
        on_chunk,
    )

    assert seen == [(0, batches.MAX_ITEMS, batches.MAX_ITEMS), (200, 5, 205)]
    assert totals == imports.ImportTotals(imported=batches.MAX_ITEMS + 5)


def test_a_stream_without_records_is_refused(user_id: int) -> None:
    with pytest.raises(InvalidInput) as raised:
        imports.import_stream(user_id, iter([]), ImportOptions(), lambda _: None)

    assert [error.field for error in raised.value.errors] == [("input", "data")]


@pytest.mark.parametrize(
    ("text", "most"),
    [
        ("BEGIN:VCARD\r\nFN:A\r\nEND:VCARD\r\nbegin:vcard\nFN:B\nEND:VCARD\n", 2),
        ("\ufeffBEGIN:VCARD\nFN:A\nEND:VCARD", 1),
        ("firstName,lastName\nAda,L\nGrace,H\n", 3),
        ("firstName,lastName\rAda,L\rGrace,H", 2),
        ("", 0),
    ],
)
def test_most_records_is_found_without_reading_them(text: str, most: int) -> None:
    assert imports.most_records(text) == most


def test_text_is_read_in_the_format_given_or_detected(user_id: int) -> None:
    csv_text = "\ufefffirstName,lastName,emails\r\nAda,Lovelace,;ada@example.com\r\n"

    detected = imports.import_text(
        user_id, csv_text, None, ImportOptions(dry_run=True), MAX_RECORDS
    )
    with pytest.raises(InvalidInput) as forced:
        imports.import_text(
            user_id, csv_text, Format.VCARD, ImportOptions(dry_run=True), MAX_RECORDS
        )

    assert outcome(detected) == [(0, IMPORTED)]
    assert [error.field for error in forced.value.errors] == [("input", "data")]


def test_a_record_is_matched_against_the_account_as_it_was(user_id: int) -> None:
    """A record matching both a contact of the account (by name) and an
    earlier record of the file in another chunk (by email) names the
    account's, in a dry run and in the import alike: the import's own
    contacts are created once every record is decided."""
    ada = existing(user_id, first_name="Ada", last_name="Lovelace")
    items = records(
        person("Augusta", emails=("ada@example.com",)),
        *(person(f"Filler{i}") for i in range(batches.MAX_ITEMS)),
        person("Ada", "Lovelace", emails=("ada@example.com",)),
    )

    dry = run(user_id, items, dry_run=True)
    real = run(user_id, items)

    for report in (dry, real):
        last = report.records[-1]
        assert (last.status, last.duplicate_of_id) == (DUPLICATE, ada)


@pytest.mark.parametrize("dry_run", [True, False])
def test_a_stream_finds_duplicates_across_chunks(user_id: int, dry_run: bool) -> None:
    """A real import by chunks forgets a created record's keys once its
    chunk is committed (the database then finds its contact): it keeps
    only what was not created. The statuses are a dry run's."""
    items = unique_people(batches.MAX_ITEMS + 2)
    items[-2] = ParsedRecord(
        items[-2].index, person("Again", emails=("p0@example.com",))
    )
    items[-1] = ParsedRecord(
        items[-1].index, person("Once more", phones=("+16502530001",))
    )
    statuses: list[ImportStatus] = []

    totals = imports.import_stream(
        user_id,
        iter(items),
        ImportOptions(dry_run=dry_run, skip_duplicates=True),
        lambda results: statuses.extend(r.status for r in results),
    )

    assert statuses[-2:] == [DUPLICATE, DUPLICATE]
    assert totals == imports.ImportTotals(imported=batches.MAX_ITEMS, duplicates=2)


def test_a_stream_keeps_the_keys_of_records_not_created(user_id: int) -> None:
    importer = imports.Importer(
        user_id, ImportOptions(skip_duplicates=True), forget_created=True
    )
    existing(user_id, first_name="Ada", emails=[EmailInput("ada@example.com")])

    importer.chunk(
        records(
            person("Grace", emails=("grace@example.com",)),
            person("Ada", emails=("ada@example.com",), phones=("+16502530000",)),
        )
    )
    importer.next_chunk()

    assert list(importer.seen.emails) == ["ada@example.com"]
    assert list(importer.seen.phones) == ["+16502530000"]
    assert list(importer.seen_in_chunk.emails) == []
