"""Everything HTTP that is not GraphQL, wired by `register_http`: the proxy
fix, no cookie sessions, CORS, request ids, security headers, refusals in
the contract's JSON shape (413, 429, any other HTTP error), the per-address
limit's 429, the health probes and the exports (GET /export/contacts.vcf
and .csv). The per-address limit itself is put on /graphql where the view
is made (`limit_per_address`), and on the export views."""

from __future__ import annotations

from flask import Flask

from app.http.address_limit import init_address_limit
from app.http.cors import init_cors
from app.http.errors import init_error_bodies
from app.http.export import export
from app.http.health import health
from app.http.no_sessions import NoSessions
from app.http.proxy import trust_proxies
from app.http.request_id import init_request_ids
from app.http.security_headers import init_security_headers


def register_http(app: Flask) -> None:
    trust_proxies(app)
    app.session_interface = NoSessions()
    init_cors(app)
    init_request_ids(app)
    init_security_headers(app)
    init_error_bodies(app)
    init_address_limit(app)
    app.register_blueprint(health)
    app.register_blueprint(export)


__all__ = ["register_http"]
