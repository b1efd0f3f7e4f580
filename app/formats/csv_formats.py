"""Contacts as CSV: Google Contacts' and Outlook's exports read, our own
layout read and written.

The header row says which layout a file is in; a header that is none of
the three is one error for the whole file (`UnknownHeader`). Rows are read
and yielded one at a time, so a file of any size is read in constant
memory. Readers take values as the file has them (trimmed): the import
validates them as it validates the API's input (email syntax, phones to
E.164, lengths). What a layout holds and we do not store (photos,
websites, phonetic names, departments, name prefixes and suffixes, …) is
left out.

Google Contacts (today's export, and the older one with Given Name,
Family Name, Group Membership and "E-mail 1 - Type"): First and Middle
Name join into the first name, as most importers do, since a contact has
a first and a last name only (the older export's Name is the first name
when it has no parts). The numbered groups (E-mail N, Phone N, Address N)
hold several values joined with " ::: " under one label; "* " before the
label marks the group's first value primary. Google's own labels (Home,
Work, Mobile, …) are lower-cased, as Outlook's and vCard's are; a label
the user typed stays as written. Labels: "* starred" makes the contact a
favourite, the other system groups ("* myContacts") are dropped, the rest
are tags. Birthday: 1985-04-15, or --04-15 without a year.

Outlook: the name as Google's; E-mail Address, E-mail 2 and 3 unlabelled
(one whose E-mail Type is EX is an Exchange directory path, not an
address, and is left out);
each phone column gives its label (Mobile Phone "mobile", Business Fax
"work fax", …) and Primary Phone marks the phone with the same number
primary (or is a phone of its own when no other column has it); the
Business, Home and Other addresses are labelled work, home and other;
Categories "Work;Golf" are tags; Birthday 4/15/1985, "0/0/00" for none.

In both, a country written as a name that pycountry knows ("United
States", "Deutschland" is not one) becomes its ISO 3166-1 alpha-2 code;
anything else is left as written for the import's validation to report.
Phone numbers stay as written, often national, with no region.

Our own layout (`OWN_HEADER`) imports back what our export wrote, field
for field. One row per contact; a column per declared field of
app/fields.py, named as the API names it (firstName, lastName, nickname,
company, jobTitle, birthday, notes, favorite, and any field added later),
then emails, phones, addresses and tags. A contact holds up to 50 of each
list, so each list is one cell, one item per line:

    emails      home;ada@example.com;primary      (label;value;primary)
                work;ada@work.example
    phones      mobile;+16502530000;primary       (label;value;primary)
                ;+442079460000                    (no label)
    addresses   home;1 Main St\\nApt 2;Springfield;IL;62704;US
                (label;street;city;region;postal code;country)
    tags        Friends
                Golf

In an item, a backslash, a semicolon, a line feed and a carriage return
are written \\\\, \\;, \\n and \\r; trailing empty parts may be left out.
Birthdays are 1985-04-15, or --04-15 without a year; favorite is true or
false. A spreadsheet runs a cell that starts with =, +, -, @, a tab or a
carriage return as a formula (a contact's notes could run a command on
the machine that opens the export), so such a cell is written with a '
in front, as is one starting with ' itself, and the reader takes it off
again. A list cell starts with its first item's label, so it seldom needs
one; a yearless birthday always does ('--04-15).
"""

from __future__ import annotations

import csv
import functools
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol, TypeVar

import pycountry

from app.errors import FieldError, UserErrorCode
from app.fields import BY_NAME, CONTACT_FIELDS, NO_YEAR, ContactField, Kind
from app.formats.record import ContactData, ParsedRecord
from app.services.contact_input import AddressInput, EmailInput, PhoneInput

LIST_COLUMNS = ("emails", "phones", "addresses", "tags")
OWN_HEADER = tuple(f.api_name for f in CONTACT_FIELDS) + LIST_COLUMNS

# Exports from locales that write decimal commas use one of the others.
DELIMITERS = (",", ";", "\t")
LINE_BREAK = re.compile(r"\r\n|\r|\n")
BOM_CHARACTER = "\ufeff"


