"""``{% public_brand as brand %}``: the sender's brand on the public pages a recipient reaches.

A tag rather than a context processor, so only the public pages read the settings, and each
of their views (tracking, consent, surveys) gets them without passing them on.
"""

from __future__ import annotations

from dataclasses import dataclass

from django import template

from campaigns.branding import LOGO_RENDITION, brand_settings

register = template.Library()


@dataclass(frozen=True)
class PublicBrand:
    company: str = ""
    logo_url: str = ""
    imprint_url: str = ""
    privacy_url: str = ""


@register.simple_tag(takes_context=True)
def public_brand(context) -> PublicBrand:
    brand = brand_settings(request=context.get("request"))
    if brand is None:
        return PublicBrand()
    logo = brand.logo.get_rendition(LOGO_RENDITION).url if brand.logo is not None else ""
    return PublicBrand(
        company=brand.company_name,
        logo_url=logo,
        imprint_url=brand.imprint_url,
        privacy_url=brand.privacy_url,
    )
