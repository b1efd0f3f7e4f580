"""Can one account at its limits slow another account down?

    .venv/bin/python bench/noisy_neighbour.py [--requests 120]
        [--heavy-connections 3] [--heavy-addresses 1] [--time-limit 60]
        [--no-proxy] [--no-rate-limits] [--redis-url redis://127.0.0.1:6379/0]
        [--database-url postgresql://postgres@127.0.0.1:5432/postgres]

Creates a scratch database on the server at --database-url, seeds a heavy
account at its limits (100 contacts, each with as many emails, phones,
addresses and tags as input validation allows, LIST_MAX_ITEMS, every text
field at its maximum length, notes included) and a normal account of
--normal-contacts demo contacts, through the app's own services (so the
input passes validation). It starts the shipped deployment: gunicorn with
gunicorn.conf.py in production config (2 sync workers, every limit at its
default, rate limits counted in Redis at --redis-url under a fresh key
prefix) behind nginx with deploy/nginx.conf (TRUSTED_PROXY_COUNT=1). Then
it times the normal account's list request

    { contacts(first: 20) { nodes { id displayName emails { value } } } }

from its own address (127.0.0.2), --normal-rate a second, as a frontend
would (within its own limits), idle, then while --heavy-connections loops,
each in its own process, send the heavy account's worst requests from
--heavy-addresses other addresses (127.0.0.3, ...), as fast as answers
come, up to --heavy-rate a second each (so that the bench's own client
does not take the cores the server needs: an attacker's CPU is elsewhere):
first the issue's ten aliases of `contacts(first: 100)` with every field
through both `edges` and `nodes`, then the heaviest query the cost limit
lets through (found from the server's own cost message). Every phase stops
at its request count or after --time-limit seconds. It prints the normal
request's p50/p99 idle and loaded, the ratio of the p50s, what the heavy
requests got (status, bytes, latency), the workers' peak RSS (VmHWM) and
PASS when every loaded p50 is at most twice the idle one. --no-proxy and
--no-rate-limits take those defences away, to show what each is for. The
database and the Redis keys are dropped at the end.
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import http.client
import json
import multiprocessing
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import redis

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.config import LIMITS  # noqa: E402
from app.fields import CONTACT_FIELDS, Kind  # noqa: E402
from app.services.contact_input import (  # noqa: E402
    ADDRESS_LIMITS,
    LABEL_MAX_LENGTH,
    LIST_MAX_ITEMS,
    TAG_MAX_LENGTH,
    AddressInput,
    EmailInput,
    PhoneInput,
)
from app.services.contacts import create_contact  # noqa: E402
from app.services.seed import DemoGenerator  # noqa: E402
from bench import seeding  # noqa: E402
from bench.inprocess import production_app  # noqa: E402
from bench.serving import (  # noqa: E402
    free_port,
    load,
    login,
    start_gunicorn,
    stop,
    wait_until_up,
    worker_pids,
)

NORMAL_ADDRESS = "127.0.0.2"
HEAVY_ADDRESSES = "127.0.0.{}"  # 3, 4, ...: loopback, every 127/8 address is ours
HEAVY_EMAIL = "heavy@example.com"
NORMAL_EMAIL = "normal@example.com"
HEAVY_CONTACTS = 100
BAR = 2.0  # loaded p50 / idle p50

NORMAL_QUERY = "{ contacts(first: 20) { nodes { id displayName emails { value } } } }"
ALL_FIELDS = """
  id firstName lastName displayName nickname company jobTitle birthday notes
  favorite version createdAt updatedAt
  emails { value label primary }
  phones { value label primary }
  addresses { label street city region postalCode country }
  tags { id name contactCount }
