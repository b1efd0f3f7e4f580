"""The `flask` commands: create-user and seed (and their --help)."""

from __future__ import annotations

from typing import Any

import phonenumbers
import pycountry
import pytest
from click import Command
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import delete, func, select

from app.cli import COMMANDS, create_user_command, seed_command
from app.errors import FieldError, InvalidInput, UserErrorCode
from app.extensions import db
from app.fields import BY_NAME
from app.models import (
    DERIVED_COLUMNS,
    AuthSession,
    Contact,
    EmailAddress,
    PhoneNumber,
    PostalAddress,
    Tag,
    User,
)
from app.schema.ids import to_global_id
from app.services import contacts, passwords, seed
from app.services.contact_input import Cleaner
from app.services.seed import (
    DEMO_PASSWORD,
    DemoContact,
    DemoGenerator,
    _ascii_word,
    demo_data,
)
from tests.helpers import DEFAULT_PASSWORD, GraphQL
from tests.operations import LOGIN

SEARCH = """
query Search($search: String) {
  contacts(first: 100, filter: {search: $search}) {
    totalCount
    nodes { displayName }
  }
}
"""
SEED_ARGS = ["--users", "2", "--contacts", "30", "--seed", "1"]


def count(model: type[Any]) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def login(gql: GraphQL, email: str, password: str) -> dict[str, Any]:
    variables = {"input": {"email": email, "password": password}}
    payload: dict[str, Any] = gql.data(LOGIN, variables)["login"]
    return payload


# --help


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        (create_user_command, ["EMAIL", "--name", "--password-stdin"]),
        (
            seed_command,
            ["--users", "--contacts", "--password", "--seed", "--allow-production"],
        ),
    ],
)
def test_help_describes_every_option(
    runner: FlaskCliRunner, command: Command, expected: list[str]
) -> None:
    result = runner.invoke(command, ["--help"])
    assert result.exit_code == 0
    assert command.help
    assert command.help.split("\n")[0] in result.output
    for option in expected:
        assert option in result.output


def test_the_app_registers_every_command(app: Flask, runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["--help"])
    assert result.exit_code == 0
    for command in COMMANDS:
        assert command.name in result.output
        assert app.cli.commands.get(command.name or "") is command


# create-user


