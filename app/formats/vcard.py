"""Contacts as vCard: 2.1, 3.0 and 4.0 read, 3.0 and 4.0 written.

Reading (`read_vcards`) takes the file's lines and yields one record per
BEGIN:VCARD … END:VCARD as soon as its END is read, holding one card at a
time, so a file of any size is read in constant memory. Lines are unfolded
(a line starting with a space or tab continues the previous one; the text
is already decoded, so a fold never splits a character), and 2.1's
quoted-printable values are joined at their soft line breaks ("=" at the
end of a line) before they are decoded, so "=C3=\\r\\n=AB" is "ë". The
properties nothing here reads (PHOTO, LOGO, SOUND, KEY, X-…, unknown ones)
are skipped line by line without being kept: a folded megabyte of base64
costs nothing. What a card holds is taken as written (trimmed); the import
validates it as the API's input (email syntax, phones to E.164, lengths).

How the properties become a contact:

- N: the given and additional (middle) names are the first name, the
  family name the last name; prefixes and suffixes (Dr., Jr.) are dropped.
  FN is read only when N has no name: its last word is the last name and
  the words before it the first name (one word is a first name), unless it
  only repeats the nickname, company, first email or first phone, which
  writers put in FN when there is no name (as `display_name` does).
- ORG "Acme;Sales;EMEA": the company is "Acme"; the units are dropped, as
  a contact has no department. TITLE is the job title; NICKNAME's first
  value the nickname; the NOTEs, joined by a line break, the notes.
- BDAY: 19850415, 1985-04-15 and 1985-04-15T00:00:00Z (the date as
  written; a time is ignored); without a year --0415, --04-15, and Apple's
  1604-04-15 with X-APPLE-OMIT-YEAR=1604 (or any year the parameter
  names, or 0000), all stored in the year `NO_YEAR`. Anything else is a
  problem at ("birthday",).
- TEL and EMAIL (a 4.0 "tel:" URI loses its scheme): the label is an
  Apple X-ABLabel of the same group (item1.EMAIL and item1.X-ABLabel),
  system labels like _$!<Other>!$_ lower-cased ("other", "home fax"),
  custom ones as written; otherwise the first TYPE (in any spelling: TYPE=
  work,voice, TYPE="work,voice", type=WORK, 2.1's bare WORK) that names a
  place or kind, lower-cased, cell read as "mobile" and a fax with a place
  as "home fax"/"work fax"; pref, voice, internet, x400 and the like are
  not labels. Primary: TYPE=pref or PREF=n, the lowest n (pref is 1), the
  first of those; at most one per list, the others False.
- ADR (PO box; extended; street; city; region; postal code; country): the
  street, extended address and PO box, those given, one per line, are the
  street; a country pycountry knows by name or code ("Germany", "USA") is
  its alpha-2 code, "UK" is GB, anything else is left as written.
- CATEGORIES are tags (an escaped comma stays in its tag), without
  repeats ignoring case; Google's system groups are no tags: "myContacts"
  is dropped and "starred" makes the contact a favourite, as does our own
  X-FAVORITE:TRUE.
- Escapes \\\\ \\; \\, \\n \\N, and \\: (Google writes "https\\://"), are
  read in every version; any other backslash stays as written ("C:\\Temp"
  from a writer that does not escape). Line breaks in values are "\\n".

A card that cannot be read whole still gives its record, with `problems`
(FieldErrors, code INVALID, at the field's path and naming the line): no
END:VCARD before the next BEGIN:VCARD or the end of the file, a BDAY that
is no date, quoted-printable text that is not in its CHARSET, a line of a
property read here with no colon before its value. Lines outside a card,
and lines of properties not read (whatever they hold), are ignored.

Writing (`write_vcard`) gives one card of every field we have, CRLF line
ends, lines folded at 75 octets between characters; N and FN (the display
name, as the API shows it) always, favorite as X-FAVORITE:TRUE (vCard has
no such property; the reader takes it back). A label goes into
TYPE when reading that TYPE gives it back exactly ("home", "work",
"mobile" as cell, "fax", "pager", "home fax" as home,fax …), an Apple
system label ("other", "main") into X-ABLabel as Apple writes it, and any
other label as written through an item group's X-ABLabel. A yearless
birthday is --MMDD in 4.0 and 1604-MM-DD;X-APPLE-OMIT-YEAR=1604 in 3.0;
a country is written by its name, which the reader maps back. What does
not come back exactly: a carriage return in a value is read as "\\n", and
a label spelt like an Apple system label ("_$!<Home>!$_") or a tag named
"myContacts" or "starred" reads as Apple and Google mean them.

Why not vobject (0.9.9, which the issue suggested; it is not a
dependency): its content-line regular expression backtracks
exponentially on a line like "EMAIL;A=b,c;A=b,c;…;\\"" with no colon (ten
parameters take half a second, twelve eight seconds, each one more four
times as long: a denial of service through the import); `readComponents`
raises for the whole file when one card is not closed and, without
allowQP, reads the whole stream into memory; with allowQP its unfolding
copies the line read so far at every folded line (0.6 s for one 1.4 MB
photo, four times that for twice the size) and takes a QUOTED-PRINTABLE
anywhere on the line for the encoding; its quoted-printable decoding
matches only an upper-case parameter and raises on an unknown CHARSET;
and it has no vCard 4.0 behaviour. What it would have given (unfolding,
parameters, quoted-printable through the standard library's binascii)
is the small scanner below, linear in the length of a line.
"""

