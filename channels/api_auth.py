"""Authentication of the HTTP API: a channel API client's bearer token and its scopes."""

from __future__ import annotations

from django.http import HttpRequest
from ninja.errors import AuthorizationError
from ninja.security import HttpBearer

from channels.models import ApiClient
from core.tokens import hash_token


class ApiClientAuth(HttpBearer):
    """``Authorization: Bearer <token>`` of an active API client holding ``scope``."""

    openapi_description = "A channel API client's token, issued once in the admin."

    def __init__(self, scope: str) -> None:
        super().__init__()
        self.scope = scope

    def authenticate(self, request: HttpRequest, token: str) -> ApiClient | None:
        # One indexed lookup, no ordering: this runs on every request, 304s included.
        client = next(
            iter(
                ApiClient.objects.filter(token_hash=hash_token(token), is_active=True).order_by()[
                    :1
                ]
            ),
            None,
        )
        if client is None:
            return None
        if not client.has_scope(self.scope):
            raise AuthorizationError(message=f"This API client lacks the scope {self.scope}.")
        client.touch()
        return client
