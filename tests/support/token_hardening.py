"""Signed-up users and a worker of their own, for the token tests."""

from __future__ import annotations

import base64
import json
import os
import selectors
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from flask import Flask

from tests.helpers import DEFAULT_PASSWORD, GraphQL
from tests.operations import REGISTER

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Login:
    app: Flask
    gql: GraphQL
    email: str
    access: str
    refresh: str

    @property
    def session_id(self) -> str:
        sid: str = claims_of(self.access)["sid"]
        return sid

    @property
    def user_global_id(self) -> str:
        return base64.b64encode(
            f"User:{claims_of(self.access)['sub']}".encode()
        ).decode()


def sign_up(app: Flask, gql: GraphQL, email: str) -> Login:
    variables = {"input": {"email": email, "password": DEFAULT_PASSWORD}}
    payload = gql.data(REGISTER, variables)["register"]
    assert payload["userErrors"] == []
    return Login(app, gql, email, payload["accessToken"], payload["refreshToken"])


def claims_of(token: str) -> dict[str, Any]:
    claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return claims


WORKER = """
import json, sys
from app import create_app

client = create_app("testing", {"SQLALCHEMY_DATABASE_URI": sys.argv[1]}).test_client()
answers = open(int(sys.argv[2]), "w", encoding="utf-8")
print("ready", file=answers, flush=True)
for line in sys.stdin:
    request = json.loads(line)
    token = request["token"]
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = client.post("/graphql", json=request["operation"], headers=headers)
    answer = [response.status_code, response.get_json()]
    print(json.dumps(answer), file=answers, flush=True)
"""


class Worker:
    """Another Python process serving the app on the same database, asked
    one operation at a time on its stdin (tokens never go on a command line)
    and answering on a pipe of its own (its stdout is the app's log)."""

    TIMEOUT = 30.0

    def __init__(self, database: str) -> None:
        read_end, write_end = os.pipe()
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-c", WORKER, database, str(write_end)],
                cwd=ROOT,
                env={**os.environ, "PYTHONPATH": str(ROOT)},
                pass_fds=(write_end,),
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                text=True,
            )
        finally:
            os.close(write_end)
        self.answers = os.fdopen(read_end, encoding="utf-8")
        assert self._read_line() == "ready"

    def _read_line(self) -> str:
        with selectors.DefaultSelector() as selector:
            selector.register(self.answers, selectors.EVENT_READ)
            if not selector.select(timeout=self.TIMEOUT):
                raise TimeoutError("the worker process did not answer")
        return self.answers.readline().strip()

    def ask(
        self, query: str, variables: dict[str, Any] | None = None, token: str = ""
    ) -> dict[str, Any]:
        assert self.process.stdin is not None
        request = {
            "operation": {"query": query, "variables": variables},
            "token": token,
        }
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        status, body = json.loads(self._read_line())
        assert status == 200
        result: dict[str, Any] = body
        return result

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        try:
            self.process.wait(timeout=self.TIMEOUT)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()
            self.answers.close()
