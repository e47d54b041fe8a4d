"""The admin's search across the hub: products, messages, contacts, segments and campaigns.

Wagtail's only built-in search area searches pages, which this hub has none of, and shows it
only to users with a page permission; everyone but the superuser was sent to "you do not have
permission". This search covers the hub's own models, each only for users who may view it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import reduce
from operator import or_

from django.core.exceptions import PermissionDenied
from django.db.models import Model, Q
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms.search import SearchForm
from wagtail.admin.search import SearchArea

from campaigns.models import Campaign, Contact, Segment
from content.models import AudienceMessage, Product

# Rows shown per kind; the listing behind "all results" shows the rest.
RESULTS_PER_KIND = 10


@dataclass(frozen=True)
class SearchKind:
    """One kind of item the search covers: who may see it, what is searched, where it opens."""

    model: type[Model]
    label: str
    fields: tuple[str, ...]
    url_namespace: str
    list_view: str = "list"

    @property
    def permission(self) -> str:
        meta = self.model._meta
        return f"{meta.app_label}.view_{meta.model_name}"

    def visible_to(self, user) -> bool:
        # Change permission implies seeing the listing for snippets without view permission.
        meta = self.model._meta
        return user.has_perm(self.permission) or user.has_perm(
            f"{meta.app_label}.change_{meta.model_name}"
        )

    def matches(self, query: str):
        condition = reduce(or_, (Q(**{f"{field}__icontains": query}) for field in self.fields))
        return self.model._default_manager.filter(condition).order_by("-pk")

    def edit_url(self, pk) -> str:
        return reverse(f"{self.url_namespace}:edit", args=(pk,))

    def list_url(self) -> str:
        return reverse(f"{self.url_namespace}:{self.list_view}")


SEARCH_KINDS = (
    SearchKind(Product, _("Products"), ("name", "sku", "brand"), "wagtailsnippets_content_product"),
    SearchKind(
        AudienceMessage,
        _("Audience messages"),
        ("headline",),
        "wagtailsnippets_content_audiencemessage",
    ),
    SearchKind(
        Contact, _("Contacts"), ("email", "first_name", "last_name"), "contact", list_view="index"
    ),
    SearchKind(Segment, _("Segments"), ("name",), "segment", list_view="index"),
    SearchKind(Campaign, _("Campaigns"), ("name",), "wagtailsnippets_campaigns_campaign"),
)


@dataclass(frozen=True)
class SearchGroup:
    label: str
    hits: list[tuple[str, str]]  # (title, edit URL)
    count: int
    more_url: str


def kinds_for(user) -> list[SearchKind]:
    return [kind for kind in SEARCH_KINDS if kind.visible_to(user)]


def search_groups(user, query: str) -> list[SearchGroup]:
    """The user's matches per kind, at most ``RESULTS_PER_KIND`` each (two queries a kind)."""
    groups = []
    for kind in kinds_for(user):
        matches = kind.matches(query)
        rows = list(matches[:RESULTS_PER_KIND])
        count = len(rows) if len(rows) < RESULTS_PER_KIND else matches.count()
        groups.append(
            SearchGroup(
                label=kind.label,
                hits=[(str(row), kind.edit_url(row.pk)) for row in rows],
                count=count,
                more_url=f"{kind.list_url()}?{urlencode({'q': query})}",
            )
        )
    return groups


def admin_search_view(request):
    kinds = kinds_for(request.user)
    if not kinds:
        raise PermissionDenied
    form = SearchForm(request.GET or None)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    groups = search_groups(request.user, query) if query else []
    return TemplateResponse(
        request,
        "hub/admin_search.html",
        {
            "form": form,
            "query": query,
            "groups": groups,
            "kinds": kinds,
            "page_title": _("Search"),
        },
    )


class HubSearchArea(SearchArea):
    """The sidebar's search box: first in order, so the sidebar sends queries here."""

    def __init__(self):
        super().__init__(
            _("Products, messages, contacts, segments, campaigns"),
            reverse("hub_admin_search"),
            name="hub",
            icon_name="search",
            order=50,
        )

    def is_shown(self, request):
        return bool(kinds_for(request.user))
