"""The export over HTTP as a client calls it: GET with a bearer token from
an address, and access tokens made unusable in each way a client meets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

VCF = "/export/contacts.vcf"
CSV = "/export/contacts.csv"
ADDRESS = "192.0.2.10"

# One contact as created through the API, and as each export writes it.
ADA = {"firstName": "Ada", "emails": [{"value": "ada@example.com"}]}
ADA_4_0 = (
    "BEGIN:VCARD\r\n"
    "VERSION:4.0\r\n"
    "N:;Ada;;;\r\n"
    "FN:Ada\r\n"
    "EMAIL;PREF=1:ada@example.com\r\n"
    "END:VCARD\r\n"
)
ADA_3_0 = (
    "BEGIN:VCARD\r\n"
    "VERSION:3.0\r\n"
    "N:;Ada;;;\r\n"
    "FN:Ada\r\n"
    "EMAIL;TYPE=pref:ada@example.com\r\n"
    "END:VCARD\r\n"
)
CSV_HEADER = (
    "firstName,lastName,nickname,company,jobTitle,birthday,notes,favorite,"
    "emails,phones,addresses,tags\r\n"
)
ADA_ROW = "Ada,,,,,,,false,;ada@example.com;primary,,,\r\n"


def row(first_name: str, tags: str = "") -> str:
    """The CSV row of a contact with only a first name and tags."""
    return f"{first_name},,,,,,,false,,,,{tags}\r\n"


def get(
    client: FlaskClient,
    path: str,
    token: str | None = None,
    *,
    authorization: str | None = None,
    address: str = ADDRESS,
    **query: str,
) -> TestResponse:
    """GET `path` with `query`, sending `Authorization: Bearer <token>`
    (or exactly `authorization`, when given)."""
    headers = {}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    if authorization is not None:
        headers["Authorization"] = authorization
    return client.get(
        path,
        query_string=query,
        headers=headers,
        environ_base={"REMOTE_ADDR": address},
    )


def expired(app: Flask, token: str) -> str:
    """`token`, well signed with the app's key, expired a second ago."""
    claims = jwt.decode(token, options={"verify_signature": False})
    claims["exp"] = datetime.now(UTC) - timedelta(seconds=1)
    return jwt.encode(claims, app.config["JWT_SECRET_KEY"], algorithm="HS256")


def refusal(message: str, code: str, **extensions: Any) -> dict[str, Any]:
    """A refusal's body, in the contract's shape."""
    return {
        "errors": [{"message": message, "extensions": {"code": code, **extensions}}]
    }
