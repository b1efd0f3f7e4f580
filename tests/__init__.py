"""The test suite. Every app a test builds counts its rate limits in the
process running it, so the per-process store is named here on purpose, as
production requires (app/config.py); a test of that refusal unsets it.
Likewise production needs password reset's link and mail server: a server
on 127.0.0.1 that no production test mails (tests/test_mail_settings.py
tests the refusals; the mail tests start a real one, tests/smtp.py)."""

import os

os.environ.setdefault("RATELIMIT_STORAGE_URI", "memory://")
os.environ.setdefault(
    "PASSWORD_RESET_URL", "https://app.example/reset-password?token={token}"
)
os.environ.setdefault("MAIL_SERVER", "127.0.0.1")
os.environ.setdefault("MAIL_DEFAULT_SENDER", "Contacts <no-reply@app.example>")
