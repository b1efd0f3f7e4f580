"""Demo data: users with address books of realistic, valid contacts.

`DemoGenerator` makes the data from a seeded `random.Random`, so the same
seed gives the same users and contacts; it uses no database. `seed` writes
them fast, with Core `INSERT ... RETURNING` executemany in batches, one
transaction per user. The values are already in the form the API stores
(E.164 phones, upper-case ISO 3166 countries, one primary email and phone),
so they pass `contact_input.Cleaner` unchanged, and the derived columns come
from `models.derived_values`, as the model's own.
"""

from __future__ import annotations

import random
import re
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from functools import cache
from time import perf_counter
from typing import Any

import phonenumbers
import psycopg
from sqlalchemy import Table, insert, select, text

from app.db.transaction import transactional
from app.errors import InvalidInput, UserErrorCode
from app.extensions import Base, db
from app.models import (
    Contact,
    EmailAddress,
    PhoneNumber,
    PostalAddress,
    Tag,
    User,
    contact_tags,
    derived_values,
    utcnow,
)
from app.services import duplicate_groups, matching, passwords
from app.services.contact_input import (
    AddressInput,
    CleanAddress,
    CleanEmail,
    CleanPhone,
    EmailInput,
    PhoneInput,
)
from app.services.seed_data import (
    COMPANIES,
    COUNTRIES,
    FIRST_NAMES,
    JOB_TITLES,
    LAST_NAMES,
    NOTES,
    PERSONAL_DOMAINS,
    TAG_NAMES,
    Country,
)
from app.services.text import email_key

# Not among the common passwords the rules refuse (a test checks), and
# printed by `flask seed`: demo accounts only.
DEMO_PASSWORD = "explore the contacts demo"
DEMO_EMAIL = "demo{number}@example.com"
BATCH_SIZE = 1000

# The tables behind the models, for Core inserts.
USERS, CONTACTS, EMAILS, PHONES, ADDRESSES, TAGS = (
    Base.metadata.tables[model.__tablename__]
    for model in (User, Contact, EmailAddress, PhoneNumber, PostalAddress, Tag)
)

# Letters that NFKD does not split into an ASCII letter and an accent.
ASCII_LETTERS = str.maketrans({"ł": "l", "ø": "o", "ß": "ss", "æ": "ae", "đ": "d"})


@dataclass(frozen=True)
class DemoUser:
    email: str
    name: str


@dataclass(frozen=True)
class DemoContact:
    """One contact, its values already clean, as `create_contact` stores them."""

    first_name: str | None
    last_name: str | None
    company: str | None
    job_title: str | None
    birthday: date | None
    notes: str | None
    favorite: bool
    emails: tuple[CleanEmail, ...]
    phones: tuple[CleanPhone, ...]
    addresses: tuple[CleanAddress, ...]
    tags: tuple[str, ...]
    created_ago: timedelta  # created this long before the seed ran
    updated_ago: timedelta  # and last changed this long before it

    def input_fields(self) -> dict[str, Any]:
        """The contact as API input: what `createContact` would be given."""
        return {
            "first_name": self.first_name,
            "last_name": self.last_name,
            "company": self.company,
            "job_title": self.job_title,
            "birthday": self.birthday,
            "notes": self.notes,
            "favorite": self.favorite,
            "emails": [EmailInput(e.value, e.label, e.primary) for e in self.emails],
            "phones": [PhoneInput(p.value, p.label, p.primary) for p in self.phones],
            "addresses": [AddressInput(**asdict(a)) for a in self.addresses],
            "tags": list(self.tags),
        }

    def derived(self) -> dict[str, Any]:
        """The derived columns (DERIVED_COLUMNS), as the model derives them."""
        return derived_values(
            vars(self),
            [email.value for email in self.emails],
            [phone.value for phone in self.phones],
        )


def _weighted(rng: random.Random, weights: Sequence[int]) -> int:
    """An index into `weights`, drawn in proportion to them."""
    return rng.choices(range(len(weights)), weights)[0]


