"""The per-request GraphQL context: who is asking, resolved once and lazily."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import strawberry
from flask import Request, Response

from app.errors import NotAuthenticated, RateLimited
from app.schema.throttling import retry_after_header
from app.services import contacts, rate_limits, tokens
from app.services.tokens import Viewer


@dataclass(frozen=True)
class Authentication:
    user: Viewer | None = None
    session_id: str | None = None
    error: NotAuthenticated | None = None


@dataclass
class Context:
    request: Request
    response: Response
    # The operation's cost (app/schema/limits.py sets it once the document
    # passes its limits), charged to the account at its first signed-in field.
    query_cost: int = 0
    _query_cost_charged: bool = field(default=False, init=False, repr=False)
    _query_cost_refused: RateLimited | None = field(
        default=None, init=False, repr=False
    )

    @cached_property
    def authentication(self) -> Authentication:
        """The bearer token's user, checked on first use only, so anonymous
        operations (register, login) never touch the token tables."""
        header = self.request.headers.get("Authorization")
        if header is None:
            return Authentication()
        try:
            user, session_id = tokens.authenticate_header(header)
        except NotAuthenticated as error:
            return Authentication(error=error)
        return Authentication(user=user, session_id=session_id)

    @property
    def viewer(self) -> Viewer | None:
        """The signed-in user; None without a token; UNAUTHENTICATED with a bad one.

        Root fields' resolvers call this (or `require_viewer`) once each, and
        each call counts once against the login's per-token rate limit: one
        authenticated field execution, so aliases and repeated mutations in a
        document each count, while nested fields (a page of contacts and
        their tags) cost nothing more. Code below the root uses `_signed_in`.
        """
        return self._viewer_using(1)

    def _viewer_using(self, uses: int) -> Viewer | None:
        """`viewer`, counted as `uses` uses of the login's token (a batch
        counts one per item)."""
        user = self._signed_in()
        session_id = self.authentication.session_id
        if user is not None and session_id is not None:
            with retry_after_header(self.response):
                rate_limits.token_use(session_id, uses)
                self._charge_query_cost(user.id)
        return user

    def _charge_query_cost(self, user_id: int) -> None:
        """Charge the operation's cost to the account at its first signed-in
        field; when that is over budget, every signed-in field is refused."""
        if not self._query_cost_charged:
            self._query_cost_charged = True
            try:
                rate_limits.query_cost_use(user_id, self.query_cost)
            except RateLimited as refusal:
                self._query_cost_refused = refusal
        if self._query_cost_refused is not None:
            raise RateLimited.query_cost(self._query_cost_refused.retry_after)

    def require_viewer(self, uses: int = 1) -> Viewer:
        """The signed-in user, or UNAUTHENTICATED; counted as `uses` uses
        of the login's token (`viewer`): a batch of n items passes n."""
        viewer = self._viewer_using(uses)
        if viewer is None:
            raise NotAuthenticated.required()
        return viewer

    def _signed_in(self) -> Viewer | None:
        if self.authentication.error is not None:
            raise self.authentication.error
        return self.authentication.user

    @cached_property
    def tag_contact_counts(self) -> dict[int, int]:
        """Contact counts of all the viewer's tags, one query per request."""
        user = self._signed_in()
        if user is None:
            raise NotAuthenticated.required()
        return contacts.tag_contact_counts(user.id)

    def forget_tag_counts(self) -> None:
        """Drop the cached counts after a write: one operation may run several
        mutations, and each payload must show the counts as they are after it."""
        self.__dict__.pop("tag_contact_counts", None)


Info = strawberry.Info[Context, None]
