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


def location_of(document: str, text: str) -> dict[str, int]:
    """Where `text` first appears in `document`, the way a GraphQL error's
    `locations` gives it (line and column from 1)."""
    before = document[: document.index(text)]
    return {"line": before.count("\n") + 1, "column": len(before) - before.rfind("\n")}


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

# register, login and refreshToken with one selection, so that the auth tests
# compare what the three answer with one expected payload (the examples'
# selections differ: refresh-token has no user).
AUTH_PAYLOAD = """
    user { email name }
    accessToken refreshToken expiresIn
    userErrors { field message code }
"""
REGISTER_AS_AUTH_PAYLOAD = f"""
mutation Register($input: RegisterInput!) {{
  register(input: $input) {{ {AUTH_PAYLOAD} }}
}}
"""
LOGIN_AS_AUTH_PAYLOAD = f"""
mutation Login($input: LoginInput!) {{
  login(input: $input) {{ {AUTH_PAYLOAD} }}
}}
"""
REFRESH_AS_AUTH_PAYLOAD = f"""
mutation Refresh($refreshToken: String!) {{
  refreshToken(refreshToken: $refreshToken) {{ {AUTH_PAYLOAD} }}
}}
"""

# register selecting just three fields, to fit apps with the smallest query
# limits (MAX_QUERY_FIELDS 4), which refuse the example's selection.
REGISTER_FOR_A_TOKEN = """
mutation Register($input: RegisterInput!) {
  register(input: $input) { accessToken userErrors { code } }
}
"""

# The viewer's email alone, for tests that compare a whole response.
ME_EMAIL = "{ me { email } }"

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
