"""The test suite. Every app a test builds counts its rate limits in the
process running it, so the per-process store is named here on purpose, as
production requires (app/config.py); a test of that refusal unsets it."""

import os

os.environ.setdefault("RATELIMIT_STORAGE_URI", "memory://")
