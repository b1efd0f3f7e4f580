"""Where gunicorn and its config live, the secrets a production server
needs, and a free port to serve on."""

from __future__ import annotations

import socket
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).with_name("gunicorn")
CONFIG = ROOT / "gunicorn.conf.py"
SECRETS = {
    "SECRET_KEY": "gunicorn-test-secret-key-" + "s" * 32,
    "JWT_SECRET_KEY": "gunicorn-test-jwt-secret-key-" + "j" * 32,
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port
