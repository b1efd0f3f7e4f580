"""Importing contacts from a vCard or CSV file: `importContacts` and
`flask import-contacts`.

Each record of the file (app/formats: a `ParsedRecord`) gets one status:

- SKIPPED: nothing in it (`ContactData.is_empty`), or nothing that names a
  contact (no name, company, email or phone: the REQUIRED error of
  createContact says so);
- FAILED: a value the reader could not read, or one createContact would
  refuse; every error is listed, at ("records", "<index>", ...);
- DUPLICATE: it matches a live contact of the account, or an earlier record
  of the same file (app/services/matching.py's rules), with the contact it
  matches (`duplicate_of_id`; for an earlier record, the contact that
  record became, None when it was not created);
- IMPORTED: created.

A duplicate is created too unless `skip_duplicates`: importing the same
file twice then changes nothing, while without it every record of the file
is in the address book and each duplicate is named, for a merge.

Records go through in chunks of `batches.MAX_ITEMS`. Each chunk is checked
with the rules createContact uses (`contacts.clean`), matched against the
account's contacts with one statement per kind of key
(`duplicates.match_existing`) and against the file's earlier records
in memory, and created by the batch path (`batches.insert_contacts`), whose
statements do not grow with the chunk, every contact logged as CREATED.
A dry run does all of it but the writes, so it answers the same.

Memory: a chunk at a time, except the earlier records' keys (`_SeenKeys`:
a few small strings a record), which the check within the file needs:
O(n) in the file's records for the API and a dry run; for `import_file`
(a transaction per chunk) only those of records not created, since a
created one is in the database by the next chunk. `import_file` keeps
nothing else per record.
"""

from __future__ import annotations

import io
import pathlib
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from enum import Enum
from itertools import islice
from typing import Any

from sqlalchemy import select

from app.db.transaction import transactional
from app.errors import FieldError, InvalidInput, UserErrorCode
from app.extensions import db
from app.formats.csv_formats import CsvError, read_csv
from app.formats.record import ParsedRecord
from app.formats.sniffing import Format, detect, open_text, without_bom
from app.formats.vcard import read_vcards
from app.models import Contact
from app.services import batches, duplicate_groups, duplicates, matching
from app.services.contact_input import Cleaner, api_name
from app.services.contacts import CONTACT_RELATIONS, clean, take_turns
from app.services.text import Path

DATA_PATH = ("input", "data")
PHONE_REGION_PATH = ("input", "phoneRegion")
NO_RECORDS = "The file holds no contacts."
# Characters of a file's start that settle its format.
HEAD = 4096
VCARD_BEGIN = re.compile(r"^[ \t]*BEGIN:VCARD", re.IGNORECASE | re.MULTILINE)
# Contacts a response's records name, read per statement.
LOAD_CHUNK = 1000


class ImportStatus(Enum):
    """What became of one record of the file."""

    IMPORTED = "IMPORTED"
    DUPLICATE = "DUPLICATE"
    SKIPPED = "SKIPPED"
    FAILED = "FAILED"


@dataclass(frozen=True)
class ImportOptions:
    """`phone_region`: the ISO 3166-1 code that a record's national phone
    numbers (no +country code, as Google's and Outlook's CSV write them)
    are read in; without it such a number fails its record."""

    dry_run: bool = False
    skip_duplicates: bool = False
    phone_region: str | None = None


def phone_region(raw: str | None) -> str | None:
    """`raw` as `ImportOptions.phone_region`: a region phone numbers are
    known in, upper-cased, blank is None; else InvalidInput at
    ["input", "phoneRegion"], as a phone's own `region` is checked."""
    cleaner = Cleaner()
    region = cleaner.phone_region(raw, PHONE_REGION_PATH)
    if cleaner.errors:
        raise InvalidInput(cleaner.errors)
    return region


