"""Documents of the hostile-input tests."""

from __future__ import annotations

CREATE = """
mutation {
  createContact(input: {lastName: "Adams", tags: ["Friends"]}) {
    contact { id tags { id } }
  }
}
"""