from __future__ import annotations

import binascii
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from operator import itemgetter
from typing import TypeVar

import pycountry

from app.errors import FieldError, UserErrorCode
from app.fields import BY_NAME, NAMING_FIELDS, NO_YEAR
from app.formats.record import ContactData, ParsedRecord
from app.formats.sniffing import BOM_CHARACTER
from app.models import display_name
from app.services.contact_input import AddressInput, EmailInput, PhoneInput

Path = tuple[str, ...]
Item = TypeVar("Item", EmailInput, PhoneInput)
Part = TypeVar("Part")

# Where a problem with a property is reported, inside the record.
PATHS: dict[str, Path] = {
    "N": (BY_NAME["first_name"].api_name,),
    "FN": (BY_NAME["first_name"].api_name,),
    "NICKNAME": (BY_NAME["nickname"].api_name,),
    "ORG": (BY_NAME["company"].api_name,),
    "TITLE": (BY_NAME["job_title"].api_name,),
    "BDAY": (BY_NAME["birthday"].api_name,),
    "NOTE": (BY_NAME["notes"].api_name,),
    "X-FAVORITE": (BY_NAME["favorite"].api_name,),
    "TEL": ("phones",),
    "EMAIL": ("emails",),
    "ADR": ("addresses",),
    "CATEGORIES": ("tags",),
}
CARD: Path = ()  # a problem with the whole card
# The properties a contact is read from; every other one is skipped unread.
READ = frozenset({*PATHS, "BEGIN", "END", "X-ABLABEL"})

# TYPE values that say how, not where or what: never a label.
NOT_LABELS = frozenset(
    {"pref", "voice", "internet", "x400", "text", "msg", "video", "textphone"}
    | {"bbs", "modem", "isdn", "pcs"}  # kinds of line
    | {"dom", "intl", "postal", "parcel"}  # kinds of address
)
TYPE_LABELS = {"cell": "mobile"}
FAX_PLACES = ("home", "work", "other")
APPLE_LABEL = re.compile(r"_\$!<(?P<name>.*)>!\$_")
APPLE_FAX = re.compile(r"(?i)^(home|work|other)fax$")
# Google's system groups among CATEGORIES.
GOOGLE_STARRED = "starred"
GOOGLE_SYSTEM_GROUPS = frozenset({"mycontacts", GOOGLE_STARRED})
FAVORITE = "X-FAVORITE"
TRUE_VALUES = frozenset({"true", "1", "yes"})
COUNTRY_ALIASES = {"uk": "GB"}
ENCODINGS = frozenset({"QUOTED-PRINTABLE", "BASE64", "B", "8BIT", "7BIT"})
QUOTED_PRINTABLE = "QUOTED-PRINTABLE"
# Text decoded from quoted-printable without a CHARSET: UTF-8, else the
# Windows code page older Outlook and Nokia exports used.
DEFAULT_CHARSETS = ("utf-8", "cp1252")

