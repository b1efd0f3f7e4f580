"""The proxy fix (app/http/proxy.py): the client's address from
X-Forwarded-For, and only behind TRUSTED_PROXY_COUNT proxies."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from app import create_app
from app.http.proxy import trust_proxies


def test_trusts_only_configured_proxies() -> None:
    plain, proxied = Flask("plain"), Flask("proxied")
    proxied.config["TRUSTED_PROXY_COUNT"] = 2
    trust_proxies(plain)
    trust_proxies(proxied)

    assert not isinstance(plain.wsgi_app, ProxyFix)
    assert isinstance(proxied.wsgi_app, ProxyFix)
    assert proxied.wsgi_app.x_for == 2
    assert (proxied.wsgi_app.x_proto, proxied.wsgi_app.x_host) == (0, 0)


def test_the_factory_trusts_the_configured_proxies(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'proxy.db'}"
    plain = create_app("testing", {"SQLALCHEMY_DATABASE_URI": database})
    proxied = create_app(
        "testing", {"SQLALCHEMY_DATABASE_URI": database, "TRUSTED_PROXY_COUNT": 1}
    )

    assert not isinstance(plain.wsgi_app, ProxyFix)
    assert isinstance(proxied.wsgi_app, ProxyFix)
    assert proxied.wsgi_app.x_for == 1