@dataclass
class DemoGenerator:
    """Demo users and contacts; the same seed gives the same sequence."""

    seed: int | None = None
    rng: random.Random = field(init=False)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    def user(self, number: int) -> DemoUser:
        name = f"{self.rng.choice(FIRST_NAMES)} {self.rng.choice(LAST_NAMES)}"
        return DemoUser(demo_email(number), name)

    def contacts(
        self, count: int, batch_size: int = BATCH_SIZE
    ) -> Iterator[list[DemoContact]]:
        """`count` contacts, in lists of at most `batch_size`."""
        for start in range(0, count, batch_size):
            yield [self.contact() for _ in range(min(batch_size, count - start))]

    def contact(self) -> DemoContact:
        rng = self.rng
        country = rng.choice(COUNTRIES)
        company = rng.choice(COMPANIES) if rng.random() < 0.6 else None
        if company and rng.random() < 0.05:
            first = last = None  # a business card: just the company
        else:
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        created_ago = timedelta(seconds=rng.randrange(730 * 24 * 3600))
        # Most contacts were never edited; the rest some time after creation.
        edited = rng.random() < 0.3
        updated_ago = created_ago * rng.random() if edited else created_ago
        return DemoContact(
            first_name=first,
            last_name=last,
            company=company,
            job_title=rng.choice(JOB_TITLES) if first and company else None,
            birthday=self.birthday() if first and rng.random() < 0.4 else None,
            notes=rng.choice(NOTES) if rng.random() < 0.15 else None,
            favorite=rng.random() < 0.1,
            emails=self.emails(first, last, company),
            phones=self.phones(country),
            addresses=self.addresses(country),
            tags=tuple(rng.sample(TAG_NAMES, _weighted(rng, (35, 40, 20, 5)))),
            created_ago=created_ago,
            updated_ago=updated_ago,
        )

    def birthday(self) -> date:
        return date(1950, 1, 1) + timedelta(days=self.rng.randrange(56 * 365))

    def emails(
        self, first: str | None, last: str | None, company: str | None
    ) -> tuple[CleanEmail, ...]:
        rng = self.rng
        count = _weighted(rng, (10, 60, 25, 5))
        domain = _company_domain(company) if company else None
        if first is None or last is None:
            choices = [("info", domain), ("hello", domain), ("sales", domain)]
        else:
            given, family = _ascii_word(first), _ascii_word(last)
            choices = [
                (f"{given}.{family}", rng.choice(PERSONAL_DOMAINS)),
                (
                    f"{given[0]}{family}{rng.randrange(1, 100)}",
                    rng.choice(PERSONAL_DOMAINS),
                ),
                (f"{given}_{family}", rng.choice(PERSONAL_DOMAINS)),
            ]
            if domain:
                choices.insert(rng.randrange(2), (f"{given}.{family}", domain))
        labels = {domain: "work"}
        return tuple(
            CleanEmail(f"{local}@{host}", labels.get(host, "home"), index == 0)
            for index, (local, host) in enumerate(choices[:count])
        )

    def phones(self, country: Country) -> tuple[CleanPhone, ...]:
        rng = self.rng
        count = _weighted(rng, (15, 55, 25, 5))
        kinds = [
            ("mobile", phonenumbers.PhoneNumberType.MOBILE),
            ("work", phonenumbers.PhoneNumberType.FIXED_LINE),
            ("home", phonenumbers.PhoneNumberType.FIXED_LINE),
        ]
        # A work number may be abroad; mobile and home numbers are local.
        regions = [country.code, rng.choice(COUNTRIES).code, country.code]
        numbers: dict[str, CleanPhone] = {}
        for (label, kind), region in zip(kinds[:count], regions, strict=False):
            value = self.phone_number(region, kind)
            numbers.setdefault(value, CleanPhone(value, label, not numbers))
        return tuple(numbers.values())

    def phone_number(self, region: str, kind: int) -> str:
        """A valid number of `region` in E.164: phonenumbers' example number
        of that kind with its last digits drawn at random."""
        example = _example_number(region, kind)
        national = str(example.national_number)
        random_digits = min(6, len(national) - 3)
        for _ in range(20):
            digits = "".join(str(self.rng.randrange(10)) for _ in range(random_digits))
            number = phonenumbers.PhoneNumber(
                country_code=example.country_code,
                national_number=int(national[:-random_digits] + digits),
                italian_leading_zero=example.italian_leading_zero,
            )
            if phonenumbers.is_valid_number(number):
                return _e164(number)
        return _e164(example)

    def addresses(self, country: Country) -> tuple[CleanAddress, ...]:
        rng = self.rng
        labels = ("home", "work")[: _weighted(rng, (40, 50, 10))]
        addresses = []
        for label in labels:
            place = rng.choice(country.places)
            street = country.street_format.format(
                number=rng.randrange(1, 300), street=rng.choice(country.streets)
            )
            addresses.append(
                CleanAddress(
                    label=label,
                    street=street,
                    city=place.city,
                    region=place.region,
                    postal_code=place.postal_code,
                    country=country.code,
                )
            )
        return tuple(addresses)


