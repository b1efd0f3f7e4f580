"""A gunicorn server started the way make serve starts it."""

from __future__ import annotations

import http.client
import json
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest


@dataclass
class Server:
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path

    def request(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, str], Any]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            connection.request(
                method,
                path,
                json.dumps(body) if body is not None else None,
                {"Content-Type": "application/json", **(headers or {})},
            )
            response = connection.getresponse()
            return (
                response.status,
                dict(response.getheaders()),
                json.loads(response.read()),
            )
        finally:
            connection.close()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def log_entries(self) -> list[dict[str, Any]]:
        lines = self.log_path.read_text().splitlines()
        return [json.loads(line) for line in lines if line.strip()]


def wait_for_health(server: Server) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            pytest.fail(f"gunicorn exited: {server.log_path.read_text()}")
        try:
            if server.request("GET", "/healthz")[0] == 200:
                return
        except OSError:
            time.sleep(0.1)
    pytest.fail("gunicorn did not answer /healthz within 30 s")
