"""Secret tokens as the hub stores them: only their hash, never the token itself."""

from __future__ import annotations

import hashlib


def hash_token(token: str) -> str:
    """The SHA-256 hex digest of ``token``: what is stored and looked up in its place.

    For tokens the hub issued with ample randomness (API tokens, signed confirmation
    links): a plain hash is then enough (no salt, no stretching), and it survives a
    ``SECRET_KEY`` rotation. Never for passwords.
    """
    return hashlib.sha256(token.encode()).hexdigest()
