"""`duplicateContacts(first: 100)` against one `contacts(first: 100)` page,
for one account of 10,000 contacts with duplicates among them, in this
process through Flask's test client (no HTTP server: what is measured is
the app and the database), on a scratch PostgreSQL database in production
config, dropped at the end.

    .venv/bin/python -m bench.duplicates [--contacts 10000] [--runs 50]

The contacts are `flask seed`'s demo contacts (bench/seeding.py, COPY),
2 % of them made from others through `createContacts` instead: a second
contact with the same email (another name), with the same phone, or with
the same name and nothing else, a third of each. The demo names come from
60 first and 60 last names, so most contacts share their name with
another, and many their email: far more duplicates than a real address
book has, which makes finding them dearer.
Both queries select the same contact fields; a group shows its first 4
contacts (most hold 2 or 3), which keeps the page within MAX_QUERY_COST.
Every write keeps the groups in the database, in its own transaction
(app/services/duplicate_groups.py), so the read is one indexed statement
and the cost moves to the writes: an edit of what matches (a contact's
company, between two values) relinks the contact's group and its
neighbours, an edit of nothing that matches (its favorite flag) does not;
both are timed as `updateContact` requests. Finding every group anew (what
an account in the backlog of migration 0011, a large import or `flask
seed` pays once) is timed as a call of the service.
Prints how many groups there are, each median, and the reads' ratios to
the contacts page.
"""

from __future__ import annotations

import argparse
import random
import statistics
from collections.abc import Callable, Iterator
from time import perf_counter
from typing import Any

from flask import Flask
from sqlalchemy import select

from app.extensions import db
from app.fields import NAME_FIELDS
from app.models import Contact
from app.services import batches
from app.services.contact_input import EmailInput, PhoneInput
from app.services.contacts import CONTACT_RELATIONS
from app.services.duplicate_groups import find_anew, stored_groups
from bench.inprocess import post, quiet
from bench.seeding import add_server_argument, analyze, one_user

CONTACT = "id displayName company emails { value } phones { value } version"


def duplicates(first: int) -> str:
    """A page of `first` groups, each showing its first 4 contacts."""
    return f"""
query Duplicates {{
  duplicateContacts(first: {first}) {{
    pageInfo {{ hasNextPage endCursor }}
    nodes {{ reasons contactCount contacts(first: 4) {{ {CONTACT} }} }}
  }}
}}
"""


PAGE = f"""
query Page {{
  contacts(first: 100) {{
    pageInfo {{ hasNextPage endCursor }}
    nodes {{ {CONTACT} }}
  }}
}}
"""
EMAIL = "bench@example.com"
INJECTED_SHARE = 0.02  # of the contacts: copies made from others
WARM_UP = 5


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_server_argument(parser)
    parser.add_argument("--contacts", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=50)
    return parser.parse_args()


def inject_duplicates(app: Flask, count: int) -> None:
    """`count` new contacts, each a duplicate of a random existing one: by
    email (another name), by phone (a company only), or by name alone (the
    name, nothing else), in turn; through `createContacts`'s service."""
    rng = random.Random(15)
    with app.app_context():
        user_id = db.session.scalar(select(Contact.user_id).limit(1))
        assert user_id is not None
        originals = list(
            db.session.scalars(
                select(Contact)
                .where(Contact.user_id == user_id)
                .options(*CONTACT_RELATIONS)
            )
        )
        copies = list(_copies(rng.sample(originals, count)))
        for start in range(0, len(copies), batches.MAX_ITEMS):
            batches.create_contacts(user_id, copies[start : start + batches.MAX_ITEMS])
        db.engine.dispose()


def _copies(originals: list[Contact]) -> Iterator[dict[str, Any]]:
    for index, original in enumerate(originals):
        kind = index % 3
        if kind == 0 and original.emails:
            yield {
                "first_name": f"Alias{index}",
                "emails": [EmailInput(original.emails[0].value.upper())],
            }
        elif kind == 1 and original.phones:
            yield {
                "company": f"Switchboard {index}",
                "phones": [PhoneInput(original.phones[0].value)],
            }
        else:
            first, last = (getattr(original, name) for name in NAME_FIELDS)
            if first or last:
                yield {"first_name": (first or "").upper() or None, "last_name": last}


