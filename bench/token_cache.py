"""Whether the verified-access-token cache (ACCESS_TOKEN_CACHE_SIZE) pays.

    .venv/bin/python bench/token_cache.py [--requests 20000] [--rounds 5]

Verifies one access token the way every signed-in request does, with the
cache off (Flask-JWT-Extended's `decode_token`: an unverified decode for its
key callback, then the verified one) and on (a look-up and the expiry
check), in interleaved rounds, and prints the minimum microseconds per
verification of each and their ratio. No database is involved: the
revocation check that follows either way is the same statement.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_jwt_extended import create_access_token

from app import create_app
from app.services import tokens


def per_call_us(call: Callable[[], object], requests: int) -> float:
    start = time.perf_counter()
    for _ in range(requests):
        call()
    return (time.perf_counter() - start) / requests * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    apps = {
        name: create_app(
            "testing",
            {"SQLALCHEMY_DATABASE_URI": "sqlite://", "ACCESS_TOKEN_CACHE_SIZE": size},
        )
        for name, size in (("uncached", 0), ("cached", 4096))
    }
    with apps["cached"].app_context():
        token = create_access_token("1", additional_claims={"sid": "bench"})
    figures: dict[str, list[float]] = {name: [] for name in apps}
    for _ in range(args.rounds):
        for name, app in apps.items():
            with app.app_context():
                tokens.access_claims(token)
                figures[name].append(
                    per_call_us(lambda: tokens.access_claims(token), args.requests)
                )
    uncached, cached = min(figures["uncached"]), min(figures["cached"])
    print(f"verify an access token, cache off: {uncached:7.1f} us")
    print(f"verify an access token, cache on:  {cached:7.1f} us")
    print(
        f"the cache saves {uncached - cached:.1f} us a request "
        f"({uncached / cached:.0f}x)"
    )


if __name__ == "__main__":
    main()
