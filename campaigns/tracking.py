"""Signed tokens and the tracked URLs of a campaign's messages.

Every recipient's message carries one delivery token (which delivery this is) in its open
pixel, its unsubscribe and preference links and each tracked link; a tracked link also
carries a link token (which URL, for which campaign), so the hub redirects only to URLs it
put into that campaign's messages itself. Neither token expires: links in a mail must work
for years. A forged or altered token raises ``django.core.signing.BadSignature``.
"""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.urls import reverse

from channels.base import RECIPIENT_TOKEN, Tracking

DELIVERY_SALT = "hub.delivery"
CLICK_SALT = "hub.click"
# Stands for the link token while the click URL's pattern is reversed once per campaign.
_LINK_TOKEN = "__HUB_LINK_TOKEN__"  # noqa: S105 (a placeholder, not a secret)


def delivery_token(delivery_id: int) -> str:
    """The signed token of one delivery, e.g. ``"42:Xb3..."`` (URL-safe, no timestamp)."""
    return signing.Signer(salt=DELIVERY_SALT).sign(str(int(delivery_id)))


def delivery_id_from_token(token: str) -> int:
    """The delivery id a token was made for; raises BadSignature if it is forged or altered."""
    value = signing.Signer(salt=DELIVERY_SALT).unsign(token)
    try:
        return int(value)
    except ValueError as exc:  # only with the secret key could anyone sign something else
        raise signing.BadSignature("Not a delivery token.") from exc


def link_token(campaign_id: int, url: str) -> str:
    """The signed token of a link of a campaign's message."""
    return signing.dumps([int(campaign_id), url], salt=CLICK_SALT, compress=True)


def link_from_token(token: str) -> tuple[int, str]:
    """The campaign id and URL of a link token; raises BadSignature if forged or altered."""
    payload = signing.loads(token, salt=CLICK_SALT)
    try:
        campaign_id, url = payload
        if not isinstance(url, str):
            raise TypeError(url)
        return int(campaign_id), url
    except (TypeError, ValueError) as exc:
        raise signing.BadSignature("Not a link token.") from exc


def personalise_url(url: str, token: str) -> str:
    """A tracked URL with the recipient's delivery token in place of the placeholder."""
    return url.replace(RECIPIENT_TOKEN, token)


def _absolute(name: str, **kwargs: str) -> str:
    path = reverse(f"tracking:{name}", kwargs={"token": RECIPIENT_TOKEN, **kwargs})
    return settings.WAGTAILADMIN_BASE_URL.rstrip("/") + path


def tracking_for(campaign_id: int) -> Tracking:
    """The tracked URLs of a campaign's messages, each with ``RECIPIENT_TOKEN`` to fill in."""
    click_pattern = _absolute("click", link=_LINK_TOKEN)
    tracked: dict[str, str] = {}

    def click(url: str) -> str:
        # Asked once per link and render; signing (and compressing) once per URL is enough.
        if url not in tracked:
            tracked[url] = click_pattern.replace(_LINK_TOKEN, link_token(campaign_id, url))
        return tracked[url]

    mailto = settings.HUB_UNSUBSCRIBE_MAILTO
    return Tracking(
        open_url=_absolute("open"),
        unsubscribe_url=_absolute("unsubscribe"),
        preferences_url=_absolute("preferences"),
        click=click,
        unsubscribe_mailto=(
            f"mailto:{mailto}?subject=unsubscribe%20{RECIPIENT_TOKEN}" if mailto else ""
        ),
    )
