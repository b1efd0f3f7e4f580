"""Data integrity: races between requests (on PostgreSQL), deleting a user
(on both databases), and every string input stored verbatim or refused
cleanly, never with an INTERNAL_SERVER_ERROR."""

from __future__ import annotations

import base64
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, insert, select, text

from app import create_app
from app.extensions import db
from app.models import DuplicateBacklog, User
from app.services import auth, contacts
from app.services.mail import OUTBOX
from tests.helpers import DEFAULT_PASSWORD, GraphQL, create_contact
from tests.operations import (
    CONTACT,
    CREATE,
    DELETE,
    LOGIN,
    LOGOUT,
    REFRESH_TOKEN,
    REGISTER,
    UPDATE,
)
from tests.support.integrity import (
    WAIT_LIMIT,
    Rendezvous,
    Seeded,
    register,
)

on_postgresql = pytest.mark.parametrize(
    "database",
    [pytest.param("postgresql", marks=pytest.mark.postgresql)],
    indirect=True,
)
THREADS = 8

CONTACTS = """
query Contacts($filter: ContactFilter, $after: String, $before: String) {
  contacts(filter: $filter, after: $after, before: $before) { totalCount }
}
"""
NODE = "query Node($id: ID!) { node(id: $id) { id } }"
TAGS = "{ tags { name contactCount } }"
MERGE = """
mutation Merge($input: MergeContactsInput!) {
  mergeContacts(input: $input) { userErrors { code } }
}
"""


# --- helpers -----------------------------------------------------------------


def row_counts(app: Flask) -> dict[str, int]:
    """How many rows each table holds."""
    with app.app_context():
        return {
            name: db.session.scalar(select(func.count()).select_from(table)) or 0
            for name, table in db.metadata.tables.items()
        }


def in_threads(
    app: Flask, names: list[str], work: Callable[[GraphQL, int], Any]
) -> list[Any]:
    """Run `work(gql, index)` once per name, each in its own thread with its own
    test client (so its own app context and database session), started
    together; returns the results in order and re-raises a thread's error."""
    start = threading.Barrier(len(names))
    results: list[Any] = [None] * len(names)
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            start.wait(WAIT_LIMIT)
            results[index] = work(GraphQL(app.test_client()), index)
        except BaseException as error:  # handed to the test's thread
            errors.append(error)

    threads = [
        threading.Thread(target=run, args=(index,), name=name)
        for index, name in enumerate(names)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT_LIMIT * 2)
    assert not [thread.name for thread in threads if thread.is_alive()]
    if errors:
        raise errors[0]
    return results


def meet_at(
    monkeypatch: pytest.MonkeyPatch,
    module: ModuleType,
    name: str,
    meeting: Rendezvous,
    *,
    before: bool = False,
    thread: str | None = None,
) -> None:
    """Make `module.name` stop at `meeting` after it returns (or `before` it
    runs), in every thread or only in the thread named `thread`."""
    original = getattr(module, name)

    def stop() -> None:
        if thread is None or threading.current_thread().name == thread:
            meeting.arrive()

    def stopping(*args: Any, **kwargs: Any) -> Any:
        if before:
            stop()
        result = original(*args, **kwargs)
        if not before:
            stop()
        return result

    monkeypatch.setattr(module, name, stopping)


# --- races ---------------------------------------------------------------------


