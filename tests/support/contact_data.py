"""What the generated contacts of the format round trips share: a
contact's declared fields drawn by kind (tests/support/csv_data.py and
vcard_data.py each say which values a kind takes)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hypothesis import strategies as st

from app.fields import CONTACT_FIELDS, Kind


@st.composite
def field_values(
    draw: st.DrawFn, values: Mapping[Kind, st.SearchStrategy[Any]]
) -> dict[str, Any]:
    """Some of the declared fields, each drawn from `values` of its kind;
    the others left out."""
    return {
        declared.name: draw(values[declared.kind])
        for declared in CONTACT_FIELDS
        if draw(st.booleans())
    }
