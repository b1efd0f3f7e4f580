"""Faults on PostgreSQL: the database going away and coming back, and
connections killed in the middle of mutations."""

from __future__ import annotations

import time
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import make_url, select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import Contact, Tag, contact_tags
from tests.helpers import DEFAULT_PASSWORD, GraphQL
from tests.operations import CREATE, ME_EMAIL, REGISTER, UPDATE
from tests.support.faults import Killer, TcpProxy

pytestmark = pytest.mark.postgresql
on_postgresql = pytest.mark.parametrize("database", ["postgresql"], indirect=True)

# Text that would give away the driver, the SQL, or the database and where
# it lives (the database's name and the ports are added per test).
LEAKS = (
    "psycopg",
    "postgres",
    "Postgres",
    "127.0.0.1",
    "localhost",
    "SELECT",
    "INSERT",
    "UPDATE ",
    "[SQL",
    "sqlalchemy",
    "Traceback",
)


def assert_masked(response_text: str, body: dict[str, Any], *secrets: str) -> None:
    """One INTERNAL_SERVER_ERROR saying "Unexpected error." (and the request
    id), with nothing of the driver, SQL or DSN anywhere in the response."""
    [error] = body["errors"]
    assert error["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert error["message"].startswith("Unexpected error.")
    request_id = error["extensions"].get("requestId")
    visible = response_text.replace(request_id, "") if request_id else response_text
    for leak in (*LEAKS, *secrets):
        assert leak not in visible, leak


# --- the database going away -----------------------------------------------------


def post(client: FlaskClient, query: str, token: str, **variables: Any) -> Any:
    return client.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {token}"},
    )


def test_the_database_restarting_going_away_and_coming_back(
    proxied_production_app: Flask, proxy: TcpProxy, postgres_server_url: str
) -> None:
    client = proxied_production_app.test_client()
    token = GraphQL(client).data(
        REGISTER, {"input": {"email": "ada@example.com", "password": DEFAULT_PASSWORD}}
    )["register"]["accessToken"]
    assert client.get("/readyz").status_code == 200
    database = make_url(
        proxied_production_app.config["SQLALCHEMY_DATABASE_URI"]
    ).database
    server_port = str(make_url(postgres_server_url).port or 5432)
    secrets = (str(proxy.port), server_port, str(database))

    # A restart between two requests: the pooled connections are dead, and
    # the next request must not notice (app/db/pool_health.py replaces
    # them).
    proxy.stop()
    proxy.start()

    assert post(client, ME_EMAIL, token).get_json() == {
        "data": {"me": {"email": "ada@example.com"}}
    }

    proxy.stop()
    started = time.monotonic()
    ready = client.get("/readyz")
    elapsed = time.monotonic() - started

    assert (ready.status_code, ready.get_json()) == (
        503,
        {"status": "unavailable", "database": "down"},
    )
    assert elapsed < 3, elapsed
    for query, variables in [
        (ME_EMAIL, {}),
        (CREATE, {"input": {"firstName": "Grace"}}),
    ]:
        response = post(client, query, token, **variables)
        assert response.status_code == 200
        assert_masked(response.get_data(as_text=True), response.get_json(), *secrets)

    proxy.start()

    assert client.get("/readyz").status_code == 200
    assert post(client, ME_EMAIL, token).get_json() == {
        "data": {"me": {"email": "ada@example.com"}}
    }
    created = post(client, CREATE, token, input={"firstName": "Grace"}).get_json()
    assert created["data"]["createContact"]["userErrors"] == []


# --- connections killed during mutations -----------------------------------------


def stored_contacts(app: Flask) -> dict[str, dict[str, Any]]:
    """Every contact as the database has it, by first name."""
    with app.app_context():
        contacts = db.session.scalars(
            select(Contact).options(
                selectinload(Contact.emails), selectinload(Contact.tags)
            )
        )
        stored = {
            contact.first_name or "": {
                "version": contact.version,
                "notes": contact.notes,
                "emails": [email.value for email in contact.emails],
                "tags": sorted(tag.name for tag in contact.tags),
            }
            for contact in contacts
        }
        tags = sorted(db.session.scalars(select(Tag.name)))
        links = len(db.session.execute(select(contact_tags)).all())
        db.session.remove()
    used = sorted({tag for contact in stored.values() for tag in contact["tags"]})
    assert tags == used  # no tag left without contacts, none missing
    assert links == sum(len(contact["tags"]) for contact in stored.values())
    return stored


@on_postgresql
def test_a_mutation_with_its_connection_killed_happens_fully_or_not_at_all(
    app: Flask, gql: GraphQL, killer: Killer
) -> None:
    token = gql.data(
        REGISTER, {"input": {"email": "ada@example.com", "password": DEFAULT_PASSWORD}}
    )["register"]["accessToken"]
    expected: dict[str, dict[str, Any]] = {}  # what the database must hold
    ids: dict[str, str] = {}

    for step in range(40):
        # Creates and updates two by two; every other one with a kill, at
        # each point in turn.
        updating = step % 4 >= 2 and bool(ids)
        point = Killer.POINTS[(step // 2) % len(Killer.POINTS)] if step % 2 else None
        if updating:
            name = sorted(ids)[step % len(ids)]
            changes = {
                "notes": f"updated at step {step}",
                "emails": [f"step{step}@example.com"],
                "tags": [f"tag {step % 3}"],
            }
            query, field = UPDATE, "updateContact"
            input: dict[str, Any] = {
                "id": ids[name],
                "expectedVersion": expected[name]["version"],
                "notes": changes["notes"],
                "emails": [{"value": changes["emails"][0]}],
                "tags": changes["tags"],
            }
            after = {
                **expected[name],
                **changes,
                "version": expected[name]["version"] + 1,
            }
        else:
            name = f"Person {step}"
            query, field = CREATE, "createContact"
            input = {
                "firstName": name,
                "notes": f"created at step {step}",
                "emails": [{"value": f"person{step}@example.com"}],
                "tags": [f"tag {step % 3}", "everyone"],
            }
            after = {
                "version": 1,
                "notes": input["notes"],
                "emails": [input["emails"][0]["value"]],
                "tags": sorted(input["tags"]),
            }
        killer.armed = point

        response = gql.client.post(
            "/graphql",
            json={"query": query, "variables": {"input": input}},
            headers={"Authorization": f"Bearer {token}"},
        )

        assert killer.armed is None, f"step {step}: no kill at {point}"
        body = response.get_json()
        if point is None or point == "after-commit":
            assert "errors" not in body, (step, point, body["errors"])
            payload = body["data"][field]
            assert payload["userErrors"] == [], (step, payload)
            assert payload["contact"]["version"] == after["version"]
            expected[name] = after
            ids[name] = payload["contact"]["id"]
        else:
            assert response.status_code == 200
            assert_masked(
                response.get_data(as_text=True), body, "terminat", "administrator"
            )
        assert stored_contacts(app) == expected, (step, point)

    assert killer.kills == 20
