"""Two users, for the tests that one cannot reach the other's rows."""

from __future__ import annotations

from dataclasses import dataclass

from tests.operations import CONTACT_FIELDS

SNAPSHOT = f"""
query Snapshot {{
  me {{ id email name createdAt }}
  contacts(first: 100) {{ totalCount nodes {{ {CONTACT_FIELDS} tags {{ id }} }} }}
  tags {{ id name contactCount }}
}}
"""


@dataclass(frozen=True)
class Alice:
    """The first user, with two tagged contacts."""

    token: str
    user_id: str
    contact_id: str
    tag_ids: list[str]
