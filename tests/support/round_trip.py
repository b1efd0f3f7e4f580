"""Generated contacts for the export-import round trip
(tests/graphql/test_round_trip.py): what createContacts takes, with the
values files make hard (separators, quotes, backslashes, formula starts,
line breaks in notes, non-ASCII, birthdays without a year), and the
documents the round trip sends."""

from __future__ import annotations

import string
from datetime import date
from typing import Any

from hypothesis import strategies as st

from app.fields import NO_YEAR

# What vCard and CSV escape or quote, and what a spreadsheet would run.
AWKWARD = ",;:\\\"'=+-@()/&"
LINE = st.text(
    alphabet=string.ascii_letters + string.digits + " éßÅñ日本𝔘" + AWKWARD,
    min_size=1,
    max_size=12,
).filter(str.strip)
LINES = st.text(
    alphabet=string.ascii_letters + " ü" + AWKWARD + "\n", min_size=1, max_size=30
).filter(str.strip)
LABELS = st.sampled_from(
    [None, "home", "work", "other", "mobile", "Main", "Gym", "a;b,c", "Ünï"]
)
PHONES = st.sampled_from(
    ["+16502530000", "+442079460958", "+33142685300", "+4930901820", "+81312345678"]
)
COUNTRIES = st.sampled_from([None, "US", "GB", "FR", "DE", "JP"])
BIRTHDAYS = st.one_of(
    st.none(),
    st.dates(min_value=date(1900, 1, 1), max_value=date(2025, 12, 31)),
    st.dates(min_value=date(NO_YEAR, 1, 1), max_value=date(NO_YEAR, 12, 31)),
)
TAGS = st.sampled_from(["Friends", "friends", "Work", "Book club", "a,b", "Ümlaut"])


def optional(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), strategy)


@st.composite
def primary_flags(draw: st.DrawFn, count: int) -> list[bool | None]:
    """At most one True; the rest None or False."""
    flags: list[bool | None] = [
        draw(st.sampled_from([None, False])) for _ in range(count)
    ]
    if count and draw(st.booleans()):
        flags[draw(st.integers(0, count - 1))] = True
    return flags


@st.composite
def emails(draw: st.DrawFn) -> list[dict[str, Any]]:
    count = draw(st.integers(0, 3))
    locals_ = draw(
        st.lists(
            st.text(
                string.ascii_letters + string.digits + "._+", min_size=1, max_size=8
            )
            .filter(lambda text: not text.startswith(".") and ".." not in text)
            .filter(lambda text: not text.endswith(".")),
            min_size=count,
            max_size=count,
            unique_by=str.casefold,
        )
    )
    return [
        {"value": f"{local}@example.org", "label": draw(LABELS), "primary": flag}
        for local, flag in zip(locals_, draw(primary_flags(count)), strict=True)
    ]


@st.composite
def phones(draw: st.DrawFn) -> list[dict[str, Any]]:
    numbers = draw(st.lists(PHONES, max_size=3, unique=True))
    return [
        {"value": number, "label": draw(LABELS), "primary": flag}
        for number, flag in zip(numbers, draw(primary_flags(len(numbers))), strict=True)
    ]


@st.composite
def addresses(draw: st.DrawFn) -> list[dict[str, Any]]:
    found = []
    for _ in range(draw(st.integers(0, 2))):
        address = {
            "label": draw(LABELS),
            "street": draw(optional(LINE)),
            "city": draw(optional(LINE)),
            "region": draw(optional(LINE)),
            "postalCode": draw(
                optional(
                    st.text("0123456789 -AB", min_size=1, max_size=8).filter(str.strip)
                )
            ),
            "country": draw(COUNTRIES),
        }
        if any(value for name, value in address.items() if name != "label"):
            found.append(address)
    return found


@st.composite
def contact_inputs(draw: st.DrawFn) -> dict[str, Any]:
    """A CreateContactInput the API accepts: something names it (a name,
    a nickname, a company, an email or a phone)."""
    birthday = draw(BIRTHDAYS)
    contact = {
        "firstName": draw(optional(LINE)),
        "lastName": draw(optional(LINE)),
        "nickname": draw(optional(LINE)),
        "company": draw(optional(LINE)),
        "jobTitle": draw(optional(LINE)),
        "birthday": birthday.isoformat() if birthday else None,
        "notes": draw(optional(LINES)),
        "favorite": draw(st.booleans()),
        "emails": draw(emails()),
        "phones": draw(phones()),
        "addresses": draw(addresses()),
        "tags": draw(st.lists(TAGS, max_size=3)),
    }
    naming = ("firstName", "lastName", "nickname", "company", "emails", "phones")
    if not any(contact[name] for name in naming):
        contact["firstName"] = draw(LINE)
    return contact


CREATE_CONTACTS = """
mutation CreateContacts($input: [CreateContactInput!]!) {
  createContacts(input: $input) { contacts { id } userErrors { field message code } }
}
"""
IMPORT_CONTACTS = """
mutation Import($input: ImportContactsInput!) {
  importContacts(input: $input) {
    importedCount duplicateCount skippedCount failedCount
    records { index status errors { field message code } }
    userErrors { field message code }
  }
}
"""
# Every field a contact shows, but its id, times and version.
CONTACTS = """
query Contacts {
  contacts(first: 100, orderBy: {field: CREATED_AT, direction: ASC}) {
    nodes {
      firstName lastName displayName nickname company jobTitle birthday notes
      favorite
      emails { value label primary }
      phones { value label primary }
      addresses { label street city region postalCode country }
      tags { name contactCount }
    }
  }
}
"""
