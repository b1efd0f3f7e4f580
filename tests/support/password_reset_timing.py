"""The slow SMTP server and the account the password reset timing measures."""

from __future__ import annotations

SMTP_DELAY = 0.05  # seconds the server takes to accept a message
REGISTER = """
mutation Register($input: RegisterInput!) {
  register(input: $input) { userErrors { code } }
}
"""
KNOWN = "ada@example.com"
