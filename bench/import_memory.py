"""The import's memory: `flask import-contacts` on files of 10,000 and
100,000 contacts, in our own CSV layout and as vCard 4.0, into an empty
account on SQLite and on PostgreSQL, and the CSV file as a dry run. Prints
the command's peak RSS (the child's VmHWM, read from /proc until it exits)
and its rate, after a file of one contact for the command's own baseline.
A real import is flat: it keeps in memory only the in-file keys of records
not created. A dry run keeps every record's (a few small strings, O(n)).

    .venv/bin/python -m bench.import_memory [--sizes 10000,100000]

The contacts are the `flask seed` demo data (app/services/seed.py),
written by the export's own writers (app/formats). The PostgreSQL database
is a scratch one on BENCH_DATABASE_URL (default
postgresql://postgres@127.0.0.1:5432/postgres), contacts_bench_<random>,
dropped at the end even after a failure; the SQLite one a file in a
temporary directory.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from app.extensions import db
from app.formats.csv_formats import write_csv
from app.formats.record import ContactData
from app.formats.vcard import write_vcard
from app.services import auth
from app.services.seed import DemoGenerator
from bench.inprocess import production_app
from bench.seeding import (
    PASSWORD,
    add_server_argument,
    migrate,
    scratch_database,
    server_env,
)
from bench.serving import ROOT, load

SEED = 15
FORMATS = ("csv", "vcard")
SAMPLE_EVERY = 0.02  # seconds


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_server_argument(parser)
    parser.add_argument(
        "--sizes",
        default="10000,100000",
        help="file sizes in contacts, comma-separated",
    )
    return parser.parse_args()


def demo_contacts(count: int) -> Iterator[ContactData]:
    """`count` demo contacts, as the readers would give them back."""
    for batch in DemoGenerator(SEED).contacts(count):
        for contact in batch:
            fields = contact.input_fields()
            yield ContactData(
                fields={
                    name: value
                    for name, value in fields.items()
                    if name not in ("emails", "phones", "addresses", "tags")
                },
                emails=fields["emails"],
                phones=fields["phones"],
                addresses=fields["addresses"],
                tags=fields["tags"],
            )


def write_file(directory: Path, count: int, format: str) -> Path:
    """A file of `count` contacts in `format`, written as they are made."""
    path = directory / f"contacts-{count}.{'csv' if format == 'csv' else 'vcf'}"
    with path.open("w", encoding="utf-8", newline="") as out:
        if format == "csv":
            out.writelines(write_csv(demo_contacts(count)))
        else:
            for contact in demo_contacts(count):
                out.write(write_vcard(contact, "4.0"))
    return path


@dataclass(frozen=True)
class Run:
    peak_kib: int
    seconds: float
    summary: str


def import_file(env: dict[str, str], email: str, path: Path, dry_run: bool) -> Run:
    """`flask import-contacts EMAIL FILE` as a child process; its peak RSS.

    The peak is the child's VmHWM (/proc/<pid>/status), read until it
    exits: its ru_maxrss (wait4, RUSAGE_CHILDREN) would start from this
    process's own RSS, which a fork copies and this process, having
    written the files, holds much of."""
    flask = str(Path(sys.executable).with_name("flask"))
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out:
        process = subprocess.Popen(
            [flask, "--app", "run", "import-contacts", email, str(path)]
            + ["--dry-run"] * dry_run,
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.DEVNULL,
        )
        peak = 0
        while process.poll() is None:
            peak = max(peak, high_water_kib(process.pid))
            time.sleep(SAMPLE_EVERY)
        seconds = time.perf_counter() - started
        out.seek(0)
        summary = out.read().decode().strip().splitlines()[-1]
    if process.returncode:
        raise RuntimeError(f"import-contacts failed ({process.returncode}): {summary}")
    return Run(peak, seconds, summary)


def high_water_kib(pid: int) -> int:
    """The process's peak RSS so far (VmHWM), 0 once it is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    line = next((line for line in status.splitlines() if line.startswith("VmHWM:")), "")
    return int(line.split()[1]) if line else 0


def account(size: int, format: str, dry_run: bool) -> str:
    """An empty account for each run."""
    return f"{format}-{size}{'-dry' * dry_run}@example.com"


@contextmanager
def sqlite_database() -> Iterator[str]:
    with tempfile.TemporaryDirectory() as directory:
        yield f"sqlite:///{directory}/bench.db"


def measure(database_url: str, name: str, files: dict[tuple[int, str], Path]) -> None:
    env = {
        **server_env(database_url),
        # The app hashes a dummy password as it starts: at the production
        # cost (64 MiB) that would be the command's peak, and hide the
        # import's own memory under it.
        "PASSWORD_HASH_MEMORY_COST": "8",
        "PASSWORD_HASH_TIME_COST": "1",
        "PASSWORD_HASH_PARALLELISM": "1",
    }
    migrate(env)
    app = production_app(database_url, env)
    runs = [
        (size, format, dry_run)
        for size, format in files
        for dry_run in (False, True)
        if format == "csv" or not dry_run
    ]
    with app.app_context():
        for size, format, dry_run in runs:
            auth.create_account(account(size, format, dry_run), PASSWORD, "Bench")
        db.engine.dispose()
    for size, format, dry_run in runs:
        path = files[size, format]
        run = import_file(env, account(size, format, dry_run), path, dry_run)
        print(
            f"{name:10} {format:5}{' dry run' if dry_run else '':8} {size:>9,} "
            f"contacts ({path.stat().st_size / 2**20:5.1f} MiB): peak RSS "
            f"{run.peak_kib / 1024:6.1f} MiB, {run.seconds:6.1f} s, "
            f"{size / run.seconds:6,.0f} contacts/s  [{run.summary}]",
            flush=True,
        )


def main() -> None:
    args = arguments()
    # A file of one contact first: the command's own peak (the app and its
    # libraries), which the others add to.
    sizes = [1, *(int(size) for size in args.sizes.split(","))]
    print(f"{os.cpu_count()} cores, load average {load()}", flush=True)
    with tempfile.TemporaryDirectory() as directory:
        files = {
            (size, format): write_file(Path(directory), size, format)
            for size in sizes
            for format in FORMATS
        }
        with sqlite_database() as url:
            measure(url, "SQLite", files)
        with scratch_database(args.database_url) as url:
            measure(url, "PostgreSQL", files)


if __name__ == "__main__":
    main()
