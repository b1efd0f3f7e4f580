"""Validation and normalisation of contact input, before anything is written.

Functions take the raw values of a create or update and return clean ones,
collecting every problem as a `FieldError` with its path into the arguments
(for example `("input", "emails", "0", "value")`), so one response can list
them all.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import phonenumbers
import pycountry

from app.errors import FieldError, UserErrorCode
from app.fields import BY_NAME, CONTACT_FIELDS, ContactField
from app.services.text import Path, clean_email, clean_text, required_unless_reported

LABEL_MAX_LENGTH = 50
PHONE_INPUT_MAX_LENGTH = 50
ADDRESS_LIMITS = {
    "street": 200,
    "city": 100,
    "region": 100,
    "postal_code": 20,
}
TAG_MAX_LENGTH = 50
LIST_MAX_ITEMS = 50

# GraphQL argument names, for error paths.
API_NAMES = {
    **{field.name: field.api_name for field in CONTACT_FIELDS},
    "postal_code": "postalCode",
}


def api_name(name: str) -> str:
    return API_NAMES.get(name, name)


@dataclass(frozen=True)
class EmailInput:
    value: str
    label: str | None = None
    primary: bool | None = None


@dataclass(frozen=True)
class PhoneInput:
    value: str
    label: str | None = None
    primary: bool | None = None
    region: str | None = None


@dataclass(frozen=True)
class AddressInput:
    label: str | None = None
    street: str | None = None
    city: str | None = None
    region: str | None = None
    postal_code: str | None = None
    country: str | None = None


@dataclass(frozen=True)
class CleanEmail:
    value: str
    label: str | None
    primary: bool


@dataclass(frozen=True)
class CleanPhone:
    value: str
    label: str | None
    primary: bool


@dataclass(frozen=True)
class CleanAddress:
    label: str | None = None
    street: str | None = None
    city: str | None = None
    region: str | None = None
    postal_code: str | None = None
    country: str | None = None


PrimaryItem = TypeVar("PrimaryItem", CleanEmail, CleanPhone)


@dataclass
class Cleaner:
    """Cleans the fields of one create or update, collecting errors."""

    root: Path = ("input",)
    errors: list[FieldError] = field(default_factory=list)

    def error(self, path: Path, message: str, code: UserErrorCode) -> None:
        self.errors.append(FieldError(path, message, code))

    def clean(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        """Clean values for the fields given; None stays None (cleared)."""
        cleaners: dict[str, Callable[[Any, Path], Any]] = {
            "emails": self.emails,
            "phones": self.phones,
            "addresses": self.addresses,
            "tags": self.tags,
        }
        cleaned: dict[str, Any] = {}
        for name, value in fields.items():
            path = (*self.root, api_name(name))
            declared = BY_NAME.get(name)
            if declared is None:
                cleaned[name] = cleaners[name](value, path)
            else:
                cleaned[name] = self.scalar(declared, value, path)
        return cleaned

    def scalar(self, declared: ContactField, value: Any, path: Path) -> Any:
        """Text trimmed (blank is None) within its limit; a null that the
        column cannot hold is the field's default; anything else as given."""
        if declared.max_length is not None:
            return clean_text(value, path, declared.max_length, self.errors)
        if value is None and not declared.nullable:
            return declared.default
        return value

    def _items(self, items: list[Any] | None, path: Path) -> list[Any]:
        if not items:
            return []
        if len(items) > LIST_MAX_ITEMS:
            self.error(path, f"At most {LIST_MAX_ITEMS} items.", UserErrorCode.TOO_LONG)
            return []
        return items

    def emails(self, items: list[EmailInput] | None, path: Path) -> list[CleanEmail]:
        cleaned = []
        for index, item in enumerate(self._items(items, path)):
            item_path = (*path, str(index))
            value = clean_email(item.value, (*item_path, "value"), self.errors)
            label = self.label(item.label, item_path)
            if value is not None:
                cleaned.append(CleanEmail(value, label, bool(item.primary)))
        return self.one_primary(cleaned, path, "email")

    def phones(self, items: list[PhoneInput] | None, path: Path) -> list[CleanPhone]:
        cleaned = []
        for index, item in enumerate(self._items(items, path)):
            item_path = (*path, str(index))
            errors_before = len(self.errors)
            region = self.phone_region(item.region, (*item_path, "region"))
            # Without its region a national number cannot be read, and calling
            # it invalid would only repeat the region's error.
            value = (
                self.phone_value(item.value, region, (*item_path, "value"))
                if len(self.errors) == errors_before
                else None
            )
            label = self.label(item.label, item_path)
            if value is not None:
                cleaned.append(CleanPhone(value, label, bool(item.primary)))
        return self.one_primary(cleaned, path, "phone")

    def phone_region(self, raw: str | None, path: Path) -> str | None:
        return self.country_code(
            raw, path, lambda code: code in phonenumbers.SUPPORTED_REGIONS
        )

    def phone_value(self, raw: str, region: str | None, path: Path) -> str | None:
        """The number in E.164; a national number needs `region`."""
        value = clean_text(raw, path, PHONE_INPUT_MAX_LENGTH, self.errors)
        if value is None:
            self.required_unless_reported(path, "Enter a phone number.")
            return None
        try:
            number = phonenumbers.parse(value, region)
        except phonenumbers.NumberParseException as error:
            if (
                error.error_type
                == phonenumbers.NumberParseException.INVALID_COUNTRY_CODE
            ):
                message = (
                    "Write the number with its country code (+…), "
                    "or give the region it is a national number of."
                )
            else:
                message = "Not a phone number."
            self.error(path, message, UserErrorCode.INVALID)
            return None
        if not phonenumbers.is_valid_number(number):
            self.error(path, "Not a valid phone number.", UserErrorCode.INVALID)
            return None
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)

    def addresses(
        self, items: list[AddressInput] | None, path: Path
    ) -> list[CleanAddress]:
        cleaned = []
        for index, item in enumerate(self._items(items, path)):
            item_path = (*path, str(index))
            errors_before = len(self.errors)
            parts = {
                name: clean_text(
                    getattr(item, name),
                    (*item_path, api_name(name)),
                    limit,
                    self.errors,
                )
                for name, limit in ADDRESS_LIMITS.items()
            }
            parts["country"] = self.country(item.country, (*item_path, "country"))
            label = self.label(item.label, item_path)
            if len(self.errors) > errors_before:
                continue
            if not any(parts.values()):
                self.error(item_path, "The address is empty.", UserErrorCode.REQUIRED)
                continue
            cleaned.append(CleanAddress(label=label, **parts))
        return cleaned

    def country(self, raw: str | None, path: Path) -> str | None:
        return self.country_code(
            raw, path, lambda code: pycountry.countries.get(alpha_2=code) is not None
        )

    def country_code(
        self, raw: str | None, path: Path, known: Callable[[str], bool]
    ) -> str | None:
        """An ISO 3166-1 alpha-2 code, upper-cased; blank is None.

        Anything that is not a `known` code is INVALID, whatever its length:
        "USA" is a wrong code rather than a long one.
        """
        if raw is None or not raw.strip():
            return None
        code = raw.strip().upper()
        if not known(code):
            self.error(
                path,
                "Must be an ISO 3166-1 alpha-2 country code, like US or GB.",
                UserErrorCode.INVALID,
            )
            return None
        return code

    def tags(self, names: list[str] | None, path: Path) -> list[str]:
        """Tag names, trimmed, without case-insensitive repeats."""
        cleaned: dict[str, str] = {}
        for index, raw in enumerate(self._items(names, path)):
            item_path = (*path, str(index))
            name = clean_text(raw, item_path, TAG_MAX_LENGTH, self.errors)
            if name is None:
                self.required_unless_reported(item_path, "Enter a tag name.")
                continue
            cleaned.setdefault(name.casefold(), name)
        return list(cleaned.values())

    def label(self, raw: str | None, item_path: Path) -> str | None:
        return clean_text(raw, (*item_path, "label"), LABEL_MAX_LENGTH, self.errors)

    def one_primary(
        self, items: list[PrimaryItem], path: Path, noun: str
    ) -> list[PrimaryItem]:
        """At most one item may be marked primary; with none, the first is."""
        marked = [item.primary for item in items]
        if marked.count(True) > 1:
            self.error(
                path, f"Mark at most one {noun} as primary.", UserErrorCode.INVALID
            )
        elif items and True not in marked:
            items[0] = type(items[0])(items[0].value, items[0].label, True)
        return items

    def required_unless_reported(self, path: Path, message: str) -> None:
        required_unless_reported(path, message, self.errors)
