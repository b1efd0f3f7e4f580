"""The account the changePassword tests register, and its logins."""

from __future__ import annotations

from dataclasses import dataclass

PASSWORD = "change password tests' passphrase"
EMAIL = "ada@example.com"

AUTH_FIELDS = """
  user { email sessions { current } }
  accessToken refreshToken expiresIn
  userErrors { field message code }
"""
REGISTER = f"""
mutation Register($input: RegisterInput!) {{
  register(input: $input) {{ {AUTH_FIELDS} }}
}}
"""


@dataclass(frozen=True)
class Login:
    access: str
    refresh: str