class CsvError(ValueError):
    """A CSV file that cannot be read at all; the message is for the user."""


class UnknownHeader(CsvError):
    """The header row is none of the layouts read here."""

    def __init__(self, header: Sequence[str]) -> None:
        shown = ", ".join(header[:4]) + (", …" if len(header) > 4 else "")
        super().__init__(
            f"The CSV header ({shown or 'empty'}) is not one this app reads: "
            "use Google Contacts' export (First Name, …, E-mail 1 - Value, …), "
            "Outlook's (First Name, …, E-mail Address, …) or this app's own "
            f"({', '.join(OWN_HEADER[:2])}, …)."
        )


Problems = list[FieldError]
Item = TypeVar("Item", EmailInput, PhoneInput)


class Layout(Protocol):
    def read(self, row: Cells) -> tuple[ContactData, Problems]: ...


# Reading


def read_csv(lines: Iterable[str]) -> Iterator[ParsedRecord]:
    """The records of a CSV file given as its lines, line endings kept (a
    text file opened with newline="", or text.splitlines(keepends=True)).
    Raises `UnknownHeader` before the first record, and `CsvError` where a
    row cannot be split into cells (a field over csv's size limit)."""
    physical = _physical_lines(lines)
    header, delimiter, layout = _header(physical)
    columns = _columns(header)
    index = 0
    rows = csv.reader(physical, delimiter=delimiter)
    while True:
        try:
            row = next(rows)
        except StopIteration:
            return
        except csv.Error as error:
            raise CsvError(
                f"Line {rows.line_num + 1} of the CSV file cannot be read: {error}."
            ) from error
        if not any(cell.strip() for cell in row):
            continue
        contact, problems = layout.read(Cells(columns, row))
        yield ParsedRecord(index, contact, problems)
        index += 1


def _physical_lines(lines: Iterable[str]) -> Iterator[str]:
    """`lines` regrouped into lines ended by CR or LF only, without the BOM.

    str.splitlines also breaks at form feeds, U+2028 and the like, which
    csv takes for the end of a row when outside quotes; the text between
    two real line breaks is put back together."""
    pending = ""
    first = True
    for chunk in lines:
        if first:
            chunk = chunk.removeprefix(BOM_CHARACTER)
            first = False
        pending += chunk
        if pending.endswith(("\n", "\r")):
            yield pending
            pending = ""
    if pending:
        yield pending


def _header(lines: Iterator[str]) -> tuple[list[str], str, Layout]:
    """The first line that is not blank, split by the delimiter with which
    it is a header we know, and the layout it names."""
    line = next((line for line in lines if line.strip()), "")
    for delimiter in DELIMITERS:
        header = [
            cell.strip() for cell in next(csv.reader([line], delimiter=delimiter))
        ]
        layout = _layout(header)
        if layout is not None:
            return header, delimiter, layout
    raise UnknownHeader(next(csv.reader([line])) if line else [])


def _layout(header: list[str]) -> Layout | None:
    names = {name for name in header if name}
    if names and names <= set(OWN_HEADER):
        return OwnLayout()
    if GoogleLayout.recognises(names):
        return GoogleLayout(header)
    if names & OUTLOOK_MARKERS:
        return OutlookLayout()
    return None


def _columns(header: list[str]) -> dict[str, int]:
    columns: dict[str, int] = {}
    for position, name in enumerate(header):
        columns.setdefault(name, position)
    return columns


@dataclass
class Cells:
    """One row's cells by column name; a row shorter than the header has
    empty cells at its end, and cells past the header are not read."""

    columns: dict[str, int]
    row: list[str]

    def raw(self, name: str) -> str:
        position = self.columns.get(name)
        if position is None or position >= len(self.row):
            return ""
        return self.row[position]

    def __getitem__(self, name: str) -> str:
        return self.raw(name).strip()

    def first(self, *names: str) -> str:
        """The first of `names` that has a value."""
        return next((self[name] for name in names if self[name]), "")


