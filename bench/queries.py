"""The requests the benchmark sends, as POST /graphql bodies.

`List` is a frontend's hottest request, the first page of contacts with
their emails, phones and tags; `Search` is the next, a page of a substring
search. bench/handwritten.py answers exactly these two operations.
"""

from __future__ import annotations

from typing import Any

CONNECTION = """
    edges {
      cursor
      node {
        id firstName lastName displayName company
        emails { value label primary }
        phones { value label primary }
        tags { id name }
      }
    }
    pageInfo { hasNextPage endCursor }
"""
LIST = f"""
query List($first: Int!, $after: String) {{
  contacts(first: $first, after: $after) {{{CONNECTION}  }}
}}
"""
SEARCH = f"""
query Search($first: Int!, $search: String!) {{
  contacts(first: $first, filter: {{search: $search}}) {{{CONNECTION}  }}
}}
"""
LIST_PAGE_SIZE = 50
SEARCH_PAGE_SIZE = 20
DEEP_PAGE_SIZE = 100


def list_body(first: int = LIST_PAGE_SIZE, after: str | None = None) -> dict[str, Any]:
    variables: dict[str, Any] = {"first": first}
    if after is not None:
        variables["after"] = after
    return {"query": LIST, "operationName": "List", "variables": variables}


def search_body(search: str, first: int = SEARCH_PAGE_SIZE) -> dict[str, Any]:
    return {
        "query": SEARCH,
        "operationName": "Search",
        "variables": {"first": first, "search": search},
    }
