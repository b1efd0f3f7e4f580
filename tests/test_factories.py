"""The factories of tests/factories.py build rows the app reads as its own:
a user logs in with the password the factory hashed, and a contact with
emails, phones, an address and tags is served and found like one created
through the API."""

from __future__ import annotations

from flask import Flask

from app.extensions import db
from app.schema.ids import to_global_id
from tests.factories import ContactFactory, TagFactory, UserFactory
from tests.helpers import DEFAULT_PASSWORD, GraphQL, without_times
from tests.operations import GET_CONTACT, LOGIN, SEARCH_CONTACTS


def test_a_factory_user_logs_in_with_the_default_password(
    app: Flask, gql: GraphQL
) -> None:
    with app.app_context():
        user = UserFactory(email="Ada@Example.com", name="Ada")
        db.session.commit()
        user_id = to_global_id("User", user.id)

    credentials = {"email": "ada@example.com", "password": DEFAULT_PASSWORD}
    payload = gql.data(LOGIN, {"input": credentials})["login"]

    assert payload["userErrors"] == []
    assert payload["user"] == {"id": user_id, "email": "Ada@Example.com", "name": "Ada"}


def test_a_factory_contact_is_served_and_found_like_any_other(
    app: Flask, gql: GraphQL
) -> None:
    with app.app_context():
        user = UserFactory(email="ada@example.com")
        work = TagFactory(user=user, name="Work")
        contact = ContactFactory(
            user=user,
            first_name="Grace",
            last_name="Hopper",
            emails=[{"value": "grace@navy.example", "primary": True}],
            phones=[{"value": "+16502530000", "label": "office"}],
            addresses=[{"city": "Arlington", "country": "US"}],
            tags=[work],
        )
        db.session.commit()
        contact_id = to_global_id("Contact", contact.id)
        tag_id = to_global_id("Tag", work.id)
    credentials = {"email": "ada@example.com", "password": DEFAULT_PASSWORD}
    token = gql.data(LOGIN, {"input": credentials})["login"]["accessToken"]

    served = gql.data(GET_CONTACT, {"id": contact_id}, token)["contact"]
    found = gql.data(SEARCH_CONTACTS, {"filter": {"search": "NAVY"}}, token)

    assert without_times(served) == {
        "firstName": "Grace",
        "lastName": "Hopper",
        "displayName": "Grace Hopper",
        "company": None,
        "jobTitle": None,
        "birthday": None,
        "notes": None,
        "favorite": False,
        "emails": [{"value": "grace@navy.example", "label": None, "primary": True}],
        "phones": [{"value": "+16502530000", "label": "office", "primary": False}],
        "addresses": [
            {
                "label": None,
                "street": None,
                "city": "Arlington",
                "region": None,
                "postalCode": None,
                "country": "US",
            }
        ],
        "tags": [{"id": tag_id, "name": "Work", "contactCount": 1}],
        "version": 1,
    }
    assert [node["id"] for node in found["contacts"]["nodes"]] == [contact_id]
