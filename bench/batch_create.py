"""Contacts per second through `createContacts` (batches of up to 200)
against one `createContact` per request, in this process through Flask's
test client (no HTTP server: what is measured is the app and the
database), on a scratch PostgreSQL database in production config.

    .venv/bin/python -m bench.batch_create [--contacts 2000] [--batch 200]

Each contact has a name, a company, an email, a phone and two tags (one of
them shared), as a contact list imported from a phone might. Prints both
rates and their ratio.
"""

from __future__ import annotations

import argparse
from time import perf_counter
from typing import Any

from flask import Flask

from app.extensions import db
from app.services import auth
from bench.inprocess import login, post, production_app, quiet
from bench.seeding import (
    PASSWORD,
    add_server_argument,
    migrate,
    scratch_database,
    server_env,
)

CREATE_ONE = """
mutation($input: CreateContactInput!) {
  createContact(input: $input) { contact { id } userErrors { field } }
}
"""
CREATE_MANY = """
mutation($input: [CreateContactInput!]!) {
  createContacts(input: $input) { contacts { id } userErrors { field } }
}
"""


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_server_argument(parser)
    parser.add_argument("--contacts", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=200, help="at most 200")
    return parser.parse_args()


def contact(index: int) -> dict[str, Any]:
    return {
        "firstName": f"Person{index}",
        "lastName": f"Bench{index % 97}",
        "company": f"Company {index % 13}",
        "emails": [{"value": f"person{index}@example.com", "label": "work"}],
        "phones": [{"value": f"+1650253{index % 10000:04d}"}],
        "tags": ["Imported", f"Group {index % 7}"],
    }


def one_per_request(app: Flask, token: str, count: int, start: int) -> float:
    """Contacts per second, one createContact request each."""
    began = perf_counter()
    with quiet():
        for index in range(start, start + count):
            body = post(
                app,
                {"query": CREATE_ONE, "variables": {"input": contact(index)}},
                token,
            )
            assert body["data"]["createContact"]["userErrors"] == [], body
    return count / (perf_counter() - began)


def in_batches(app: Flask, token: str, count: int, start: int, size: int) -> float:
    """Contacts per second through createContacts of `size` each."""
    began = perf_counter()
    with quiet():
        for first in range(start, start + count, size):
            items = [contact(i) for i in range(first, min(first + size, start + count))]
            body = post(
                app, {"query": CREATE_MANY, "variables": {"input": items}}, token
            )
            assert body["data"]["createContacts"]["userErrors"] == [], body
    return count / (perf_counter() - began)


def main() -> None:
    args = arguments()
    with scratch_database(args.database_url) as database_url:
        env = server_env(database_url)
        migrate(env)
        app = production_app(database_url, env)
        with app.app_context():
            auth.create_account("bench@example.com", PASSWORD, "Bench")
        token = login(app, "bench@example.com", PASSWORD)
        # Warm both paths (document caches, connections) before timing.
        one_per_request(app, token, 10, 10_000_000)
        in_batches(app, token, 10, 20_000_000, args.batch)
        single = one_per_request(app, token, args.contacts, 0)
        batched = in_batches(app, token, args.contacts, args.contacts, args.batch)
        with app.app_context():
            db.engine.dispose()
    print(f"createContact, one per request:   {single:8.0f} contacts/s")
    print(f"createContacts, {args.batch} per request: {batched:8.0f} contacts/s")
    print(f"ratio: x{batched / single:.1f}")


if __name__ == "__main__":
    main()
