"""Security headers on every response.

JSON responses get a content security policy that allows nothing; the
GraphiQL page gets one that allows exactly what it loads: scripts, styles
and requests from this origin only (app/static/graphiql/, no CDN, no inline
script; inline styles, which GraphiQL's dialogs add), and the fonts and
images graphiql.min.css inlines as data: URLs.
"""

from __future__ import annotations

from flask import Flask, Response, current_app, request

API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"
GRAPHIQL_CSP = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        # GraphiQL's dialogs add a <style> element with computed content
        # (react-remove-scroll-bar); a style cannot run code.
        "style-src 'self' 'unsafe-inline'",
        "font-src 'self' data:",
        "img-src 'self' data:",
        "connect-src 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "form-action 'none'",
    ]
)


def add_security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "no-referrer")
    # Only GraphiQL gets the looser policy, not every HTML page (error pages).
    is_page = request.path == "/graphql" and response.mimetype == "text/html"
    headers.setdefault("Content-Security-Policy", GRAPHIQL_CSP if is_page else API_CSP)
    if request.path == "/graphql":
        headers["Cache-Control"] = "no-store"
    hsts_seconds = current_app.config.get("HSTS_SECONDS", 0)
    if hsts_seconds:
        headers.setdefault(
            "Strict-Transport-Security",
            f"max-age={hsts_seconds}; includeSubDomains",
        )
    return response


def init_security_headers(app: Flask) -> None:
    app.after_request(add_security_headers)
