"""factory_boy factories of the models, bound to the app's `db.session`.

They build rows directly, for tests of what lies below the API (services,
reads, the database); tests of the API register and create through it
(tests/helpers.py). Each factory flushes, so rows have their ids at once; a
test commits when it needs the rows seen by another connection. Use them
inside an app context (the `app_context` fixture).
"""

from __future__ import annotations

from typing import Any

import factory
from factory.alchemy import SQLAlchemyModelFactory

from app.extensions import db
from app.models import Contact, EmailAddress, PhoneNumber, PostalAddress, Tag, User
from app.services.passwords import hash_password
from app.services.text import email_key
from tests.helpers import DEFAULT_PASSWORD


class BaseFactory(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session = db.session
        sqlalchemy_session_persistence = "flush"


class UserFactory(BaseFactory):
    """A user who can log in with `password` (DEFAULT_PASSWORD unless given),
    hashed by the app's own password service."""

    class Meta:
        model = User

    class Params:
        password = DEFAULT_PASSWORD

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    email_key = factory.LazyAttribute(lambda user: email_key(user.email))
    name = None
    password_hash = factory.LazyAttribute(lambda user: hash_password(user.password))


class TagFactory(BaseFactory):
    class Meta:
        model = Tag

    class Params:
        user = factory.SubFactory(UserFactory)

    user_id = factory.SelfAttribute("user.id")
    name = factory.Sequence(lambda n: f"Tag {n}")
    name_key = factory.LazyAttribute(lambda tag: tag.name.casefold())


class EmailFactory(BaseFactory):
    class Meta:
        model = EmailAddress

    position = factory.Sequence(int)
    value = factory.Sequence(lambda n: f"contact{n}@example.com")
    label = None
    primary = False


class PhoneFactory(BaseFactory):
    class Meta:
        model = PhoneNumber

    position = factory.Sequence(int)
    value = factory.Sequence(lambda n: f"+1650253{n:04d}")
    label = None
    primary = False


class AddressFactory(BaseFactory):
    class Meta:
        model = PostalAddress

    position = factory.Sequence(int)
    label = None
    street = None
    city = "London"
    region = None
    postal_code = None
    country = "GB"


class ContactFactory(BaseFactory):
    """A contact of `user` (a new one unless given), with the derived columns
    (sort keys, search text, birthday key) computed as the service does.
    `emails`, `phones` and `addresses` take lists of factory keyword
    arguments; `tags`, Tag rows of the same user."""

    class Meta:
        model = Contact

    class Params:
        user = factory.SubFactory(UserFactory)

    user_id = factory.SelfAttribute("user.id")
    first_name = factory.Sequence(lambda n: f"Contact {n}")

    @classmethod
    def _create(cls, model_class: type[Contact], *args: Any, **kwargs: Any) -> Contact:
        emails = kwargs.pop("emails", [])
        phones = kwargs.pop("phones", [])
        addresses = kwargs.pop("addresses", [])
        tags = kwargs.pop("tags", [])
        contact = model_class(*args, **kwargs)
        contact.emails = [
            EmailFactory.build(position=i, **fields) for i, fields in enumerate(emails)
        ]
        contact.phones = [
            PhoneFactory.build(position=i, **fields) for i, fields in enumerate(phones)
        ]
        contact.addresses = [
            AddressFactory.build(position=i, **fields)
            for i, fields in enumerate(addresses)
        ]
        contact.tags = list(tags)
        contact.refresh_derived()
        session = cls._meta.sqlalchemy_session
        session.add(contact)
        session.flush()
        return contact