@dataclass
class Builder:
    """A contact being read, and what could not be read of it."""

    contact: ContactData = field(default_factory=ContactData)
    problems: Problems = field(default_factory=list)

    def set(self, name: str, value: Any) -> None:
        """Keep a field the row has a value for: not blank, not None and not
        the default of a field that cannot be null (a left-out field is
        empty, so favorite=false is left out)."""
        declared = BY_NAME[name]
        if value is None or value == "":
            return
        if not declared.nullable and value == declared.default:
            return
        self.contact.fields[name] = value

    def problem(self, path: tuple[str, ...], message: str) -> None:
        self.problems.append(FieldError(path, message, UserErrorCode.INVALID))

    def birthday(self, text: str, parse: Callable[[str], date | None]) -> None:
        if not text:
            return
        try:
            self.set("birthday", parse(text))
        except ValueError:
            self.problem((BY_NAME["birthday"].api_name,), BIRTHDAY_MESSAGES[parse])

    def result(self) -> tuple[ContactData, Problems]:
        return self.contact, self.problems


def joined(*parts: str, separator: str = " ") -> str:
    return separator.join(part for part in parts if part)


def iso_birthday(text: str) -> date | None:
    """1985-04-15, or --04-15 (also vCard's --0415) without a year."""
    if text.startswith("--"):
        month_day = text[2:].replace("-", "")
        if len(month_day) != 4 or not month_day.isdigit():
            raise ValueError(text)
        return date(NO_YEAR, int(month_day[:2]), int(month_day[2:]))
    return date.fromisoformat(text)


def outlook_birthday(text: str) -> date | None:
    """M/D/YYYY; Outlook writes 0/0/00 (older versions 1/1/4501) for none.
    An ISO date is read too, for files a spreadsheet saved again."""
    if "/" not in text:
        return iso_birthday(text)
    parts = text.split("/")
    if len(parts) != 3 or not all(part.isdigit() for part in parts):
        raise ValueError(text)
    month, day, year = (int(part) for part in parts)
    if (month, day) == (0, 0) or year == 4501:
        return None
    if len(parts[2]) != 4:
        raise ValueError(text)
    return date(year, month, day)


BIRTHDAY_MESSAGES: dict[Callable[[str], date | None], str] = {
    iso_birthday: "Not a date: write 1985-04-15, or --04-15 without the year.",
    outlook_birthday: "Not a date: Outlook writes 4/15/1985.",
}


@functools.lru_cache(maxsize=1024)
def country_code(text: str) -> str | None:
    """The alpha-2 code of a country named or coded as pycountry knows it
    ("United States", "USA", "us"); otherwise `text` as written."""
    if not text:
        return None
    try:
        return str(pycountry.countries.lookup(text).alpha_2)
    except LookupError:
        return text


def address(
    label: str | None, street: str, city: str, region: str, postal: str, country: str
) -> AddressInput | None:
    if not any((street, city, region, postal, country)):
        return None
    return AddressInput(
        label=label,
        street=street or None,
        city=city or None,
        region=region or None,
        postal_code=postal or None,
        country=country_code(country),
    )


# Google Contacts

GROUP = re.compile(r"^(?P<kind>.+?) (?P<number>\d+) - (?P<part>.+)$")
# Google's own labels, lower-cased like the other formats'; a label the
# user typed is kept as written.
GOOGLE_LABELS = frozenset(
    {
        "home",
        "work",
        "mobile",
        "main",
        "other",
        "home fax",
        "work fax",
        "other fax",
        "pager",
        "work mobile",
        "work pager",
        "google voice",
        "iphone",
        "school",
    }
)
SYSTEM_GROUP = "System Group: "
STARRED = frozenset({"starred", "starred in android"})
MULTI_VALUE = ":::"


def multi(cell: str) -> list[str]:
    """The values of a cell joined with " ::: ", empty ones kept (the
    parts of an address line up by position)."""
    return [value.strip() for value in cell.split(MULTI_VALUE)] if cell else []