def test_create_user_prompts_twice_and_the_user_can_log_in(
    app: Flask, runner: FlaskCliRunner, gql: GraphQL
) -> None:
    result = runner.invoke(
        create_user_command,
        ["ada@example.com", "--name", "Ada Lovelace"],
        input=f"{DEFAULT_PASSWORD}\n{DEFAULT_PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        user_id = db.session.scalars(select(User.id)).one()
        assert count(AuthSession) == 0  # creating an account is not a login
    assert "Repeat for confirmation" in result.output
    assert result.stdout.endswith(
        f"Created user ada@example.com (id {to_global_id('User', user_id)})\n"
    )
    assert DEFAULT_PASSWORD not in result.output
    payload = login(gql, "ada@example.com", DEFAULT_PASSWORD)
    assert payload["userErrors"] == []
    assert payload["user"] == {
        "id": to_global_id("User", user_id),
        "email": "ada@example.com",
        "name": "Ada Lovelace",
    }


def test_create_user_reads_the_password_from_stdin(
    runner: FlaskCliRunner, gql: GraphQL
) -> None:
    result = runner.invoke(
        create_user_command,
        ["grace@example.com", "--password-stdin"],
        input=f"{DEFAULT_PASSWORD}\r\nignored\n",
    )
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Created user grace@example.com (id ")
    assert DEFAULT_PASSWORD not in result.output
    assert login(gql, "grace@example.com", DEFAULT_PASSWORD)["userErrors"] == []


@pytest.mark.parametrize(
    ("email", "password", "message"),
    [
        ("ada@example.com", "short", "password: Must be at least 8 characters."),
        (
            "ada@example.com",
            "password123",
            "password: This password is too common; choose another.",
        ),
        (
            "ada@example.com",
            "ADA@example.com",
            "password: The password must not be your email address.",
        ),
        ("ada@example.com", "", "password: Enter a password."),
        (
            "not-an-email",
            "a long enough secret",
            "email: An email address must have an @-sign.",
        ),
    ],
)
def test_create_user_refuses_what_register_refuses(
    app: Flask, runner: FlaskCliRunner, email: str, password: str, message: str
) -> None:
    result = runner.invoke(
        create_user_command, [email, "--password-stdin"], input=f"{password}\n"
    )
    assert result.exit_code == 1
    assert result.stderr == f"Error: {message}\n"
    assert result.stdout == ""
    with app.app_context():
        assert count(User) == 0


def test_create_user_refuses_a_taken_email(app: Flask, runner: FlaskCliRunner) -> None:
    args = ["ada@example.com", "--password-stdin"]
    first = runner.invoke(create_user_command, args, input=f"{DEFAULT_PASSWORD}\n")
    assert first.exit_code == 0
    again = runner.invoke(
        create_user_command,
        ["ADA@example.com", "--password-stdin"],
        input="another good password\n",
    )
    assert again.exit_code == 1
    assert again.stderr == "Error: email: An account with this email already exists.\n"
    assert "another good password" not in again.output
    with app.app_context():
        assert count(User) == 1


def test_create_user_asks_again_when_the_confirmation_differs(
    runner: FlaskCliRunner,
) -> None:
    result = runner.invoke(
        create_user_command,
        ["ada@example.com"],
        input=f"first password\nsecond password\n{DEFAULT_PASSWORD}\n"
        f"{DEFAULT_PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    assert "Error: The two entered values do not match." in result.output
    for password in ("first password", "second password", DEFAULT_PASSWORD):
        assert password not in result.output


# seed


def stored() -> dict[str, Any]:
    """Everything seeding wrote, by user email, without ids, hashes or times."""
    snapshot: dict[str, Any] = {}
    for user in db.session.scalars(select(User).order_by(User.id)):
        rows = db.session.scalars(
            select(Contact).where(Contact.user_id == user.id).order_by(Contact.id)
        )
        snapshot[user.email] = (user.name, [stored_contact(c) for c in rows])
    return snapshot


def stored_contact(contact: Contact) -> dict[str, Any]:
    return {
        **{name: getattr(contact, name) for name in contacts.SCALAR_FIELDS},
        "emails": [(e.value, e.label, e.primary) for e in contact.emails],
        "phones": [(p.value, p.label, p.primary) for p in contact.phones],
        "addresses": [contacts.address_values(a) for a in contact.addresses],
        "tags": sorted(tag.name for tag in contact.tags),
        "derived": {name: getattr(contact, name) for name in DERIVED_COLUMNS},
        "version": contact.version,
    }


def expected_contact(contact: DemoContact) -> dict[str, Any]:
    fields = contact.input_fields()
    return {
        # A declared field the demo data leaves out is stored as its default.
        **{
            name: fields.get(name, BY_NAME[name].default)
            for name in contacts.SCALAR_FIELDS
        },
        "emails": [(e.value, e.label, e.primary) for e in contact.emails],
        "phones": [(p.value, p.label, p.primary) for p in contact.phones],
        "addresses": [contacts.address_values(a) for a in contact.addresses],
        "tags": sorted(contact.tags),
        "derived": contact.derived(),
        "version": 1,
    }


def test_seed_writes_exactly_the_demo_data(app: Flask, runner: FlaskCliRunner) -> None:
    result = runner.invoke(seed_command, SEED_ARGS)
    assert result.exit_code == 0, result.output
    plan = demo_data(1, 2, 30)
    all_contacts = [c for _, user_contacts in plan for c in user_contacts]
    with app.app_context():
        assert stored() == {
            user.email: (user.name, [expected_contact(c) for c in user_contacts])
            for user, user_contacts in plan
        }
        assert count(User) == 2
        assert count(Contact) == 60
        assert count(EmailAddress) == sum(len(c.emails) for c in all_contacts) > 0
        assert count(PhoneNumber) == sum(len(c.phones) for c in all_contacts) > 0
        assert count(PostalAddress) == sum(len(c.addresses) for c in all_contacts) > 0
        assert count(Tag) == sum(
            len({tag for c in user_contacts for tag in c.tags})
            for _, user_contacts in plan
        )
        for contact in db.session.scalars(select(Contact)):
            assert contact.created_at <= contact.updated_at


def test_seed_prints_the_logins_and_the_rate(runner: FlaskCliRunner) -> None:
    result = runner.invoke(seed_command, SEED_ARGS)
    assert result.exit_code == 0, result.output
    plan = demo_data(1, 2, 30)
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Created 2 users and 60 contacts in ")
    assert lines[0].endswith(" contacts/s).")
    assert lines[1:] == [
        f"Demo logins (password: {DEMO_PASSWORD}):",
        f"  demo1@example.com  {plan[0][0].name}",
        f"  demo2@example.com  {plan[1][0].name}",
    ]
    assert "Seeding contacts" in result.stderr


def test_seed_does_not_print_a_password_it_was_given(runner: FlaskCliRunner) -> None:
    result = runner.invoke(seed_command, [*SEED_ARGS, "--password", DEFAULT_PASSWORD])
    assert result.exit_code == 0, result.output
    assert "Demo logins (password: the one given):" in result.stdout
    assert DEFAULT_PASSWORD not in result.output


def test_seeded_phones_and_countries_are_valid(
    app: Flask, runner: FlaskCliRunner
) -> None:
    assert runner.invoke(seed_command, SEED_ARGS).exit_code == 0
    with app.app_context():
        phones = db.session.scalars(select(PhoneNumber.value)).all()
        countries = db.session.scalars(select(PostalAddress.country)).all()
    assert phones
    assert countries
    for value in phones:
        number = phonenumbers.parse(value)
        assert phonenumbers.is_valid_number(number), value
        e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        assert e164 == value
    for country in countries:
        assert country is not None
        assert pycountry.countries.get(alpha_2=country)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_demo_contacts_pass_the_api_validation_unchanged(seed: int) -> None:
    for _, user_contacts in demo_data(seed, 2, 30):
        for contact in user_contacts:
            cleaner = Cleaner()
            cleaned = cleaner.clean(contact.input_fields())
            assert cleaner.errors == []
            assert cleaned["emails"] == list(contact.emails)
            assert cleaned["phones"] == list(contact.phones)
            assert cleaned["addresses"] == list(contact.addresses)
            assert cleaned["tags"] == list(contact.tags)
            for name in ("first_name", "last_name", "company", "job_title", "notes"):
                assert cleaned[name] == getattr(contact, name)


def test_seeded_columns_match_what_the_api_stores(
    app: Flask, runner: FlaskCliRunner
) -> None:
    """The same contact through `create_contact` gets the same derived
    columns and values as the bulk insert wrote."""
    assert runner.invoke(seed_command, SEED_ARGS).exit_code == 0
    plan = demo_data(1, 2, 30)
    with app.app_context():
        user_id = db.session.scalar(
            select(User.id).where(User.email == "demo1@example.com")
        )
        assert user_id is not None
        seeded = list(
            db.session.scalars(
                select(Contact).where(Contact.user_id == user_id).order_by(Contact.id)
            )
        )
        for demo, row in zip(plan[0][1], seeded, strict=True):
            created = contacts.create_contact(user_id, demo.input_fields())
            assert stored_contact(created) == stored_contact(row)


def test_seeded_contacts_are_found_by_search(
    runner: FlaskCliRunner, gql: GraphQL
) -> None:
    assert runner.invoke(seed_command, SEED_ARGS).exit_code == 0
    token = login(gql, "demo1@example.com", DEMO_PASSWORD)["accessToken"]
    assert token
    mine = demo_data(1, 2, 30)[0][1]
    everyone = gql.data(SEARCH, {"search": None}, token)["contacts"]
    assert everyone["totalCount"] == 30
    person = next(c for c in mine if c.last_name and c.emails and c.phones)
    for needle in (person.last_name, person.emails[0].value.upper()):
        assert needle is not None
        found = gql.data(SEARCH, {"search": needle}, token)["contacts"]
        matching = [c for c in mine if needle.casefold() in c.derived()["search_text"]]
        assert found["totalCount"] == len(matching) >= 1
        assert f"{person.first_name} {person.last_name}" in [
            node["displayName"] for node in found["nodes"]
        ]
    found = gql.data(SEARCH, {"search": person.phones[0].value}, token)["contacts"]
    assert f"{person.first_name} {person.last_name}" in [
        node["displayName"] for node in found["nodes"]
    ]


def test_the_same_seed_gives_the_same_data(app: Flask, runner: FlaskCliRunner) -> None:
    assert runner.invoke(seed_command, SEED_ARGS).exit_code == 0
    with app.app_context():
        first = stored()
        db.session.execute(delete(User))
        db.session.commit()
        assert count(Contact) == count(Tag) == 0
    assert runner.invoke(seed_command, SEED_ARGS).exit_code == 0
    with app.app_context():
        assert stored() == first
        db.session.execute(delete(User))
        db.session.commit()
    assert runner.invoke(seed_command, [*SEED_ARGS[:-1], "2"]).exit_code == 0
    with app.app_context():
        assert stored() != first


def test_generation_is_deterministic_and_varied() -> None:
    assert demo_data(7, 2, 50) == demo_data(7, 2, 50)
    assert demo_data(7, 2, 50) != demo_data(8, 2, 50)
    batches = list(DemoGenerator(7).contacts(25, batch_size=10))
    assert [len(batch) for batch in batches] == [10, 10, 5]
    contacts_ = [c for _, cs in demo_data(7, 1, 200) for c in cs]
    assert len({(c.first_name, c.last_name) for c in contacts_}) > 100
    assert len({a.country for c in contacts_ for a in c.addresses}) > 10
    assert any(c.first_name is None and c.company for c in contacts_)


def test_seed_refuses_to_run_twice(app: Flask, runner: FlaskCliRunner) -> None:
    assert (
        runner.invoke(seed_command, ["--users", "1", "--contacts", "1"]).exit_code == 0
    )
    result = runner.invoke(seed_command, ["--users", "2", "--contacts", "1"])
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: users: Demo accounts already exist (demo1@example.com); "
        "seed an empty database.\n"
    )
    with app.app_context():
        assert count(User) == 1
        assert count(Contact) == 1


def test_seed_refuses_a_weak_password(app: Flask, runner: FlaskCliRunner) -> None:
    result = runner.invoke(seed_command, ["--password", "password123"])
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: password: This password is too common; choose another.\n"
    )
    with app.app_context():
        assert count(User) == 0


def test_seed_refuses_production_unless_told(
    app: Flask, runner: FlaskCliRunner
) -> None:
    app.config["ENV_NAME"] = "production"
    refused = runner.invoke(seed_command, ["--users", "1", "--contacts", "2"])
    assert refused.exit_code == 1
    assert "pass --allow-production" in refused.stderr
    with app.app_context():
        assert count(User) == 0
    allowed = runner.invoke(
        seed_command, ["--users", "1", "--contacts", "2", "--allow-production"]
    )
    assert allowed.exit_code == 0, allowed.output
    with app.app_context():
        assert count(Contact) == 2


def test_seed_with_no_contacts_creates_the_users(
    runner: FlaskCliRunner, gql: GraphQL
) -> None:
    result = runner.invoke(seed_command, ["--users", "1", "--contacts", "0"])
    assert result.exit_code == 0, result.output
    assert login(gql, "demo1@example.com", DEMO_PASSWORD)["userErrors"] == []


def test_the_demo_password_passes_the_password_rules() -> None:
    problems = passwords.password_problems(
        DEMO_PASSWORD, "demo1@example.com", ("password",)
    )
    assert problems == []


@pytest.mark.parametrize(
    ("name", "word"),
    [("Łukasz", "lukasz"), ("O'Brien", "obrien"), ("Søren", "soren"),
     ("Van der Berg", "vanderberg"), ("Zoë", "zoe"), ("Ji-woo", "jiwoo")],
)  # fmt: skip
def test_names_become_ascii_email_local_parts(name: str, word: str) -> None:
    assert _ascii_word(name) == word


def test_seed_service_reports_progress_by_batch(app: Flask) -> None:
    calls: list[int] = []
    with app.app_context():
        report = seed.seed(2, 25, random_seed=3, progress=calls.append, batch_size=10)
        assert count(Contact) == 50
    assert calls == [10, 10, 5, 10, 10, 5]
    assert report.contacts == 50
    assert [user.email for user in report.users] == [
        "demo1@example.com",
        "demo2@example.com",
    ]
    assert report.users == [user for user, _ in demo_data(3, 2, 25)]


def test_seed_service_refuses_a_password_no_database_can_store(app: Flask) -> None:
    with app.app_context(), pytest.raises(InvalidInput) as raised:
        seed.seed(1, 1, password="nul \x00 inside a password")
    assert raised.value.errors == [
        FieldError(
            ("password",), "Must not contain NUL characters.", UserErrorCode.INVALID
        )
    ]
