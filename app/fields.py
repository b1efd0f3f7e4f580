"""A contact's scalar fields, declared once.

Everything that lists a contact's own values follows `CONTACT_FIELDS`: the
model's columns, the input limits and error paths, the listing's columns
and record, the GraphQL `Contact` type and both inputs with their
descriptions, the search text and the display name. The related lists
(emails, phones, addresses, tags) are not scalars and are not here.

Adding a field is adding a `ContactField` (and a migration); CONTRIBUTING.md
walks through it.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from dataclasses import MISSING, dataclass
from datetime import date
from enum import Enum
from typing import Any, TypeVar

from strawberry.utils.str_converters import to_camel_case

T = TypeVar("T")


class Kind(Enum):
    """What a field holds, and how it is stored."""

    TEXT = "text"  # VARCHAR(max_length)
    LONG_TEXT = "long text"  # TEXT, max_length checked by the app only
    DATE = "date"
    BOOL = "bool"


PYTHON_TYPES: dict[Kind, type] = {
    Kind.TEXT: str,
    Kind.LONG_TEXT: str,
    Kind.DATE: date,
    Kind.BOOL: bool,
}


class Naming(Enum):
    """A field's part in a contact's display name."""

    NONE = "none"
    NAME = "name"  # joined with the other NAME fields: "first last"
    FALLBACK = "fallback"  # used alone, in field order, when there is no name


@dataclass(frozen=True)
class ContactField:
    """One scalar field of a contact.

    `name` is the Python attribute and the column; `noun` names it in
    messages and descriptions. `searchable` fields are part of the text
    `search` matches; `naming` places the field in the display name (the
    fields that name a contact are also the ones a contact needs one of).
    """

    name: str
    kind: Kind
    noun: str
    max_length: int | None = None
    description: str | None = None
    searchable: bool = False
    naming: Naming = Naming.NONE
    nullable: bool = True
    default: Any = None

    @property
    def api_name(self) -> str:
        """The GraphQL name, as strawberry derives it."""
        return to_camel_case(self.name)

    @property
    def python_type(self) -> Any:
        """The value's type as the API shows it (None allowed if nullable)."""
        value_type = PYTHON_TYPES[self.kind]
        return value_type | None if self.nullable else value_type

    @property
    def input_description(self) -> str | None:
        """The description of the input field: the field's, then its limit."""
        limit = (
            f"At most {self.max_length:,} characters."
            if self.max_length is not None
            else None
        )
        parts = [part for part in (self.description, limit) if part]
        return " ".join(parts) or None


CONTACT_FIELDS = (
    ContactField(
        "first_name",
        Kind.TEXT,
        "first name",
        max_length=100,
        searchable=True,
        naming=Naming.NAME,
    ),
    ContactField(
        "last_name",
        Kind.TEXT,
        "last name",
        max_length=100,
        searchable=True,
        naming=Naming.NAME,
    ),
    ContactField(
        "nickname",
        Kind.TEXT,
        "nickname",
        max_length=100,
        description="What the contact is called informally, like Bob for Robert.",
        searchable=True,
        naming=Naming.FALLBACK,
    ),
    ContactField(
        "company",
        Kind.TEXT,
        "company",
        max_length=200,
        searchable=True,
        naming=Naming.FALLBACK,
    ),
    ContactField("job_title", Kind.TEXT, "job title", max_length=200),
    ContactField("birthday", Kind.DATE, "birthday"),
    ContactField("notes", Kind.LONG_TEXT, "notes", max_length=10_000),
    ContactField("favorite", Kind.BOOL, "favorite", nullable=False, default=False),
)

# The year a birthday without a year is stored in: a date column needs one.
# 1604 is Apple's convention (vCard's X-APPLE-OMIT-YEAR=1604), so files
# from Apple devices read back as they were written, and it is a leap year,
# so 29 February fits. No one alive was born then: nothing computes an age
# from it (app/services/birthdays.py), and the vCard and CSV writers show
# such a birthday without its year.
NO_YEAR = 1604

BY_NAME = {field.name: field for field in CONTACT_FIELDS}
NAME_FIELDS = tuple(f.name for f in CONTACT_FIELDS if f.naming is Naming.NAME)
FALLBACK_FIELDS = tuple(f.name for f in CONTACT_FIELDS if f.naming is Naming.FALLBACK)
# The fields that name a contact, in display-name order; a contact needs
# one of them, or an email or phone.
NAMING_FIELDS = NAME_FIELDS + FALLBACK_FIELDS
SEARCH_NAME_FIELDS = tuple(n for n in NAME_FIELDS if BY_NAME[n].searchable)
SEARCH_OTHER_FIELDS = tuple(
    f.name for f in CONTACT_FIELDS if f.searchable and f.naming is not Naming.NAME
)


def nouns(names: tuple[str, ...]) -> list[str]:
    return [BY_NAME[name].noun for name in names]


def needs_one_of() -> str:
    """What a contact needs one of, for messages: "first name, last name,
    company, email or phone"."""
    *others, last = [*nouns(NAMING_FIELDS), "email", "phone"]
    return f"{', '.join(others)} or {last}"


def full_name_pattern() -> str:
    """How the NAME fields make a name, for descriptions: "first last"."""
    return " ".join(noun.split()[0] for noun in nouns(NAME_FIELDS))


def records() -> dict[str, tuple[Any, Any]]:
    """The declared fields as `add_fields` takes them, typed, no defaults."""
    return {field.name: (field.python_type, MISSING) for field in CONTACT_FIELDS}


def add_fields(
    cls: type[T], fields: Mapping[str, tuple[Any, Any]], after: str | None = None
) -> type[T]:
    """`cls`, about to become a dataclass or strawberry type, with `fields`
    (name: (annotation, default or MISSING)) among its annotations: first,
    or right after `after`. A `display_name` of `cls` moves to just after
    the NAME fields, where the API has always shown it."""
    own = dict(inspect.get_annotations(cls))
    names = [name for name in own if name != "display_name"]
    at = names.index(after) + 1 if after is not None else 0
    names[at:at] = fields
    if "display_name" in own:
        names.insert(names.index(NAME_FIELDS[-1]) + 1, "display_name")
    cls.__annotations__ = {
        name: fields[name][0] if name in fields else own[name] for name in names
    }
    for name, (_, default) in fields.items():
        if default is not MISSING:
            setattr(cls, name, default)
    return cls


def with_contact_fields(cls: type[T]) -> type[T]:
    """`cls` with the declared fields after its id (a record's layout)."""
    return add_fields(cls, records(), after="id")
