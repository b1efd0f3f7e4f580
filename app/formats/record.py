"""A contact as a file holds it, the one shape every reader produces and
every writer takes: vCard (app/formats/vcard.py) and CSV
(app/formats/csv_formats.py) in both directions, import
(app/services/imports.py) and export (app/services/exports.py).

`ContactData.as_input()` is what `create_contact` and `create_contacts`
take, so an imported record is validated by the same rules as a contact
written through the API; nothing here checks values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.errors import FieldError
from app.services.contact_input import AddressInput, EmailInput, PhoneInput


@dataclass
class ContactData:
    """The declared fields by name (app.fields: `first_name`, `birthday`, …;
    a field left out is empty) and the contact's lists, in file order."""

    fields: dict[str, Any] = field(default_factory=dict)
    emails: list[EmailInput] = field(default_factory=list)
    phones: list[PhoneInput] = field(default_factory=list)
    addresses: list[AddressInput] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)

    def as_input(self) -> dict[str, Any]:
        """The fields as `create_contact` takes them."""
        return {
            **self.fields,
            "emails": self.emails,
            "phones": self.phones,
            "addresses": self.addresses,
            "tags": self.tags,
        }

    def is_empty(self) -> bool:
        """Nothing at all to import: a card or row with no value."""
        return not (
            any(value not in (None, "", False) for value in self.fields.values())
            or self.emails
            or self.phones
            or self.addresses
            or self.tags
        )


@dataclass
class ParsedRecord:
    """One card or row of a file: its 0-based position among the file's
    records, the contact read from it, and what could not be read, each
    `FieldError` at a path inside the record (("birthday",),
    ("emails", "1", "value")); the import puts ("records", "<index>") in
    front."""

    index: int
    contact: ContactData
    problems: list[FieldError] = field(default_factory=list)
