"""The GraphQL API against a hand-written endpoint, on PostgreSQL (`make bench`).

    .venv/bin/python bench/api_vs_handwritten.py [--rounds 3] [--duration 10]
        [--warmup 3] [--connections 16] [--users 10] [--contacts 5000]
        [--big 100000] [--search son] [--jobs 2] [--rss-requests 1000 10000]
        [--database-url postgresql://postgres@127.0.0.1:5432/postgres]

Creates a scratch database on the server at --database-url (default
BENCH_DATABASE_URL), migrates it with `flask db upgrade`, seeds --users
users with --contacts contacts each plus one with --big contacts (bulk
COPY of the `flask seed` demo data: bench/seeding.py), then starts the app
under gunicorn with gunicorn.conf.py in production config and the
hand-written Flask + psycopg endpoint (bench/handwritten.py) with the same
gunicorn settings. It checks that both return the same JSON for every
request it measures, then drives them in turn with wrk and prints the
tables that bench/README.md explains. The database is dropped at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import runpy
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402

from bench import queries, report, seeding  # noqa: E402
from bench.serving import (  # noqa: E402
    WrkResult,
    free_port,
    load,
    login,
    post,
    rss_kib,
    run_wrk,
    send,
    start_gunicorn,
    stop,
    worker_pids,
)

SMALL_EMAIL = "bench{number}@example.com"
BIG_EMAIL = "bench-big@example.com"
APP, HAND = "GraphQL API", "hand-written"


@dataclass
class Target:
    name: str
    port: int
    process: subprocess.Popen[bytes]


@dataclass(frozen=True)
class Request:
    """One benchmark request: a POST /graphql body and whose token."""

    name: str
    body: dict[str, Any]
    token: str


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    seeding.add_server_argument(parser)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=10, help="seconds per run")
    parser.add_argument("--warmup", type=int, default=3, help="seconds per pair")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--users", type=int, default=10)
    parser.add_argument("--contacts", type=int, default=5000, help="per user")
    parser.add_argument("--big", type=int, default=100_000, help="the big user's")
    parser.add_argument("--search", default="son", help="a common substring")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    parser.add_argument(
        "--rss-requests",
        type=int,
        nargs="*",
        default=[1000, 10_000],
        help="worker RSS after this many list requests in all (none: skip)",
    )
    return parser.parse_args()


def machine(server_url: str) -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    with psycopg.connect(server_url) as connection:
        row = connection.execute("SHOW server_version").fetchone()
    return (
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {cpu}, {os.cpu_count()} cores; "
        f"PostgreSQL {row[0] if row else '?'}; {platform.python_implementation()} "
        f"{platform.python_version()}; load average at start {load()}"
    )


def main() -> None:
    args = arguments()
    print(machine(args.database_url), flush=True)
    with seeding.scratch_database(args.database_url) as database_url:
        env = seeding.server_env(database_url)
        big = seed(database_url, env, args)
        targets = [
            start_target(APP, "run:app", env),
            start_target(HAND, "bench.handwritten:create_app()", env),
        ]
        try:
            requests = build_requests(targets[0], database_url, big, args)
            run(targets, requests, database_url, env, args)
        finally:
            for target in targets:
                stop(target.process)
        if args.rss_requests:
            memory(env, requests["list"], args)


def seed(database_url: str, env: dict[str, str], args: argparse.Namespace) -> int:
    """The data set; returns the big user's id."""
    accounts = [
        (SMALL_EMAIL.format(number=n), args.contacts) for n in range(1, args.users + 1)
    ]
    ids, seconds = seeding.populate(
        database_url, env, [*accounts, (BIG_EMAIL, args.big)], args.jobs
    )
    total = args.users * args.contacts + args.big
    print(
        f"Seeded {len(ids)} users, {total:,} contacts in {seconds:.1f} s "
        f"({total / seconds:,.0f} contacts/s; COPY from {args.jobs} processes)",
        flush=True,
    )
    return ids[-1]


