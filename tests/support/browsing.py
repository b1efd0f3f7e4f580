"""Serving the API and a frontend to a real browser (Chromium)."""

from __future__ import annotations

import http.server
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

from werkzeug.serving import make_server

CHROMIUM = "/usr/bin/chromium"

CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"

EMAIL = "ada@example.com"

WAIT_SECONDS = 15


class Token(str):
    """An access token that stays out of failure reports."""

    def __repr__(self) -> str:
        return "<access token>"


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """Serve a WSGI app on a free port in a thread; yield its origin."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def serving_directory(directory: Path) -> Iterator[str]:
    """Serve static files from `directory` on a free port; yield its origin."""
    handler = partial(QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
