"""Signed tokens and the tracked URLs of a campaign's messages.

Every recipient's message carries one delivery token (which delivery this is) in its open
pixel, its unsubscribe and preference links and each tracked link; a tracked link also
carries a link token (which URL, for which campaign), so the hub redirects only to URLs it
put into that campaign's messages itself. Neither token expires: links in a mail must work
for years. A forged or altered token raises ``django.core.signing.BadSignature``.

The "view in browser" link carries a token of its own (``web_version_token``, another salt):
it shows the whole personal message, so it opens that and nothing else, and no other token
opens it.

A test mail has no delivery: its links carry a test token instead (another salt, so it can
never be read as a delivery token, nor a delivery token as a test one), naming the campaign,
the language of the variant and a hash of the test address. The tracking pages answer it
without recording anything.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.urls import reverse

from channels.base import RECIPIENT_TOKEN, WEB_VERSION_TOKEN, Tracking

DELIVERY_SALT = "hub.delivery"
TEST_DELIVERY_SALT = "hub.test-delivery"
CLICK_SALT = "hub.click"
WEB_VERSION_SALT = "hub.web-version"
TEST_WEB_VERSION_SALT = "hub.test-web-version"
SURVEY_SALT = "hub.survey"
SURVEY_CONTACT_SALT = "hub.survey.contact"
MAIL_SURVEY_SALT = "hub.survey.mail"
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


@dataclass(frozen=True)
class TokenOfTestSend:
    """What a test mail's token names: no delivery row, only where the test came from.

    (Named so that pytest never mistakes it, or the functions below, for a test.)
    """

    campaign_id: int
    language: str
    address_hash: str


def _address_hash(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()[:16]


def _test_send_token(campaign_id: int, language: str, address_hash: str) -> str:
    lang = "en" if language.lower()[:2] == "en" else "de"
    return signing.Signer(salt=TEST_DELIVERY_SALT).sign(
        f"t{int(campaign_id)}.{lang}.{address_hash}"
    )


def token_of_test_send(campaign_id: int, language: str, email: str) -> str:
    """The signed token of a test mail, e.g. ``"t7.de.3f2a...:Xb3..."``: one per address."""
    return _test_send_token(campaign_id, language, _address_hash(email))


def read_test_send_token(token: str) -> TokenOfTestSend:
    """The test a token was made for; raises BadSignature if it is forged or altered."""
    value = signing.Signer(salt=TEST_DELIVERY_SALT).unsign(token)
    campaign, _dot, rest = value.partition(".")
    language, _dot, address_hash = rest.partition(".")
    try:
        return TokenOfTestSend(int(campaign.removeprefix("t")), language, address_hash)
    except ValueError as exc:  # only with the secret key could anyone sign something else
        raise signing.BadSignature("Not a test token.") from exc


def web_version_token(delivery_id: int) -> str:
    """The signed token of one delivery's web version ("view in browser").

    Its own salt: no other token of the message (unsubscribe, clicks) opens the web version,
    and this one opens nothing else.
    """
    return signing.Signer(salt=WEB_VERSION_SALT).sign(str(int(delivery_id)))


def delivery_id_from_web_version_token(token: str) -> int:
    """The delivery a web version token was made for; BadSignature if forged or altered."""
    return _unsign_int(WEB_VERSION_SALT, token)


@dataclass(frozen=True)
class WebVersionOfTestSend:
    """What a test mail's web version token names: the version and variant that was sent."""

    campaign_id: int
    revision_id: int | None  # the campaign's revision the test showed (None: no revision)
    variant_key: str
    email: str

    @property
    def token(self) -> str:
        """The test token of the test mail's other links, as the mail carried it."""
        language = self.variant_key.partition(":")[0]
        return _test_send_token(self.campaign_id, language, _address_hash(self.email))


