"""Where the app's time goes on one request: cProfile in-process.

    .venv/bin/python bench/profile_request.py [--query list|search]
        [--requests 300] [--contacts 5000] [--search son] [--top 30]
        [--save PATH]
        [--database-url postgresql://postgres@127.0.0.1:5432/postgres]

Creates a scratch PostgreSQL database (as bench/api_vs_handwritten.py
does), seeds one user with --contacts contacts, builds the app in production
config (rate limits off, log lines discarded) and posts the benchmark's
`list` (or `search`) request through Flask's test client: first --requests
requests timed without the profiler, then as many under cProfile. Prints
the mean time per request, the SQL statements per request, and the --top
functions by cumulative and by own time, then the app's own (app/) by
cumulative time. No HTTP server and no load tool: the figures are the
app's own work, the Flask test client's overhead included.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import queries, seeding  # noqa: E402
from bench.inprocess import (  # noqa: E402
    app_statements,
    post,
    quiet,
)

EMAIL = "profile@example.com"


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    seeding.add_server_argument(parser)
    parser.add_argument("--query", choices=("list", "search"), default="list")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--contacts", type=int, default=5000)
    parser.add_argument("--search", default="son")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument(
        "--save", metavar="PATH", help="also write the raw profile, for pstats"
    )
    return parser.parse_args()


def stats_text(
    profile: cProfile.Profile, order: str, top: int, only: str | None = None
) -> str:
    """The top entries (of files whose path matches the regular expression
    `only`, when given), with the venv's and the repository's path prefixes
    cut so that the lines fit."""
    out = io.StringIO()
    restrictions = (only, top) if only else (top,)
    pstats.Stats(profile, stream=out).sort_stats(order).print_stats(*restrictions)
    text = out.getvalue()
    for prefix in (f"{sys.prefix}/lib/python3.11/site-packages/", f"{ROOT}/"):
        text = text.replace(prefix, "")
    return text.replace(f"{sys.base_prefix}/lib/python3.11/", "")


def main() -> None:
    args = arguments()
    with seeding.one_user(args.database_url, EMAIL, args.contacts) as seeded:
        app, token = seeded.app, seeded.token
        body = (
            queries.list_body()
            if args.query == "list"
            else queries.search_body(args.search)
        )
        statements = app_statements(app, body, token)
        with quiet():
            started = time.perf_counter()
            for _ in range(args.requests):
                post(app, body, token)
            mean_ms = (time.perf_counter() - started) * 1000 / args.requests
            profile = cProfile.Profile()
            profile.enable()
            for _ in range(args.requests):
                post(app, body, token)
            profile.disable()
    if args.save:
        profile.dump_stats(args.save)
    print(
        f"{args.query}: {mean_ms:.2f} ms per request in-process (no profiler), "
        f"{statements} SQL statements; {args.requests} requests profiled\n"
    )
    print(stats_text(profile, "cumulative", args.top))
    print(stats_text(profile, "tottime", args.top))
    print("The app's own functions (app/) by cumulative time:")
    print(stats_text(profile, "cumulative", args.top, only=f"^{ROOT}/app/"))


if __name__ == "__main__":
    main()
