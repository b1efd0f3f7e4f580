"""Create .env from .env.example, with fresh random secrets.

Run from anywhere: `python3 scripts/create_env.py`. Stdlib only, so it works
before any dependency is installed. It refuses to overwrite an existing .env,
which may hold a developer's own settings, and never prints the secrets.
"""

import re
import secrets
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / ".env.example"
TARGET = ROOT / ".env"
SECRET_NAMES = ("SECRET_KEY", "JWT_SECRET_KEY")


def with_fresh_secrets(text: str) -> tuple[str, list[str]]:
    """Replace the value of each active `NAME=...` line in SECRET_NAMES.

    Returns the new text and the names that were replaced.
    """
    replaced = []
    for name in SECRET_NAMES:
        # token_urlsafe gives [A-Za-z0-9_-] only, so it needs no quoting in .env
        # and no escaping in the replacement string.
        text, count = re.subn(
            rf"^{name}=.*$",
            f"{name}={secrets.token_urlsafe(48)}",
            text,
            flags=re.MULTILINE,
        )
        if count:
            replaced.append(name)
    return text, replaced


def main() -> int:
    if TARGET.exists():
        print(f"{TARGET.name} already exists; left unchanged.", file=sys.stderr)
        return 1
    if not EXAMPLE.is_file():
        print(f"{EXAMPLE} not found.", file=sys.stderr)
        return 1
    text, replaced = with_fresh_secrets(EXAMPLE.read_text(encoding="utf-8"))
    # "x" mode: fail rather than overwrite if .env appeared meanwhile. The file
    # holds secrets, so only its owner may read it.
    with open(TARGET, "x", encoding="utf-8") as env_file:
        env_file.write(text)
    TARGET.chmod(0o600)
    names = ", ".join(replaced) or "no secrets"
    print(f"Wrote {TARGET.name} from {EXAMPLE.name}; generated {names}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
