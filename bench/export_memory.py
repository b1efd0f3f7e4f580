"""The export's memory and speed: one account of 10,000 and of 100,000
contacts, each exported as vCard 4.0 and as CSV over HTTP from the app
under gunicorn (one sync worker, production config), the body read as a
stream. Prints the worker's RSS before each export and its peak during it
(sampled every few milliseconds): flat means about the same peak for both
sizes. And the rate, contacts per second.

    .venv/bin/python -m bench.export_memory [--sizes 10000,100000]

Each size gets a scratch PostgreSQL database on BENCH_DATABASE_URL (default
postgresql://postgres@127.0.0.1:5432/postgres), contacts_bench_<random>,
seeded with the demo data by COPY (bench/seeding.py), dropped at the end
even after a failure.
"""

from __future__ import annotations

import argparse
import http.client
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from bench.seeding import add_server_argument, one_user
from bench.serving import free_port, load, rss_kib, start_gunicorn, stop, worker_pids

EMAIL = "export@example.com"
READ_SIZE = 64 * 1024
SAMPLE_EVERY = 0.005  # seconds
# A worker may spend this long on one request (GUNICORN_TIMEOUT, 30 s by
# default): long enough here for the largest export to be timed, whatever
# its rate; the report says when one took longer than the default.
TIMEOUT = 600
DEFAULT_TIMEOUT = 30
EXPORTS = (("vCard 4.0", "/export/contacts.vcf"), ("CSV", "/export/contacts.csv"))


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_server_argument(parser)
    parser.add_argument(
        "--sizes",
        default="10000,100000",
        help="address-book sizes, comma-separated",
    )
    return parser.parse_args()


class PeakRss:
    """The highest RSS of a process seen while `sampling`."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak = 0
        self._done = threading.Event()

    def _sample(self) -> None:
        while not self._done.is_set():
            self.peak = max(self.peak, rss_kib(self.pid))
            time.sleep(SAMPLE_EVERY)

    @contextmanager
    def sampling(self) -> Iterator[None]:
        thread = threading.Thread(target=self._sample, daemon=True)
        thread.start()
        try:
            yield
        finally:
            self._done.set()
            thread.join()
        self.peak = max(self.peak, rss_kib(self.pid))


@dataclass(frozen=True)
class Download:
    bytes: int
    cards: int  # BEGIN:VCARD lines seen (0 for CSV)
    seconds: float


def download(port: int, path: str, token: str) -> Download:
    """GET `path`, read as a stream a buffer at a time, never held whole."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
    started = time.perf_counter()
    try:
        connection.request("GET", path, headers={"Authorization": f"Bearer {token}"})
        response = connection.getresponse()
        if response.status != 200:
            raise RuntimeError(f"{path}: status {response.status}")
        size = cards = 0
        tail = b""
        while block := response.read(READ_SIZE):
            size += len(block)
            seen = tail + block
            cards += seen.count(b"BEGIN:VCARD") - tail.count(b"BEGIN:VCARD")
            tail = seen[-16:]
    finally:
        connection.close()
    return Download(size, cards, time.perf_counter() - started)


def measure(size: int, server_url: str) -> None:
    with one_user(server_url, EMAIL, size) as user:
        port = free_port()
        env = {
            **user.env,
            "PORT": str(port),
            "WEB_CONCURRENCY": "1",
            "GUNICORN_TIMEOUT": str(TIMEOUT),
            "ACCESS_LOG": "false",
        }
        process = start_gunicorn(["-c", "gunicorn.conf.py", "run:app"], env, port)
        try:
            [worker] = worker_pids(process.pid)
            download(port, "/export/contacts.vcf?tag=no-such-tag", user.token)
            for name, path in EXPORTS:
                before = rss_kib(worker)
                peak = PeakRss(worker)
                with peak.sampling():
                    got = download(port, path, user.token)
                if name.startswith("vCard") and got.cards != size:
                    raise RuntimeError(f"{got.cards} cards exported, not {size}")
                late = "  (over the default GUNICORN_TIMEOUT)" * (
                    got.seconds > DEFAULT_TIMEOUT
                )
                growth = (peak.peak - before) / 1024
                print(
                    f"{size:>9,} {name:10} RSS before {before / 1024:6.1f} MiB, "
                    f"peak {peak.peak / 1024:6.1f} MiB (+{growth:.1f})  "
                    f"{got.bytes / 2**20:7.1f} MiB in {got.seconds:6.2f} s, "
                    f"{size / got.seconds:8,.0f} contacts/s{late}",
                    flush=True,
                )
        finally:
            stop(process)


def main() -> None:
    args = arguments()
    sizes = [int(size) for size in args.sizes.split(",")]
    print(f"{os.cpu_count()} cores, load average {load()}", flush=True)
    for size in sizes:
        measure(size, args.database_url)


if __name__ == "__main__":
    main()