"""
COST_MESSAGE = re.compile(r"may return (\d+) nodes; the limit is (\d+)")


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    seeding.add_server_argument(parser)
    parser.add_argument(
        "--requests", type=int, default=120, help="normal requests per phase"
    )
    parser.add_argument(
        "--normal-rate",
        type=float,
        default=4.0,
        help="normal requests a second (the app allows 5 per address)",
    )
    parser.add_argument("--heavy-connections", type=int, default=3)
    parser.add_argument(
        "--heavy-addresses",
        type=int,
        default=1,
        help="addresses the heavy loops share out (one account, many places)",
    )
    parser.add_argument(
        "--heavy-rate",
        type=float,
        default=100.0,
        help="at most this many heavy requests a second per loop",
    )
    parser.add_argument(
        "--time-limit", type=float, default=60.0, help="seconds per phase at most"
    )
    parser.add_argument("--normal-contacts", type=int, default=200)
    parser.add_argument(
        "--no-proxy",
        dest="proxy",
        action="store_false",
        help="send to gunicorn directly, without nginx in front",
    )
    parser.add_argument(
        "--no-rate-limits",
        dest="rate_limits",
        action="store_false",
        help="RATELIMIT_ENABLED=false (the cost, document and response limits stay)",
    )
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("TEST_REDIS_URL") or "redis://127.0.0.1:6379/0",
        help="where the rate limits count",
    )
    return parser.parse_args()


# --- the data ---------------------------------------------------------------


def heavy_contact(number: int) -> dict[str, Any]:
    """A contact at every limit input validation sets: each text field at
    its maximum length, LIST_MAX_ITEMS emails, phones, addresses and tags,
    each value as long as allowed."""
    fields: dict[str, Any] = {
        f.name: (f"{number:03d}" + "x" * f.max_length)[: f.max_length]
        for f in CONTACT_FIELDS
        if f.kind in (Kind.TEXT, Kind.LONG_TEXT) and f.max_length
    }
    label = "l" * LABEL_MAX_LENGTH
    fields["emails"] = [
        EmailInput(f"{'e' * 60}{i:02d}@{'d' * 60}.example.com", label)
        for i in range(LIST_MAX_ITEMS)
    ]
    # Ofcom's drama numbers, 020 7946 0000-0999: valid and never anyone's.
    fields["phones"] = [
        PhoneInput(f"+44 20 7946 0{i:03d}", label) for i in range(LIST_MAX_ITEMS)
    ]
    fields["addresses"] = [
        AddressInput(
            label,
            *(
                (f"{i:02d}" + "a" * ADDRESS_LIMITS[part])[: ADDRESS_LIMITS[part]]
                for part in ("street", "city", "region", "postal_code")
            ),
            "GB",
        )
        for i in range(LIST_MAX_ITEMS)
    ]
    fields["tags"] = [
        (f"{i:02d}" + "t" * TAG_MAX_LENGTH)[:TAG_MAX_LENGTH]
        for i in range(LIST_MAX_ITEMS)
    ]
    return fields


def seed(database_url: str, env: dict[str, str], normal_contacts: int) -> None:
    """Both accounts (bench/seeding.py), their contacts through the app's
    `create_contact`, so that every value passed input validation."""
    started = time.perf_counter()
    heavy_id, normal_id = seeding.populate(
        database_url, env, [(HEAVY_EMAIL, 0), (NORMAL_EMAIL, 0)], jobs=1
    )[0]
    app = production_app(database_url, env)
    with app.app_context():
        for number in range(HEAVY_CONTACTS):
            create_contact(heavy_id, heavy_contact(number))
        for batch in DemoGenerator(1).contacts(normal_contacts, normal_contacts):
            for contact in batch:
                create_contact(normal_id, contact.input_fields())
    seeding.analyze(database_url)
    print(
        f"Seeded {HEAVY_CONTACTS} heavy contacts ({LIST_MAX_ITEMS} emails, phones, "
        f"addresses, tags each, every text at its maximum length) and "
        f"{normal_contacts} normal ones in {time.perf_counter() - started:.1f} s",
        flush=True,
    )


# --- requests -----------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    status: int
    size: int
    seconds: float
    body: bytes


def timed_post(
    port: int, body: bytes, token: str, source: str = NORMAL_ADDRESS
) -> Answer:
    """One POST /graphql over a new loopback connection from `source`,
    timed from the connect to the last byte of the answer."""
    started = time.perf_counter()
    connection = http.client.HTTPConnection(
        "127.0.0.1", port, timeout=60, source_address=(source, 0)
    )
    try:
        connection.request(
            "POST",
            "/graphql",
            body,
            {"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        )
        response = connection.getresponse()
        data = response.read()
    finally:
        connection.close()
    return Answer(response.status, len(data), time.perf_counter() - started, data)


def encode(query: str) -> bytes:
    return json.dumps({"query": query}).encode()


def issue_query() -> str:
    """The issue's request: ten aliases, every field through edges and nodes."""
    one = (
        f"contacts(first: 100) {{ edges {{ node {{ {ALL_FIELDS} }} }} "
        f"nodes {{ {ALL_FIELDS} }} }}"
    )
    return "{ " + " ".join(f"a{n}: {one}" for n in range(10)) + " }"