@cache
def _example_number(region: str, kind: int) -> phonenumbers.PhoneNumber:
    example = phonenumbers.example_number_for_type(region, kind)
    if example is None:
        raise ValueError(f"phonenumbers has no example number for {region}")
    return example


def _e164(number: phonenumbers.PhoneNumber) -> str:
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _ascii_word(name: str) -> str:
    """`name` as an email local part: "Łukasz" -> "lukasz", "O'Brien" -> "obrien"."""
    decomposed = unicodedata.normalize("NFKD", name.casefold().translate(ASCII_LETTERS))
    return re.sub(r"[^a-z0-9]", "", decomposed.encode("ascii", "ignore").decode())


def _company_domain(company: str) -> str:
    """A reserved (RFC 2606) domain for `company`:
    "Atlas Freight" -> "atlasfreight.example"."""
    words = [_ascii_word(word) for word in company.split()[:2]]
    return "".join(words) + ".example"


def demo_data(
    random_seed: int | None, users: int, contacts_per_user: int
) -> list[tuple[DemoUser, list[DemoContact]]]:
    """What `seed` writes with these arguments, without writing it."""
    generator = DemoGenerator(random_seed)
    demo_users = [generator.user(number) for number in range(1, users + 1)]
    return [
        (user, [c for batch in generator.contacts(contacts_per_user) for c in batch])
        for user in demo_users
    ]


@dataclass(frozen=True)
class SeedReport:
    users: list[DemoUser]
    contacts: int
    seconds: float

    @property
    def rate(self) -> float:
        """Contacts written per second."""
        return self.contacts / self.seconds if self.seconds > 0 else 0.0


def seed(
    users: int,
    contacts_per_user: int,
    password: str = DEMO_PASSWORD,
    random_seed: int | None = None,
    progress: Callable[[int], None] | None = None,
    batch_size: int = BATCH_SIZE,
) -> SeedReport:
    """Create `users` demo accounts (demo1@example.com, ...) with
    `contacts_per_user` contacts each, one transaction per user.

    Raises InvalidInput, before writing anything, when `check` does.
    `progress` is called with the number of contacts written after each
    batch. The report's time leaves out password hashing, which costs the
    same however many contacts there are.
    """
    check(users, password)
    generator = DemoGenerator(random_seed)
    demo_users = [generator.user(number) for number in range(1, users + 1)]
    hashes = [passwords.hash_password(password) for _ in demo_users]
    started = perf_counter()
    now = utcnow()
    for user, password_hash in zip(demo_users, hashes, strict=True):
        _seed_user(
            user, password_hash, generator, contacts_per_user, now, batch_size, progress
        )
    return SeedReport(demo_users, users * contacts_per_user, perf_counter() - started)


def demo_email(number: int) -> str:
    return DEMO_EMAIL.format(number=number)


def check(users: int, password: str) -> None:
    """InvalidInput when `password` breaks the password rules for a demo
    account, or when one of the `users` demo accounts already exists."""
    emails = [demo_email(number) for number in range(1, users + 1)]
    path = ("password",)
    for email in emails:
        problems = passwords.password_problems(password, email, path)
        if problems:
            raise InvalidInput(problems)
    keys = [email_key(email) for email in emails]
    taken = db.session.scalars(select(User.email).where(User.email_key.in_(keys))).all()
    if taken:
        raise InvalidInput.single(
            ("users",),
            f"Demo accounts already exist ({', '.join(sorted(taken))}); "
            "seed an empty database.",
            UserErrorCode.TAKEN,
        )


@transactional
def _seed_user(
    user: DemoUser,
    password_hash: str,
    generator: DemoGenerator,
    count: int,
    now: datetime,
    batch_size: int,
    progress: Callable[[int], None] | None,
) -> None:
    user_id = db.session.execute(
        insert(USERS).returning(USERS.c.id),
        [
            {
                "email": user.email,
                "email_key": email_key(user.email),
                "name": user.name,
                "password_hash": password_hash,
                "created_at": now,
            }
        ],
    ).scalar_one()
    tag_ids: dict[str, int] = {}
    for batch in generator.contacts(count, batch_size):
        _insert_contacts(user_id, batch, tag_ids, now)
        if progress is not None:
            progress(len(batch))
    # Written without the change log, so no write regroups them.
    duplicate_groups.find_anew(db.session.connection(), user_id)


