"""When two contacts look like the same person: the one definition that
`duplicateContacts`, the import's duplicate check and the merge share.

Pure functions, no database. Each kind of value has a key, and two values
with the same key are the same value:

- `email_key`: the address as accounts compare theirs (app.services.text):
  normalised, case-folded ("compared lower-cased"), in NFC. Stored in
  `contact_emails.value_key`, which the model fills in on every insert.
- `phone_key`: the stored E.164 value itself (the input cleaning already
  wrote every spelling of a number the one way).
- `name_key`: the first and last name joined, in Unicode NFKC, case-folded,
  whitespace collapsed; None for a contact without either (a company or an
  address alone names no person). Stored in `contacts.name_key`.
- `address_key` and `tag_key`, which a merge de-duplicates the lists by.

Two contacts are linked by a shared email key or a shared phone key alone.
A shared name key links them only when nothing contradicts it
(`contradicts`): a name is the weakest of the three, so a group found by
name alone says so and a frontend asks before merging.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from enum import Enum
from typing import Any, NamedTuple

from app.fields import BY_NAME, NAME_FIELDS, NO_YEAR
from app.services import text

# The stored keys' columns: their input's limit, times what case-folding
# and NFKC may add. A longer key is cut (`_fit`): two names that agree on
# their first NAME_KEY_LENGTH characters are then taken for one.
NAME_KEY_LENGTH = 600
EMAIL_KEY_LENGTH = 254 * 3
# The fields (by GraphQL name, as the change log names them) that the keys
# and facts below are made of: an edit of none of them matches as before.
MATCHED_FIELDS = frozenset(
    {
        *(BY_NAME[name].api_name for name in (*NAME_FIELDS, "birthday", "company")),
        "emails",
        "phones",
    }
)


class Reason(Enum):
    """Why two contacts look like one person, strongest first."""

    SAME_EMAIL = "SAME_EMAIL"
    SAME_PHONE = "SAME_PHONE"
    SAME_NAME = "SAME_NAME"


def text_key(value: str | None) -> str:
    """`value` as names and address parts are compared: Unicode NFKC (so a
    full-width letter or a ligature like U+FB01 is the letters it shows),
    case-folded, NFKC again (case-folding can undo it), whitespace runs
    made one space and trimmed. None is the empty string."""
    if not value:
        return ""
    folded = unicodedata.normalize("NFKC", value).casefold()
    return " ".join(unicodedata.normalize("NFKC", folded).split())


def email_key(value: str) -> str:
    """The key of an email address: every spelling of one address has the
    same (`text.email_key`, the accounts' own comparison)."""
    return text.email_key(value)[:EMAIL_KEY_LENGTH]


def phone_key(value: str) -> str:
    """The key of a stored phone number: its E.164 form, as stored."""
    return value


def name_key(values: Mapping[str, Any]) -> str | None:
    """The key of the name that a contact's field `values` (by field name;
    one left out is empty) give: the NAME fields (first and last name)
    joined and `text_key`ed. None when the contact has neither."""
    key = text_key(" ".join(values.get(name) or "" for name in NAME_FIELDS))
    return key[:NAME_KEY_LENGTH] or None


def tag_key(name: str) -> str:
    """The key of a tag name: case-folded, as the tags table's `name_key`
    (one tag per key and user), so a merge's union agrees with the table."""
    return name.casefold()


ADDRESS_PARTS = ("street", "city", "region", "postal_code", "country")


def address_key(address: Any) -> tuple[str, ...]:
    """The key of a postal address (anything with ADDRESS_PARTS as
    attributes): each part `text_key`ed. The label is left out: the same
    place called "home" on one contact and "Home" or nothing on another is
    one address."""
    return tuple(text_key(getattr(address, part)) for part in ADDRESS_PARTS)


class Facts(NamedTuple):
    """What of a contact can contradict a match by name (a tuple: finding
    duplicates makes one for every contact that shares its name)."""

    birthday: date | None = None
    company: str = ""  # its text_key; empty without one
    emails: frozenset[str] = frozenset()  # email keys
    phones: frozenset[str] = frozenset()  # phone keys


def facts(
    values: Mapping[str, Any], emails: Iterable[str], phones: Iterable[str]
) -> Facts:
    """The `Facts` of a contact with these field `values` (by name) and
    stored email and phone values (not keys)."""
    return Facts(
        birthday=values.get("birthday"),
        company=text_key(values.get("company")),
        emails=frozenset(email_key(value) for value in emails),
        phones=frozenset(phone_key(value) for value in phones),
    )


def contradicts(a: Facts, b: Facts) -> bool:
    """Whether two contacts of one name are evidently two people. Only what
    both have can disagree; what one of them lacks is no contradiction
    (the other may just know more). They are two people when:

    - both have a birthday and the two differ (a birthday without a year,
      stored in NO_YEAR, agrees with any year of the same day);
    - both have emails and share none;
    - both have phones and share none;
    - both have a company and the two differ (compared as `text_key`s).
    """
    return (
        _differ(a.birthday, b.birthday, _same_birthday)
        or _disjoint(a.emails, b.emails)
        or _disjoint(a.phones, b.phones)
        or _differ(a.company, b.company, str.__eq__)
    )


def _differ(a: Any, b: Any, same: Callable[[Any, Any], bool]) -> bool:
    return bool(a) and bool(b) and not same(a, b)


def _disjoint(a: frozenset[str], b: frozenset[str]) -> bool:
    return bool(a) and bool(b) and a.isdisjoint(b)


def _same_birthday(a: date, b: date) -> bool:
    if NO_YEAR in (a.year, b.year):
        return (a.month, a.day) == (b.month, b.day)
    return a == b
