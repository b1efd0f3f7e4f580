"""The fuzzer's and the victim's address books."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# Only the victim's data holds this; no generated value can contain it.
VICTIM_MARK = "zqvictim"

SHARED_TAGS = ["Friends", "Work"]


def victim_contacts() -> list[dict[str, Any]]:
    mark = VICTIM_MARK
    return [
        {
            "firstName": f"Vera {mark}",
            "lastName": f"Lane {mark}",
            "company": f"{mark} Holdings",
            "jobTitle": f"Keeper of {mark}",
            "birthday": "1980-02-29",
            "notes": f"{mark} private notes",
            "favorite": True,
            "emails": [
                {"value": f"vera@{mark}.example", "label": mark, "primary": True},
                {"value": f"lane@{mark}.example"},
            ],
            "phones": [{"value": "+16502530000", "label": mark}],
            "addresses": [
                {
                    "label": mark,
                    "street": f"1 {mark} Street",
                    "city": mark,
                    "region": mark,
                    "postalCode": "94043",
                    "country": "US",
                }
            ],
            "tags": [*SHARED_TAGS, f"{mark} tag"],
        },
        {"company": f"{mark} Ltd", "tags": ["Friends"]},
        {"emails": [{"value": f"only@{mark}.example"}]},
        {"phones": [{"value": "020 7946 0000", "region": "GB", "label": mark}]},
    ]


def fuzzer_contacts() -> list[dict[str, Any]]:
    return [
        {
            "firstName": "Ada",
            "lastName": "Lovelace",
            "company": "Analytical Engines",
            "birthday": "1815-12-10",
            "favorite": True,
            "emails": [{"value": "ada@example.com", "label": "home"}],
            "phones": [{"value": "+442079460000"}],
            "addresses": [{"city": "London", "country": "GB"}],
            "tags": [*SHARED_TAGS, "Family"],
        },
        {"firstName": "Grace", "lastName": "Hopper", "tags": ["Friends"]},
        {"company": "100% _real_ company", "notes": "a\u0301 ß ﬁ 𝔘"},
    ]


@dataclass
class Seeded:
    """What the fuzzer may aim at."""

    fuzzer_id: int
    victim_id: int
    ids: list[str]
    cursors: list[str]
