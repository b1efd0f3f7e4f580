"""GET /export/contacts.vcf and /export/contacts.csv: the viewer's address
book as a file to download, streamed as it is read (app/services/exports.py
reads it a chunk at a time and says which connection each chunk runs on).

Signed in as on /graphql, with `Authorization: Bearer <access token>`; a
request without one, or with one that is malformed, expired or revoked,
gets 401 with `WWW-Authenticate: Bearer` (RFC 6750) and the contract's
UNAUTHENTICATED error. Limits (app/services/rate_limits.py): the
per-address rule, as on /graphql, then one use of the login's token and one
of the account's exports (RATELIMIT_EXPORT_PER_ACCOUNT); over a limit, 429
with `Retry-After` and RATE_LIMITED.

`?version=3.0` asks for vCard 3.0 instead of 4.0 (any other version: 400);
`?tag=` exports the contacts carrying that tag, ignoring case; a tag nobody
carries gives an empty file, as `contacts(filter: {tag})` an empty page.
"""

from __future__ import annotations

import string
from typing import Any
from urllib.parse import quote

from flask import Blueprint, Response, request, stream_with_context

from app.db.reads import reading_a_query
from app.errors import ApiError, BadUserInput, NotAuthenticated, RateLimited
from app.http.address_limit import limit_per_address
from app.http.errors import error_body
from app.services import rate_limits, tokens
from app.services.exports import Export, ExportFormat
from app.services.tokens import Viewer

export = Blueprint("export", __name__, url_prefix="/export")

MEDIA_TYPES = {
    ExportFormat.VCARD: "text/vcard; charset=utf-8",
    ExportFormat.CSV: "text/csv; charset=utf-8",
}
EXTENSIONS = {ExportFormat.VCARD: "vcf", ExportFormat.CSV: "csv"}
# What may stand in the plain `filename` of Content-Disposition; the rest
# goes in `filename*` (RFC 6266, RFC 8187) and is replaced here by "_".
FILENAME_SAFE = frozenset(string.ascii_letters + string.digits + "-_.")

Refusal = tuple[dict[str, Any], int, dict[str, str]]


@export.get("/contacts.vcf")
@limit_per_address
def contacts_vcf() -> Response | Refusal:
    return _export(ExportFormat.VCARD)


@export.get("/contacts.csv")
@limit_per_address
def contacts_csv() -> Response | Refusal:
    return _export(ExportFormat.CSV)


def _export(format: ExportFormat) -> Response | Refusal:
    """The export streamed, or why not: who is asking first, then what."""
    try:
        viewer, session_id = _signed_in(request.headers.get("Authorization"))
    except NotAuthenticated as error:
        challenge = (
            "Bearer"
            if "Authorization" not in request.headers
            else ('Bearer error="invalid_token"')
        )
        return _refused(error, 401, {"WWW-Authenticate": challenge})
    tag = request.args.get("tag")
    try:
        prepared = Export.of(viewer.id, format, request.args.get("version"), tag)
        rate_limits.export_attempt(session_id, viewer.id)
    except BadUserInput as error:
        return _refused(error, 400)
    except RateLimited as error:
        return _refused(error, 429, {"Retry-After": str(error.retry_after)})
    body = (text.encode() for text in prepared.text())
    return Response(
        stream_with_context(body),
        content_type=MEDIA_TYPES[format],
        headers={
            "Content-Disposition": disposition(format, prepared.tag),
            "Cache-Control": "no-store",
        },
    )


def _signed_in(header: str | None) -> tuple[Viewer, str]:
    """The viewer and login of a bearer `header`. The token is checked on
    an autocommit connection given back at once: the session's own would
    stay checked out, idle, until the whole file has been sent."""
    if header is None:
        raise NotAuthenticated.required()
    with reading_a_query():
        return tokens.authenticate_header(header)


def _refused(
    error: ApiError, status: int, headers: dict[str, str] | None = None
) -> Refusal:
    """`error` in the contract's shape, as /graphql's refusals are."""
    return (
        error_body(error.message, error.code, **error.extensions),
        status,
        (headers or {}),
    )


def disposition(format: ExportFormat, tag: str | None) -> str:
    """`attachment` with the file's name, "contacts.vcf" or, for a tag,
    "contacts-<tag>.vcf": the tag percent-encoded in `filename*`, with a
    plain fallback in `filename` for clients that know only that."""
    extension = EXTENSIONS[format]
    name = f"contacts-{tag}.{extension}" if tag else f"contacts.{extension}"
    fallback = "".join(char if char in FILENAME_SAFE else "_" for char in name)
    header = f'attachment; filename="{fallback}"'
    if fallback != name:
        header += f"; filename*=UTF-8''{quote(name, safe='')}"
    return header