def _insert_contacts(
    user_id: int, batch: list[DemoContact], tag_ids: dict[str, int], now: datetime
) -> None:
    """Write one batch of the user's contacts; `tag_ids` (name key -> id)
    collects the user's tags as they are created."""
    rows = []
    for contact in batch:
        rows.append(
            {
                "user_id": user_id,
                "first_name": contact.first_name,
                "last_name": contact.last_name,
                "company": contact.company,
                "job_title": contact.job_title,
                "birthday": contact.birthday,
                "notes": contact.notes,
                "favorite": contact.favorite,
                **contact.derived(),
                "version": 1,
                "created_at": now - contact.created_ago,
                "updated_at": now - contact.updated_ago,
            }
        )
    ids = _insert_with_ids(CONTACTS, rows)
    _create_tags(user_id, batch, tag_ids)
    emails, phones, addresses, links = [], [], [], []
    for contact_id, contact in zip(ids, batch, strict=True):
        for position, email in enumerate(contact.emails):
            emails.append(
                {
                    "contact_id": contact_id,
                    "position": position,
                    **vars(email),
                    "value_key": matching.email_key(email.value),
                }
            )
        for position, phone in enumerate(contact.phones):
            phones.append(
                {"contact_id": contact_id, "position": position, **vars(phone)}
            )
        for position, address in enumerate(contact.addresses):
            addresses.append(
                {"contact_id": contact_id, "position": position, **vars(address)}
            )
        for name in contact.tags:
            links.append({"contact_id": contact_id, "tag_id": tag_ids[name.casefold()]})
    for table, table_rows in (
        (EMAILS, emails),
        (PHONES, phones),
        (ADDRESSES, addresses),
        (contact_tags, links),
    ):
        _insert(table, table_rows)


def _create_tags(
    user_id: int, batch: list[DemoContact], tag_ids: dict[str, int]
) -> None:
    new = {
        name.casefold(): name
        for contact in batch
        for name in contact.tags
        if name.casefold() not in tag_ids
    }
    if not new:
        return
    rows = [
        {"user_id": user_id, "name": name, "name_key": key} for key, name in new.items()
    ]
    tag_ids.update(zip(new, _insert_returning_ids(TAGS, rows), strict=True))


def _insert_returning_ids(table: Table, rows: list[dict[str, Any]]) -> list[int]:
    """Insert `rows` in one executemany; their new ids, in the same order."""
    result = db.session.execute(
        insert(table).returning(table.c.id, sort_by_parameter_order=True), rows
    )
    return list(result.scalars().all())


def _on_postgresql() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def _insert_with_ids(table: Table, rows: list[dict[str, Any]]) -> list[int]:
    """Insert `rows`; their new ids, in the same order. On PostgreSQL the ids
    are drawn from the table's sequence first and the rows are COPYed, which
    is several times faster than INSERT for thousands of rows."""
    if not rows or not _on_postgresql():
        return _insert_returning_ids(table, rows) if rows else []
    ids = list(
        db.session.scalars(
            text(
                "SELECT nextval(pg_get_serial_sequence(:table, 'id')) "
                "FROM generate_series(1, :count)"
            ),
            {"table": table.name, "count": len(rows)},
        )
    )
    _insert(table, [{"id": id, **row} for id, row in zip(ids, rows, strict=True)])
    return ids


def _insert(table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert `rows` (all with the same keys): COPY on PostgreSQL, an
    executemany elsewhere."""
    if not rows:
        return
    if not _on_postgresql():
        db.session.execute(insert(table), rows)
        return
    columns = list(rows[0])
    quoted = ", ".join(f'"{name}"' for name in columns)
    connection = db.session.connection().connection.dbapi_connection
    assert isinstance(connection, psycopg.Connection)
    copy_rows = f'COPY "{table.name}" ({quoted}) FROM STDIN'
    with connection.cursor() as cursor, cursor.copy(copy_rows) as copy:
        for row in rows:
            copy.write_row([row[name] for name in columns])