BEGIN = re.compile(r"\s*BEGIN\s*:\s*VCARD\s*$", re.IGNORECASE)
END = re.compile(r"\s*END\s*:\s*VCARD\s*$", re.IGNORECASE)
# The name of a property line: up to the first ";" or ":".
NAME = re.compile(r"[^;:]*")
# A line's head (group, name, parameters) ends at the first colon outside
# double quotes. Each step consumes a character no other branch can start
# with, so a line without a colon fails in linear time.
HEAD = re.compile(r'(?:[^":]|"[^"]*")*:')
PARAMETER = re.compile(r';((?:[^";]|"[^"]*")*)')
ESCAPE = re.compile(r"\\(.)", re.DOTALL)
UNESCAPED = {"n": "\n", "N": "\n", "\\": "\\", ",": ",", ";": ";", ":": ":"}
SPLIT = {
    separator: re.compile(rf"\\.|{separator}|[^\\{separator}]+|\\", re.DOTALL)
    for separator in ";,"
}
LINE_BREAK = re.compile(r"\r\n|\r")
DATE = re.compile(r"(?P<year>\d{4})-?(?P<month>\d{2})-?(?P<day>\d{2})(?:T.*)?")
NO_YEAR_DATE = re.compile(r"--(?P<month>\d{2})-?(?P<day>\d{2})")

FOLD_AT = 75  # octets per line, CRLF not counted (RFC 6350 3.2)
VERSIONS = ("3.0", "4.0")


# Reading


@dataclass(frozen=True)
class Params:
    """A property's parameters: its TYPE values (with 2.1's bare ones)
    lower-cased in order, and the others by upper-cased name."""

    types: tuple[str, ...] = ()
    values: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def first(self, name: str) -> str | None:
        values = self.values.get(name)
        return values[0] if values else None

    @property
    def quoted_printable(self) -> bool:
        return QUOTED_PRINTABLE in self.values.get("ENCODING", ())

    @property
    def preference(self) -> int | None:
        """How preferred the value is (1 most), or None when not at all."""
        pref = self.first("PREF")
        if pref is not None:
            return int(pref) if pref.isdigit() else 1
        return 1 if "pref" in self.types else None


@dataclass(frozen=True)
class Property:
    """One content line: where it starts, its group (lower-cased), name
    (upper-cased), parameters and value (quoted-printable decoded, still
    escaped)."""

    line: int
    group: str | None
    name: str
    params: Params
    value: str


class Unreadable(ValueError):
    """A property line that cannot be read; the message says why."""


def read_vcards(lines: Iterable[str]) -> Iterator[ParsedRecord]:
    """The records of a vCard file given as its lines, line endings kept
    (a text file opened with newline="", or text.splitlines(keepends=True)),
    each yielded when its END:VCARD is read; `index` counts cards from 0."""
    card: CardReader | None = None
    index = 0
    for number, text in logical_lines(lines):
        if BEGIN.match(text):
            if card is not None:
                card.problem(
                    card.start,
                    CARD,
                    f"Line {card.start}: the card has no END:VCARD before "
                    f"the next BEGIN:VCARD (line {number}).",
                )
                yield card.record()
            card = CardReader(index, number)
            index += 1
        elif END.match(text):
            if card is not None:
                yield card.record()
            card = None
        elif card is not None:
            card.add(number, text)
    if card is not None:
        card.problem(
            card.start,
            CARD,
            f"Line {card.start}: the file ends before the card's END:VCARD.",
        )
        yield card.record()


