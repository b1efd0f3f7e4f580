"""Domain exceptions raised by the services.

The GraphQL layer turns `InvalidInput` into `userErrors` (expected failures are
data) and the others into GraphQL errors with the contract's `extensions.code`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class UserErrorCode(Enum):
    INVALID = "INVALID"
    REQUIRED = "REQUIRED"
    TOO_LONG = "TOO_LONG"
    TAKEN = "TAKEN"
    WEAK_PASSWORD = "WEAK_PASSWORD"
    INVALID_CREDENTIALS = "INVALID_CREDENTIALS"
    INVALID_TOKEN = "INVALID_TOKEN"
    NOT_FOUND = "NOT_FOUND"
    CONFLICT = "CONFLICT"
    # The server has this feature switched off (PASSWORD_RESET_ENABLED=false).
    DISABLED = "DISABLED"


@dataclass(frozen=True)
class FieldError:
    """One expected failure, at a path into the operation's arguments."""

    field: tuple[str, ...] | None
    message: str
    code: UserErrorCode


class InvalidInput(Exception):
    """The input breaks a rule; nothing was changed."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(error.message for error in errors))
        self.errors = errors

    @classmethod
    def single(
        cls, field: tuple[str, ...] | None, message: str, code: UserErrorCode
    ) -> InvalidInput:
        return cls([FieldError(field, message, code)])


class ApiError(Exception):
    """An error reported in `errors[]` with a contract code."""

    code = "INTERNAL_SERVER_ERROR"

    def __init__(self, message: str, **extensions: object) -> None:
        super().__init__(message)
        self.message = message
        self.extensions = extensions


class NotAuthenticated(ApiError):
    code = "UNAUTHENTICATED"

    @classmethod
    def expired(cls) -> NotAuthenticated:
        return cls("The access token has expired.", reason="TOKEN_EXPIRED")

    @classmethod
    def invalid(cls) -> NotAuthenticated:
        return cls("The access token is invalid.")

    @classmethod
    def revoked(cls) -> NotAuthenticated:
        return cls("The access token has been revoked.")

    @classmethod
    def required(cls) -> NotAuthenticated:
        return cls("Sign in to do this: send Authorization: Bearer <accessToken>.")


class BadUserInput(ApiError):
    """An argument outside the field's rules (page size, malformed ID or cursor)."""

    code = "BAD_USER_INPUT"


class RateLimited(ApiError):
    """Too many attempts; `retry_after` whole seconds until the next may pass."""

    code = "RATE_LIMITED"

    def __init__(self, retry_after: int, what: str = "requests") -> None:
        super().__init__(
            f"Too many {what}; try again in {retry_after} seconds.",
            retryAfter=retry_after,
        )
        self.retry_after = retry_after

    @classmethod
    def query_cost(cls, retry_after: int) -> RateLimited:
        """The account's budget of nodes (RATELIMIT_COST_PER_ACCOUNT) is spent."""
        return cls(retry_after, "nodes asked for by this account")


class SyncTokenExpired(ApiError):
    """A `syncToken` older than the sync window (SYNC_TOKEN_TTL_DAYS), not
    the viewer's, or not one of ours: the client must sync again without
    a token (a full download)."""

    code = "SYNC_TOKEN_EXPIRED"

    def __init__(self) -> None:
        super().__init__(
            "The sync token has expired or is not this account's; "
            "sync again without a token."
        )
