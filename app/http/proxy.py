"""Which address a request comes from: behind `TRUSTED_PROXY_COUNT` reverse
proxies, the client's address from their X-Forwarded-For.

The rate limits count per client address (app/services/rate_limits.py), so
0, the default, trusts none: a client could otherwise pick a fresh address
for every attempt. Only X-Forwarded-For: the other X-Forwarded-* headers are
not the limits' to trust.
"""

from __future__ import annotations

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix


def trust_proxies(app: Flask) -> None:
    """Wrap the app in ProxyFix for `TRUSTED_PROXY_COUNT` proxies' X-Forwarded-For;
    leave it as it is for 0."""
    proxies = int(app.config.get("TRUSTED_PROXY_COUNT", 0))
    if proxies > 0:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=0
        )