def logical_lines(lines: Iterable[str]) -> Iterator[tuple[int, str]]:
    """(number of its first line, text) of each property line of the
    properties in READ, unfolded: a line that starts with a space or tab
    continues the one before (without that space), and a quoted-printable
    line ending in a soft break ("=") continues with the next line as is.
    The other properties' lines are read past without being kept (unless
    a fold splits the name itself: then the name is known at the end).
    END:VCARD is given as soon as it is read, not when the next line shows
    that it is not folded, and ends a card even after a soft break (a
    writer's stray "=" at the end of the card's last value)."""
    parts: list[str] = []
    start = 0
    first = ""  # the property's first line
    quoted: bool | None = None  # whether it is quoted-printable, once asked
    keep = soft_break = False
    for number, line in enumerate(physical_lines(lines), 1):
        if soft_break and line and not END.match(line):
            pass  # quoted-printable text goes on, whatever the line starts with
        elif line[:1] in (" ", "\t"):
            line = line[1:]
        else:
            if parts:
                yield from _if_read(start, "".join(parts))
            parts, start, first, quoted = [], number, line, None
            if END.match(line):  # the card is whole: no need to see what follows
                yield number, line
                keep = soft_break = False
                continue
            keep = name_of(line) in READ or not (";" in line or ":" in line)
        soft_break = False
        if line.endswith("="):
            if quoted is None:
                quoted = _declares_quoted_printable(first)
            soft_break = quoted
        if keep:
            parts.append(line[:-1] if soft_break else line)
    if parts:
        yield from _if_read(start, "".join(parts))


def _if_read(start: int, text: str) -> Iterator[tuple[int, str]]:
    if name_of(text) in READ:
        yield start, text


def _declares_quoted_printable(line: str) -> bool:
    """Whether the first line of a property declares its value
    quoted-printable (ENCODING=QUOTED-PRINTABLE or 2.1's bare parameter)."""
    head = HEAD.match(line)
    if head is None:
        return False
    return _params(_parameters(head.group()[:-1])[1:]).quoted_printable


def physical_lines(lines: Iterable[str]) -> Iterator[str]:
    """`lines` without their line ends, and without a BOM at a line's start.

    Only CR, LF and CRLF end a line: str.splitlines also breaks at form
    feeds, U+2028 and the like, and such a piece is joined to the next."""
    pending = ""
    for piece in lines:
        if not piece.endswith(("\n", "\r")):
            pending += piece
            continue
        line = pending + piece
        pending = ""
        line = line[:-2] if line.endswith("\r\n") else line[:-1]
        yield line.removeprefix(BOM_CHARACTER)
    if pending:
        yield pending.removeprefix(BOM_CHARACTER)


def name_of(line: str) -> str:
    """The upper-cased name of the property a line starts, without its
    group ("item1.EMAIL;…" is EMAIL)."""
    head = NAME.match(line)
    name = head.group() if head else ""
    return name.rpartition(".")[2].strip().upper()


def parse_property(number: int, text: str) -> Property:
    """A logical line as a Property; Unreadable when it is none."""
    head = HEAD.match(text)
    if head is None:
        raise Unreadable(
            f"Line {number}: the {name_of(text)} line has no colon before its value."
        )
    value = text[head.end() :]
    name, *parameters = _parameters(text[: head.end() - 1])
    group, _, name = name.rpartition(".")
    params = _params(parameters)
    if params.quoted_printable:
        value = decode_quoted_printable(
            value, params.first("CHARSET"), number, name.upper()
        )
    return Property(
        number, group.strip().lower() or None, name.strip().upper(), params, value
    )


def _parameters(head: str) -> list[str]:
    """The name then each parameter of a line's head."""
    name = NAME.match(head)
    end = name.end() if name else 0
    return [head[:end], *(m.group(1) for m in PARAMETER.finditer(head, end))]