def aliases(sizes: list[int]) -> str:
    """One alias of `contacts(first: size) { nodes { every field } }` a size."""
    return (
        "{ "
        + " ".join(
            f"a{n}: contacts(first: {size}) {{ nodes {{ {ALL_FIELDS} }} }}"
            for n, size in enumerate(sizes)
        )
        + " }"
    )


def heaviest_query(port: int, token: str, source: str) -> tuple[str, int, int]:
    """The largest query the cost limit lets through, from the server's own
    cost message: as many `first: 100` aliases with every field as fit, and
    one more with the largest page that still fits. (query, cost, limit)."""
    probe = LIMITS["MAX_QUERY_ALIASES"]
    answer = timed_post(port, encode(aliases([100] * probe)), token, source)
    found = COST_MESSAGE.search(answer.body.decode())
    if found is None:
        raise RuntimeError(
            f"no cost message for {probe} aliases: {answer.body[:300]!r}"
        )
    per_alias, limit = int(found.group(1)) // probe, int(found.group(2))
    per_contact = per_alias // 100
    whole, rest = divmod(limit, per_alias)
    sizes = [100] * whole + ([rest // per_contact] if rest >= per_contact else [])
    query = aliases(sizes)
    check = timed_post(port, encode(query), token, source)
    if COST_MESSAGE.search(check.body.decode()):
        raise RuntimeError(f"refused by cost after all: {check.body[:300]!r}")
    cost = sum(sizes) * per_contact
    print(
        f"Cost from the server: {per_contact} per contact with every field, "
        f"limit {limit}: heaviest passing query = aliases with first: "
        f"{', '.join(map(str, sizes))} (cost {cost})",
        flush=True,
    )
    return query, cost, limit


def summary(answer: Answer) -> str:
    """What the server said, in a few words."""
    try:
        payload = json.loads(answer.body)
    except ValueError:
        return answer.body[:120].decode(errors="replace")
    errors = payload.get("errors") or []
    if errors:
        return "refused: " + errors[0]["message"][:110]
    data = payload.get("data") or {}
    contacts = sum(len(v.get("nodes") or v.get("edges") or []) for v in data.values())
    return f"served: {contacts} contacts"


# --- measuring ----------------------------------------------------------------


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


@dataclass
class Peaks:
    """The largest VmHWM seen for every gunicorn worker, sampled while the
    server runs (a worker replaced on the way keeps its own entry)."""

    master: int
    kib: dict[int, int] = field(default_factory=dict)

    def sample(self) -> None:
        try:
            pids = worker_pids(self.master)
        except OSError:
            return
        for pid in pids:
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            for line in status.splitlines():
                if line.startswith("VmHWM:"):
                    kib = int(line.split()[1])
                    self.kib[pid] = max(self.kib.get(pid, 0), kib)

    def text(self) -> str:
        return ", ".join(
            f"pid {pid} {kib / 1024:.0f} MiB" for pid, kib in sorted(self.kib.items())
        )


def paced(
    port: int, token: str, count: int, rate: float, deadline: float
) -> tuple[list[float], int]:
    """Up to `count` normal requests, one every 1/`rate` seconds (or right
    after the last answer when that came later), until `deadline`: their
    latencies in ms and the number that failed (not 200 or errors)."""
    body = encode(NORMAL_QUERY)
    latencies: list[float] = []
    failed = 0
    next_at = time.monotonic()
    for _ in range(count):
        if time.monotonic() > deadline:
            break
        time.sleep(max(0.0, next_at - time.monotonic()))
        next_at = time.monotonic() + 1 / rate
        answer = timed_post(port, body, token)
        latencies.append(answer.seconds * 1000)
        if answer.status != 200 or b'"errors"' in answer.body:
            failed += 1
    return latencies, failed


@dataclass(frozen=True)
class HeavyLoop:
    """One heavy loop's orders; it runs in a process of its own."""

    port: int
    token: str
    body: bytes
    source: str
    rate: float
    deadline: float  # time.time(), which processes share


def heavy_loop(loop: HeavyLoop, stop_event: Any, answers: Any) -> None:
    """Send `loop.body` again as soon as each answer is in (at most
    `loop.rate` a second) until stopped; put every answer on `answers`."""
    collected: list[Answer] = []
    while not stop_event.is_set() and time.time() < loop.deadline:
        started = time.monotonic()
        try:
            answer = timed_post(loop.port, loop.body, loop.token, loop.source)
        except OSError as error:
            answer = Answer(0, 0, 0.0, str(error).encode())
        collected.append(answer if answer.status == 200 else answer_head(answer))
        time.sleep(max(0.0, 1 / loop.rate - (time.monotonic() - started)))
    answers.put([a if i == 0 else answer_head(a) for i, a in enumerate(collected)])


def answer_head(answer: Answer) -> Answer:
    """The answer with its body cut, so that the results of thousands of
    heavy requests cross the process boundary cheaply."""
    return Answer(answer.status, answer.size, answer.seconds, answer.body[:300])


@dataclass(frozen=True)
class Phase:
    name: str
    latencies: list[float]
    failed: int
    heavy: list[Answer]
    seconds: float

    def p50(self) -> float:
        return statistics.median(self.latencies)

    def p99(self) -> float:
        return percentile(self.latencies, 99)


@dataclass(frozen=True)
class Target:
    port: int
    normal_token: str
    heavy_token: str


def phase(
    name: str,
    target: Target,
    heavy_body: bytes | None,
    args: argparse.Namespace,
    peaks: Peaks,
) -> Phase:
    """--requests normal requests, with the heavy loops running if
    `heavy_body`; the heavy loops stop when the normal requests are done."""
    started = time.monotonic()
    context = multiprocessing.get_context("fork")
    stop_event = context.Event()
    answers = context.Queue()
    processes = []
    if heavy_body is not None:
        for number in range(args.heavy_connections):
            source = HEAVY_ADDRESSES.format(3 + number % args.heavy_addresses)
            loop = HeavyLoop(
                target.port,
                target.heavy_token,
                heavy_body,
                source,
                args.heavy_rate,
                time.time() + args.time_limit,
            )
            process = context.Process(
                target=heavy_loop, args=(loop, stop_event, answers), daemon=True
            )
            process.start()
            processes.append(process)
        time.sleep(1.0)  # let the heavy loops occupy the workers first
    sampler_stop = threading.Event()

    def sampler() -> None:
        while not sampler_stop.wait(0.25):
            peaks.sample()

    sampling = threading.Thread(target=sampler, daemon=True)
    sampling.start()
    latencies, failed = paced(
        target.port,
        target.normal_token,
        args.requests,
        args.normal_rate,
        started + args.time_limit,
    )
    stop_event.set()
    heavy: list[Answer] = []
    for _ in processes:
        heavy.extend(answers.get(timeout=args.time_limit + 60))
    for process in processes:
        process.join(timeout=30)
    sampler_stop.set()
    sampling.join()
    peaks.sample()
    result = Phase(name, latencies, failed, heavy, time.monotonic() - started)
    report_phase(result)
    return result


def report_phase(result: Phase) -> None:
    print(
        f"\n{result.name}: {len(result.latencies)} normal requests in "
        f"{result.seconds:.1f} s, p50 {result.p50():.1f} ms, p99 "
        f"{result.p99():.1f} ms, failed {result.failed}; load average {load()}",
        flush=True,
    )
    if not result.heavy:
        return
    statuses: dict[int, int] = {}
    for answer in result.heavy:
        statuses[answer.status] = statuses.get(answer.status, 0) + 1
    for status in sorted(statuses):
        answers = [a for a in result.heavy if a.status == status]
        seconds = [a.seconds * 1000 for a in answers]
        sizes = sorted({a.size for a in answers})
        print(
            f"  heavy, status {status}: {len(answers)} requests, "
            f"{sizes[0]:,}-{sizes[-1]:,} bytes; latency p50 "
            f"{statistics.median(seconds):.1f} ms, max {max(seconds):.0f} ms; "
            f"{summary(answers[-1])}",
            flush=True,
        )


# --- the deployment -------------------------------------------------------------


@contextlib.contextmanager
def rate_limit_keys(url: str) -> Iterator[str]:
    """A fresh key prefix in Redis at `url`; its keys are deleted after."""
    prefix = f"noisy-neighbour-{uuid.uuid4().hex[:12]}"
    try:
        yield prefix
    finally:
        with redis.Redis.from_url(url) as client:
            keys = list(client.scan_iter(match=f"*{prefix}*"))
            if keys:
                client.delete(*keys)


@contextlib.contextmanager
def nginx_in_front(upstream: int) -> Iterator[int]:
    """nginx with deploy/nginx.conf (rendered with its defaults but for
    where it listens and runs) in front of gunicorn at `upstream`."""
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="noisy-nginx-") as directory:
        settings = {
            "NGINX_LISTEN": f"127.0.0.1:{port}",
            "NGINX_UPSTREAM": f"127.0.0.1:{upstream}",
            "NGINX_RUN_DIR": directory,
            "NGINX_USER": getpass.getuser(),
            "NGINX_WORKER_PROCESSES": "1",
        }
        rendered = subprocess.run(
            [sys.executable, "-m", "deploy.render_nginx"],
            cwd=ROOT,
            env={**os.environ, **settings},
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        config = Path(directory, "nginx.conf")
        config.write_text(rendered)
        with Path(directory, "nginx.log").open("ab") as log:
            process = subprocess.Popen(
                [binary, "-e", "stderr", "-c", str(config)],
                stdout=subprocess.DEVNULL,  # the access log: a line per request
                stderr=log,
                start_new_session=True,
            )
        try:
            wait_until_up(port, process, "/healthz")
            yield port
        finally:
            stop(process)


def deployment_env(
    env: dict[str, str], args: argparse.Namespace, key_prefix: str
) -> dict[str, str]:
    """The servers' environment: production limits, counted in Redis,
    the client's address read from nginx's X-Forwarded-For."""
    if args.rate_limits:
        env = {
            **env,
            "RATELIMIT_ENABLED": "true",
            "RATELIMIT_STORAGE_URI": args.redis_url,
            "RATELIMIT_KEY_PREFIX": key_prefix,
        }
    if args.proxy:
        env = {**env, "TRUSTED_PROXY_COUNT": "1"}
    return env


def main() -> None:
    args = arguments()
    print(
        f"load average at start {load()}; production limits: MAX_QUERY_COST "
        f"{LIMITS['MAX_QUERY_COST']}, MAX_RESPONSE_BYTES "
        f"{LIMITS['MAX_RESPONSE_BYTES']:,}; rate limits "
        f"{'on (Redis)' if args.rate_limits else 'off'}; nginx "
        f"{'in front' if args.proxy else 'not used'}",
        flush=True,
    )
    with (
        seeding.scratch_database(args.database_url) as database_url,
        rate_limit_keys(args.redis_url) as key_prefix,
    ):
        env = deployment_env(seeding.server_env(database_url), args, key_prefix)
        seed(database_url, env, args.normal_contacts)
        backend = free_port()
        process = start_gunicorn(
            ["-c", "gunicorn.conf.py", "run:app"],
            {**env, "BIND": f"127.0.0.1:{backend}"},
            backend,
        )
        try:
            with contextlib.ExitStack() as stack:
                port = (
                    stack.enter_context(nginx_in_front(backend))
                    if args.proxy
                    else backend
                )
                run(port, process.pid, args)
        finally:
            stop(process)


def run(port: int, master: int, args: argparse.Namespace) -> None:
    target = Target(
        port,
        login(port, NORMAL_EMAIL, seeding.PASSWORD),
        login(port, HEAVY_EMAIL, seeding.PASSWORD),
    )
    heavy_source = HEAVY_ADDRESSES.format(3)
    issue = encode(issue_query())
    heaviest, _, _ = heaviest_query(port, target.heavy_token, heavy_source)
    heaviest_body = encode(heaviest)
    for name, body in (("issue query", issue), ("heaviest passing", heaviest_body)):
        answer = timed_post(port, body, target.heavy_token, heavy_source)
        print(
            f"  {name}: {len(body):,} bytes in, status {answer.status}, "
            f"{answer.size:,} bytes out, {answer.seconds * 1000:.0f} ms; "
            f"{summary(answer)}",
            flush=True,
        )
    peaks = Peaks(master)
    peaks.sample()
    paced(port, target.normal_token, 10, args.normal_rate, time.monotonic() + 30)
    idle = phase("idle", target, None, args, peaks)
    loaded = [
        phase(
            f"loaded, {args.heavy_connections} x issue query",
            target,
            issue,
            args,
            peaks,
        ),
        phase(
            f"loaded, {args.heavy_connections} x heaviest passing query",
            target,
            heaviest_body,
            args,
            peaks,
        ),
    ]
    print(f"\nworkers' peak RSS (VmHWM): {peaks.text()}")
    verdicts = []
    for result in loaded:
        ratio = result.p50() / idle.p50()
        verdicts.append(ratio <= BAR)
        print(
            f"{result.name}: p50 {result.p50():.1f} ms / idle {idle.p50():.1f} ms "
            f"= {ratio:.2f} -> {'PASS' if ratio <= BAR else 'FAIL'} (bar {BAR})"
        )
    print("PASS" if all(verdicts) else "FAIL")


if __name__ == "__main__":
    main()
