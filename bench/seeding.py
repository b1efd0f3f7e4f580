"""A throw-away PostgreSQL database with the benchmark's data set.

The data are the `flask seed` demo data (app/services/seed.py's
`DemoGenerator`: realistic names, E.164 phones, emails, addresses, tags),
written with COPY rather than INSERT, by several processes at once. The
derived columns (sort keys, search text) come from the models' own
`derived_values`, the accounts from `auth.create_account`, so the
rows are what the API itself would store.
"""

from __future__ import annotations

import argparse
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing import Pool
from pathlib import Path
from time import perf_counter
from typing import Any

import psycopg
from flask import Flask
from sqlalchemy.engine import make_url

from app.extensions import db
from app.models import DERIVED_COLUMNS, utcnow
from app.services import auth
from app.services.contacts import address_values
from app.services.matching import email_key
from app.services.seed import DEMO_PASSWORD, DemoContact, DemoGenerator
from app.services.seed_data import TAG_NAMES
from bench.inprocess import login, production_app
from bench.serving import ROOT

PASSWORD = DEMO_PASSWORD
DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
CHUNK = 5000  # contacts generated and copied by one task
CONTACT_COLUMNS = (
    "id, user_id, first_name, last_name, company, job_title, birthday, notes, "
    f"favorite, {', '.join(DERIVED_COLUMNS)}, version, created_at, updated_at"
)


def add_server_argument(parser: argparse.ArgumentParser) -> None:
    """--database-url: the PostgreSQL server `scratch_database` works on
    (default BENCH_DATABASE_URL, else DEFAULT_SERVER)."""
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL") or DEFAULT_SERVER,
        help="a PostgreSQL server (any database on it) where we may create one",
    )