def _params(parameters: list[str]) -> Params:
    types: list[str] = []
    values: dict[str, list[str]] = {}
    for parameter in parameters:
        name, equals, raw = parameter.partition("=")
        name = name.strip().upper()
        if not equals:  # 2.1: a bare value, an encoding or a type
            key = "ENCODING" if name in ENCODINGS else "TYPE"
            listed = [name]
        else:
            key = name
            listed = [v.strip() for v in raw.replace('"', "").split(",") if v.strip()]
        if key == "TYPE":
            types.extend(value.lower() for value in listed)
        elif key == "ENCODING":
            values.setdefault(key, []).extend(value.upper() for value in listed)
        else:
            values.setdefault(key, []).extend(listed)
    return Params(tuple(types), {key: tuple(v) for key, v in values.items()})


def decode_quoted_printable(
    value: str, charset: str | None, number: int, name: str
) -> str:
    """`value` (its soft line breaks already joined) decoded: the =XX bytes,
    and any character written as is, read in `charset` (UTF-8, else
    cp1252, when none is given)."""
    for encoding in (charset,) if charset else DEFAULT_CHARSETS:
        try:
            return binascii.a2b_qp(value.encode(encoding)).decode(encoding)
        except (LookupError, UnicodeError):
            continue
    raise Unreadable(
        f"Line {number}: the quoted-printable {name} is not text in "
        f"{charset or 'UTF-8'}."
    )


def unescape(text: str) -> str:
    """`text` with vCard's escapes read, line breaks as "\\n"."""
    text = LINE_BREAK.sub("\n", text)
    return ESCAPE.sub(lambda m: UNESCAPED.get(m.group(1), m.group()), text)


def split_escaped(text: str, separator: str) -> list[str]:
    """`text` split at each `separator` not escaped, each part unescaped."""
    parts: list[list[str]] = [[]]
    for match in SPLIT[separator].finditer(text):
        token = match.group()
        if token == separator:
            parts.append([])
        else:
            parts[-1].append(token)
    return [unescape("".join(part)) for part in parts]


def padded(parts: list[Part], size: int) -> list[Part | None]:
    """The first `size` of `parts`, None for those missing."""
    return [*parts[:size], *[None] * (size - len(parts))]


def clean(text: str | None) -> str | None:
    """Trimmed, blank as None."""
    if text is None:
        return None
    return text.strip() or None


@dataclass
class CardReader:
    """The properties of the card being read (from line `start`), and its
    problems with the line each is about."""

    index: int
    start: int
    properties: list[Property] = field(default_factory=list)
    problems: list[tuple[int, FieldError]] = field(default_factory=list)

    def problem(self, line: int, path: Path, message: str) -> None:
        self.problems.append((line, FieldError(path, message, UserErrorCode.INVALID)))

    def add(self, number: int, text: str) -> None:
        try:
            self.properties.append(parse_property(number, text))
        except Unreadable as error:
            self.problem(number, PATHS.get(name_of(text), CARD), str(error))

    def record(self) -> ParsedRecord:
        """The card's record, its problems in the order of their lines."""
        contact = CardContact(self).contact()
        problems = [problem for _, problem in sorted(self.problems, key=itemgetter(0))]
        return ParsedRecord(self.index, contact, problems)