def start_target(name: str, app_spec: str, env: dict[str, str]) -> Target:
    """gunicorn with gunicorn.conf.py (the same workers for both targets)."""
    port = free_port()
    process = start_gunicorn(
        ["-c", "gunicorn.conf.py", app_spec], {**env, "BIND": f"127.0.0.1:{port}"}, port
    )
    return Target(name, port, process)


def deep_cursor(database_url: str, user_id: int, position: int) -> str:
    """The cursor of the row at 1-based `position` in the default order,
    made by the app's own Cursor class."""
    from app.services.contact_queries import Cursor, OrderField

    with psycopg.connect(database_url) as connection:
        row = connection.execute(
            "SELECT id, sort_last FROM contacts WHERE user_id = %s "
            "ORDER BY sort_last, id OFFSET %s LIMIT 1",
            (user_id, position - 1),
        ).fetchone()
    if row is None:
        raise RuntimeError(f"no contact at position {position}")
    return Cursor(OrderField.LAST_NAME, row[1], row[0]).encode()


def build_requests(
    app: Target, database_url: str, big: int, args: argparse.Namespace
) -> dict[str, Request]:
    """The requests by name: `list` and `search` for a user with --contacts
    contacts, the same for the big user, and its first and last-but-one
    pages of 100 (page 1,000 of 100,000 contacts)."""
    small_token = login(app.port, SMALL_EMAIL.format(number=1), seeding.PASSWORD)
    big_token = login(app.port, BIG_EMAIL, seeding.PASSWORD)
    size = queries.DEEP_PAGE_SIZE
    deep = max(args.big - size, 1)
    deep_body = queries.list_body(size, deep_cursor(database_url, big, deep))
    requests = [
        Request("list", queries.list_body(), small_token),
        Request("search", queries.search_body(args.search), small_token),
        Request(f"list, {args.big:,} contacts", queries.list_body(), big_token),
        Request(
            f"search, {args.big:,} contacts",
            queries.search_body(args.search),
            big_token,
        ),
        Request(f"page 1 (first: {size})", queries.list_body(size), big_token),
        Request(f"page {deep // size + 1:,} (first: {size})", deep_body, big_token),
    ]
    return {request.name: request for request in requests}


def run(
    targets: list[Target],
    requests: dict[str, Request],
    database_url: str,
    env: dict[str, str],
    args: argparse.Namespace,
) -> None:
    app, hand = targets
    print("\nThe same JSON from both targets, for every request:", flush=True)
    for request in requests.values():
        verify(targets, request)
    statements = {
        target: count_statements(target, database_url, env, requests)
        for target in (APP, HAND)
    }
    names = list(requests)
    print(
        f"\n{args.rounds} rounds x {args.duration} s, {args.connections} connections, "
        f"{workers()} gunicorn workers each",
        flush=True,
    )
    # One loop over every pair, so that each round interleaves them all.
    series = measure(
        [(t, requests[n]) for n in names[:2] for t in (app, hand)]
        + [(app, requests[n]) for n in names[2:]],
        args,
    )
    load_after = load()
    print()
    print(
        report.comparison(
            {n: series[APP, n] for n in names[:2]},
            {n: series[HAND, n] for n in names[:2]},
            statements[APP],
            statements[HAND],
        )
    )
    print(f"\nA {args.contacts:,}-contact user against one with {args.big:,}:\n")
    pairs = [(names[0], names[2]), (names[1], names[3]), (names[4], names[5])]
    print(
        report.scaling(
            [(series[APP, small], series[APP, large]) for small, large in pairs],
            statements[APP],
        )
    )
    errors = sum(one.errors() for one in series.values())
    print(f"\nwrk errors (non-2xx or socket): {errors}; load average {load_after}")


def workers() -> int:
    """The worker count gunicorn.conf.py gives both targets."""
    count: int = runpy.run_path(str(ROOT / "gunicorn.conf.py"))["workers"]
    return count