def google_label(cell: str) -> tuple[str | None, bool]:
    """A group's label and whether "* " marks it primary."""
    starred = cell.startswith("*")
    label = cell.removeprefix("*").strip()
    if label.casefold() in GOOGLE_LABELS:
        label = label.casefold()
    return label or None, starred


class GoogleLayout:
    """Google Contacts' CSV export, today's and the older one."""

    MARKERS = frozenset({"Labels", "Group Membership", "Given Name", "Family Name"})

    @classmethod
    def recognises(cls, names: set[str]) -> bool:
        return bool(names & cls.MARKERS) or any(
            (match := GROUP.match(name)) is not None
            and match["kind"] in {"E-mail", "Phone", "Address"}
            for name in names
        )

    def __init__(self, header: list[str]) -> None:
        # kind -> numbers in header order -> part -> column name
        self.groups: dict[str, dict[int, dict[str, str]]] = {}
        for name in header:
            match = GROUP.match(name)
            if match is not None:
                numbers = self.groups.setdefault(match["kind"], {})
                numbers.setdefault(int(match["number"]), {})[match["part"]] = name

    def group_cells(self, row: Cells, kind: str) -> Iterator[dict[str, str]]:
        for parts in self.groups.get(kind, {}).values():
            cells = {part: row[column] for part, column in parts.items()}
            cells.setdefault("Label", cells.get("Type", ""))
            yield cells

    def read(self, row: Cells) -> tuple[ContactData, Problems]:
        built = Builder()
        first = joined(
            row.first("First Name", "Given Name"),
            row.first("Middle Name", "Additional Name"),
        )
        last = row.first("Last Name", "Family Name")
        built.set("first_name", first or (row["Name"] if not last else ""))
        built.set("last_name", last)
        built.set("nickname", row["Nickname"])
        built.set("company", row.first("Organization Name", "Organization 1 - Name"))
        built.set(
            "job_title", row.first("Organization Title", "Organization 1 - Title")
        )
        built.birthday(row["Birthday"], iso_birthday)
        built.set("notes", row["Notes"])
        contact = built.contact
        contact.emails = self.items(row, "E-mail", EmailInput)
        contact.phones = self.items(row, "Phone", PhoneInput)
        contact.addresses = self.addresses(row)
        contact.tags, favorite = self.labels(row.first("Labels", "Group Membership"))
        built.set("favorite", favorite)
        return built.result()

    def items(
        self, row: Cells, kind: str, make: Callable[[str, str | None, bool], Item]
    ) -> list[Item]:
        """The emails or phones of the numbered groups; only the first
        value marked primary is, as a contact has one primary."""
        items: list[Item] = []
        primary_taken = False
        for cells in self.group_cells(row, kind):
            label, starred = google_label(cells["Label"])
            for position, value in enumerate(v for v in multi(cells["Value"]) if v):
                primary = starred and position == 0 and not primary_taken
                primary_taken = primary_taken or primary
                items.append(make(value, label, primary))
        return items

    def addresses(self, row: Cells) -> list[AddressInput]:
        found = []
        for cells in self.group_cells(row, "Address"):
            label, _ = google_label(cells["Label"])
            parts = {part: multi(cells.get(part, "")) for part in ADDRESS_PARTS}
            count = max(len(values) for values in parts.values())
            for position in range(count):
                one = {
                    part: values[position] if position < len(values) else ""
                    for part, values in parts.items()
                }
                street = joined(
                    one["Street"],
                    one["Extended Address"],
                    one["PO Box"],
                    separator="\n",
                )
                structured = (street, one["City"], one["Region"], one["Postal Code"])
                item = address(
                    label,
                    street if any(structured) else one["Formatted"],
                    one["City"],
                    one["Region"],
                    one["Postal Code"],
                    one["Country"],
                )
                if item is not None:
                    found.append(item)
        return found

    @staticmethod
    def labels(cell: str) -> tuple[list[str], bool]:
        """The tags of Labels (or Group Membership), and whether the
        contact is starred; system groups ("* myContacts", "System Group:
        Friends") are not tags."""
        tags, favorite = [], False
        for name in multi(cell):
            system = name.startswith("*") or name.startswith(SYSTEM_GROUP)
            if not system:
                if name:
                    tags.append(name)
                continue
            bare = name.removeprefix("*").removeprefix(SYSTEM_GROUP).strip()
            favorite = favorite or bare.casefold() in STARRED
        return tags, favorite