class CardContact:
    """The contact a card's properties describe."""

    def __init__(self, card: CardReader) -> None:
        self.card = card
        self.by_name: dict[str, list[Property]] = {}
        for prop in card.properties:
            self.by_name.setdefault(prop.name, []).append(prop)
        self.labels = {
            prop.group: clean(unescape(prop.value))
            for prop in self.by_name.get("X-ABLABEL", [])
            if prop.group is not None
        }
        self.data = ContactData()

    def contact(self) -> ContactData:
        self.data.emails = self.items("EMAIL", EmailInput)
        self.data.phones = self.items("TEL", PhoneInput)
        self.data.addresses = self.addresses()
        self.set("nickname", self.nickname())
        self.set("company", self.company())
        self.names()
        self.set("job_title", self.text("TITLE"))
        self.birthday()
        notes = [unescape(prop.value) for prop in self.by_name.get("NOTE", [])]
        self.set("notes", clean("\n".join(notes)))
        self.tags()
        if any(
            prop.value.strip().lower() in TRUE_VALUES
            for prop in self.by_name.get(FAVORITE, [])
        ):
            self.set("favorite", True)
        return self.data

    def set(self, name: str, value: object) -> None:
        """Keep a field that has a value (as the CSV readers do: a field
        left out is empty)."""
        if value is not None:
            self.data.fields[name] = value

    def first(self, name: str) -> Property | None:
        found = self.by_name.get(name)
        return found[0] if found else None

    def text(self, name: str) -> str | None:
        prop = self.first(name)
        return clean(unescape(prop.value)) if prop else None

    def nickname(self) -> str | None:
        prop = self.first("NICKNAME")
        if prop is None:
            return None
        return next(filter(None, map(clean, split_escaped(prop.value, ","))), None)

    def company(self) -> str | None:
        prop = self.first("ORG")
        return clean(split_escaped(prop.value, ";")[0]) if prop else None

    def names(self) -> None:
        prop = self.first("N")
        if prop is not None:
            family, given, additional = padded(split_escaped(prop.value, ";"), 3)
            first = clean(" ".join(filter(None, map(clean, (given, additional)))))
            last = clean(family)
            if first or last:
                self.set("first_name", first)
                self.set("last_name", last)
                return
        self.names_from(self.text("FN"))

    def names_from(self, full_name: str | None) -> None:
        """First and last name from FN, unless FN is only what a writer
        shows for a contact without a name."""
        fallbacks = [
            *(self.data.fields.get(name) for name in NAMING_FIELDS),
            self.data.emails[0].value if self.data.emails else None,
            self.data.phones[0].value if self.data.phones else None,
        ]
        if full_name is None or full_name in fallbacks:
            return
        *first, last = full_name.split()
        if first:
            self.set("first_name", " ".join(first))
            self.set("last_name", last)
        else:
            self.set("first_name", last)

    def birthday(self) -> None:
        prop = self.first("BDAY")
        if prop is None:
            return
        text = unescape(prop.value).strip()
        if not text:
            return
        try:
            self.set("birthday", birthday(text, prop.params.first("X-APPLE-OMIT-YEAR")))
        except ValueError:
            self.card.problem(
                prop.line,
                PATHS["BDAY"],
                f'Line {prop.line}: BDAY "{text[:40]}" is not a date: write '
                "1985-04-15, or --04-15 without the year.",
            )

    def tags(self) -> None:
        tags: dict[str, str] = {}
        for prop in self.by_name.get("CATEGORIES", []):
            for raw in split_escaped(prop.value, ","):
                tag = clean(raw)
                if tag is None:
                    continue
                key = tag.casefold()
                if key == GOOGLE_STARRED:
                    self.set("favorite", True)
                if key not in GOOGLE_SYSTEM_GROUPS:
                    tags.setdefault(key, tag)
        self.data.tags = list(tags.values())

    def label(self, prop: Property) -> str | None:
        """The X-ABLabel of the property's group, else its TYPE's."""
        written = self.labels.get(prop.group) if prop.group is not None else None
        if written is not None:
            return apple_label(written)
        return type_label(prop.params.types)

    def items(self, name: str, kind: type[Item]) -> list[Item]:
        """The card's emails or phones, in order, the most preferred first
        of them primary."""
        found = []
        for prop in self.by_name.get(name, []):
            value = clean(unescape(prop.value))
            if name == "TEL" and value is not None:
                value = phone_value(value)
            if value:
                found.append((prop, value))
        preferences = [prop.params.preference for prop, _ in found]
        ranked = [p for p in preferences if p is not None]
        best = preferences.index(min(ranked)) if ranked else None
        return [
            kind(value=value, label=self.label(prop), primary=position == best)
            for position, (prop, value) in enumerate(found)
        ]

    def addresses(self) -> list[AddressInput]:
        found = []
        for prop in self.by_name.get("ADR", []):
            parts = [clean(part) for part in split_escaped(prop.value, ";")]
            box, extended, street, city, region, code, country = padded(parts, 7)
            lines = [part for part in (street, extended, box) if part]
            item = AddressInput(
                label=self.label(prop),
                street="\n".join(lines) or None,
                city=city,
                region=region,
                postal_code=code,
                country=country_code(country) if country else None,
            )
            if any((item.street, city, region, code, country)):
                found.append(item)
        return found


