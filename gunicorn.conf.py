"""gunicorn settings: `gunicorn -c gunicorn.conf.py run:app` (`make serve`).

Every value can be overridden from the environment or the command line
(a command-line flag wins over this file):

    BIND             address to listen on; default 127.0.0.1:$PORT. Set
                     BIND=0.0.0.0:8000 in a container or behind a proxy on
                     another host.
    PORT             default 8000
    WEB_CONCURRENCY  worker processes; default below, chosen by measurement
                     (bench/gunicorn_workers.py, figures in bench/README.md)
    GUNICORN_THREADS threads per worker; above 1 the gthread worker is used
    GUNICORN_TIMEOUT seconds a worker may spend on one request; default 30

Clients never reach these workers directly: nginx (deploy/nginx.conf,
`make proxy`) reads each request whole before passing it on. A sync worker
reads its request itself, so without it a client that sends a request slowly,
or part of one and then nothing, holds a worker for as long as it likes: two
such connections stop two workers (tests/test_slow_clients.py). gthread is
no cure (a thread still blocks reading a slow body). Behind nginx, set
TRUSTED_PROXY_COUNT=1 so the app sees the client's address.

Logs: everything goes to standard output through the app's handler
(app/logging_setup.py), JSON lines when APP_ENV=production (or
LOG_FORMAT=json), text otherwise, gunicorn's own lines included. The access
line, with the request id and duration, is written by the app (logger
`app.access`), so it is the same under `flask run`; gunicorn's own access
log stays off.
"""

import gc
import os
import sys

from app.config import env_bool, env_str
from app.logging_setup import gunicorn_logconfig

# Measured on the development machine (2 cores): see bench/README.md.
MEASURED_WORKERS = 2
MEASURED_THREADS = 1


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    return int(raw) if raw else default


def _log_format() -> str:
    default = (
        "json" if os.environ.get("APP_ENV", "").strip() == "production" else "text"
    )
    return os.environ.get("LOG_FORMAT", "").strip().lower() or default


bind = [os.environ.get("BIND", "").strip() or f"127.0.0.1:{_env_int('PORT', 8000)}"]
workers = _env_int("WEB_CONCURRENCY", MEASURED_WORKERS)
threads = _env_int("GUNICORN_THREADS", MEASURED_THREADS)
worker_class = "gthread" if threads > 1 else "sync"

# A request that takes longer than this is stuck: the worker is restarted.
timeout = _env_int("GUNICORN_TIMEOUT", 30)
# On SIGTERM, requests in flight get this long to finish.
graceful_timeout = _env_int("GUNICORN_GRACEFUL_TIMEOUT", 30)
# Seconds to keep an idle connection from a proxy open (gthread only; sync
# workers close each connection after its response).
keepalive = 5
# Recycle workers now and then, staggered, to bound slow memory growth.
max_requests = 10_000
max_requests_jitter = 1_000

# The app writes the access line; gunicorn's lines use the app's handler.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").strip().lower() or "info"
logconfig_dict = gunicorn_logconfig(_log_format(), loglevel.upper())

# gunicorn's control socket (gunicornc) sits at one path per user, which
# several servers on one machine would fight over; off unless asked for.
control_socket_disable = os.environ.get("GUNICORN_CONTROL_SOCKET", "") != "on"


def post_worker_init(worker: object) -> None:
    """Take what the worker allocated loading the app (the schema, the
    models, the compiled statements: hundreds of thousands of objects that
    live as long as it does) out of the garbage collector's sight. The
    collector otherwise walks them all on each of its full passes, which a
    busy worker triggers often: about a fifth more list requests per second
    (bench/README.md)."""
    gc.collect()
    gc.freeze()


def on_starting(server: object) -> None:
    """Refuse to start several workers that would each count rate limits on
    their own: with `RATELIMIT_STORAGE_URI=memory://`, a client that hit a
    limit on one worker starts afresh on the next (SECURITY.md)."""
    problem = per_process_rate_limits(workers)
    if problem:
        sys.exit(problem)


def per_process_rate_limits(worker_count: int) -> str | None:
    """Why `worker_count` workers must not serve with this environment's
    rate-limit store, or None. Read after the app has loaded `.env`."""
    per_process = env_str("RATELIMIT_STORAGE_URI").startswith("memory://")
    if worker_count > 1 and per_process and env_bool("RATELIMIT_ENABLED", True):
        return (
            f"RATELIMIT_STORAGE_URI=memory:// counts in each process, but "
            f"WEB_CONCURRENCY asks for {worker_count} workers: set "
            "RATELIMIT_STORAGE_URI to a Redis every worker shares "
            "(redis://127.0.0.1:6379/0), or WEB_CONCURRENCY=1"
        )
    return None