ADDRESS_PARTS = (
    "Formatted",
    "Street",
    "Extended Address",
    "PO Box",
    "City",
    "Region",
    "Postal Code",
    "Country",
)


# Outlook

OUTLOOK_MARKERS = frozenset(
    {
        "E-mail Address",
        "E-mail Display Name",
        "Mobile Phone",
        "Business Phone",
        "Home Phone",
        "Business Street",
        "Home Street",
        "Categories",
    }
)
OUTLOOK_PHONES = (
    ("Mobile Phone", "mobile"),
    ("Home Phone", "home"),
    ("Home Phone 2", "home"),
    ("Business Phone", "work"),
    ("Business Phone 2", "work"),
    ("Company Main Phone", "main"),
    ("Other Phone", "other"),
    ("Car Phone", "car"),
    ("Pager", "pager"),
    ("Business Fax", "work fax"),
    ("Home Fax", "home fax"),
    ("Other Fax", "other fax"),
    ("Assistant's Phone", "assistant"),
    ("Callback", "callback"),
    ("Radio Phone", "radio"),
    ("Telex", "telex"),
    ("TTY/TDD Phone", "tty"),
    ("ISDN", "isdn"),
)
OUTLOOK_ADDRESSES = (("Business", "work"), ("Home", "home"), ("Other", "other"))
OUTLOOK_EMAILS = (
    ("E-mail Address", "E-mail Type"),
    ("E-mail 2 Address", "E-mail 2 Type"),
    ("E-mail 3 Address", "E-mail 3 Type"),
)
EXCHANGE = "EX"
NOT_DIGITS = re.compile(r"\D")


def same_number(one: str, other: str) -> bool:
    """The same digits (punctuation aside), or the same text if none."""
    digits = NOT_DIGITS.sub("", one)
    return digits == NOT_DIGITS.sub("", other) if digits else one == other


class OutlookLayout:
    """Outlook's CSV export (and Google's "Outlook CSV")."""

    def read(self, row: Cells) -> tuple[ContactData, Problems]:
        built = Builder()
        built.set("first_name", joined(row["First Name"], row["Middle Name"]))
        built.set("last_name", row["Last Name"])
        built.set("nickname", row["Nickname"])
        built.set("company", row["Company"])
        built.set("job_title", row["Job Title"])
        built.birthday(row["Birthday"], outlook_birthday)
        built.set("notes", row["Notes"])
        contact = built.contact
        contact.emails = [
            EmailInput(value=row[name], label=None, primary=False)
            for name, kind in OUTLOOK_EMAILS
            if row[name] and row[kind].upper() != EXCHANGE
        ]
        contact.phones = self.phones(row)
        contact.addresses = [
            item
            for prefix, label in OUTLOOK_ADDRESSES
            if (item := self.address(row, prefix, label)) is not None
        ]
        contact.tags = [tag.strip() for tag in row["Categories"].split(";")]
        contact.tags = [tag for tag in contact.tags if tag]
        return built.result()

    @staticmethod
    def phones(row: Cells) -> list[PhoneInput]:
        """Each phone column's number with its label; Primary Phone marks
        the one with the same digits, or comes first as a phone of its own."""
        primary = row["Primary Phone"]
        phones = []
        for column, label in OUTLOOK_PHONES:
            value = row[column]
            if value:
                is_primary = bool(primary) and same_number(value, primary)
                if is_primary:
                    primary = ""
                phones.append(PhoneInput(value=value, label=label, primary=is_primary))
        if primary:
            phones.insert(0, PhoneInput(value=primary, label=None, primary=True))
        return phones

    @staticmethod
    def address(row: Cells, prefix: str, label: str) -> AddressInput | None:
        street = joined(
            row[f"{prefix} Street"],
            row[f"{prefix} Street 2"],
            row[f"{prefix} Street 3"],
            row.first(f"{prefix} Address PO Box", f"{prefix} PO Box"),
            separator="\n",
        )
        return address(
            label,
            street,
            row[f"{prefix} City"],
            row[f"{prefix} State"],
            row[f"{prefix} Postal Code"],
            row.first(f"{prefix} Country/Region", f"{prefix} Country"),
        )


