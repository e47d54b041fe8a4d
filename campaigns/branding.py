"""Reads of the sender's brand settings (``BrandSettings``) for mails and public pages.

Mail goes out from workers without a request, so it reads the default site's settings;
public pages read those of the site the request came to. Reads never create the settings
row: nothing configured yet reads as empty, and every consumer leaves out what is empty.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from wagtail.models import Site

from channels import base as contract

from .models import BrandSettings

LOGO_RENDITION = "max-400x120"


def _default_site() -> Site | None:
    return Site.objects.filter(is_default_site=True).first() or Site.objects.order_by("pk").first()


def brand_settings(*, request: HttpRequest | None = None) -> BrandSettings | None:
    """The brand settings of the request's site (without a request: the default site's)."""
    site = Site.find_for_request(request) if request is not None else _default_site()
    if site is None:
        return None
    return BrandSettings.objects.select_related("logo").filter(site=site).first()


def logo_url(brand: BrandSettings | None) -> str:
    """The logo's absolute URL, for mail clients as for browsers; "" without a logo."""
    if brand is None or brand.logo is None:
        return ""
    url = brand.logo.get_rendition(LOGO_RENDITION).url
    if url.startswith(("http://", "https://")):
        return url
    return settings.WAGTAILADMIN_BASE_URL.rstrip("/") + url


def brand_for(brand: BrandSettings | None, locale: str) -> contract.Brand:
    """The brand as a channel gets it, with the footer text in ``locale``."""
    if brand is None:
        return contract.Brand()
    return contract.Brand(
        company=brand.company_name,
        address=brand.postal_address.strip(),
        imprint_url=brand.imprint_url,
        privacy_url=brand.privacy_url,
        footer_text=brand.footer_text(locale).strip(),
        logo_url=logo_url(brand),
    )


def default_sender() -> str:
    """The From header of the hub's own mail: the brand's sender, else ``DEFAULT_FROM_EMAIL``."""
    brand = brand_settings()
    return (brand.sender if brand is not None else "") or settings.DEFAULT_FROM_EMAIL