@dataclass(frozen=True)
class RecordResult:
    """One record's outcome: `contact_id` is the contact created from it
    (None in a dry run), `duplicate_of_id` the contact it duplicates."""

    index: int
    status: ImportStatus
    errors: tuple[FieldError, ...] = ()
    contact_id: int | None = None
    duplicate_of_id: int | None = None


@dataclass
class ImportTotals:
    """How many records got each status; they add up to the records."""

    imported: int = 0
    duplicates: int = 0
    skipped: int = 0
    failed: int = 0

    def count(self, result: RecordResult) -> None:
        if result.status is ImportStatus.IMPORTED:
            self.imported += 1
        elif result.status is ImportStatus.DUPLICATE:
            self.duplicates += 1
        elif result.status is ImportStatus.SKIPPED:
            self.skipped += 1
        else:
            self.failed += 1


@dataclass(frozen=True)
class ImportReport:
    totals: ImportTotals
    records: list[RecordResult]


def import_text(
    user_id: int,
    text: str,
    format: Format | None,
    options: ImportOptions,
    max_records: int,
) -> ImportReport:
    """Import a file's text (`importContacts`): in `format`, else the one
    its start shows. A leading BOM character is not content."""
    text = without_bom(text)
    if not text or text.isspace():
        raise _file_error(NO_RECORDS)
    format = format or detect(text[:HEAD])
    lines = read(io.StringIO(text, newline=""), format)
    return import_records(user_id, lines, options, max_records)


def most_records(text: str) -> int:
    """At most how many records `text` holds, found without reading them:
    the lines that begin a vCard, or a CSV's lines (a quoted value may span
    several). What the query cost and the rate limit count, before the
    import runs."""
    text = without_bom(text)
    if detect(text[:HEAD]) is Format.VCARD:
        return sum(1 for _ in VCARD_BEGIN.finditer(text))
    return max(text.count("\n"), text.count("\r"))


def import_records(
    user_id: int,
    records: Iterable[ParsedRecord],
    options: ImportOptions,
    max_records: int,
) -> ImportReport:
    """Import `records` (a whole file's, read by app/formats) in one
    transaction, all of them or, when the file is refused, none: InvalidInput
    at ["input", "data"] for no records or more than `max_records`."""
    listed = list(islice(records, max_records + 1))
    if not listed:
        raise _file_error(NO_RECORDS)
    if len(listed) > max_records:
        raise _file_error(
            f"The file holds more than {max_records} contacts "
            "(IMPORT_MAX_RECORDS); split it, or import it with "
            "`flask import-contacts`."
        )
    importer = Importer(user_id, options)
    results = _import_chunks(importer, listed)
    totals = ImportTotals()
    for result in results:
        totals.count(result)
    return ImportReport(totals, results)


@transactional
def _import_chunks(
    importer: Importer, records: list[ParsedRecord]
) -> list[RecordResult]:
    """Every record decided first, then the contacts created: so each is
    matched against the account as it was, never against a contact this
    import created, and `duplicate_of_id` is what a dry run says."""
    if not importer.options.dry_run:
        take_turns(importer.user_id)
    checked = [
        item
        for chunk in chunks(records, batches.MAX_ITEMS)
        for item in importer.decide(chunk)
    ]
    for chunk in chunks((item for item in checked if item.created), batches.MAX_ITEMS):
        importer.create(chunk)
    return [item.result() for item in checked]


def import_file(
    user_id: int,
    path: pathlib.Path,
    format: Format | None,
    options: ImportOptions,
    on_chunk: Callable[[Sequence[RecordResult], int], None],
) -> ImportTotals:
    """Import the file at `path` (`flask import-contacts`), read as it goes
    (`import_stream`); `on_chunk` gets each chunk's results and how many of
    the file's bytes are read so far. Its format is `format`, else the one
    its start shows."""
    if format is None:
        with path.open("rb") as raw, open_text(raw) as text:
            format = detect(text.read(HEAD))
    # The text stream closes the file when it goes: it must outlive the
    # records, to tell the bytes read after the last chunk.
    with path.open("rb") as raw, open_text(raw) as text:
        return import_stream(
            user_id,
            read(text, format),
            options,
            lambda results: on_chunk(results, raw.tell()),
        )


