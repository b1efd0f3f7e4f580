"""Logs: the request id on every line, JSON lines in production, text in
development, an access line per request, and no token or password ever."""

from __future__ import annotations

import json
import logging
import logging.config
from datetime import datetime, timedelta
from typing import Any

import pytest

from app.logging_setup import MASK, JsonFormatter, gunicorn_logconfig, redact
from tests.support.logging_apps import MakeApp, log

JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
    "eyJzdWIiOiI0MiIsInR5cGUiOiJhY2Nlc3MifQ."
    "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
)
PASSWORD = "hunter2-is-my-password"


def output_lines(capsys: pytest.CaptureFixture[str]) -> list[str]:
    return [line for line in capsys.readouterr().out.splitlines() if line]


def json_lines(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    return [json.loads(line) for line in output_lines(capsys)]


def test_text_lines_in_development_carry_the_given_request_id(
    make_logging_app: MakeApp, capsys: pytest.CaptureFixture[str]
) -> None:
    client = make_logging_app("development").test_client()
    capsys.readouterr()

    response = client.get("/work", headers={"X-Request-ID": "req-7"})

    lines = output_lines(capsys)
    assert response.headers["X-Request-ID"] == "req-7"
    assert [line.split(" ", 2)[2] for line in lines] == [
        "INFO app.test_logging [req-7] doing the work",
        "WARNING app.test_logging [req-7] still working",
        lines[2].split(" ", 2)[2],
    ]
    assert (
        lines[2].split(" ", 2)[2].startswith("INFO app.access [req-7] GET /work 200 ")
    )
    assert lines[2].endswith("ms")


def test_production_writes_one_json_object_a_line(
    make_logging_app: MakeApp, capsys: pytest.CaptureFixture[str]
) -> None:
    client = make_logging_app("production").test_client()
    capsys.readouterr()

    response = client.get("/work", headers={"X-Request-ID": "req-json-1"})

    entries = json_lines(capsys)
    assert response.status_code == 200
    assert [
        (e["level"], e["logger"], e["message"], e["request_id"]) for e in entries
    ] == [
        ("INFO", "app.test_logging", "doing the work", "req-json-1"),
        ("WARNING", "app.test_logging", "still working", "req-json-1"),
        ("INFO", "app.access", entries[2]["message"], "req-json-1"),
    ]
    for entry in entries:
        logged_at = datetime.fromisoformat(entry["time"])
        assert logged_at.utcoffset() == timedelta(0)
        assert "exc_info" not in entry


def test_a_generated_request_id_is_the_one_in_the_response(
    make_logging_app: MakeApp, capsys: pytest.CaptureFixture[str]
) -> None:
    client = make_logging_app("production").test_client()
    capsys.readouterr()

    response = client.get("/work")

    request_id = response.headers["X-Request-ID"]
    assert len(request_id) == 32
    assert {entry["request_id"] for entry in json_lines(capsys)} == {request_id}


def test_an_unacceptable_request_id_is_replaced_in_the_logs_too(
    make_logging_app: MakeApp, capsys: pytest.CaptureFixture[str]
) -> None:
    client = make_logging_app("production").test_client()
    capsys.readouterr()

    response = client.get("/work", headers={"X-Request-ID": "bad id\twith spaces"})

    request_id = response.headers["X-Request-ID"]
    assert request_id != "bad id\twith spaces"
    assert {entry["request_id"] for entry in json_lines(capsys)} == {request_id}


def test_lines_outside_a_request_have_a_dash_for_the_request_id(
    make_logging_app: MakeApp, capsys: pytest.CaptureFixture[str]
) -> None:
    make_logging_app("production")
    capsys.readouterr()

    log.warning("between requests")

    [entry] = json_lines(capsys)
    assert (entry["message"], entry["request_id"]) == ("between requests", "-")


def test_an_unhandled_error_is_one_json_line_with_the_traceback_and_request_id(
    make_logging_app: MakeApp, capsys: pytest.CaptureFixture[str]
) -> None:
    client = make_logging_app("production").test_client()
    capsys.readouterr()

    response = client.get("/boom", headers={"X-Request-ID": "req-boom"})

    error, access = json_lines(capsys)
    assert response.status_code == 500
    assert (error["level"], error["logger"], error["request_id"]) == (
        "ERROR",
        "app",
        "req-boom",
    )
    assert error["exc_info"].startswith("Traceback (most recent call last):")
    assert error["exc_info"].endswith("RuntimeError: it broke")
    assert (access["status"], access["request_id"]) == (500, "req-boom")


def test_the_access_line_has_method_path_status_and_duration(
    make_logging_app: MakeApp, capsys: pytest.CaptureFixture[str]
) -> None:
    client = make_logging_app("production").test_client()
    capsys.readouterr()

    client.get("/healthz", headers={"X-Request-ID": "req-a"})
    client.post("/graphql", json={"query": "{ __typename }"})
    client.get("/missing", headers={"X-Request-ID": "req-c"})

    access = [e for e in json_lines(capsys) if e["logger"] == "app.access"]
    assert [(e["method"], e["path"], e["status"], e["level"]) for e in access] == [
        ("GET", "/healthz", 200, "INFO"),
        ("POST", "/graphql", 200, "INFO"),
        ("GET", "/missing", 404, "INFO"),
    ]
    for entry in access:
        assert isinstance(entry["duration_ms"], float)
        assert entry["duration_ms"] >= 0
        assert entry["message"] == (
            f"{entry['method']} {entry['path']} {entry['status']} "
            f"{entry['duration_ms']}ms"
        )
    assert [access[0]["request_id"], access[2]["request_id"]] == ["req-a", "req-c"]


def test_the_access_line_leaves_out_the_query_string(
    make_logging_app: MakeApp, capsys: pytest.CaptureFixture[str]
) -> None:
    client = make_logging_app("production").test_client()
    capsys.readouterr()

    client.get("/healthz?password=hunter2&variables=secret-stuff")

    out = capsys.readouterr().out
    assert "hunter2" not in out
    assert "secret-stuff" not in out
    assert json.loads(out)["path"] == "/healthz"


def test_log_format_overrides_the_environment_default(
    make_logging_app: MakeApp, capsys: pytest.CaptureFixture[str]
) -> None:
    make_logging_app("testing", LOG_FORMAT="json")
    capsys.readouterr()

    log.warning("json in testing")

    assert json_lines(capsys)[0]["message"] == "json in testing"


def test_an_unknown_log_format_is_refused(make_logging_app: MakeApp) -> None:
    with pytest.raises(RuntimeError, match="LOG_FORMAT must be one of json, text"):
        make_logging_app("testing", LOG_FORMAT="xml")


def test_a_second_app_replaces_the_handler_instead_of_adding_one(
    make_logging_app: MakeApp, capsys: pytest.CaptureFixture[str]
) -> None:
    make_logging_app("production")
    make_logging_app("development")
    capsys.readouterr()

    log.warning("once")

    ours = [h for h in logging.getLogger().handlers if hasattr(h, "_contacts_api")]
    assert len(ours) == 1
    [line] = output_lines(capsys)
    assert line.endswith("WARNING app.test_logging [-] once")


def test_pytest_caplog_still_sees_records(
    make_logging_app: MakeApp, caplog: pytest.LogCaptureFixture
) -> None:
    client = make_logging_app("production").test_client()

    with caplog.at_level(logging.INFO, logger="app.test_logging"):
        client.get("/work")

    assert [r.getMessage() for r in caplog.records if r.name == "app.test_logging"] == [
        "doing the work",
        "still working",
    ]


def fail_login(password: str) -> None:
    raise ValueError(f"login failed with password={password}")


def log_secrets() -> None:
    log.info("token %s and password=%s", JWT, PASSWORD)
    log.info("headers {'Authorization': 'Bearer %s'}", JWT[:20])
    log.info("body %s", json.dumps({"email": "a@b.c", "password": PASSWORD}))
    try:
        fail_login(PASSWORD)
    except ValueError:
        log.exception("unexpected")


REDACTED_MESSAGES = [
    f"token {MASK} and password={MASK}",
    f"headers {{'Authorization': '{MASK}'}}",
    f'body {{"email": "a@b.c", "password": "{MASK}"}}',
    "unexpected",
]
REDACTED_ERROR = f"ValueError: login failed with password={MASK}"


def test_tokens_and_passwords_never_reach_json_lines(
    make_logging_app: MakeApp, capsys: pytest.CaptureFixture[str]
) -> None:
    make_logging_app("production")
    capsys.readouterr()

    log_secrets()

    out = capsys.readouterr().out
    for secret in (JWT, JWT[:20], PASSWORD, "hunter2"):
        assert secret not in out
    entries = [json.loads(line) for line in out.splitlines()]
    assert [e["message"] for e in entries] == REDACTED_MESSAGES
    assert entries[3]["exc_info"].endswith(REDACTED_ERROR)


def test_tokens_and_passwords_never_reach_text_lines(
    make_logging_app: MakeApp, capsys: pytest.CaptureFixture[str]
) -> None:
    make_logging_app("development")
    capsys.readouterr()

    log_secrets()

    out = capsys.readouterr().out
    for secret in (JWT, JWT[:20], PASSWORD, "hunter2"):
        assert secret not in out
    lines = out.splitlines()
    assert [line.partition("[-] ")[2] for line in lines[:4]] == REDACTED_MESSAGES
    assert lines[-1] == REDACTED_ERROR


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"token {JWT} end", f"token {MASK} end"),
        ("Authorization: Bearer abc.def-ghi", f"Authorization: {MASK}"),
        ("Authorization: Basic dXNlcjpwYXNz", f"Authorization: {MASK}"),
        ("sent bearer opaque-token-value", f"sent Bearer {MASK}"),
        ("password=hunter2 next", f"password={MASK} next"),
        ('{"password": "two words"}', f'{{"password": "{MASK}"}}'),
        ("{'newPassword': 'abc'}", f"{{'newPassword': '{MASK}'}}"),
        ("refreshToken=abc&x=1", f"refreshToken={MASK}&x=1"),
        ("JWT_SECRET_KEY=abcdef", f"JWT_SECRET_KEY={MASK}"),
        # Left alone: no value after a key, or names that only look alike.
        ("pruned 3 tokens", "pruned 3 tokens"),
        ("MAX_QUERY_TOKENS=2000", "MAX_QUERY_TOKENS=2000"),
        ("ACCESS_TOKEN_TTL=900", "ACCESS_TOKEN_TTL=900"),
        ("error in app.schema.view", "error in app.schema.view"),
        ("wrong password for a@b.c", "wrong password for a@b.c"),
        ("refreshing the password hash", "refreshing the password hash"),
    ],
)
def test_redact(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize("log_format", ["json", "text"])
def test_gunicorn_lines_use_the_same_handler(
    log_format: str, capsys: pytest.CaptureFixture[str]
) -> None:
    config = gunicorn_logconfig(log_format)
    saved = logging.getLogger().handlers[:], logging.getLogger().level
    gunicorn_error = logging.getLogger("gunicorn.error")
    saved_error = gunicorn_error.handlers[:], gunicorn_error.propagate
    try:
        logging.config.dictConfig(config)
        capsys.readouterr()
        gunicorn_error.info("Booting worker with pid: %s", 123)
        out = capsys.readouterr().out
    finally:
        logging.getLogger().handlers[:] = saved[0]
        logging.getLogger().setLevel(saved[1])
        gunicorn_error.handlers[:] = saved_error[0]
        gunicorn_error.propagate = saved_error[1]

    if log_format == "json":
        entry = json.loads(out)
        assert (entry["logger"], entry["message"], entry["request_id"]) == (
            "gunicorn.error",
            "Booting worker with pid: 123",
            "-",
        )
    else:
        assert out.rstrip("\n").endswith(
            "INFO gunicorn.error [-] Booting worker with pid: 123"
        )


@pytest.mark.parametrize(
    "value",
    ["café ☕", "\ud800", 2**70, 1.5],
    ids=["utf-8", "surrogate", "huge", "float"],
)
def test_a_json_line_holds_any_message_and_field(value: object) -> None:
    record = logging.LogRecord(
        "app.test", logging.INFO, __file__, 1, "%s", (value,), None
    )
    record.duration_ms = value

    line = JsonFormatter().format(record)

    entry = json.loads(line)
    assert (entry["message"], entry["duration_ms"]) == (str(value), value)
    assert "\n" not in line