def birthday(text: str, omit_year: str | None) -> date:
    """The date a BDAY value names, in NO_YEAR when it has no year
    (--0415, Apple's X-APPLE-OMIT-YEAR, or year 0000). ValueError when it
    names none."""
    yearless = NO_YEAR_DATE.fullmatch(text)
    if yearless:
        return date(NO_YEAR, int(yearless["month"]), int(yearless["day"]))
    dated = DATE.fullmatch(text)
    if dated is None:
        raise ValueError(text)
    year = dated["year"]
    if year == omit_year or int(year) == 0:
        year = str(NO_YEAR)
    return date(int(year), int(dated["month"]), int(dated["day"]))


def apple_label(label: str) -> str:
    """An X-ABLabel: Apple's system labels (_$!<HomeFAX>!$_) as words in
    lower case ("home fax"), any other as written."""
    system = APPLE_LABEL.fullmatch(label)
    if system is None:
        return label
    name = system["name"].strip()
    return APPLE_FAX.sub(r"\1 fax", name).lower()


def type_label(types: tuple[str, ...]) -> str | None:
    """The label TYPE values give: the first that is a place or kind, cell
    as mobile, a fax with a place as "home fax"."""
    meaningful = [TYPE_LABELS.get(t, t) for t in types if t and t not in NOT_LABELS]
    if not meaningful:
        return None
    if "fax" in meaningful:
        place = next((t for t in meaningful if t in FAX_PLACES), None)
        if place is not None:
            return f"{place} fax"
    return meaningful[0]


def phone_value(value: str) -> str:
    """A TEL value; a 4.0 tel: URI as the number it holds ("ext=" as an
    extension phonenumbers reads)."""
    if value[:4].lower() != "tel:":
        return value
    number, _, rest = value[4:].partition(";")
    extension = next(
        (p[4:] for p in rest.split(";") if p.lower().startswith("ext=")), None
    )
    return f"{number} ext. {extension}" if extension else number


def country_code(text: str) -> str:
    """The alpha-2 code of a country pycountry knows by name or code
    ("Germany", "USA", "de"), "UK" as GB; else `text` as written."""
    alias = COUNTRY_ALIASES.get(text.casefold())
    if alias is not None:
        return alias
    try:
        return str(pycountry.countries.lookup(text).alpha_2)
    except LookupError:
        return text


# Writing

# Labels a TYPE gives back exactly, per property (3.0 and 4.0 alike).
WRITTEN_TYPES = {
    "TEL": {
        "home": "home",
        "work": "work",
        "mobile": "cell",
        "fax": "fax",
        "pager": "pager",
        "home fax": "home,fax",
        "work fax": "work,fax",
    },
    "EMAIL": {"home": "home", "work": "work"},
    "ADR": {"home": "home", "work": "work"},
}
# Labels that are Apple system labels, written as Apple writes them.
APPLE_SYSTEM_LABELS = {"other": "Other", "main": "Main", "other fax": "OtherFAX"}
ESCAPED = {"\\": "\\\\", ";": "\\;", ",": "\\,", "\n": "\\n"}
TO_ESCAPE = re.compile(r"[\\;,\n]")


def write_vcard(contact: ContactData, version: str = "4.0") -> str:
    """One card of `contact` in vCard `version` ("4.0" or "3.0"), with CRLF
    line ends, folded at 75 octets."""
    if version not in VERSIONS:
        raise ValueError(f"vCard {version} is not written; use one of {VERSIONS}.")
    writer = CardWriter(version)
    return writer.card(contact)


