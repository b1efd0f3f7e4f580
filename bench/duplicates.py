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
A worker keeps a user's groups until the user's change log says that
something they depend on changed, so duplicateContacts is timed three
times: asked again with nothing changed; after an edit of nothing that
matches (a contact's favorite flag toggled, untimed, before each request:
one look at the change log); after an edit of what matches (a contact's
company, between two values), when the contact's group and its neighbours
are regrouped; and a worker's first time (its cache emptied, untimed,
before each request), when every group is found from scratch.
Prints how many groups there are, each median, and its ratio to the
contacts page.
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
from app.services.duplicates import CACHE, find_groups
from bench.inprocess import post, quiet
from bench.seeding import add_server_argument, analyze, one_user

CONTACT = "id displayName company emails { value } phones { value } version"
DUPLICATES = f"""
query Duplicates {{
  duplicateContacts(first: 100) {{
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
    query: str,
    runs: int,
    before: Callable[[], None] | None = None,
) -> float:
    """The median milliseconds of `runs` requests of `query`, after WARM_UP
    more; each after a call of `before` (not timed), if given."""
    times = []
    with quiet():
        for run in range(WARM_UP + runs):
            if before is not None:
                before()
            began = perf_counter()
            _answer(app, token, {"query": query})
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


def changer(
    app: Flask, token: str, field: str, values: tuple[Any, Any]
) -> Callable[[], None]:
    """Edits one contact when called, its `field` to each of `values` in
    turn: a new change-log entry. After an edit of `favorite` the worker
    keeps its groups (nothing that matches changed); after one of
    `company` it finds them anew."""
    first = "{ contacts(first: 1) { nodes { id } } }"
    [contact] = _answer(app, token, {"query": first})["data"]["contacts"]["nodes"]
    turn = {"next": 0}

    def change() -> None:
        value = values[turn["next"] % 2]
        turn["next"] += 1
        variables = {"input": {"id": contact["id"], field: value}}
        _answer(app, token, {"query": EDIT, "variables": variables})

    return change


def group_count(app: Flask) -> tuple[int, int]:
    """(groups, contacts in them), as the service finds them."""
    with app.app_context():
        user_id = db.session.scalar(select(Contact.user_id).limit(1))
        assert user_id is not None
        groups = find_groups(user_id)
        db.session.remove()
    return len(groups), sum(len(group.contact_ids) for group in groups)


def main() -> None:
    args = arguments()
    injected = round(args.contacts * INJECTED_SHARE)
    with one_user(args.database_url, EMAIL, args.contacts - injected) as seeded:
        inject_duplicates(seeded.app, injected)
        analyze(seeded.database_url)
        groups, grouped = group_count(seeded.app)
        page = median_ms(seeded.app, seeded.token, PAGE, args.runs)
        warm = median_ms(seeded.app, seeded.token, DUPLICATES, args.runs)
        with quiet():
            kept = changer(seeded.app, seeded.token, "favorite", (True, False))
            anew = changer(seeded.app, seeded.token, "company", ("Bench A", "Bench B"))
        after_kept = median_ms(seeded.app, seeded.token, DUPLICATES, args.runs, kept)
        after_anew = median_ms(seeded.app, seeded.token, DUPLICATES, args.runs, anew)
        cold = median_ms(
            seeded.app,
            seeded.token,
            DUPLICATES,
            args.runs,
            lambda: seeded.app.extensions.pop(CACHE, None),
        )
        shown = contacts_shown(seeded.app, seeded.token)
        with seeded.app.app_context():
            db.engine.dispose()
    print(f"{args.contacts:,} contacts, {groups} groups of {grouped} contacts")
    print(f"contacts(first: 100):                           {page:7.2f} ms (median)")
    print(f"duplicateContacts(first: 100) shows {shown} contacts in 100 groups:")
    for label, took in (
        ("asked again", warm),
        ("after a favorite edited", after_kept),
        ("after a company edited", after_anew),
        ("a worker's first time", cold),
    ):
        print(
            f"duplicateContacts(first: 100), {label + ':':25} {took:7.2f} ms"
            f" (median), x{took / page:.2f}"
        )


def contacts_shown(app: Flask, token: str) -> int:
    """The contacts the page of groups holds."""
    with quiet():
        answer = _answer(app, token, {"query": DUPLICATES})
    groups = answer["data"]["duplicateContacts"]["nodes"]
    return sum(len(group["contacts"]) for group in groups)


if __name__ == "__main__":
    main()