def web_version_token_of_test_send(
    campaign_id: int, revision_id: int | None, variant_key: str, email: str
) -> str:
    """The signed web version token of one test mail (its own salt, like the delivery's)."""
    return signing.Signer(salt=TEST_WEB_VERSION_SALT).sign_object(
        {"c": int(campaign_id), "r": revision_id, "k": variant_key, "a": email}
    )


def read_web_version_token_of_test_send(token: str) -> WebVersionOfTestSend:
    """The test mail a web version token names; BadSignature if it is forged or altered."""
    payload = signing.Signer(salt=TEST_WEB_VERSION_SALT).unsign_object(token)
    try:
        revision = payload["r"]
        return WebVersionOfTestSend(
            campaign_id=int(payload["c"]),
            revision_id=int(revision) if revision is not None else None,
            variant_key=str(payload["k"]),
            email=str(payload["a"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise signing.BadSignature("Not a web version token.") from exc


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


def _unsign_int(salt: str, token: str) -> int:
    value = signing.Signer(salt=salt).unsign(token)
    try:
        return int(value)
    except ValueError as exc:  # only with the secret key could anyone sign something else
        raise signing.BadSignature("Not a token of this kind.") from exc


def survey_token(survey_id: int) -> str:
    """The signed token of a survey's public page (``/s/<token>/``)."""
    return signing.Signer(salt=SURVEY_SALT).sign(str(int(survey_id)))


def survey_id_from_token(token: str) -> int:
    """The survey id of a survey token; raises BadSignature if it is forged or altered."""
    return _unsign_int(SURVEY_SALT, token)


def survey_contact_token(contact_id: int) -> str:
    """The signed token that ties an answer given by link to a contact (``?c=<token>``)."""
    return signing.Signer(salt=SURVEY_CONTACT_SALT).sign(str(int(contact_id)))


def contact_id_from_survey_token(token: str) -> int:
    """The contact id of a survey contact token; raises BadSignature if forged or altered."""
    return _unsign_int(SURVEY_CONTACT_SALT, token)


def mail_survey_token(campaign_id: int, survey_id: int) -> str:
    """The signed token of a survey in a campaign's messages: its answers count for that
    campaign, and a recipient of another campaign cannot answer it in this one's name."""
    return signing.Signer(salt=MAIL_SURVEY_SALT).sign(f"{int(campaign_id)}.{int(survey_id)}")


def mail_survey_from_token(token: str) -> tuple[int, int]:
    """The campaign id and survey id of a mail survey token; BadSignature if forged."""
    value = signing.Signer(salt=MAIL_SURVEY_SALT).unsign(token)
    campaign_id, _dot, survey_id = value.partition(".")
    try:
        return int(campaign_id), int(survey_id)
    except ValueError as exc:
        raise signing.BadSignature("Not a survey token.") from exc


def survey_answer_urls(
    campaign_id: int, survey_id: int, scores: range
) -> tuple[tuple[int, str], ...]:
    """Each score's one-click answer URL in a campaign's messages, with ``RECIPIENT_TOKEN``."""
    survey = mail_survey_token(campaign_id, survey_id)
    return tuple((score, _absolute("survey", survey=survey, score=str(score))) for score in scores)


def survey_link(survey_id: int, contact_id: int | None = None) -> str:
    """The absolute URL of a survey's public page; personal (tied to the contact) with one."""
    path = reverse("surveys:page", kwargs={"token": survey_token(survey_id)})
    url = settings.WAGTAILADMIN_BASE_URL.rstrip("/") + path
    return f"{url}?c={survey_contact_token(contact_id)}" if contact_id is not None else url


def personalise_url(url: str, token: str) -> str:
    """A tracked URL with the recipient's delivery token in place of the placeholder."""
    return url.replace(RECIPIENT_TOKEN, token)


def _absolute(name: str, token: str = RECIPIENT_TOKEN, **kwargs: str) -> str:
    path = reverse(f"tracking:{name}", kwargs={"token": token, **kwargs})
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
        web_version_url=_absolute("web_version", token=WEB_VERSION_TOKEN),
    )
