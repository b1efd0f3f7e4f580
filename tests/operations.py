"""The GraphQL documents the tests send, each written once.

Where examples/ has the operation a frontend would send, the tests send that
very document (so the examples are exercised on every run); the documents
below them are the ones examples/ has no use for: every field of a contact,
`node`, and the smaller selections some tests compare whole.
"""

from __future__ import annotations

from pathlib import Path

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def load(example: str) -> str:
    """The document of examples/<example>.graphql, comments and all."""
    return (EXAMPLES / f"{example}.graphql").read_text(encoding="utf-8")


REGISTER = load("register")
LOGIN = load("login")
ME = load("me")
REFRESH_TOKEN = load("refresh-token")
LOGOUT = load("logout")
CREATE_CONTACT = load("create-contact")
LIST_CONTACTS = load("list-contacts")
SEARCH_CONTACTS = load("search-contacts")
GET_CONTACT = load("get-contact")
UPDATE_CONTACT = load("update-contact")
DELETE_CONTACT = load("delete-contact")
TAGS = load("tags")

# Every field of a contact, for tests that compare a contact whole.
CONTACT_FIELDS = """
  id firstName lastName displayName nickname company jobTitle birthday notes favorite
  emails { value label primary }
  phones { value label primary }
  addresses { label street city region postalCode country }
  tags { name contactCount }
  version createdAt updatedAt
"""
USER_ERRORS = "userErrors { field message code }"
CREATE = f"""
mutation Create($input: CreateContactInput!) {{
  createContact(input: $input) {{ contact {{ {CONTACT_FIELDS} }} {USER_ERRORS} }}
}}
"""
UPDATE = f"""
mutation Update($input: UpdateContactInput!) {{
  updateContact(input: $input) {{ contact {{ {CONTACT_FIELDS} }} {USER_ERRORS} }}
}}
"""
DELETE = f"""
mutation Delete($id: ID!) {{ deleteContact(id: $id) {{ deletedId {USER_ERRORS} }} }}
"""
CONTACT = f"query Contact($id: ID!) {{ contact(id: $id) {{ {CONTACT_FIELDS} }} }}"
NODE = """
query Node($id: ID!) {
  node(id: $id) {
    __typename id
    ... on Contact { displayName version }
    ... on User { email }
    ... on Tag { name contactCount }
  }
}
"""
