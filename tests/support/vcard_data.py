"""Generated contacts for the vCard round trip (tests/formats/test_vcard.py),
shaped as the export hands them to `write_vcard`: every value trimmed and
non-blank, a field left out rather than empty, favorite only when true,
at most one primary per list and the others False, countries as ISO
alpha-2 codes, tags unique ignoring case.

Everything else is fair: commas, semicolons, backslashes, colons, line
feeds, the breaks only str.splitlines sees (U+2028, form feed, NEL),
non-Latin text, labels that are vCard types and labels that are not. Left
out, because vCard cannot give them back (app/formats/vcard.py says why):
carriage returns, a label spelt like an Apple system label, the tags
Google uses as system groups, and a phone written as a tel: URI.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pycountry
from hypothesis import strategies as st

from app.fields import NO_YEAR, Kind
from app.formats.record import ContactData
from app.services.contact_input import AddressInput, EmailInput, PhoneInput
from tests.support.contact_data import field_values

# Characters the escaping and folding have to get right, drawn often.
AWKWARD = ",;:\\\"'\n\t= \u2028\x0c\x85é日𝔘"

characters = st.characters(
    blacklist_categories=("Cs",), blacklist_characters="\x00\r"
) | st.sampled_from(AWKWARD)
texts = (
    st.text(characters, min_size=1, max_size=30)
    .map(str.strip)
    .filter(bool)
    .filter(lambda text: "_$!<" not in text)
)
long_texts = st.text(characters, min_size=1, max_size=200).map(str.strip).filter(bool)
optional_texts = st.none() | texts
# Labels a TYPE carries, Apple's system labels, and free text.
TYPE_LABELS = ["home", "work", "mobile", "fax", "pager", "home fax", "work fax"]
OTHER_LABELS = ["other", "main", "other fax", "Home", "cell", "iphone", "pref"]
labels = (
    st.none()
    | st.sampled_from([*TYPE_LABELS, *OTHER_LABELS])
    | texts.map(lambda text: text[:50].strip()).filter(bool)
)
birthdays = st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)) | (
    st.dates(min_value=date(NO_YEAR, 1, 1), max_value=date(NO_YEAR, 12, 31))
)
countries = st.none() | st.sampled_from(
    sorted(country.alpha_2 for country in pycountry.countries)
)
phone_values = texts.filter(lambda text: not text.lower().startswith("tel:"))
tags = texts.filter(lambda text: text.casefold() not in {"mycontacts", "starred"})

VALUES: dict[Kind, st.SearchStrategy[Any]] = {
    Kind.TEXT: texts,
    Kind.LONG_TEXT: long_texts,
    Kind.DATE: birthdays,
    # False is favorite's default: a contact that is not one leaves it out.
    Kind.BOOL: st.just(True),
}


@st.composite
def primary_flags(draw: st.DrawFn, count: int) -> list[bool]:
    """At most one True, the others False."""
    flags = [False] * count
    if count and draw(st.booleans()):
        flags[draw(st.integers(0, count - 1))] = True
    return flags


@st.composite
def emails(draw: st.DrawFn) -> list[EmailInput]:
    values = draw(st.lists(texts, max_size=4))
    flags = draw(primary_flags(len(values)))
    return [
        EmailInput(value, draw(labels), flag)
        for value, flag in zip(values, flags, strict=True)
    ]


@st.composite
def phones(draw: st.DrawFn) -> list[PhoneInput]:
    values = draw(st.lists(phone_values, max_size=4))
    flags = draw(primary_flags(len(values)))
    return [
        PhoneInput(value, draw(labels), flag)
        for value, flag in zip(values, flags, strict=True)
    ]


addresses = st.builds(
    AddressInput,
    label=labels,
    street=optional_texts,
    city=optional_texts,
    region=optional_texts,
    postal_code=optional_texts,
    country=countries,
).filter(
    lambda address: any(
        getattr(address, part)
        for part in ("street", "city", "region", "postal_code", "country")
    )
)

contacts = st.builds(
    ContactData,
    fields=field_values(VALUES),
    emails=emails(),
    phones=phones(),
    addresses=st.lists(addresses, max_size=3),
    tags=st.lists(tags, max_size=4, unique_by=str.casefold),
)