# Our own layout

ESCAPES = {"\\": "\\\\", ";": "\\;", "\n": "\\n", "\r": "\\r"}
UNESCAPES = {"n": "\n", "r": "\r"}
ESCAPED = re.compile(r"[\\;\n\r]")
ESCAPE = re.compile(r"\\(.?)", re.DOTALL)
# An item's pieces: an escape, a separator, or text with neither.
ITEM_TOKEN = re.compile(r"\\.?|;|[^\\;]+", re.DOTALL)
# A cell starting with one of these is a formula to a spreadsheet; ' is
# there so that the guard itself can be told from a value's own '.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "'")
GUARD = "'"
PRIMARY = "primary"


def escape(part: str) -> str:
    return ESCAPED.sub(lambda match: ESCAPES[match[0]], part)


def unescaped(match: re.Match[str]) -> str:
    """\\n and \\r are line breaks, any other escaped character is itself,
    and a backslash at the very end stays."""
    escaped = match[1]
    return UNESCAPES.get(escaped, escaped) or "\\"


def unescape(text: str) -> str:
    return ESCAPE.sub(unescaped, text).strip()


def split_item(item: str) -> list[str]:
    """An item's parts at its unescaped semicolons, unescaped and trimmed."""
    parts, current = [], ""
    for token in ITEM_TOKEN.findall(item):
        if token == ";":
            parts.append(current)
            current = ""
        else:
            current += token
    parts.append(current)
    return [unescape(part) for part in parts]


def join_item(parts: Sequence[str | None]) -> str:
    """The parts escaped and joined, without trailing empty ones."""
    texts = [escape(part or "") for part in parts]
    while texts and not texts[-1]:
        texts.pop()
    return ";".join(texts)


def guarded(cell: str) -> str:
    return GUARD + cell if cell.startswith(FORMULA_STARTS) else cell


def unguarded(cell: str) -> str:
    return cell.removeprefix(GUARD)


def own_date(value: date) -> str:
    if value.year == NO_YEAR:
        return f"--{value:%m-%d}"
    return value.isoformat()


def own_bool(text: str) -> bool:
    folded = text.casefold()
    if folded not in {"true", "false"}:
        raise ValueError(text)
    return folded == "true"


SCALAR_WRITERS: dict[Kind, Callable[[Any], str]] = {
    Kind.TEXT: str,
    Kind.LONG_TEXT: str,
    Kind.DATE: own_date,
    Kind.BOOL: lambda value: "true" if value else "false",
}
SCALAR_READERS: dict[Kind, tuple[Callable[[str], Any], str]] = {
    Kind.TEXT: (str, ""),
    Kind.LONG_TEXT: (str, ""),
    Kind.DATE: (iso_birthday, BIRTHDAY_MESSAGES[iso_birthday]),
    Kind.BOOL: (own_bool, "Write true or false."),
}
ITEM_SIZES = {"emails": 3, "phones": 3, "addresses": 6, "tags": 1}
ITEM_SHAPES = {
    "emails": "label;value;primary",
    "phones": "label;value;primary",
    "addresses": "label;street;city;region;postal code;country",
    "tags": "a tag name",
}


