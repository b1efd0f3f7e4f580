"""A git repository holding a schema, for the schema-diff tests."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

SCRIPT = REPO / "scripts" / "schema_diff.py"

BASE_SDL = """\
type Query {
  contact(id: ID!): Contact
  contacts(first: Int): [Contact!]!
}

type Contact {
  id: ID!
  displayName: String!
  nickname: String
  order: ContactOrderField
}

enum ContactOrderField {
  FIRST_NAME
  LAST_NAME
}
"""


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def lines(self) -> list[str]:
        return self.out.splitlines()


class Repo:
    """A scratch git repository with schema.graphql in it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        # No user or system git config: no hooks, signing or templates leak in.
        self.env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": str(path),
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": os.devnull,
            "GIT_AUTHOR_NAME": "Test",
            "GIT_AUTHOR_EMAIL": "test@example.com",
            "GIT_COMMITTER_NAME": "Test",
            "GIT_COMMITTER_EMAIL": "test@example.com",
            "LC_ALL": "C",
        }
        self.git("init", "-q", "-b", "main")

    def git(self, *args: str) -> str:
        result = subprocess.run(
            ["git", *args],
            cwd=self.path,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
        return result.stdout

    def write(self, text: str, name: str = "schema.graphql") -> None:
        (self.path / name).write_text(text, encoding="utf-8")

    def commit(self, message: str) -> None:
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", message)

    def diff(self, base: str = "HEAD") -> Result:
        result = subprocess.run(
            [sys.executable, str(SCRIPT), base],
            cwd=self.path,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        return Result(result.returncode, result.stdout, result.stderr)
