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
import shutil
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.seeding import server_env  # noqa: E402
from bench.serving import (  # noqa: E402
    free_port,
    load,
    login,
    post,
    run_wrk,
    start_gunicorn,
    stop,
)

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


def check_page(port: int, token: str, count: int) -> None:
    payload = json.loads(post(port, {"query": QUERY}, token))
    page = payload["data"]["contacts"]
    node = page["edges"][0]["node"]
    if page["totalCount"] != count or len(page["edges"]) != 20:
        raise RuntimeError(f"unexpected page: {payload}")
    if not (node["emails"] and node["phones"] and node["tags"]):
        raise RuntimeError(f"contact without emails, phones or tags: {node}")


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
        env = {**server_env(database_url), "LOG_LEVEL": "INFO"}
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


def measure(
    name: str,
    workers: int,
    threads: int,
    env: dict[str, str],
    args: argparse.Namespace,
    wrk: str | None,
) -> Result:
    port = free_port()
    server_env = {
        **env,
        "BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": str(workers),
        "GUNICORN_THREADS": str(threads),
    }
    process = start_gunicorn(["-c", "gunicorn.conf.py", "run:app"], server_env, port)
    try:
        token = login(port, EMAIL, PASSWORD)
        check_page(port, token, args.contacts)
        if wrk:
            result = run_wrk(
                port,
                {"query": QUERY},
                token,
                duration=args.duration,
                connections=args.connections,
                threads=min(2, args.connections),
                wrk=wrk,
            )
            figures = (result.requests_per_second, result.p50_ms, result.p99_ms)
            return Result(name, *figures, result.errors)
        return Result(
            name, *run_python_client(port, token, args.duration, args.connections)
        )
    finally:
        stop(process)


if __name__ == "__main__":
    main()
