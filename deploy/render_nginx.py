"""Fill deploy/nginx.conf's ${NAME} placeholders from the environment and
print the result: `.venv/bin/python -m deploy.render_nginx > nginx.conf`
from the repository root (the tests run exactly this).

Each placeholder is an environment variable with the default below, so every
limit can be relaxed; NGINX_RUN_DIR (pid file and request-body buffers, an
existing directory the nginx user can write) has none. MAX_CONTENT_LENGTH
and IMPORT_MAX_BYTES (the body of an importContacts request, so /graphql's)
are the app's own settings, read the way the production app reads them
(.env included), so nginx and the app refuse the same bodies.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping
from pathlib import Path

from app.config import ProductionConfig

TEMPLATE = Path(__file__).with_name("nginx.conf")
PLACEHOLDER = re.compile(r"\$\{([A-Z][A-Z0-9_]*)\}")

DEFAULTS = {
    # Where nginx listens (address:port, or a port for every address).
    "NGINX_LISTEN": "127.0.0.1:8080",
    # gunicorn's address (gunicorn.conf.py's BIND).
    "NGINX_UPSTREAM": "127.0.0.1:8000",
    "NGINX_USER": "www-data",
    "NGINX_WORKER_PROCESSES": "auto",
    # Connections per nginx worker, idle ones included.
    "NGINX_WORKER_CONNECTIONS": "1024",
    # The whole header must arrive within this.
    "NGINX_CLIENT_HEADER_TIMEOUT": "10s",
    # The longest pause between two reads of the body.
    "NGINX_CLIENT_BODY_TIMEOUT": "10s",
    # The longest pause between two writes of the answer.
    "NGINX_SEND_TIMEOUT": "10s",
    # An idle keep-alive connection is closed after this.
    "NGINX_KEEPALIVE_TIMEOUT": "15s",
    # Requests in progress per client address; above it, 429.
    "NGINX_CONN_PER_ADDRESS": "64",
    # Requests per second per client address, and the burst above that rate
    # let through at once; above both, 429 (the app's own RATELIMIT_PER_IP,
    # 300/minute, is lower and answers normal use first).
    "NGINX_RATE_PER_ADDRESS": "10r/s",
    "NGINX_BURST_PER_ADDRESS": "50",
    # Longer than GUNICORN_TIMEOUT (30 s), which restarts a stuck worker.
    "NGINX_PROXY_READ_TIMEOUT": "60s",
}


def settings(environ: Mapping[str, str]) -> dict[str, str]:
    """Each placeholder's value: the environment's when set, else the default."""
    values = {
        name: environ.get(name, "").strip() or default
        for name, default in DEFAULTS.items()
    }
    values["MAX_CONTENT_LENGTH"] = str(ProductionConfig.MAX_CONTENT_LENGTH)
    values["IMPORT_MAX_BYTES"] = str(ProductionConfig.IMPORT_MAX_BYTES)
    run_dir = environ.get("NGINX_RUN_DIR", "").strip()
    if not run_dir:
        raise SystemExit(
            "NGINX_RUN_DIR must name a directory for nginx's pid file and "
            "buffers (e.g. /var/lib/contacts-nginx)"
        )
    values["NGINX_RUN_DIR"] = run_dir
    return values


def render(values: Mapping[str, str]) -> str:
    """The template with every placeholder replaced; KeyError names one
    that has no value."""
    return PLACEHOLDER.sub(lambda match: values[match[1]], TEMPLATE.read_text())


if __name__ == "__main__":
    sys.stdout.write(render(settings(os.environ)))