@contextmanager
def scratch_database(server_url: str) -> Iterator[str]:
    """A new, empty database on the server at `server_url` (its URL), dropped
    on the way out."""
    name = f"contacts_bench_{secrets.token_hex(4)}"
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(server_url).set(database=name).render_as_string(False)
    finally:
        with psycopg.connect(server_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def migrate(env: dict[str, str]) -> None:
    """`flask db upgrade` against env's DATABASE_URL."""
    flask = str(Path(sys.executable).with_name("flask"))
    done = subprocess.run(
        [flask, "--app", "run", "db", "upgrade"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode:
        raise RuntimeError(f"flask db upgrade failed:\n{done.stderr[-2000:]}")


def server_env(database_url: str) -> dict[str, str]:
    """The environment of the servers under test: production config
    against `database_url`, fresh secrets, rate limits off."""
    env = {
        **os.environ,
        "APP_ENV": "production",
        "SECRET_KEY": secrets.token_hex(32),
        "JWT_SECRET_KEY": secrets.token_hex(32),
        "DATABASE_URL": database_url,
        "RATELIMIT_ENABLED": "false",
        "RATELIMIT_STORAGE_URI": "memory://",  # required; unused when off
        "PASSWORD_RESET_ENABLED": "false",  # no mail server here
        "PYTHONPATH": str(ROOT),
    }
    env.pop("LOG_FORMAT", None)
    return env


def populate(
    database_url: str,
    env: dict[str, str],
    accounts: Sequence[tuple[str, int]],
    jobs: int,
) -> tuple[list[int], float]:
    """Migrate the empty database, create the (email, contact count)
    accounts (password PASSWORD) and their contacts, and ANALYZE. Returns
    the users' ids and the seconds the contacts took."""
    migrate(env)
    app = production_app(database_url, env)
    with app.app_context():
        ids = [
            auth.create_account(email, PASSWORD, "Bench").id for email, _ in accounts
        ]
        db.engine.dispose()  # no pooled connection for the COPY processes to inherit
    tag_ids = create_tags(database_url, ids)
    counts = [
        (user_id, count) for user_id, (_, count) in zip(ids, accounts, strict=True)
    ]
    seconds = copy_contacts(tasks(database_url, counts, tag_ids), jobs)
    analyze(database_url)
    return ids, seconds


@dataclass(frozen=True)
class SeededUser:
    """One user's scratch database, the app in production config against
    it, and the user's access token."""

    database_url: str
    env: dict[str, str]
    app: Flask
    token: str


@contextmanager
def one_user(server_url: str, email: str, contacts: int) -> Iterator[SeededUser]:
    """A scratch database on `server_url` with one user (`email`, password
    PASSWORD) of `contacts` contacts, signed in; dropped on the way out."""
    with scratch_database(server_url) as database_url:
        env = server_env(database_url)
        populate(database_url, env, [(email, contacts)], jobs=2)
        app = production_app(database_url, env)
        yield SeededUser(database_url, env, app, login(app, email, PASSWORD))


@dataclass(frozen=True)
class Task:
    """`count` contacts of one user, from one generator seed."""

    database_url: str
    user_id: int
    tag_ids: dict[str, int]
    count: int
    seed: int


def tasks(
    database_url: str,
    users: Sequence[tuple[int, int]],
    tag_ids: dict[int, dict[str, int]],
) -> list[Task]:
    """(user id, contact count) pairs cut into tasks of at most CHUNK."""
    return [
        Task(database_url, user_id, tag_ids[user_id], min(CHUNK, count - start), seed)
        for user_id, count in users
        for seed, start in enumerate(range(0, count, CHUNK), start=user_id * 10_000)
    ]


def create_tags(
    database_url: str, user_ids: Sequence[int]
) -> dict[int, dict[str, int]]:
    """Every demo tag for every user: {user id: {name key: tag id}}."""
    found: dict[int, dict[str, int]] = {}
    with psycopg.connect(database_url) as connection:
        for user_id in user_ids:
            found[user_id] = {}
            for name in TAG_NAMES:
                row = connection.execute(
                    "INSERT INTO tags (user_id, name, name_key) VALUES (%s, %s, %s) "
                    "RETURNING id",
                    (user_id, name, name.casefold()),
                ).fetchone()
                assert row is not None
                found[user_id][name.casefold()] = row[0]
    return found


def copy_contacts(all_tasks: Sequence[Task], jobs: int) -> float:
    """Run the tasks in `jobs` processes; the seconds it took."""
    started = perf_counter()
    with Pool(jobs) as pool:
        pool.map(run_task, all_tasks, chunksize=1)
    return perf_counter() - started


def analyze(database_url: str) -> None:
    with psycopg.connect(database_url, autocommit=True) as connection:
        connection.execute("VACUUM ANALYZE")


def run_task(task: Task) -> None:
    batch = next(iter(DemoGenerator(task.seed).contacts(task.count, task.count)))
    now = utcnow()
    with psycopg.connect(task.database_url) as connection:
        ids = [
            row[0]
            for row in connection.execute(
                "SELECT nextval(pg_get_serial_sequence('contacts', 'id')) "
                "FROM generate_series(1, %s)",
                (len(batch),),
            )
        ]
        with connection.cursor() as cursor:
            _copy(
                cursor,
                "contacts",
                CONTACT_COLUMNS,
                _contact_rows(task, ids, batch, now),
            )
            for table, columns, rows in _child_rows(task, ids, batch):
                _copy(cursor, table, columns, rows)


def _copy(
    cursor: psycopg.Cursor[Any],
    table: str,
    columns: str,
    rows: Iterator[tuple[Any, ...]],
) -> None:
    with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _contact_rows(
    task: Task, ids: list[int], batch: list[DemoContact], now: Any
) -> Iterator[tuple[Any, ...]]:
    for contact_id, contact in zip(ids, batch, strict=True):
        derived = contact.derived()
        yield (
            contact_id,
            task.user_id,
            contact.first_name,
            contact.last_name,
            contact.company,
            contact.job_title,
            contact.birthday,
            contact.notes,
            contact.favorite,
            *(derived[name] for name in DERIVED_COLUMNS),
            1,
            now - contact.created_ago,
            now - contact.updated_ago,
        )


def _child_rows(
    task: Task, ids: list[int], batch: list[DemoContact]
) -> Iterator[tuple[str, str, Iterator[tuple[Any, ...]]]]:
    pairs = list(zip(ids, batch, strict=True))
    yield (
        "contact_emails",
        'contact_id, position, value, value_key, label, "primary"',
        (
            (
                contact_id,
                position,
                email.value,
                email_key(email.value),
                email.label,
                email.primary,
            )
            for contact_id, contact in pairs
            for position, email in enumerate(contact.emails)
        ),
    )
    yield (
        "contact_phones",
        'contact_id, position, value, label, "primary"',
        (
            (contact_id, position, phone.value, phone.label, phone.primary)
            for contact_id, contact in pairs
            for position, phone in enumerate(contact.phones)
        ),
    )
    yield (
        "contact_addresses",
        "contact_id, position, label, street, city, region, postal_code, country",
        (
            (contact_id, position, *address_values(address))
            for contact_id, contact in pairs
            for position, address in enumerate(contact.addresses)
        ),
    )
    yield (
        "contact_tags",
        "contact_id, tag_id",
        (
            (contact_id, task.tag_ids[name.casefold()])
            for contact_id, contact in pairs
            for name in contact.tags
        ),
    )
