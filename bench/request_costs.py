"""CPU time per request in-process, the API against the hand-written endpoint.

    .venv/bin/python bench/request_costs.py [--requests 200] [--rounds 7]
        [--contacts 5000] [--database-url postgresql://postgres@127.0.0.1:5432/postgres]

Creates a scratch PostgreSQL database (as bench/api_vs_handwritten.py does),
seeds one user with --contacts contacts, and posts requests of growing size
to both targets through Flask's test client, round after round, each
request type --requests times a round. Prints, per request type, this
process's CPU time per request (the minimum and the median over the
rounds): the Python work of each layer, which is what the API adds to the
hand-written endpoint. The database's own work is left out (it runs in
another process, and is the same for both), and so is the wait for it.

The sizes separate a fixed cost per request from a cost per contact: a
bare `__typename`, the token check (`me`), then pages of 1, 20 and 50
contacts with the benchmark's full selection.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import handwritten, queries, seeding  # noqa: E402
from bench.inprocess import post, quiet  # noqa: E402

EMAIL = "costs@example.com"


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    seeding.add_server_argument(parser)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--contacts", type=int, default=5000)
    return parser.parse_args()


def main() -> None:
    args = arguments()
    with seeding.one_user(args.database_url, EMAIL, args.contacts) as seeded:
        app, token = seeded.app, seeded.token
        endpoint = handwritten.create_app(
            lambda: psycopg.connect(seeded.database_url, autocommit=True),
            seeded.env["JWT_SECRET_KEY"],
        )
        cases: dict[str, Callable[[], object]] = {
            "API { __typename }": lambda: post(app, {"query": "{ __typename }"}),
            "API { me { id } }": lambda: post(app, {"query": "{ me { id } }"}, token),
            "API list, 1 contact": lambda: post(app, queries.list_body(1), token),
            "API list, 20 contacts": lambda: post(app, queries.list_body(20), token),
            "API search (20)": lambda: post(app, queries.search_body("son"), token),
            "API list (50)": lambda: post(app, queries.list_body(), token),
            "hand-written list, 1 contact": lambda: post(
                endpoint, queries.list_body(1), token
            ),
            "hand-written search (20)": lambda: post(
                endpoint, queries.search_body("son"), token
            ),
            "hand-written list (50)": lambda: post(
                endpoint, queries.list_body(), token
            ),
        }
        cpu_ms = measure(cases, args.requests, args.rounds)
    print(f"CPU ms per request, this process, {args.rounds} rounds:")
    print("| request | min | median |\n| --- | ---: | ---: |")
    for name, samples in cpu_ms.items():
        print(f"| {name} | {min(samples):.2f} | {statistics.median(samples):.2f} |")


def measure(
    cases: dict[str, Callable[[], object]], requests: int, rounds: int
) -> dict[str, list[float]]:
    samples: dict[str, list[float]] = {name: [] for name in cases}
    with quiet():
        for send in cases.values():
            for _ in range(20):  # caches, prepared statements
                send()
        for _ in range(rounds):
            for name, send in cases.items():
                started = time.process_time()
                for _ in range(requests):
                    send()
                samples[name].append((time.process_time() - started) * 1000 / requests)
    return samples


if __name__ == "__main__":
    main()
