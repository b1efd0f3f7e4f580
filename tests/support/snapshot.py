"""Where the API contract's SDL is."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

CONTRACT_FILE = REPO.parent / "shared" / "api-contract.md"

SDL_BLOCK = re.compile(r"## Schema\s+```graphql\n(.*?)```", re.DOTALL)
