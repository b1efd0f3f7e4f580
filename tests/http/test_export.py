"""GET /export/contacts.vcf and /export/contacts.csv (app/http/export.py):
who may export, what comes out, how it is sent, and the limits on it."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.helpers import Accounts, GraphQL, create_contact, delete
from tests.operations import LOGIN, LOGOUT
from tests.support.cors import ALLOWED
from tests.support.exporting import (
    ADA,
    ADA_3_0,
    ADA_4_0,
    ADA_ROW,
    CSV,
    CSV_HEADER,
    VCF,
    expired,
    get,
    refusal,
    row,
)

SIGN_IN = "Sign in to do this: send Authorization: Bearer <accessToken>."
INVALID = "The access token is invalid."
PATHS = [VCF, CSV]
OTHER_ORIGIN = "http://other.example"


# --- what comes out, and how -----------------------------------------------------


@pytest.mark.parametrize(
    ("query", "body"),
    [({}, ADA_4_0), ({"version": "4.0"}, ADA_4_0), ({"version": "3.0"}, ADA_3_0)],
)
def test_vcard_4_0_or_3_0_streamed_as_an_attachment_not_to_be_cached(
    client: FlaskClient,
    gql: GraphQL,
    token: str,
    query: dict[str, str],
    body: str,
) -> None:
    create_contact(gql, token, ADA)

    response = get(client, VCF, token, **query)

    assert response.status_code == 200
    assert response.is_streamed
    assert response.headers["Content-Type"] == "text/vcard; charset=utf-8"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="contacts.vcf"'
    )
    assert response.headers["Cache-Control"] == "no-store"
    assert "Content-Length" not in response.headers
    assert response.get_data(as_text=True) == body


def test_csv_in_our_layout_streamed_as_an_attachment(
    client: FlaskClient, gql: GraphQL, token: str
) -> None:
    create_contact(gql, token, ADA)

    response = get(client, CSV, token)

    assert response.status_code == 200
    assert response.is_streamed
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="contacts.csv"'
    )
    assert response.headers["Cache-Control"] == "no-store"
    assert response.get_data(as_text=True) == CSV_HEADER + ADA_ROW


@pytest.mark.parametrize("tag", ["friends", "FRIENDS", " Friends "])
def test_a_tag_exports_the_contacts_carrying_it_ignoring_case(
    client: FlaskClient, gql: GraphQL, token: str, tag: str
) -> None:
    for name, tags in [("A", ["Friends"]), ("B", ["Work"]), ("C", ["Work", "friends"])]:
        create_contact(gql, token, {"firstName": name, "tags": tags})

    response = get(client, CSV, token, tag=tag)

    assert response.get_data(as_text=True) == (
        CSV_HEADER + row("A", "Friends") + row("C", '"Friends\nWork"')
    )
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="contacts-{tag.strip()}.csv"'
    )


@pytest.mark.parametrize(
    ("path", "body"), [(VCF, ""), (CSV, CSV_HEADER)], ids=["vcard", "csv"]
)
def test_a_tag_nobody_carries_gives_an_empty_file(
    client: FlaskClient, gql: GraphQL, token: str, path: str, body: str
) -> None:
    create_contact(gql, token, {"firstName": "A", "tags": ["Friends"]})

    response = get(client, path, token, tag="Family")

    assert response.status_code == 200
    assert response.get_data(as_text=True) == body


@pytest.mark.parametrize(
    ("tag", "disposition"),
    [
        (
            "Família",
            'attachment; filename="contacts-Fam_lia.vcf"; '
            "filename*=UTF-8''contacts-Fam%C3%ADlia.vcf",
        ),
        (
            'a/b"c\\d e',
            'attachment; filename="contacts-a_b_c_d_e.vcf"; '
            "filename*=UTF-8''contacts-a%2Fb%22c%5Cd%20e.vcf",
        ),
    ],
)
def test_a_tag_in_the_file_name_is_encoded_as_rfc_6266_says(
    client: FlaskClient, token: str, tag: str, disposition: str
) -> None:
    response = get(client, VCF, token, tag=tag)

    assert response.headers["Content-Disposition"] == disposition


@pytest.mark.app_settings(EXPORT_CHUNK_SIZE=2)
def test_a_book_of_several_chunks_comes_out_whole_by_id(
    client: FlaskClient, gql: GraphQL, token: str
) -> None:
    names = ["Eve", "Dan", "Cy", "Bo", "Al"]
    for name in names:
        create_contact(gql, token, {"firstName": name})

    body = get(client, CSV, token).get_data(as_text=True)

    assert body == CSV_HEADER + "".join(row(name) for name in names)


def test_another_accounts_contacts_are_never_exported(
    client: FlaskClient, gql: GraphQL, accounts: Accounts
) -> None:
    ada = accounts.token("ada@example.com")
    bob = accounts.token("bob@example.com")
    create_contact(gql, ada, {"firstName": "A", "tags": ["Friends"]})
    create_contact(gql, bob, {"firstName": "B", "tags": ["Friends"]})

    assert get(client, CSV, ada).get_data(as_text=True) == CSV_HEADER + row(
        "A", "Friends"
    )
    assert get(client, CSV, bob, tag="friends").get_data(
        as_text=True
    ) == CSV_HEADER + row("B", "Friends")


# --- who may export ------------------------------------------------------------


@pytest.mark.parametrize("path", PATHS)
def test_without_a_token_the_answer_is_401_with_a_bearer_challenge(
    client: FlaskClient, path: str
) -> None:
    response = get(client, path)

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.content_type == "application/json"
    assert response.get_json() == refusal(SIGN_IN, "UNAUTHENTICATED")


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize(
    "authorization",
    ["Bearer", "Bearer  ", "Basic dXNlcjpwYXNz", "Bearer not-a-jwt", "Bearer é"],
)
def test_a_malformed_token_is_401_invalid_token(
    client: FlaskClient, path: str, authorization: str
) -> None:
    response = get(client, path, authorization=authorization)

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'
    assert response.get_json() == refusal(INVALID, "UNAUTHENTICATED")


def test_an_expired_token_is_401_token_expired(
    app: Flask, client: FlaskClient, token: str
) -> None:
    response = get(client, VCF, expired(app, token))

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'
    assert response.get_json() == refusal(
        "The access token has expired.", "UNAUTHENTICATED", reason="TOKEN_EXPIRED"
    )


def test_a_token_revoked_by_logout_is_401(
    client: FlaskClient, gql: GraphQL, token: str
) -> None:
    assert get(client, CSV, token).status_code == 200
    assert gql.data(LOGOUT, {"refreshToken": None}, token)["logout"]["ok"] is True

    response = get(client, CSV, token)

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'
    assert response.get_json() == refusal(
        "The access token has been revoked.", "UNAUTHENTICATED"
    )


# --- the request ---------------------------------------------------------------


@pytest.mark.parametrize("version", ["2.1", "4", "", "3.0.0"])
def test_a_vcard_version_other_than_4_0_and_3_0_is_400(
    client: FlaskClient, token: str, version: str
) -> None:
    response = get(client, VCF, token, version=version)

    assert response.status_code == 400
    assert response.get_json() == refusal(
        "`version` must be 4.0 or 3.0.", "BAD_USER_INPUT"
    )


def test_a_tag_no_filter_could_take_is_400(client: FlaskClient, token: str) -> None:
    response = get(client, CSV, token, tag="x" * 201)

    assert response.status_code == 400
    assert response.get_json() == refusal(
        "`tag` must be at most 200 characters.", "BAD_USER_INPUT"
    )


def test_other_methods_are_refused_in_json(client: FlaskClient, token: str) -> None:
    response = client.post(VCF, headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 405
    assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}
    assert response.get_json() == refusal("Method Not Allowed.", "BAD_USER_INPUT")


# --- from a browser ---------------------------------------------------------------


def test_an_allowed_origin_may_download_and_read_the_file_name(
    client: FlaskClient, token: str
) -> None:
    response = client.get(
        CSV, headers={"Authorization": f"Bearer {token}", "Origin": ALLOWED}
    )

    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == ALLOWED
    assert response.headers["Access-Control-Expose-Headers"] == "Content-Disposition"
    assert "origin" in {value.lower() for value in response.vary}


def test_a_preflight_from_an_allowed_origin_lets_the_token_through(
    client: FlaskClient,
) -> None:
    response = client.options(
        VCF,
        headers={
            "Origin": ALLOWED,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization",
        },
    )

    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == ALLOWED
    assert response.headers["Access-Control-Allow-Headers"] == "authorization"


def test_another_origin_is_not_allowed(client: FlaskClient, token: str) -> None:
    response = client.get(
        VCF, headers={"Authorization": f"Bearer {token}", "Origin": OTHER_ORIGIN}
    )

    assert "Access-Control-Allow-Origin" not in response.headers
    assert "origin" in {value.lower() for value in response.vary}


# --- limits ----------------------------------------------------------------------


def login(gql: GraphQL, email: str) -> str:
    payload: dict[str, Any] = gql.data(
        LOGIN,
        {"input": {"email": email, "password": "correct horse battery staple"}},
    )["login"]
    token: str = payload["accessToken"]
    return token


@pytest.mark.app_settings(
    RATELIMIT_ENABLED=True, RATELIMIT_EXPORT_PER_ACCOUNT="2/minute"
)
def test_exports_per_account_are_limited_whichever_login_and_format(
    client: FlaskClient, gql: GraphQL, accounts: Accounts
) -> None:
    ada = accounts.token("ada@example.com")
    other_login = login(gql, "ada@example.com")
    grace = accounts.token("grace@example.com")

    statuses = [get(client, VCF, ada).status_code, get(client, CSV, ada).status_code]
    refused = get(client, VCF, other_login)

    assert statuses == [200, 200]
    assert refused.status_code == 429
    retry_after = int(refused.headers["Retry-After"])
    assert 1 <= retry_after <= 60
    assert refused.get_json() == refusal(
        f"Too many requests; try again in {retry_after} seconds.",
        "RATE_LIMITED",
        retryAfter=retry_after,
    )
    assert get(client, VCF, grace).status_code == 200


@pytest.mark.app_settings(RATELIMIT_ENABLED=True, RATELIMIT_PER_IP="3/minute")
def test_exports_per_address_are_limited_signed_in_or_not(
    client: FlaskClient, token: str
) -> None:
    statuses = [get(client, VCF).status_code for _ in range(2)]
    statuses.append(get(client, VCF, token).status_code)
    refused = get(client, VCF, token)

    assert statuses == [401, 401, 200]
    assert refused.status_code == 429
    assert refused.get_json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert get(client, VCF, token, address="192.0.2.99").status_code == 200


@pytest.mark.app_settings(RATELIMIT_ENABLED=True, RATELIMIT_PER_TOKEN="2/minute")
def test_an_export_is_one_use_of_the_logins_token(
    client: FlaskClient, token: str
) -> None:
    statuses = [get(client, CSV, token).status_code for _ in range(3)]

    assert statuses == [200, 200, 429]


def test_the_trash_is_not_exported(
    client: FlaskClient, gql: GraphQL, token: str
) -> None:
    kept = create_contact(gql, token, {"firstName": "Kept"})
    gone = create_contact(gql, token, {"firstName": "Gone"})
    assert delete(gql, token, gone["id"])["deletedId"] == gone["id"]

    body = get(client, VCF, token).get_data(as_text=True)

    assert kept["firstName"] in body
    assert "Gone" not in body