def import_stream(
    user_id: int,
    records: Iterable[ParsedRecord],
    options: ImportOptions,
    on_chunk: Callable[[Sequence[RecordResult]], None],
) -> ImportTotals:
    """Import `records` as they are read, a chunk of `batches.MAX_ITEMS` per
    transaction, for files of any size: `on_chunk` sees each chunk's results
    once it is committed, and nothing of a chunk is kept after it. A failure
    part-way leaves the chunks before it imported; a file that cannot be
    read, or holds no records, is InvalidInput at ["input", "data"].

    The statuses are those of a dry run, but a record that duplicates both
    a contact of the account and one an earlier chunk created may name
    either (`duplicate_of_id`, which the command does not show). The
    groups of duplicates are found once, after the last chunk."""
    importer = Importer(user_id, options, forget_created=True)
    totals = ImportTotals()
    for chunk in chunks(records, batches.MAX_ITEMS):
        results = _import_one_chunk(importer, chunk)
        importer.next_chunk()
        db.session.expunge_all()
        for result in results:
            totals.count(result)
        on_chunk(results)
    if totals == ImportTotals():
        raise _file_error(NO_RECORDS)
    if not options.dry_run:
        _find_groups_anew(user_id)
    return totals


def read(lines: Iterable[str], format: Format) -> Iterator[ParsedRecord]:
    """The records of a file given as its lines (line endings kept), read
    as they come; a file its reader cannot read at all (a CSV header of no
    layout known, a row csv cannot split) is InvalidInput at ["input",
    "data"], with the reader's message. A vCard reader reads any text: one
    without cards holds no records."""
    reader = read_vcards if format is Format.VCARD else read_csv
    try:
        yield from reader(lines)
    except CsvError as error:
        raise _file_error(str(error)) from None


@transactional
def _import_one_chunk(
    importer: Importer, records: Sequence[ParsedRecord]
) -> list[RecordResult]:
    if not importer.options.dry_run:
        take_turns(importer.user_id)
    results = importer.chunk(records)
    if not importer.options.dry_run:
        duplicate_groups.defer(db.session(), importer.user_id)
    return results


@transactional
def _find_groups_anew(user_id: int) -> None:
    """The groups of duplicates after the whole file, found once: each
    chunk's transaction left them to be found (`duplicate_groups.defer`).
    A file that fails part-way leaves the account in the backlog, and its
    next read or write finds them."""
    take_turns(user_id)
    duplicate_groups.find_anew(db.session.connection(), user_id)


