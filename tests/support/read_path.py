"""The reader of the read-path tests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Flask

from app.services import contacts
from app.services.contact_input import AddressInput, EmailInput, PhoneInput


@dataclass(frozen=True)
class Viewer:
    token: str
    user_id: int
    app: Flask

    def add(self, fields: dict[str, Any]) -> None:
        with self.app.app_context():
            contacts.create_contact(self.user_id, fields)

    def add_contacts(self, count: int) -> None:
        """`count` contacts with two emails, a phone, an address and two tags."""
        for number in range(count):
            self.add(
                {
                    "last_name": f"Person {number:03}",
                    "emails": [
                        EmailInput(f"p{number}@example.com", "work", True),
                        EmailInput(f"p{number}@example.org"),
                    ],
                    "phones": [PhoneInput(f"+1650253{number:04}")],
                    "addresses": [AddressInput(city="Oslo", country="NO")],
                    "tags": ["friends", f"group {number % 3}"],
                },
            )
