"""Measure gunicorn worker settings on this machine.

    .venv/bin/python bench/gunicorn_workers.py [--duration 10] [--connections 8]
        [--contacts 200] [--rounds 3] [--database-url postgresql://...]

Seeds a database (a temporary SQLite file unless --database-url names an
empty PostgreSQL database) with one registered user and ~200 contacts through
the services, then for each configuration (sync with 1, 2 and 4 workers;
gthread with 2 workers x 4 threads) starts gunicorn with gunicorn.conf.py in
production config (RATELIMIT_ENABLED=false) on a free port, drives it for
--duration seconds with the first page of contacts with emails, phones and
tags, and prints requests/s and p50/p99 latency. The load comes from `wrk`
when installed (`apt-get install -y wrk`), else from a small thread-pool
client. Load generator and server share the machine, as they do in CI.

Figures and the choice they led to: bench/README.md.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

EMAIL = "bench@example.com"
PASSWORD = "bench password that is long enough"
QUERY = """
query FirstPage {
  contacts(first: 20) {
    totalCount
    edges {
      cursor
      node {
        id firstName lastName company
        emails { value label primary }
        phones { value label primary }
        tags { name }
      }
    }
  }
}
"""
CONFIGURATIONS = [
    ("sync, 1 worker", 1, 1),
    ("sync, 2 workers", 2, 1),
    ("sync, 4 workers", 4, 1),
    ("gthread, 2 workers x 4 threads", 2, 4),
]
FIRST = ["Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken"]
LAST = ["Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen"]
TAGS = ["work", "family", "friends", "book club", "climbing"]


@dataclass
class Result:
    name: str
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def seed(database_url: str, count: int) -> None:
    """One user with `count` contacts, through the services."""
    from app import create_app
    from app.extensions import db
    from app.services import auth, contacts
    from app.services.contact_input import EmailInput, PhoneInput

    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        db.create_all()
        user_id = auth.register(EMAIL, PASSWORD, "Bench").user.id
        for i in range(count):
            first, last = FIRST[i % len(FIRST)], LAST[i % len(LAST)]
            contacts.create_contact(
                user_id,
                {
                    "first_name": first,
                    "last_name": f"{last} {i}",
                    "company": "Example Ltd" if i % 3 else None,
                    "emails": [
                        EmailInput(f"{first}.{i}@example.com".lower(), "work"),
                        EmailInput(f"{first}{i}@home.example".lower(), "home"),
                    ],
                    "phones": [PhoneInput(f"+1 650-253-{i % 10000:04d}", "mobile")],
                    "tags": [TAGS[i % len(TAGS)], TAGS[(i + 2) % len(TAGS)]],
                },
            )
        db.engine.dispose()


def post(port: int, body: dict[str, object], token: str | None = None) -> bytes:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
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


def login(port: int) -> str:
    mutation = (
        "mutation($input: LoginInput!) { login(input: $input) "
        "{ accessToken userErrors { code } } }"
    )
    variables = {"input": {"email": EMAIL, "password": PASSWORD}}
    payload = json.loads(post(port, {"query": mutation, "variables": variables}))
    token: str | None = payload["data"]["login"]["accessToken"]
    if not token:
        raise RuntimeError(f"login failed: {payload}")
    return token


def wait_until_up(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("gunicorn exited during start-up")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.1)
        finally:
            connection.close()
    raise RuntimeError("gunicorn did not answer /healthz within 30 s")


def start_gunicorn(
    port: int, workers: int, threads: int, env: dict[str, str]
) -> subprocess.Popen[bytes]:
    env = {
        **env,
        "BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": str(workers),
        "GUNICORN_THREADS": str(threads),
    }
    gunicorn = Path(sys.executable).with_name("gunicorn")
    process = subprocess.Popen(
        [str(gunicorn), "-c", "gunicorn.conf.py", "run:app"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        wait_until_up(port, process)
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


def check_page(port: int, token: str, count: int) -> None:
    payload = json.loads(post(port, {"query": QUERY}, token))
    page = payload["data"]["contacts"]
    node = page["edges"][0]["node"]
    if page["totalCount"] != count or len(page["edges"]) != 20:
        raise RuntimeError(f"unexpected page: {payload}")
    if not (node["emails"] and node["phones"] and node["tags"]):
        raise RuntimeError(f"contact without emails, phones or tags: {node}")


LUA = """
wrk.method = "POST"
wrk.body = {body}
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer {token}"
"""
UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def run_wrk(
    wrk: str, port: int, token: str, duration: int, connections: int
) -> tuple[float, float, float, int]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(
            LUA.format(body=json.dumps(json.dumps({"query": QUERY})), token=token)
        )
    try:
        output = subprocess.run(
            [
                wrk,
                f"-t{min(2, connections)}",
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
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
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
    return rate, percentiles[50], percentiles[99], errors


def run_python_client(
    port: int, token: str, duration: int, connections: int
) -> tuple[float, float, float, int]:
    """The fallback load: `connections` threads, each posting in a loop."""
    body = json.dumps({"query": QUERY})
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
    deadline = time.monotonic() + duration

    def worker() -> tuple[list[float], int]:
        latencies: list[float] = []
        errors = 0
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        while time.monotonic() < deadline:
            started = time.perf_counter()
            try:
                connection.request("POST", "/graphql", body, headers)
                response = connection.getresponse()
                response.read()
                ok = response.status == 200
                if response.getheader("Connection", "").lower() == "close":
                    connection.close()
            except (OSError, http.client.HTTPException):
                ok = False
                connection.close()
            latencies.append((time.perf_counter() - started) * 1000)
            errors += not ok
        connection.close()
        return latencies, errors

    started = time.monotonic()
    with ThreadPoolExecutor(connections) as pool:
        results = list(pool.map(lambda _: worker(), range(connections)))
    elapsed = time.monotonic() - started
    latencies = sorted(ms for batch, _ in results for ms in batch)
    cuts = statistics.quantiles(latencies, n=100)
    return len(latencies) / elapsed, cuts[49], cuts[98], sum(e for _, e in results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per run")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--contacts", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--database-url", help="an empty database; default a temporary SQLite file"
    )
    parser.add_argument(
        "--python-client", action="store_true", help="do not use wrk even if found"
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        database_url = args.database_url or f"sqlite:///{tmp}/bench.db"
        seed(database_url, args.contacts)
        env = {
            **os.environ,
            "APP_ENV": "production",
            "SECRET_KEY": secrets.token_hex(32),
            "JWT_SECRET_KEY": secrets.token_hex(32),
            "DATABASE_URL": database_url,
            "RATELIMIT_ENABLED": "false",
            "LOG_LEVEL": "INFO",
        }
        env.pop("LOG_FORMAT", None)
        wrk = None if args.python_client else shutil.which("wrk")
        client = "wrk" if wrk else "python thread-pool client"
        print(
            f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, "
            f"{platform.python_implementation()} {platform.python_version()}, "
            f"{'PostgreSQL' if database_url.startswith('postgres') else 'SQLite'}, "
            f"{args.contacts} contacts, {args.connections} connections, "
            f"{args.duration} s each, load from {client}; load average {load()}",
            flush=True,
        )
        runs: dict[str, list[Result]] = {name: [] for name, _, _ in CONFIGURATIONS}
        # Rounds interleave the configurations, so that load from anything
        # else on the machine spreads over all of them; the table takes
        # the median of each figure.
        for round_number in range(1, args.rounds + 1):
            for name, workers, threads in CONFIGURATIONS:
                result = measure(name, workers, threads, env, args, wrk)
                runs[name].append(result)
                print(
                    f"  round {round_number}: {name:32} "
                    f"{result.requests_per_second:8.1f} req/s  "
                    f"p50 {result.p50_ms:7.1f} ms  p99 {result.p99_ms:7.1f} ms  "
                    f"errors {result.errors}",
                    flush=True,
                )

    print(f"\nMedians of {args.rounds} rounds; load average at the end {load()}")
    print("\n| configuration | requests/s | p50 ms | p99 ms | errors |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, results in runs.items():
        print(
            f"| {name} "
            f"| {statistics.median(r.requests_per_second for r in results):.1f} "
            f"| {statistics.median(r.p50_ms for r in results):.1f} "
            f"| {statistics.median(r.p99_ms for r in results):.1f} "
            f"| {sum(r.errors for r in results)} |"
        )


def load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def measure(
    name: str,
    workers: int,
    threads: int,
    env: dict[str, str],
    args: argparse.Namespace,
    wrk: str | None,
) -> Result:
    port = free_port()
    process = start_gunicorn(port, workers, threads, env)
    try:
        token = login(port)
        check_page(port, token, args.contacts)
        if wrk:
            figures = run_wrk(wrk, port, token, args.duration, args.connections)
        else:
            figures = run_python_client(port, token, args.duration, args.connections)
    finally:
        stop(process)
    return Result(name, *figures)


if __name__ == "__main__":
    main()