@dataclass
class CardWriter:
    version: str
    lines: list[str] = field(default_factory=list)
    groups: int = 0

    def card(self, contact: ContactData) -> str:
        fields = contact.fields
        self.add("BEGIN:VCARD")
        self.add(f"VERSION:{self.version}")
        # family; given; additional; prefix; suffix
        names = (fields.get("last_name"), fields.get("first_name"), "", "", "")
        self.add("N:" + ";".join(escape(name or "") for name in names))
        self.add("FN:" + escape(full_name(contact)))
        self.text("NICKNAME", fields.get("nickname"))
        self.text("ORG", fields.get("company"))
        self.text("TITLE", fields.get("job_title"))
        self.birthday(fields.get("birthday"))
        self.text("NOTE", fields.get("notes"))
        if fields.get("favorite"):
            self.add(f"{FAVORITE}:TRUE")
        for email in contact.emails:
            self.item("EMAIL", escape(email.value), email.label, bool(email.primary))
        for phone in contact.phones:
            self.item("TEL", escape(phone.value), phone.label, bool(phone.primary))
        for address in contact.addresses:
            self.item("ADR", adr_value(address), address.label, False)
        if contact.tags:
            self.add("CATEGORIES:" + ",".join(escape(tag) for tag in contact.tags))
        self.add("END:VCARD")
        return "".join(fold(line) for line in self.lines)

    def add(self, line: str) -> None:
        self.lines.append(line)

    def text(self, name: str, value: str | None) -> None:
        if value:
            self.add(f"{name}:{escape(value)}")

    def birthday(self, day: date | None) -> None:
        if day is None:
            return
        if day.year != NO_YEAR:
            iso = day.isoformat()
            self.add(f"BDAY:{iso.replace('-', '') if self.version == '4.0' else iso}")
        elif self.version == "4.0":
            self.add(f"BDAY:--{day:%m%d}")
        else:
            self.add(f"BDAY;X-APPLE-OMIT-YEAR={NO_YEAR}:{day.isoformat()}")

    def item(self, name: str, value: str, label: str | None, primary: bool) -> None:
        """One email, phone or address: its label as a TYPE that reads
        back the same, else through an item group's X-ABLabel."""
        types = []
        group = ""
        x_label: str | None = None
        if label is not None:
            written = WRITTEN_TYPES[name].get(label)
            if written is not None:
                types.append(written)
            else:
                self.groups += 1
                group = f"item{self.groups}."
                system = APPLE_SYSTEM_LABELS.get(label)
                x_label = f"_$!<{system}>!$_" if system else escape(label)
        params = ""
        if primary and self.version == "4.0":
            params = ";PREF=1"
        elif primary:
            types.append("pref")
        if types:
            params = f";TYPE={','.join(types)}{params}"
        self.add(f"{group}{name}{params}:{value}")
        if x_label is not None:
            self.add(f"{group}X-ABLabel:{x_label}")


def full_name(contact: ContactData) -> str:
    """FN: the display name, as the API shows it."""
    return display_name(
        *(contact.fields.get(name) for name in NAMING_FIELDS),
        contact.emails[0].value if contact.emails else None,
        contact.phones[0].value if contact.phones else None,
    )


def adr_value(address: AddressInput) -> str:
    country = address.country
    if country is not None:
        known = pycountry.countries.get(alpha_2=country)
        country = known.name if known is not None else country
    parts = (
        "",
        "",
        address.street,
        address.city,
        address.region,
        address.postal_code,
        country,
    )
    return ";".join(escape(part or "") for part in parts)


def escape(text: str) -> str:
    """`text` as a vCard value: backslash, semicolon, comma and line
    breaks escaped (a carriage return is a line break)."""
    text = LINE_BREAK.sub("\n", text)
    return TO_ESCAPE.sub(lambda m: ESCAPED[m.group()], text)


def fold(line: str) -> str:
    """`line` with CRLF, folded so no line is over 75 octets of UTF-8:
    CRLF and a space before the character that would pass it."""
    if len(line) * 4 <= FOLD_AT or len(line.encode("utf-8")) <= FOLD_AT:
        return line + "\r\n"
    out: list[str] = []
    size = 0
    for character in line:
        width = len(character.encode("utf-8"))
        if size + width > FOLD_AT:
            out.append("\r\n ")
            size = 1
        out.append(character)
        size += width
    out.append("\r\n")
    return "".join(out)
