"""The GraphiQL page: everything it loads is served by this app.

Its scripts and stylesheets come from app/static/graphiql/ (no CDN), each
with an SRI hash that matches the bytes served; the page's policy allows this
origin only and no inline script; its default query runs without a token and
says how to send one; it is served in development and, in production, only
when GRAPHIQL=true. tests/test_browser.py drives the same page in Chromium.
"""

from __future__ import annotations

import base64
import hashlib
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app import create_app
from app.http.security_headers import GRAPHIQL_CSP
from tests.helpers import PRODUCTION_SECRETS
from tests.support.graphiql_page import HTML, PageParser

ROOT = Path(__file__).parent.parent
STATIC = ROOT / "app" / "static" / "graphiql"
FETCH_SCRIPT = ROOT / "scripts" / "fetch_graphiql_assets.sh"
VENDORED = {
    "react.production.min.js": ("react", "18.2.0"),
    "react-dom.production.min.js": ("react-dom", "18.2.0"),
    "graphiql.min.js": ("graphiql", "3.8.3"),
    "graphiql.min.css": ("graphiql", "3.8.3"),
}


def sri(content: bytes) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(content).digest()).decode()


def test_the_page_references_no_other_host(page: PageParser) -> None:
    assert page.urls
    assert [
        url
        for url in page.urls
        if not (url.startswith("/static/graphiql/") or url.startswith("data:"))
    ] == []


def test_the_page_loads_the_vendored_files_and_its_own(page: PageParser) -> None:
    loaded = sorted(
        str(asset.get("src") or asset.get("href")).removeprefix("/static/graphiql/")
        for asset in page.assets
    )
    assert loaded == sorted([*VENDORED, "page.css", "page.js"])


@pytest.mark.parametrize(
    ("suffix", "content_type"),
    [(".js", "text/javascript; charset=utf-8"), (".css", "text/css; charset=utf-8")],
)
def test_every_asset_is_served_with_its_type_and_a_matching_sri_hash(
    graphiql: Flask, page: PageParser, suffix: str, content_type: str
) -> None:
    client: FlaskClient = graphiql.test_client()
    assets = [
        asset
        for asset in page.assets
        if str(asset.get("src") or asset.get("href")).endswith(suffix)
    ]
    assert assets
    for asset in assets:
        url = str(asset.get("src") or asset.get("href"))
        with client.get(url) as response:
            served = (response.status_code, response.content_type, response.data)
            nosniff = response.headers["X-Content-Type-Options"]
        assert (url, *served[:2], nosniff) == (url, 200, content_type, "nosniff")
        assert (url, asset.get("integrity")) == (url, sri(served[2]))


def test_the_committed_files_are_the_pinned_npm_releases() -> None:
    """The same bytes strawberry's page loads from unpkg.com for these
    versions (and scripts/fetch_graphiql_assets.sh checks on each rebuild)."""
    script = FETCH_SCRIPT.read_text()
    for name, (package, version) in VENDORED.items():
        digest = sri((STATIC / name).read_bytes()).removeprefix("sha384-")
        assert f"{package} {version} " in script, name
        assert digest in script, name


def test_versions_and_licences_are_recorded() -> None:
    readme = (STATIC / "README.md").read_text()
    for name, (package, version) in VENDORED.items():
        assert f"`{name}`" in readme, name
        assert f"{package}@{version}" in readme, name
    for package in ("react", "react-dom", "graphiql"):
        licence = (STATIC / "licenses" / f"{package}.LICENSE.txt").read_text()
        assert licence.startswith("MIT License"), package
    notices = (STATIC / "licenses" / "THIRD-PARTY-NOTICES.txt").read_text()
    assert "codemirror" in notices
    assert "graphql 16." in notices


def test_the_policy_allows_this_origin_and_no_inline_script(
    graphiql: Flask, page: PageParser
) -> None:
    response = graphiql.test_client().get("/graphql", headers=HTML)
    policy = {
        name: sources
        for name, *sources in (
            part.split() for part in GRAPHIQL_CSP.split(";") if part.strip()
        )
    }

    assert response.headers["Content-Security-Policy"] == GRAPHIQL_CSP
    assert policy["script-src"] == ["'self'"]
    assert policy["connect-src"] == ["'self'"]
    assert all("//" not in source for sources in policy.values() for source in sources)
    # The one script block without src is data, which no policy runs.
    assert page.inline_scripts == [
        {"type": "application/graphql", "id": "graphiql-default-query"}
    ]


def test_the_default_query_runs_without_a_token_and_says_how_to_send_one(
    graphiql: Flask, page: PageParser
) -> None:
    query = page.text_of["graphiql-default-query"]

    response = graphiql.test_client().post("/graphql", json={"query": query})

    assert response.get_json() == {"data": {"me": None}}
    assert '{"Authorization": "Bearer <accessToken>"}' in query
    assert "Headers pane" in query


@pytest.mark.parametrize(
    ("config_name", "settings", "status"),
    [
        ("development", {}, 200),
        ("production", {}, 404),
        ("production", {"GRAPHIQL": True}, 200),
        ("development", {"GRAPHIQL": False}, 404),
    ],
)
def test_graphiql_is_on_in_development_and_off_in_production_unless_asked(
    tmp_path: Path, config_name: str, settings: dict[str, Any], status: int
) -> None:
    app = create_app(
        config_name,
        {
            **PRODUCTION_SECRETS,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'g.db'}",
            **settings,
        },
    )

    assert app.test_client().get("/graphql", headers=HTML).status_code == status


@pytest.mark.parametrize(("value", "status"), [(None, 404), ("true", 200)])
def test_the_graphiql_variable_turns_it_on_in_production(
    tmp_path: Path, value: str | None, status: int
) -> None:
    """GRAPHIQL in the environment, as a deployment sets it."""
    env = {
        key: item
        for key, item in os.environ.items()
        if key not in ("GRAPHIQL", "APP_ENV", "FLASK_APP")
    }
    env.update(
        APP_ENV="production",
        DATABASE_URL=f"sqlite:///{tmp_path / 'g.db'}",
        **PRODUCTION_SECRETS,
        **({"GRAPHIQL": value} if value else {}),
    )
    code = (
        "from app import create_app\n"
        "client = create_app().test_client()\n"
        "print(client.get('/graphql', headers={'Accept': 'text/html'}).status_code)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )

    assert result.stdout.split()[-1] == str(status)
