"""Generated contacts for the CSV round trip, shaped as the export hands
them to `write_csv`: every value trimmed and non-blank (the API stores
text trimmed and blank as null), no NUL or lone surrogate (no database
stores them), and a field left out rather than empty. Everything else is
fair: commas, quotes, semicolons, backslashes, " ::: ", line breaks of
every kind, a leading = or ', non-Latin text."""

from __future__ import annotations

from datetime import date
from typing import Any

from hypothesis import strategies as st

from app.fields import NO_YEAR, Kind
from app.formats.record import ContactData
from app.services.contact_input import AddressInput, EmailInput, PhoneInput
from tests.support.contact_data import field_values

# Characters the escaping has to get right, drawn often.
AWKWARD = ",;\"'\\\r\n\t=+-@:* \u2028\x0c\x85"

characters = st.characters(
    blacklist_categories=("Cs",), blacklist_characters="\x00"
) | st.sampled_from(AWKWARD)
texts = st.text(characters, min_size=1, max_size=30).map(str.strip).filter(bool)
optional_texts = st.none() | texts
birthdays = st.dates(min_value=date(1604, 1, 1), max_value=date(2100, 12, 31)) | (
    st.dates(min_value=date(NO_YEAR, 1, 1), max_value=date(NO_YEAR, 12, 31))
)

VALUES: dict[Kind, st.SearchStrategy[Any]] = {
    Kind.TEXT: texts,
    Kind.LONG_TEXT: texts,
    Kind.DATE: birthdays,
    # False is favorite's default: a contact that is not one leaves it out.
    Kind.BOOL: st.just(True),
}


emails = st.builds(EmailInput, value=texts, label=optional_texts, primary=st.booleans())
phones = st.builds(PhoneInput, value=texts, label=optional_texts, primary=st.booleans())
addresses = st.builds(
    AddressInput,
    label=optional_texts,
    street=optional_texts,
    city=optional_texts,
    region=optional_texts,
    postal_code=optional_texts,
    country=optional_texts,
).filter(lambda address: any(vars(address).values()))

contacts = st.builds(
    ContactData,
    fields=field_values(VALUES),
    emails=st.lists(emails, max_size=4),
    phones=st.lists(phones, max_size=4),
    addresses=st.lists(addresses, max_size=3),
    tags=st.lists(texts, max_size=4),
)
contacts_lists = st.lists(contacts, max_size=3)