class OwnLayout:
    """Our export's layout (the module docstring describes it); columns are
    found by name, so a file from before a field was added still reads."""

    def read(self, row: Cells) -> tuple[ContactData, Problems]:
        built = Builder()
        for declared in CONTACT_FIELDS:
            self.scalar(built, declared, unguarded(row.raw(declared.api_name)))
        contact = built.contact
        for column in LIST_COLUMNS:
            items = self.items(built, column, unguarded(row.raw(column)))
            setattr(contact, column, items)
        return built.result()

    @staticmethod
    def scalar(built: Builder, declared: ContactField, text: str) -> None:
        text = text.strip()
        if not text:
            return
        parse, message = SCALAR_READERS[declared.kind]
        try:
            built.set(declared.name, parse(text))
        except ValueError:
            built.problem((declared.api_name,), message)

    @staticmethod
    def items(built: Builder, column: str, cell: str) -> list[Any]:
        items: list[Any] = []
        for line in LINE_BREAK.split(cell):
            parts = split_item(line) if column != "tags" else [unescape(line)]
            if not any(parts):
                continue
            path = (column, str(len(items)))
            size = ITEM_SIZES[column]
            if len(parts) > size:
                built.problem(
                    path,
                    f"Write each item as {ITEM_SHAPES[column]} "
                    "(a ; inside a value as \\;).",
                )
            parts += [""] * (size - len(parts))
            items.append(OWN_ITEM_READERS[column](built, path, parts))
        return items


def own_primary(built: Builder, path: tuple[str, ...], text: str) -> bool:
    if text.casefold() not in {"", PRIMARY}:
        built.problem((*path, "primary"), "Write primary or leave it empty.")
    return text.casefold() == PRIMARY


OWN_ITEM_READERS: dict[str, Callable[[Builder, tuple[str, ...], list[str]], Any]] = {
    "emails": lambda built, path, parts: EmailInput(
        value=parts[1],
        label=parts[0] or None,
        primary=own_primary(built, path, parts[2]),
    ),
    "phones": lambda built, path, parts: PhoneInput(
        value=parts[1],
        label=parts[0] or None,
        primary=own_primary(built, path, parts[2]),
    ),
    "addresses": lambda built, path, parts: AddressInput(
        label=parts[0] or None,
        street=parts[1] or None,
        city=parts[2] or None,
        region=parts[3] or None,
        postal_code=parts[4] or None,
        country=parts[5] or None,
    ),
    "tags": lambda built, path, parts: parts[0],
}


# Writing


class _Line:
    """What csv.writer writes, handed back: writerow returns it."""

    def write(self, text: str) -> str:
        return text


def write_csv(contacts: Iterable[ContactData]) -> Iterator[str]:
    """Our layout: the header line, then a line per contact, each ending
    CRLF, produced as `contacts` are consumed."""
    writer = csv.writer(_Line(), lineterminator="\r\n")
    yield writer.writerow(OWN_HEADER)
    for contact in contacts:
        yield writer.writerow(own_row(contact))


def own_row(contact: ContactData) -> list[str]:
    cells = [
        "" if value is None else SCALAR_WRITERS[declared.kind](value)
        for declared in CONTACT_FIELDS
        for value in [contact.fields.get(declared.name, declared.default)]
    ]
    return [guarded(cell) for cell in [*cells, *own_lists(contact)]]


def own_lists(contact: ContactData) -> list[str]:
    """A cell per list, an item per line."""
    return [
        "\n".join(join_item(ITEM_PARTS[column](item)) for item in items)
        for column in LIST_COLUMNS
        for items in [getattr(contact, column)]
    ]


def primary_part(primary: bool | None) -> str | None:
    return PRIMARY if primary else None


ITEM_PARTS: dict[str, Callable[[Any], list[str | None]]] = {
    "emails": lambda email: [email.label, email.value, primary_part(email.primary)],
    "phones": lambda phone: [phone.label, phone.value, primary_part(phone.primary)],
    "addresses": lambda address: [
        address.label,
        address.street,
        address.city,
        address.region,
        address.postal_code,
        address.country,
    ],
    "tags": lambda tag: [tag],
}
