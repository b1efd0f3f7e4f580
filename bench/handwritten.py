"""A minimal hand-written endpoint: Flask + psycopg, no ORM, no GraphQL.

The yardstick for bench/api_vs_handwritten.py. It answers the benchmark's
two requests (bench/queries.py: the `List` and `Search` operations, told
apart by `operationName`, with their variables) with byte-for-byte the JSON
the GraphQL API returns for them, the way a service written by hand for
exactly these two screens would:

- the Bearer token is checked with PyJWT (signature, expiry, claims) and
  one query that the login (`sid`) exists, belongs to the user and was
  not revoked;
- one query reads the page, leaving out the trash as the API does (so it
  uses the same partial indexes), with each contact's emails, phones and
  tags aggregated as JSON by PostgreSQL, in the orders the API uses;
- one psycopg connection per gunicorn worker, in autocommit mode;
- orjson writes the response, as the API's view does.

It is not a general implementation of the schema: any other request gets
an error. Run: `gunicorn -w 2 'bench.handwritten:create_app()'` with
DATABASE_URL and JWT_SECRET_KEY set as for the app.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Callable
from typing import Any

import jwt
import orjson
import psycopg
from flask import Flask, Response, request

Connect = Callable[[], psycopg.Connection[Any]]

SESSION_SQL = """
SELECT s.revoked_at FROM auth_sessions s JOIN users u ON u.id = s.user_id
WHERE s.id = %s AND u.id = %s
"""
PAGE_SQL = """
SELECT c.id, c.first_name, c.last_name, c.company, c.sort_last,
  (SELECT json_agg(json_build_array(e.value, e.label, e."primary")
                   ORDER BY e.position)
     FROM contact_emails e WHERE e.contact_id = c.id) AS emails,
  (SELECT json_agg(json_build_array(p.value, p.label, p."primary")
                   ORDER BY p.position)
     FROM contact_phones p WHERE p.contact_id = c.id) AS phones,
  (SELECT json_agg(json_build_array(t.id, t.name) ORDER BY t.name_key)
     FROM contact_tags ct JOIN tags t ON t.id = ct.tag_id
    WHERE ct.contact_id = c.id) AS tags
FROM contacts c
WHERE c.user_id = %(user_id)s AND c.deleted_at IS NULL {condition}
ORDER BY c.sort_last, c.id
LIMIT %(limit)s
"""
AFTER = "AND (c.sort_last, c.id) > (%(after_key)s, %(after_id)s)"
SEARCH = "AND c.search_text LIKE %(pattern)s ESCAPE '\\'"


class Unauthenticated(Exception):
    pass


def opaque(text: str) -> str:
    """URL-safe base64 without padding, as the API's IDs and cursors."""
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def unopaque(encoded: str) -> str:
    return base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()


def cursor(sort_last: str, contact_id: int) -> str:
    return opaque(
        json.dumps(["LAST_NAME", sort_last, contact_id], separators=(",", ":"))
    )


def like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def user_id(connection: psycopg.Connection[Any], header: str, secret: str) -> int:
    """The signed-in user's id; Unauthenticated for a bad or revoked token."""
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer":
        raise Unauthenticated
    try:
        claims = jwt.decode(token.strip(), secret, algorithms=["HS256"])
    except jwt.InvalidTokenError:
        raise Unauthenticated from None
    subject, session = str(claims.get("sub", "")), claims.get("sid")
    if claims.get("type") != "access" or not subject.isdigit() or not session:
        raise Unauthenticated
    row = connection.execute(SESSION_SQL, (session, int(subject))).fetchone()
    if row is None or row[0] is not None:
        raise Unauthenticated
    return int(subject)


def page(
    connection: psycopg.Connection[Any], user: int, variables: dict[str, Any]
) -> dict[str, Any]:
    """The `contacts` connection of the List or Search operation."""
    first = int(variables["first"])
    parameters: dict[str, Any] = {"user_id": user, "limit": first + 1}
    condition = ""
    if variables.get("after"):
        _, parameters["after_key"], parameters["after_id"] = json.loads(
            unopaque(variables["after"])
        )
        condition = AFTER
    search = (variables.get("search") or "").strip()
    if search:
        parameters["pattern"] = like_pattern(search.casefold())
        condition += " " + SEARCH
    rows = connection.execute(
        PAGE_SQL.format(condition=condition), parameters
    ).fetchall()
    edges = [edge(row) for row in rows[:first]]
    return {
        "edges": edges,
        "pageInfo": {
            "hasNextPage": len(rows) > first,
            "endCursor": edges[-1]["cursor"] if edges else None,
        },
    }


def edge(row: tuple[Any, ...]) -> dict[str, Any]:
    contact_id, first, last, company, sort_last, emails, phones, tags = row
    emails, phones, tags = emails or [], phones or [], tags or []
    full_name = " ".join(name for name in (first, last) if name)
    first_value = emails[0][0] if emails else phones[0][0] if phones else ""
    return {
        "cursor": cursor(sort_last, contact_id),
        "node": {
            "id": opaque(f"Contact:{contact_id}"),
            "firstName": first,
            "lastName": last,
            "displayName": full_name or company or first_value,
            "company": company,
            "emails": [
                {"value": value, "label": label, "primary": primary}
                for value, label, primary in emails
            ],
            "phones": [
                {"value": value, "label": label, "primary": primary}
                for value, label, primary in phones
            ],
            "tags": [{"id": opaque(f"Tag:{pk}"), "name": name} for pk, name in tags],
        },
    }


def json_response(payload: dict[str, Any]) -> Response:
    return Response(orjson.dumps(payload), mimetype="application/json")


def create_app(connect: Connect | None = None, jwt_secret: str | None = None) -> Flask:
    """The endpoint; `connect` opens the worker's connection (on its first
    request, so after gunicorn forks), by default to DATABASE_URL. Tokens
    are checked with `jwt_secret`, by default JWT_SECRET_KEY."""
    database_url = os.environ.get("DATABASE_URL", "")
    secret = jwt_secret or os.environ["JWT_SECRET_KEY"]
    opener = connect or (lambda: psycopg.connect(database_url, autocommit=True))
    connections: list[psycopg.Connection[Any]] = []
    app = Flask(__name__)

    def connection() -> psycopg.Connection[Any]:
        if not connections:
            connections.append(opener())
        return connections[0]

    @app.get("/healthz")
    def healthz() -> str:
        return "ok"

    @app.post("/graphql")
    def graphql() -> Response:
        body = request.get_json()
        if body.get("operationName") not in ("List", "Search"):
            return json_response({"errors": [{"message": "unknown operation"}]})
        database = connection()
        try:
            user = user_id(database, request.headers.get("Authorization", ""), secret)
        except Unauthenticated:
            error = {"message": "Not authenticated."}
            return json_response({"data": None, "errors": [error]})
        contacts = page(database, user, body.get("variables") or {})
        return json_response({"data": {"contacts": contacts}})

    return app