def chunks(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    """`items` in lists of `size` (the last shorter), read as they come."""
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def contacts_by_id(user_id: int, ids: Iterable[int]) -> dict[int, Contact]:
    """The user's contacts among `ids`, with their lists, by id: what a
    response's records show, a statement per LOAD_CHUNK ids (and one per
    list), never one per record."""
    found: dict[int, Contact] = {}
    for chunk in chunks(sorted(set(ids)), LOAD_CHUNK):
        found.update(
            (contact.id, contact)
            for contact in db.session.scalars(
                select(Contact)
                .where(Contact.id.in_(chunk), Contact.user_id == user_id)
                .options(*CONTACT_RELATIONS)
            )
        )
    return found


def _file_error(message: str) -> InvalidInput:
    return InvalidInput.single(DATA_PATH, message, UserErrorCode.INVALID)


# --- one chunk --------------------------------------------------------------


class _Claim:
    """The contact an accepted record became: its id once created (None
    before, in a dry run, or when the record was not created)."""

    __slots__ = ("contact_id",)

    def __init__(self) -> None:
        self.contact_id: int | None = None


@dataclass(frozen=True, slots=True)
class _Keys:
    """What a record is matched by (app/services/matching.py), and what can
    contradict a match by name."""

    emails: tuple[str, ...]
    phones: tuple[str, ...]
    name: str | None
    birthday: date | None
    company: str

    @classmethod
    def of(cls, cleaned: dict[str, Any]) -> _Keys:
        return cls(
            emails=tuple(matching.email_key(e.value) for e in cleaned["emails"]),
            phones=tuple(matching.phone_key(p.value) for p in cleaned["phones"]),
            name=matching.name_key(cleaned),
            birthday=cleaned.get("birthday"),
            company=matching.text_key(cleaned.get("company")),
        )

    def facts(self) -> matching.Facts:
        return matching.Facts(
            birthday=self.birthday,
            company=self.company,
            emails=frozenset(self.emails),
            phones=frozenset(self.phones),
        )


class _SeenKeys:
    """The keys of the file's earlier accepted records, each with the claim
    of the first record that had it: the check within the file, O(n) in the
    records (a few short strings each; a name also keeps what could
    contradict it)."""

    def __init__(self) -> None:
        self.emails: dict[str, _Claim] = {}
        self.phones: dict[str, _Claim] = {}
        self.names: dict[str, list[tuple[_Keys, _Claim]]] = {}

    def match(self, keys: _Keys) -> _Claim | None:
        """The earliest claim `keys` match: by email, by phone, then by a
        name nothing contradicts."""
        for email in keys.emails:
            if email in self.emails:
                return self.emails[email]
        for phone in keys.phones:
            if phone in self.phones:
                return self.phones[phone]
        if keys.name is not None:
            facts = keys.facts()
            for earlier, claim in self.names.get(keys.name, ()):
                if not matching.contradicts(earlier.facts(), facts):
                    return claim
        return None

    def add(self, keys: _Keys, claim: _Claim) -> None:
        for email in keys.emails:
            self.emails.setdefault(email, claim)
        for phone in keys.phones:
            self.phones.setdefault(phone, claim)
        if keys.name is not None:
            self.names.setdefault(keys.name, []).append((keys, claim))


@dataclass
class _Checked:
    """A record on its way through a chunk."""

    index: int
    status: ImportStatus
    errors: tuple[FieldError, ...] = ()
    cleaned: dict[str, Any] | None = None
    claim: _Claim | None = None  # its own, once accepted
    duplicate_of: _Claim | None = None
    created: bool = False

    def result(self) -> RecordResult:
        return RecordResult(
            self.index,
            self.status,
            self.errors,
            self.claim.contact_id if self.claim and self.created else None,
            self.duplicate_of.contact_id if self.duplicate_of else None,
        )


@dataclass
class Importer:
    """One import: its options and the keys of the records seen so far.

    With `forget_created`, the keys of a record whose contact is created
    are kept only until `next_chunk`: once committed, the contact itself
    is found by `match_existing`, so what stays in memory is the keys of
    the records not created (skipped duplicates). `import_stream` uses it
    for a real import; a dry run, or an import that creates its contacts
    only after deciding every record, keeps them all."""

    user_id: int
    options: ImportOptions
    forget_created: bool = False
    seen: _SeenKeys = field(default_factory=_SeenKeys)
    seen_in_chunk: _SeenKeys = field(default_factory=_SeenKeys)

    def next_chunk(self) -> None:
        """The chunk's contacts are committed: forget their keys."""
        self.seen_in_chunk = _SeenKeys()

    def chunk(self, records: Sequence[ParsedRecord]) -> list[RecordResult]:
        """Check, match and (unless a dry run) create a chunk's records, in
        the caller's transaction; their results in order."""
        checked = self.decide(records)
        self.create(checked)
        return [item.result() for item in checked]

    def decide(self, records: Sequence[ParsedRecord]) -> list[_Checked]:
        """Each record's status, matched against the account's contacts
        (one statement per kind of key for all of them) and the records
        decided before; nothing written."""
        region = self.options.phone_region
        checked = [check(record, region) for record in records]
        accepted = [item for item in checked if item.cleaned is not None]
        existing = duplicates.match_existing(
            self.user_id, [item.cleaned for item in accepted if item.cleaned]
        )
        for item, match in zip(accepted, existing, strict=True):
            self._decide(item, match.contact_id if match else None)
        return checked

    def create(self, checked: Sequence[_Checked]) -> None:
        """Unless a dry run, create the contacts of the records decided to
        be (at most batches.MAX_ITEMS), and give their claims the ids."""
        created = [item for item in checked if item.created]
        if not created or self.options.dry_run:
            return
        ids = batches.insert_contacts(
            self.user_id, [item.cleaned for item in created if item.cleaned]
        )
        for item, contact_id in zip(created, ids, strict=True):
            assert item.claim is not None
            item.claim.contact_id = contact_id

    def _decide(self, item: _Checked, existing_id: int | None) -> None:
        """DUPLICATE of the account's contact `existing_id`, else of an
        earlier record of the file, else IMPORTED; and whether it is
        created."""
        assert item.cleaned is not None
        keys = _Keys.of(item.cleaned)
        if existing_id is not None:
            item.duplicate_of = _Claim()
            item.duplicate_of.contact_id = existing_id
        else:
            item.duplicate_of = self.seen.match(keys) or self.seen_in_chunk.match(keys)
        item.status = (
            ImportStatus.IMPORTED
            if item.duplicate_of is None
            else ImportStatus.DUPLICATE
        )
        item.created = (
            item.status is ImportStatus.IMPORTED or not self.options.skip_duplicates
        )
        item.claim = _Claim()
        forgotten = item.created and self.forget_created and not self.options.dry_run
        (self.seen_in_chunk if forgotten else self.seen).add(keys, item.claim)


def check(record: ParsedRecord, phone_region: str | None) -> _Checked:
    """A record's status as far as it follows from the record alone:
    SKIPPED, FAILED, or accepted (IMPORTED until matched) with its cleaned
    values, its national phone numbers read in `phone_region`. Its errors
    are at ("records", "<index>", ...)."""
    root = ("records", str(record.index))
    problems = tuple(_moved_problem(root, problem) for problem in record.problems)
    if record.contact.is_empty() and not problems:
        return _Checked(record.index, ImportStatus.SKIPPED)
    try:
        cleaned = clean(_with_region(record, phone_region), current={})
    except InvalidInput as error:
        errors = tuple(_moved_error(root, item) for item in error.errors)
        if not problems and _names_nothing(error):
            return _Checked(record.index, ImportStatus.SKIPPED, errors)
        return _Checked(record.index, ImportStatus.FAILED, problems + errors)
    if problems:
        return _Checked(record.index, ImportStatus.FAILED, problems)
    return _Checked(record.index, ImportStatus.IMPORTED, cleaned=cleaned)


def _with_region(record: ParsedRecord, phone_region: str | None) -> dict[str, Any]:
    """The record as createContact's input, each phone without a region of
    its own given `phone_region`."""
    values = record.contact.as_input()
    if phone_region is not None:
        values["phones"] = [
            replace(phone, region=phone.region or phone_region)
            for phone in record.contact.phones
        ]
    return values


def _names_nothing(error: InvalidInput) -> bool:
    """Whether the only problem is createContact's "Give at least a ...":
    a record with values, none of which names a contact."""
    return [(item.field, item.code) for item in error.errors] == [
        (("input",), UserErrorCode.REQUIRED)
    ]


def _moved_error(root: Path, error: FieldError) -> FieldError:
    """createContact's error at ["input", ...] as the record's."""
    rest = error.field[1:] if error.field else ()
    return FieldError((*root, *rest), error.message, error.code)


def _moved_problem(root: Path, problem: FieldError) -> FieldError:
    """A reader's problem at ("birthday",) or ("emails", "1", "value") as
    the record's, in the API's names (firstName, postalCode)."""
    rest = tuple(api_name(part) for part in problem.field or ())
    return FieldError((*root, *rest), problem.message, problem.code)
