"""What the fuzz tests and the executor differential test share: users
seeded through the API, value strategies for the custom scalars, optional
arguments left out, and hypothesis settings that make a run repeatable."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import graphql
from flask import Flask
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from sqlalchemy import select

from app.db.transaction import transactional
from app.extensions import db
from app.models import User
from app.services import tokens
from tests.helpers import Accounts, create

OWNED = """
{
  me { id }
  tags { id }
  contacts(first: 100) { edges { cursor node { id } } }
  byTime: contacts(last: 2, orderBy: {field: UPDATED_AT, direction: DESC}) {
    edges { cursor }
  }
}
"""


def seed_user(
    accounts: Accounts, email: str, contacts: Iterable[dict[str, Any]]
) -> tuple[list[str], list[str]]:
    """Register `email` with `contacts`; the global IDs of all it owns (itself
    included), and cursors into its contacts in two orders."""
    token = accounts.token(email)
    for contact in contacts:
        payload = create(accounts.gql, token, contact)
        assert payload["userErrors"] == [], (contact, payload)
    owned = accounts.gql.data(OWNED, token=token)
    edges = owned["contacts"]["edges"]
    ids = [owned["me"]["id"], *(tag["id"] for tag in owned["tags"])]
    ids += [edge["node"]["id"] for edge in edges]
    cursors = [edge["cursor"] for edge in edges + owned["byTime"]["edges"]]
    return ids, cursors


def user_id(app: Flask, email: str) -> int:
    with app.app_context():
        found = db.session.scalar(select(User.id).where(User.email == email))
    assert found is not None
    return found


def fresh_token(app: Flask, user_id: int) -> str:
    """A new login for the fuzzer."""
    with app.app_context():
        user = db.session.get_one(User, user_id)
        issued = transactional(tokens.start_session)(user)
        db.session.remove()
    return issued.access_token


def int_values() -> st.SearchStrategy[int]:
    """Mostly page sizes and versions a resolver accepts (hypothesis-graphql
    would draw from the whole 32-bit range, which the cost limit refuses
    before any resolver runs), and the edges around them."""
    return st.one_of(
        st.integers(min_value=0, max_value=5),
        st.integers(min_value=0, max_value=100),
        st.sampled_from([-1, 101, 1001, 2**31 - 1, -(2**31)]),
    )


def date_values() -> st.SearchStrategy[str]:
    return st.one_of(
        st.dates().map(date.isoformat),
        st.sampled_from(
            ["0001-01-01", "9999-12-31", "2023-02-29", "0000-01-01", "", "today"]
        ),
    )


OFFSETS = st.one_of(
    st.none(),
    st.just(UTC),
    st.sampled_from(
        [timedelta(hours=14), timedelta(hours=-12), timedelta(minutes=330)]
    ).map(timezone),
)


def datetime_values() -> st.SearchStrategy[str]:
    return st.one_of(
        st.datetimes(timezones=OFFSETS).map(datetime.isoformat),
        st.sampled_from(
            [
                "0001-01-01T00:00:00+14:00",
                "9999-12-31T23:59:59-12:00",
                "0001-01-01T00:00:00",
                "2024-01-01T00:00:00Z",
                "yesterday",
                "",
            ]
        ),
    )


def fewer_arguments(
    draw: st.DrawFn,
    schema: graphql.GraphQLSchema,
    selection_set: graphql.SelectionSetNode,
    parent: graphql.GraphQLNamedType,
) -> graphql.SelectionSetNode:
    selections: list[graphql.SelectionNode] = []
    for selection in selection_set.selections:
        if isinstance(selection, graphql.InlineFragmentNode):
            assert selection.type_condition is not None
            inner = schema.get_type(selection.type_condition.name.value)
            assert inner is not None
            below = fewer_arguments(draw, schema, selection.selection_set, inner)
            selections.append(replace(selection, selection_set=below))
            continue
        assert isinstance(selection, graphql.FieldNode)
        assert isinstance(
            parent, graphql.GraphQLObjectType | graphql.GraphQLInterfaceType
        )
        field = parent.fields[selection.name.value]
        arguments = tuple(
            argument
            for argument in selection.arguments or ()
            if graphql.is_non_null_type(field.args[argument.name.value].type)
            or draw(st.booleans())
        )
        below_field = selection.selection_set
        if below_field is not None:
            below_field = fewer_arguments(
                draw, schema, below_field, graphql.get_named_type(field.type)
            )
        selections.append(
            replace(selection, arguments=arguments, selection_set=below_field)
        )
    return replace(selection_set, selections=tuple(selections))


# Derandomized, so CI sees the same examples every time; each test sets
# max_examples.
BASE_SETTINGS = settings(
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=False,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
    ],
)