def median_ms(
    app: Flask,
    token: str,
    body: Callable[[], dict[str, Any]],
    runs: int,
) -> float:
    """The median milliseconds of `runs` requests, after WARM_UP more, each
    of the request body `body` makes."""
    times = []
    with quiet():
        for run in range(WARM_UP + runs):
            sent = body()
            began = perf_counter()
            _answer(app, token, sent)
            elapsed = perf_counter() - began
            if run >= WARM_UP:
                times.append(elapsed * 1000)
    return statistics.median(times)


def _answer(app: Flask, token: str, body: dict[str, Any]) -> Any:
    answer = post(app, body, token)
    assert "errors" not in answer, answer["errors"]
    return answer


EDIT = """
mutation Edit($input: UpdateContactInput!) {
  updateContact(input: $input) { contact { id } }
}
"""


class Edits:
    """`updateContact` request bodies for one contact, when called: its
    `field` to each of `values` in turn, a new version each time."""

    def __init__(
        self, app: Flask, token: str, field: str, values: tuple[Any, Any]
    ) -> None:
        first = "{ contacts(first: 1) { nodes { id } } }"
        with quiet():
            answer = _answer(app, token, {"query": first})
        self.contact_id = answer["data"]["contacts"]["nodes"][0]["id"]
        self.field = field
        self.values = values
        self.turn = 0

    def __call__(self) -> dict[str, Any]:
        self.turn += 1
        value = self.values[self.turn % 2]
        variables = {"input": {"id": self.contact_id, self.field: value}}
        return {"query": EDIT, "variables": variables}


def query(document: str) -> Callable[[], dict[str, Any]]:
    return lambda: {"query": document}


def found_anew(app: Flask) -> tuple[int, int, float]:
    """Every group found anew and stored, as `flask seed` and the backlog
    do (the bench's COPY writes no groups): (groups, contacts in them,
    milliseconds)."""
    with app.app_context():
        user_id = db.session.scalar(select(Contact.user_id).limit(1))
        assert user_id is not None
        connection = db.session.connection()
        began = perf_counter()
        find_anew(connection, user_id)
        took = (perf_counter() - began) * 1000
        db.session.commit()
        groups = stored_groups(db.session.connection(), user_id)
        db.session.remove()
    return len(groups), sum(len(group.contact_ids) for group in groups), took


def main() -> None:
    args = arguments()
    injected = round(args.contacts * INJECTED_SHARE)
    with one_user(args.database_url, EMAIL, args.contacts - injected) as seeded:
        app, token = seeded.app, seeded.token
        found_anew(app)
        inject_duplicates(app, injected)
        analyze(seeded.database_url)
        groups, grouped, anew = found_anew(app)
        page = median_ms(app, token, query(PAGE), args.runs)
        reads = [
            (first, median_ms(app, token, query(duplicates(first)), args.runs))
            for first in (100, 20)
        ]
        writes = [
            (field, median_ms(app, token, Edits(app, token, field, values), args.runs))
            for field, values in (
                ("favorite", (True, False)),
                ("company", ("Bench A", "Bench B")),
            )
        ]
        shown = {first: contacts_shown(app, token, first) for first, _ in reads}
        with app.app_context():
            db.engine.dispose()
    print(f"{args.contacts:,} contacts, {groups} groups of {grouped} contacts")
    print(f"contacts(first: 100):                       {page:7.2f} ms (median)")
    for first, took in reads:
        label = f"duplicateContacts(first: {first}), {shown[first]} contacts:"
        print(f"{label:44} {took:7.2f} ms (median), x{took / page:.2f}")
    for field, took in writes:
        print(f"{'updateContact of ' + field + ':':44} {took:7.2f} ms (median)")
    print(f"{'every group found anew (once per account):':44} {anew:7.2f} ms")


def contacts_shown(app: Flask, token: str, first: int) -> int:
    """The contacts a page of `first` groups shows."""
    with quiet():
        answer = _answer(app, token, {"query": duplicates(first)})
    groups = answer["data"]["duplicateContacts"]["nodes"]
    return sum(len(group["contacts"]) for group in groups)


if __name__ == "__main__":
    main()
