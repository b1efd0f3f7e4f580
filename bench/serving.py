"""Servers under test and the load on them: start and stop gunicorn, post
GraphQL, log in, and drive a server with wrk.

Shared by the scripts in bench/ (gunicorn_workers.py, api_vs_handwritten.py).
"""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))
UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def load() -> str:
    """The load averages over 1, 5 and 15 minutes."""
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def post(port: int, body: Mapping[str, Any], token: str | None = None) -> bytes:
    """POST `body` to /graphql; the response body, RuntimeError unless 200."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        connection.request("POST", "/graphql", json.dumps(body), headers)
        response = connection.getresponse()
        data = response.read()
        if response.status != 200:
            raise RuntimeError(f"status {response.status}: {data[:200]!r}")
        return data
    finally:
        connection.close()


def login(port: int, email: str, password: str) -> str:
    """An access token for `email`, from the API's `login` mutation."""
    mutation = (
        "mutation($input: LoginInput!) { login(input: $input) "
        "{ accessToken userErrors { code } } }"
    )
    variables = {"input": {"email": email, "password": password}}
    payload = json.loads(post(port, {"query": mutation, "variables": variables}))
    token: str | None = payload["data"]["login"]["accessToken"]
    if not token:
        raise RuntimeError(f"login failed: {payload}")
    return token


def send(
    port: int, body: Mapping[str, Any], token: str, total: int, connections: int
) -> None:
    """Exactly `total` POSTs of `body`, over `connections` at once (wrk only
    runs for a duration); RuntimeError on any failure."""
    shares = [
        total // connections + (n < total % connections) for n in range(connections)
    ]

    def client(count: int) -> None:
        for _ in range(count):
            post(port, body, token)

    with ThreadPoolExecutor(connections) as pool:
        list(pool.map(client, shares))


def wait_until_up(port: int, process: subprocess.Popen[bytes], path: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("gunicorn exited during start-up")
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
        try:
            connection.request("GET", path)
            if connection.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.1)
        finally:
            connection.close()
    raise RuntimeError(f"gunicorn did not answer {path} within 30 s")


def start_gunicorn(
    arguments: Sequence[str],
    env: Mapping[str, str],
    port: int,
    health_path: str = "/healthz",
    log: Path | None = None,
) -> subprocess.Popen[bytes]:
    """`gunicorn *arguments` in the repository root, once it answers
    `health_path` on `port`; its output goes to `log`, else nowhere."""
    with open(log or os.devnull, "ab") as output:
        process = subprocess.Popen(
            [GUNICORN, *arguments],
            cwd=ROOT,
            env=dict(env),
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_until_up(port, process, health_path)
    except BaseException:
        stop(process)
        raise
    return process


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def worker_pids(master: int) -> list[int]:
    """The gunicorn workers: the master's child processes."""
    children = Path(f"/proc/{master}/task/{master}/children").read_text()
    return sorted(int(pid) for pid in children.split())


def rss_kib(pid: int) -> int:
    """VmRSS of a process, in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for process {pid}")


@dataclass(frozen=True)
class WrkResult:
    requests: int
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int


# POSTs the same body with the same headers on every request.
LUA = """
wrk.method = "POST"
wrk.body = {body}
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer {token}"
"""


def run_wrk(
    port: int,
    body: Mapping[str, Any],
    token: str,
    *,
    duration: int,
    connections: int,
    threads: int = 2,
    wrk: str = "wrk",
) -> WrkResult:
    """Drive POST /graphql with wrk for `duration` seconds."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(LUA.format(body=json.dumps(json.dumps(body)), token=token))
    try:
        output = subprocess.run(
            [
                wrk,
                f"-t{threads}",
                f"-c{connections}",
                f"-d{duration}s",
                "--latency",
                "-s",
                script.name,
                f"http://127.0.0.1:{port}/graphql",
            ],
            capture_output=True,
            text=True,
            check=True,
            timeout=duration + 30,
        ).stdout
    finally:
        os.unlink(script.name)
    return parse_wrk(output)


def parse_wrk(output: str) -> WrkResult:
    def number(pattern: str) -> float:
        found = re.search(pattern, output)
        if found is None:
            raise RuntimeError(f"unexpected wrk output:\n{output}")
        return float(found.group(1))

    percentiles = {
        int(p): float(value) * UNITS[unit]
        for p, value, unit in re.findall(
            r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)$", output, re.M
        )
    }
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    socket_errors = re.search(r"Socket errors:.*", output)
    errors = int(bad.group(1)) if bad else 0
    if socket_errors:
        errors += sum(int(n) for n in re.findall(r"\d+", socket_errors.group(0)))
    return WrkResult(
        requests=int(number(r"(\d+) requests in")),
        requests_per_second=number(r"Requests/sec:\s+([\d.]+)"),
        p50_ms=percentiles[50],
        p99_ms=percentiles[99],
        errors=errors,
    )