def verify(targets: list[Target], request: Request) -> None:
    """Both targets answer `request` with the same JSON and some contacts;
    RuntimeError if not. Says whether the bytes are identical too."""
    answers = [post(target.port, request.body, request.token) for target in targets]
    app, hand = (json.loads(answer) for answer in answers)
    if app != hand:
        for target, answer in zip(targets, answers, strict=True):
            print(f"{target.name}: {answer[:600]!r}", file=sys.stderr)
        raise RuntimeError(f"the targets disagree on {request.name}")
    if "errors" in app or not app["data"]["contacts"]["edges"]:
        raise RuntimeError(f"{request.name}: no contacts: {answers[0][:600]!r}")
    edges = len(app["data"]["contacts"]["edges"])
    print(
        f"  {request.name}: {edges} contacts, {same_bytes(*answers)} "
        f"({len(answers[0]):,} bytes)",
        flush=True,
    )


def same_bytes(app: bytes, hand: bytes) -> str:
    if app == hand:
        return "identical bytes"
    at = next(
        (i for i, (a, h) in enumerate(zip(app, hand, strict=False)) if a != h),
        min(len(app), len(hand)),
    )
    return (
        f"same JSON, bytes differ from offset {at}: "
        f"{app[at - 20 : at + 20]!r} vs {hand[at - 20 : at + 20]!r}"
    )


def count_statements(
    target: str, database_url: str, env: dict[str, str], requests: dict[str, Request]
) -> dict[str, int]:
    """SQL statements per request, counted in this process."""
    from bench.inprocess import app_statements, handwritten_statements, production_app

    if target == APP:
        app = production_app(database_url, env)
        return {n: app_statements(app, r.body, r.token) for n, r in requests.items()}
    secret = env["JWT_SECRET_KEY"]
    return {
        n: handwritten_statements(database_url, secret, r.body, r.token)
        for n, r in requests.items()
    }


def measure(
    pairs: list[tuple[Target, Request]], args: argparse.Namespace
) -> dict[tuple[str, str], report.Series]:
    """Warm each (target, request) pair up, then run them in turn, round
    after round, so that other load on the machine spreads over all."""
    series = {(t.name, r.name): report.Series(t.name, r.name) for t, r in pairs}

    def wrk(target: Target, request: Request, seconds: int) -> WrkResult:
        return run_wrk(
            target.port,
            request.body,
            request.token,
            duration=seconds,
            connections=args.connections,
        )

    for target, request in pairs:
        if args.warmup:
            wrk(target, request, args.warmup)
    for number in range(1, args.rounds + 1):
        for target, request in pairs:
            result = wrk(target, request, args.duration)
            series[target.name, request.name].results.append(result)
            print(
                f"  round {number}: {target.name:12} {request.name:28} "
                f"{result.requests_per_second:7.1f} req/s  "
                f"p50 {result.p50_ms:6.1f} ms  p99 {result.p99_ms:6.1f} ms  "
                f"errors {result.errors}",
                flush=True,
            )
    return series


def memory(env: dict[str, str], request: Request, args: argparse.Namespace) -> None:
    """VmRSS of each app worker after start-up, then after the given totals
    of list requests. A fresh server with max_requests off, so that no
    worker is recycled on the way."""
    port = free_port()
    process = start_gunicorn(
        ["-c", "gunicorn.conf.py", "--max-requests", "0", "run:app"],
        {**env, "BIND": f"127.0.0.1:{port}"},
        port,
    )
    try:
        pids = worker_pids(process.pid)
        rows = [("after start-up", 0, [rss_kib(pid) for pid in pids])]
        done = 0
        for total in args.rss_requests:
            send(port, request.body, request.token, total - done, args.connections)
            done = total
            rows.append((f"after {total:,}", done, [rss_kib(pid) for pid in pids]))
        if worker_pids(process.pid) != pids:
            raise RuntimeError("a worker was replaced during the memory run")
    finally:
        stop(process)
    print("\nWorker RSS of the GraphQL API, list query:\n")
    print(report.memory(rows))


if __name__ == "__main__":
    main()