@on_postgresql
def test_concurrent_updates_with_one_expected_version_let_exactly_one_win(
    app: Flask,
    gql: GraphQL,
    rendezvous: Callable[[int], Rendezvous],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    token = register(gql, "ada@example.com")["accessToken"]
    contact = create_contact(
        gql, token, {"firstName": "Ada", "emails": [{"value": "a@x.org"}]}
    )
    # Every request reads version 1 before any of them writes.
    meeting = rendezvous(THREADS)
    meet_at(monkeypatch, contacts, "_owned_contact", meeting)

    def write(gql: GraphQL, index: int) -> dict[str, Any]:
        input = {
            "id": contact["id"],
            "expectedVersion": 1,
            "notes": f"writer {index}",
            "emails": [{"value": f"writer{index}@example.com"}],
        }
        payload: dict[str, Any] = gql.data(UPDATE, {"input": input}, token)[
            "updateContact"
        ]
        return payload

    payloads = in_threads(app, [f"writer-{i}" for i in range(THREADS)], write)

    assert not meeting.timed_out
    winners = [i for i, payload in enumerate(payloads) if payload["contact"]]
    assert len(winners) == 1
    [winner] = winners
    assert payloads[winner]["userErrors"] == []
    assert payloads[winner]["contact"]["version"] == 2
    for index, payload in enumerate(payloads):
        if index != winner:
            assert payload["contact"] is None
            assert [(e["field"], e["code"]) for e in payload["userErrors"]] == [
                (["input", "expectedVersion"], "CONFLICT")
            ]
    stored = gql.data(CONTACT, {"id": contact["id"]}, token)["contact"]
    assert (stored["version"], stored["notes"], stored["emails"]) == (
        2,
        f"writer {winner}",
        [{"value": f"writer{winner}@example.com", "label": None, "primary": True}],
    )
    assert row_counts(app)["contact_emails"] == 1


@on_postgresql
def test_one_email_registered_at_once_from_many_requests_is_taken_for_all_but_one(
    app: Flask,
    rendezvous: Callable[[int], Rendezvous],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Every request finds the email free before any of them inserts it.
    meeting = rendezvous(THREADS)
    meet_at(monkeypatch, auth, "_email_taken", meeting)

    def sign_up(gql: GraphQL, index: int) -> dict[str, Any]:
        email = "Ada@Example.com" if index % 2 else "ada@example.COM"
        body = gql(REGISTER, {"input": {"email": email, "password": DEFAULT_PASSWORD}})
        assert "errors" not in body, body["errors"]
        payload: dict[str, Any] = body["data"]["register"]
        return payload

    payloads = in_threads(app, [f"sign-up-{i}" for i in range(THREADS)], sign_up)

    assert not meeting.timed_out
    succeeded = [payload for payload in payloads if payload["accessToken"]]
    refused = [payload for payload in payloads if not payload["accessToken"]]
    assert len(succeeded) == 1
    assert succeeded[0]["userErrors"] == []
    assert [
        [(e["field"], e["code"]) for e in payload["userErrors"]] for payload in refused
    ] == [[(["input", "email"], "TAKEN")]] * (THREADS - 1)
    counts = row_counts(app)
    assert (counts["users"], counts["auth_sessions"]) == (1, 1)


@on_postgresql
def test_one_new_tag_on_many_contacts_at_once_is_created_once(
    app: Flask,
    gql: GraphQL,
    rendezvous: Callable[[int], Rendezvous],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    token = register(gql, "ada@example.com")["accessToken"]
    # Every request finds no tag "Work" and sets out to create it.
    meeting = rendezvous(THREADS)
    meet_at(monkeypatch, contacts, "_create_tag", meeting, before=True)

    def tag(gql: GraphQL, index: int) -> dict[str, Any]:
        input = {"firstName": f"Person {index}", "tags": ["Work"]}
        body = gql(CREATE, {"input": input}, token)
        assert "errors" not in body, body["errors"]
        payload: dict[str, Any] = body["data"]["createContact"]
        return payload

    payloads = in_threads(app, [f"tagger-{i}" for i in range(THREADS)], tag)

    assert not meeting.timed_out
    assert [payload["userErrors"] for payload in payloads] == [[]] * THREADS
    assert {payload["contact"]["tags"][0]["name"] for payload in payloads} == {"Work"}
    assert gql.data(TAGS, token=token)["tags"] == [
        {"name": "Work", "contactCount": THREADS}
    ]
    counts = row_counts(app)
    assert (counts["tags"], counts["contact_tags"]) == (1, THREADS)


@on_postgresql
@pytest.mark.parametrize(
    ("first", "stop_at"),
    [
        # The new contact has found the tag when the old one lets go of it.
        ("attach", "_tags_named"),
        # The old contact has let go of the tag, and deleted it as unused,
        # when the new contact looks for it.
        ("release", "_delete_unused_tags"),
    ],
    ids=["released-after-lookup", "lookup-after-release"],
)
def test_a_tag_released_while_another_contact_takes_it_is_kept(
    app: Flask,
    gql: GraphQL,
    rendezvous: Callable[[int], Rendezvous],
    monkeypatch: pytest.MonkeyPatch,
    first: str,
    stop_at: str,
) -> None:
    token = register(gql, "ada@example.com")["accessToken"]
    old = create_contact(gql, token, {"firstName": "Old", "tags": ["Work"]})
    meeting = rendezvous(2)
    meet_at(monkeypatch, contacts, stop_at, meeting, thread=first)
    requests = {
        "attach": (CREATE, {"firstName": "New", "tags": ["Work"]}, "createContact"),
        "release": (UPDATE, {"id": old["id"], "tags": []}, "updateContact"),
    }
    names = [first, "release" if first == "attach" else "attach"]

    def send(gql: GraphQL, index: int) -> dict[str, Any]:
        if index == 1:
            meeting.wait_for_arrivals(1)
        query, input, field = requests[names[index]]
        body = gql(query, {"input": input}, token)
        if index == 1:
            meeting.arrive()
        assert "errors" not in body, body["errors"]
        payload: dict[str, Any] = body["data"][field]
        return payload

    payloads = dict(zip(names, in_threads(app, names, send), strict=True))

    assert not meeting.timed_out
    assert payloads["release"]["userErrors"] == []
    assert payloads["release"]["contact"]["tags"] == []
    assert payloads["attach"]["userErrors"] == []
    new_id = payloads["attach"]["contact"]["id"]
    stored = gql.data(CONTACT, {"id": new_id}, token)["contact"]
    assert stored["tags"] == [{"name": "Work", "contactCount": 1}]
    assert gql.data(TAGS, token=token)["tags"] == [{"name": "Work", "contactCount": 1}]
    counts = row_counts(app)
    assert (counts["tags"], counts["contact_tags"]) == (1, 1)


RACE_TRIALS = 30
EMPTY_TRASH = "mutation { emptyTrash { purgedCount userErrors { code } } }"


def error_codes_of(payload: dict[str, Any]) -> list[str]:
    return [error["code"] for error in payload["userErrors"]]


def send_together(
    app: Flask,
    token: str,
    names: list[str],
    operations: list[tuple[str, dict[str, Any]]],
) -> list[dict[str, Any]]:
    """Each (query, variables) sent from its own thread (`in_threads`); the
    payload of each, which must be data: never an entry in errors[]."""

    def send(gql: GraphQL, index: int) -> dict[str, Any]:
        query, variables = operations[index]
        body = gql(query, variables, token)
        assert "errors" not in body, (names[index], body["errors"])
        payload: dict[str, Any] = next(iter(body["data"].values()))
        return payload

    return in_threads(app, names, send)


@on_postgresql
def test_updates_without_expected_version_all_win_in_turn(
    app: Flask,
    gql: GraphQL,
    rendezvous: Callable[[int], Rendezvous],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    token = register(gql, "ada@example.com")["accessToken"]
    contact = create_contact(
        gql, token, {"firstName": "Ada", "emails": [{"value": "a@x.org"}]}
    )
    # Every request has found the contact before any of them writes.
    meeting = rendezvous(THREADS)
    meet_at(monkeypatch, contacts, "_owned_contact", meeting)

    def write(gql: GraphQL, index: int) -> dict[str, Any]:
        input = {
            "id": contact["id"],
            "notes": f"writer {index}",
            "emails": [{"value": f"writer{index}@example.com"}],
        }
        body = gql(UPDATE, {"input": input}, token)
        assert "errors" not in body, body["errors"]
        payload: dict[str, Any] = body["data"]["updateContact"]
        return payload

    payloads = in_threads(app, [f"writer-{i}" for i in range(THREADS)], write)

    assert not meeting.timed_out
    assert [payload["userErrors"] for payload in payloads] == [[]] * THREADS
    versions = sorted(payload["contact"]["version"] for payload in payloads)
    assert versions == list(range(2, THREADS + 2))
    last = max(range(THREADS), key=lambda i: payloads[i]["contact"]["version"])
    stored = gql.data(CONTACT, {"id": contact["id"]}, token)["contact"]
    assert (stored["version"], stored["notes"], stored["emails"]) == (
        THREADS + 1,
        f"writer {last}",
        [{"value": f"writer{last}@example.com", "label": None, "primary": True}],
    )
    assert row_counts(app)["contact_emails"] == 1


def test_racing_writes_never_conflict_without_expected_version(
    app: Flask, gql: GraphQL
) -> None:
    """On both databases (SQLite has no row locks), started together, with
    no meeting point inside the app: whoever writes last wins."""
    token = register(gql, "ada@example.com")["accessToken"]
    for trial in range(RACE_TRIALS // 3):
        contact = create_contact(gql, token, {"firstName": "Ada"})

        names = [f"trial-{trial}-writer-{i}" for i in range(THREADS // 2)]
        updates = [
            (UPDATE, {"input": {"id": contact["id"], "notes": name}}) for name in names
        ]
        payloads = send_together(app, token, names, updates)

        assert [payload["userErrors"] for payload in payloads] == [[]] * len(names)
        stored = gql.data(CONTACT, {"id": contact["id"]}, token)["contact"]
        assert stored["version"] == 1 + len(names)


@on_postgresql
def test_a_delete_racing_an_update_answers_both_with_data(
    app: Flask,
    gql: GraphQL,
    rendezvous: Callable[[int], Rendezvous],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    token = register(gql, "ada@example.com")["accessToken"]
    # In every trial both requests have found the contact before either writes.
    meetings: list[Rendezvous] = []
    find = contacts._owned_contact

    def found_then_meet(*args: Any, **kwargs: Any) -> Any:
        contact = find(*args, **kwargs)
        meetings[-1].arrive()
        return contact

    monkeypatch.setattr(contacts, "_owned_contact", found_then_meet)
    for trial in range(RACE_TRIALS):
        contact = create_contact(
            gql,
            token,
            {
                "firstName": "Ada",
                "emails": [{"value": "a@x.org"}],
                "phones": [{"value": "+1 650-253-0000"}],
                "tags": ["Old"],
            },
        )
        update: dict[str, Any] = {
            "id": contact["id"],
            "notes": f"trial {trial}",
            "emails": [{"value": "b@x.org"}, {"value": "c@x.org"}],
            "phones": [],
        }
        if trial % 2:
            update["expectedVersion"] = 1
        if trial % 3 == 0:
            update["tags"] = ["New"]
        meetings.append(rendezvous(2))

        deleted, updated = send_together(
            app,
            token,
            [f"trial-{trial}-delete", f"trial-{trial}-update"],
            [(DELETE, {"id": contact["id"]}), (UPDATE, {"input": update})],
        )

        assert not meetings[-1].timed_out
        assert (deleted["deletedId"], deleted["userErrors"]) == (contact["id"], [])
        if updated["contact"] is None:
            assert error_codes_of(updated) == ["NOT_FOUND"]
        else:
            assert updated["userErrors"] == []
            assert updated["contact"]["version"] == 2
        assert gql.data(CONTACT, {"id": contact["id"]}, token)["contact"] is None
    # Every contact went to the trash whole; emptying it leaves nothing.
    emptied = gql.data(EMPTY_TRASH, token=token)["emptyTrash"]
    assert emptied == {"purgedCount": RACE_TRIALS, "userErrors": []}
    counts = row_counts(app)
    assert {name: counts[name] for name in USER_TABLES - {"users"}} == {
        "contacts": 0,
        "contact_emails": 0,
        "contact_phones": 0,
        "contact_addresses": 0,
        "tags": 0,
        "contact_tags": 0,
        "auth_sessions": 1,
        "refresh_tokens": 1,
        "password_resets": 0,
        "contact_changes": RACE_TRIALS,  # the tombstones of the purged contacts
        "contact_merges": 0,
        "duplicate_members": 0,
        "duplicate_backlog": 0,
    }
    assert gql.data(TAGS, token=token)["tags"] == []


# --- deleting a user -------------------------------------------------------------


def test_sqlite_connections_enforce_foreign_keys(tmp_path: Any) -> None:
    app = create_app(
        "testing", {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/t.db"}
    )
    with app.app_context():
        with db.engine.connect() as one, db.engine.connect() as two:
            assert one.execute(text("PRAGMA foreign_keys")).scalar() == 1
            assert two.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert db.session.execute(text("PRAGMA foreign_keys")).scalar() == 1
        db.session.remove()
        db.engine.dispose()


# Every table holds a user's data; a new table must be added here, and to
# what a user's deletion removes.
USER_TABLES = {
    "users",
    "contacts",
    "contact_emails",
    "contact_phones",
    "contact_addresses",
    "tags",
    "contact_tags",
    "auth_sessions",
    "refresh_tokens",
    "password_resets",
    "contact_changes",
    "contact_merges",
    "duplicate_members",
    "duplicate_backlog",
}


REQUEST_RESET = """
mutation RequestPasswordReset($email: String!) {
  requestPasswordReset(email: $email) { ok }
}
"""
EVERYTHING = """
{
  me { email }
  contacts {
    nodes {
      id firstName emails { value } phones { value } addresses { city }
      tags { name contactCount }
    }
  }
  tags { name contactCount }
}
"""


def give_everything(gql: GraphQL, email: str) -> str:
    """An account with two logins (one refreshed), contacts with a row in
    every contact table (a merge of two included), and a password-reset
    token; returns an access token."""
    token: str = register(gql, email)["accessToken"]
    login = gql.data(LOGIN, {"input": {"email": email, "password": DEFAULT_PASSWORD}})
    refreshed = gql.data(
        REFRESH_TOKEN, {"refreshToken": login["login"]["refreshToken"]}
    )
    assert refreshed["refreshToken"]["userErrors"] == []
    ada, _ = (
        create_contact(
            gql,
            token,
            {
                "firstName": name,
                "emails": [{"value": f"{name}@example.com"}],
                "phones": [{"value": "+1 650-253-0000"}],
                "addresses": [{"city": "London", "country": "GB"}],
                "tags": ["Friends", name],
            },
        )
        for name in ("Ada", "Grace")
    )
    duplicate = create_contact(gql, token, {"firstName": "Ada", "tags": ["Ada"]})
    merged = gql.data(
        MERGE, {"input": {"primaryId": ada["id"], "otherIds": [duplicate["id"]]}}, token
    )
    assert merged["mergeContacts"]["userErrors"] == []
    requested = gql.data(REQUEST_RESET, {"email": email})
    assert requested == {"requestPasswordReset": {"ok": True}}
    assert OUTBOX.wait_idle(10)  # the token is stored after the answer
    return token


def test_deleting_a_user_deletes_everything_of_theirs_and_nothing_else(
    app: Flask, gql: GraphQL
) -> None:
    give_everything(gql, "gone@example.com")
    kept_token = give_everything(gql, "kept@example.com")
    with app.app_context():  # both as if their groups were still to be found
        db.session.execute(
            insert(DuplicateBacklog).from_select(["user_id"], select(User.id))
        )
        db.session.commit()
    before = row_counts(app)
    assert set(before) == USER_TABLES
    kept_view = gql.data(EVERYTHING, token=kept_token)

    with app.app_context():
        user = db.session.scalars(
            select(User).where(User.email == "gone@example.com")
        ).one()
        db.session.delete(user)
        db.session.commit()

    # Both accounts had the same number of rows in every table.
    assert row_counts(app) == {name: count // 2 for name, count in before.items()}
    assert all(count % 2 == 0 and count > 0 for count in before.values())
    assert gql.data(EVERYTHING, token=kept_token) == kept_view


# --- every string input: refused cleanly, never a 500 ----------------------------


NUL = "\x00"
SURROGATE = "\ud800"  # what JSON's "\ud800" decodes to: not encodable as UTF-8
LONG_EMAIL = "a" * 64 + "@" + "b" * 186 + ".com"  # 255 characters


def spoiled(valid: str) -> dict[str, str]:
    """`valid` with a NUL, and with a lone surrogate, after its first character."""
    return {
        "nul": valid[:1] + NUL + valid[1:],
        "surrogate": valid[:1] + SURROGATE + valid[1:],
    }


@dataclass(frozen=True)
class Case:
    """A request with one bad string, and how it must be refused: with
    `user_error` (field, code) in the payload named `payload`, or, when
    `user_error` is None, with BAD_USER_INPUT in `errors[]`."""

    query: str
    variables: Callable[[Seeded], dict[str, Any]]
    payload: str | None = None
    user_error: tuple[list[str] | None, str] | None = None
    signed_in: bool = True


# (path in the contact input, a valid value, a value over the maximum; None
# where the rule is a code list rather than a length: anything else is INVALID)
CONTACT_STRINGS: list[tuple[tuple[str, ...], str, str | None]] = [
    (("firstName",), "Ada", "a" * 101),
    (("lastName",), "Lovelace", "a" * 101),
    (("company",), "Engines", "a" * 201),
    (("jobTitle",), "Analyst", "a" * 201),
    (("notes",), "Notes", "a" * 10_001),
    (("emails", "0", "value"), "ada@example.com", LONG_EMAIL),
    (("emails", "0", "label"), "work", "a" * 51),
    (("phones", "0", "value"), "+1 650-253-0000", "1" * 51),
    (("phones", "0", "label"), "work", "a" * 51),
    (("phones", "0", "region"), "US", None),
    (("addresses", "0", "label"), "home", "a" * 51),
    (("addresses", "0", "street"), "1 Main St", "a" * 201),
    (("addresses", "0", "city"), "London", "a" * 101),
    (("addresses", "0", "region"), "Greater London", "a" * 101),
    (("addresses", "0", "postalCode"), "SW1Y 4JH", "a" * 21),
    (("addresses", "0", "country"), "GB", None),
    (("tags", "0"), "Work", "a" * 51),
]
LIST_ITEMS: dict[str, dict[str, str]] = {
    "emails": {"value": "ada@example.com"},
    "phones": {"value": "+1 650-253-0000"},
    "addresses": {},
}


def contact_input(path: tuple[str, ...], value: str) -> dict[str, Any]:
    """A valid contact input, but for `value` at `path`."""
    name, *rest = path
    if not rest:
        return {"firstName": "Ada", name: value}
    if name == "tags":
        return {"firstName": "Ada", "tags": [value]}
    return {"firstName": "Ada", name: [{**LIST_ITEMS[name], rest[1]: value}]}


def contact_cases() -> Iterator[Any]:
    for path, valid, long in CONTACT_STRINGS:
        bad = {**spoiled(valid), **({"too-long": long} if long else {})}
        for kind, value in bad.items():
            refusal = (
                ["input", *path],
                "TOO_LONG" if kind == "too-long" else "INVALID",
            )
            where = ".".join(path)
            yield pytest.param(
                Case(
                    CREATE,
                    lambda _, path=path, value=value: {
                        "input": contact_input(path, value)
                    },
                    "createContact",
                    refusal,
                ),
                id=f"createContact-{where}-{kind}",
            )
            # updateContact cleans its input the same way; one of each kind
            # of input (scalar, list item, tag) shows it.
            if where in ("firstName", "emails.0.value", "tags.0"):
                yield pytest.param(
                    Case(
                        UPDATE,
                        lambda seeded, path=path, value=value: {
                            "input": {
                                "id": seeded.contact_id,
                                **contact_input(path, value),
                            }
                        },
                        "updateContact",
                        refusal,
                    ),
                    id=f"updateContact-{where}-{kind}",
                )


def account_cases() -> Iterator[Any]:
    valid = {"email": "new@example.com", "password": "a long passphrase"}
    for name, long in (
        ("email", LONG_EMAIL),
        ("password", "a" * 129),
        ("name", "a" * 101),
    ):
        bad = {**spoiled(valid.get(name, "Ada")), "too-long": long}
        for kind, value in bad.items():
            yield pytest.param(
                Case(
                    REGISTER,
                    lambda _, name=name, value=value: {"input": {**valid, name: value}},
                    "register",
                    (["input", name], "TOO_LONG" if kind == "too-long" else "INVALID"),
                    signed_in=False,
                ),
                id=f"register-{name}-{kind}",
            )
    known = {"email": "ada@example.com", "password": DEFAULT_PASSWORD}
    for name in known:
        bad = {**spoiled(known[name]), "too-long": "a" * 1000}
        for kind, value in bad.items():
            yield pytest.param(
                Case(
                    LOGIN,
                    lambda _, name=name, value=value: {"input": {**known, name: value}},
                    "login",
                    (None, "INVALID_CREDENTIALS"),
                    signed_in=False,
                ),
                id=f"login-{name}-{kind}",
            )
    for query, payload in ((REFRESH_TOKEN, "refreshToken"), (LOGOUT, "logout")):
        for kind in ("nul", "surrogate"):
            yield pytest.param(
                Case(
                    query,
                    lambda seeded, kind=kind: {
                        "refreshToken": spoiled(seeded.refresh_token)[kind]
                    },
                    payload,
                    (["refreshToken"], "INVALID_TOKEN"),
                    signed_in=payload == "logout",
                ),
                id=f"{payload}-{kind}",
            )


def bad_ids(seeded_account: Seeded) -> dict[str, str]:
    return {
        "nul": NUL,
        "nul-inside": base64.urlsafe_b64encode(b"Contact:1\x00").decode(),
        "surrogate": spoiled(seeded_account.contact_id)["surrogate"],
        "nul-inside-valid": spoiled(seeded_account.contact_id)["nul"],
    }


def query_cases() -> Iterator[Any]:
    for name in ("search", "tag"):
        for kind, value in {**spoiled("Ada"), "too-long": "a" * 201}.items():
            yield pytest.param(
                Case(
                    CONTACTS,
                    lambda _, name=name, value=value: {"filter": {name: value}},
                ),
                id=f"contacts-filter.{name}-{kind}",
            )
    for name in ("after", "before"):
        for kind in ("nul", "surrogate", "nul-appended"):
            yield pytest.param(
                Case(
                    CONTACTS,
                    lambda seeded, name=name, kind=kind: {
                        name: {
                            **spoiled(seeded.cursor),
                            "nul-appended": seeded.cursor + NUL,
                        }[kind]
                    },
                ),
                id=f"contacts-{name}-{kind}",
            )
    for kind in ("nul", "nul-inside", "surrogate", "nul-inside-valid"):
        for query, variables in (
            (CONTACT, lambda id: {"id": id}),
            (NODE, lambda id: {"id": id}),
            (DELETE, lambda id: {"id": id}),
            (UPDATE, lambda id: {"input": {"id": id, "notes": "x"}}),
        ):
            operation = query.split("{")[1].split("(")[0].strip()
            yield pytest.param(
                Case(
                    query,
                    lambda seeded, kind=kind, variables=variables: variables(
                        bad_ids(seeded)[kind]
                    ),
                ),
                id=f"{operation}-id-{kind}",
            )


@pytest.mark.parametrize("case", [*contact_cases(), *account_cases(), *query_cases()])
def test_a_bad_string_in_any_input_is_refused_cleanly_and_changes_nothing(
    seeded_account: Seeded, case: Case
) -> None:
    before = row_counts(seeded_account.app)

    response = seeded_account.gql.client.post(
        "/graphql",
        json={"query": case.query, "variables": case.variables(seeded_account)},
        headers={"Authorization": f"Bearer {seeded_account.token}"}
        if case.signed_in
        else {},
    )

    assert response.status_code == 200
    body = response.get_json()
    if case.user_error is None:
        assert [error["extensions"]["code"] for error in body["errors"]] == [
            "BAD_USER_INPUT"
        ]
    else:
        assert "errors" not in body, body["errors"]
        payload = body["data"][case.payload]
        assert [(e["field"], e["code"]) for e in payload["userErrors"]] == [
            case.user_error
        ]
    assert row_counts(seeded_account.app) == before


# --- odd text: stored verbatim, found by search -----------------------------------

SEARCH = """
query Search($filter: ContactFilter) {
  contacts(filter: $filter) { nodes { firstName company notes tags { name } } }
}
"""
ODD_TEXT = {
    "sql-quote": "'; DROP TABLE contacts; --",
    "sql-or": "1 OR 1=1",
    "sql-comment": "Robert'); DELETE FROM users; /*",
    "backslashes": "C:\\Users\\%_\\",
    "emoji": "Ada 😀🚀",
    "zwj-family": "👨\u200d👩\u200d👧\u200d👦 family",
    "combining-marks": "Zoe\u0308 Ame\u0301lie",
    "rtl-hebrew": "שלום עולם",
    "rtl-arabic-with-mark": "\u200fمرحبا بالعالم",
    "zero-width": "Ad\u200ba\u200c\u200dLovelace",
    "sharp-s": "Straße",
    "capital-sharp-s": "GROẞE",
    "turkish-i": "İstanbul ıiIİ",
    "percent-underscore": "100%_off",
}
# (stored, needle): the needle finds the stored text, ignoring case.
SEARCHES = {
    "sharp-s-by-ss": ("Straße", "STRASSE"),
    "capital-sharp-s-by-small": ("GROẞE", "große"),
    "turkish-dotted-capital": ("İstanbul", "İSTANBUL"),
    "greek-final-sigma": ("ΟΔΥΣΣΕΥΣ", "οδυσσευς"),
    "emoji-inside": ("Ada 😀🚀 Lovelace", "😀🚀"),
    "zwj-sequence": ("👨\u200d👩\u200d👧 family", "👩\u200d👧"),
}


def fresh_viewer(seeded_account: Seeded) -> str:
    """A new account on the shared app: searches see only its contacts."""
    count = row_counts(seeded_account.app)["users"]
    token: str = register(seeded_account.gql, f"viewer{count}@example.com")[
        "accessToken"
    ]
    return token


def found(seeded_account: Seeded, token: str, filter: dict[str, str]) -> list[str]:
    nodes = seeded_account.gql.data(SEARCH, {"filter": filter}, token)["contacts"][
        "nodes"
    ]
    return [node["firstName"] for node in nodes]


@pytest.mark.parametrize("value", list(ODD_TEXT.values()), ids=list(ODD_TEXT))
def test_odd_text_is_stored_verbatim_and_found_by_itself(
    seeded_account: Seeded, value: str
) -> None:
    token = fresh_viewer(seeded_account)
    input = {"firstName": value, "company": value, "notes": value, "tags": [value]}
    contact = create_contact(seeded_account.gql, token, input)
    create_contact(
        seeded_account.gql, token, {"firstName": "Decoy", "company": "Nothing alike"}
    )

    assert (contact["firstName"], contact["company"], contact["notes"]) == (
        value,
        value,
        value,
    )
    assert [tag["name"] for tag in contact["tags"]] == [value]
    assert found(seeded_account, token, {"search": value}) == [value]
    assert found(seeded_account, token, {"tag": value}) == [value]
    assert seeded_account.gql.data(TAGS, token=token)["tags"] == [
        {"name": value, "contactCount": 1}
    ]


@pytest.mark.parametrize(
    ("stored", "needle"), list(SEARCHES.values()), ids=list(SEARCHES)
)
def test_search_ignores_case_beyond_ascii(
    seeded_account: Seeded, stored: str, needle: str
) -> None:
    token = fresh_viewer(seeded_account)
    create_contact(seeded_account.gql, token, {"firstName": stored, "tags": [stored]})
    create_contact(seeded_account.gql, token, {"firstName": "Decoy"})

    assert found(seeded_account, token, {"search": needle}) == [stored]
    assert found(seeded_account, token, {"tag": stored.swapcase()}) == [stored]
