"""Every admin page of ours speaks one language: the user's.

The pages are found in the URL resolver (views of our apps and Wagtail views of our models:
snippet viewsets, settings, reports, the dashboard), not kept in a list, so a new page is
covered when it is registered. Each is rendered for a superuser whose Wagtail preferred
language is German, then English, and its visible text is compared against our catalogues:
a German page must not show the English of an entry we translate, an English page not the
German.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.admin.utils import quote
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import CharField, TextField
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from lxml import html
from wagtail.contrib.settings.registry import registry as settings_registry
from wagtail.models import Locale
from wagtail.users.models import UserProfile

from hub.demo.audience import AudienceSeeder
from hub.demo.brand import seed_brand
from hub.demo.campaigns import CampaignSeeder
from hub.demo.feeds import seed_etim_features, seed_feeds
from hub.demo.print_catalogue import seed_print_catalogue
from hub.demo.quiet import quiet_seeding
from hub.demo.users import CAMPAIGN_APPROVERS, DEMO_USERS, seed_users
from hub.demo.webshop import seed_webshop
from tests import factories
from tests.catalogues import translated_pairs

OUR_APPS = ("campaigns", "channels", "content", "hub", "core")

# Pages whose URL takes more than one object's id are skipped: a revision to view, compare or
# revert to, a workflow task's action or preview, a catalogue run's page, file or preview,
# a campaign's state action (a POST). Their text comes from Wagtail's templates or from the
# pages rendered here (the history, the catalogue's run list). A one-id page whose model has
# no row after seeding is skipped too (see admin_pages' second answer).
UNFILLABLE = {"revision_id", "revision_id_a", "revision_id_b", "task_state_id", "site_pk"}

# Single words are matched against whole text nodes only ("Name" in a sentence is no
# proof); longer entries against whole words inside any text.
PLACEHOLDER = re.compile(r"%\([^)]*\)[sdifr]|%[sdifr]|\{[a-z_]*\}")
TAG = re.compile(r"<[^>]+>")
TEXT_NODES = "//text()[not(ancestor::script) and not(ancestor::style)]"
# Wagtail's header hard-codes a screen-reader-only submit button "Search" (not ours).
ATTRIBUTES = (
    "//@title | //@placeholder | //@aria-label"
    " | //input[(@type='submit' or @type='button')"
    " and not(ancestor::*[contains(@class, 'w-sr-only')])]/@value"
)


@dataclass(frozen=True)
class Needles:
    """What must not appear on a page of the other language."""

    whole: set[str]  # single words: whole text nodes
    inside: re.Pattern | None  # longer entries: whole words inside any text


def _normalise(text: str) -> str:
    return " ".join(text.split()).rstrip(":*").strip()


def _needles(texts: list[str]) -> Needles:
    whole, patterns = set(), []
    # Language names are shown as their own (settings.LANGUAGES: "Deutsch", "English"), as
    # language pickers do, whatever the admin's language.
    # "None" is also how Wagtail shows an empty value (read-only fields, inspect views).
    skip = {name for _code, name in settings.LANGUAGES} | {"None"}
    for text in texts:
        if text in skip:
            continue
        plain = _normalise(TAG.sub(" ", text.replace("%%", "%")))
        if TAG.search(text) or len(re.sub(r"[^A-Za-zÄÖÜäöüß]", "", PLACEHOLDER.sub("", plain))) < 4:
            continue  # markup spans several text nodes; too little text to mean anything
        if " " not in plain and not PLACEHOLDER.search(plain):
            whole.add(plain)
            continue
        parts = PLACEHOLDER.split(plain)
        pattern = r"[^\n]{1,40}?".join(re.escape(part) for part in parts)
        patterns.append(pattern)
    patterns.sort(key=len, reverse=True)
    inside = re.compile(r"(?<!\w)(?:" + "|".join(patterns) + r")(?!\w)") if patterns else None
    return Needles(whole, inside)


def _visible_texts(content: bytes) -> list[str]:
    document = html.fromstring(content)
    texts = [_normalise(text) for text in document.xpath(TEXT_NODES)]
    texts += [_normalise(value) for value in document.xpath(ATTRIBUTES)]
    return [text for text in texts if text]


def _foreign(texts: list[str], needles: Needles, data: str) -> set[str]:
    """What of the other language a page shows, leaving out what is the rows' own text (a
    German segment name on an English page is data, not a string of ours)."""
    found = {text for text in texts if text in needles.whole}
    if needles.inside is not None:
        found |= {match.group(0) for match in needles.inside.finditer("\n".join(texts))}
    return {text for text in found if text not in data}


def _data_texts() -> str:
    """Every text value of our models' rows, one per line."""
    values = []
    for model in apps.get_models():
        if model._meta.app_label not in OUR_APPS:
            continue
        fields = [
            field.name
            for field in model._meta.concrete_fields
            if isinstance(field, (CharField, TextField)) and not field.choices
        ]
        if fields:
            for row in model._default_manager.values_list(*fields):
                values += [_normalise(str(value)) for value in row if value]
    return "\n".join(values)


# --- the pages ------------------------------------------------------------------------------


def _walk(patterns, prefix="", namespace="", model=None):
    """(URL prefix, namespaced name, pattern, model); a viewset's own views (a campaign's
    schedule page) take the model of the viewset's other views."""
    model = next(
        (
            found
            for entry in patterns
            if isinstance(entry, URLPattern)
            if (found := _model_of(entry.callback))
        ),
        model,
    )
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), inner, model)
        elif isinstance(entry, URLPattern) and entry.name:
            yield prefix, f"{namespace}{entry.name}", entry, _model_of(entry.callback) or model


def _model_of(callback):
    kwargs = getattr(callback, "view_initkwargs", {}) or {}
    view_class = getattr(callback, "view_class", None)
    model = kwargs.get("model") or getattr(view_class, "model", None)
    return model if isinstance(model, type) else None


def _is_ours(callback, model) -> bool:
    if model is not None:
        return model._meta.app_label in OUR_APPS
    view = getattr(callback, "view_class", None) or callback
    return view.__module__.split(".")[0] in OUR_APPS


def admin_pages() -> tuple[list[str], list[str]]:
    """The URLs of our admin pages, and the named ones skipped (with the reason)."""
    pages, skipped = [reverse("wagtailadmin_home")], []
    our_settings = [model for model in settings_registry if model._meta.app_label in OUR_APPS]
    for prefix, name, pattern, model in _walk(get_resolver().url_patterns):
        if not prefix.startswith("admin/"):
            continue
        params = set(pattern.pattern.regex.groupindex)
        if params == {"app_name", "model_name"}:  # Wagtail's settings editor
            pages += [
                reverse(
                    name, kwargs={"app_name": m._meta.app_label, "model_name": m._meta.model_name}
                )
                for m in our_settings
            ]
            continue
        if not _is_ours(pattern.callback, model) or name.endswith("results"):
            continue  # a listing's "results" partial shows the rows its index page shows
        if not params:
            pages.append(reverse(name))
        elif len(params) == 1 and not params & UNFILLABLE and model is not None:
            first = model._default_manager.order_by("pk").first()
            if first is None:
                skipped.append(f"{name}: no {model._meta.label} row")
                continue
            pages.append(reverse(name, kwargs={params.pop(): quote(first.pk)}))
        else:
            skipped.append(f"{name}: parameters {sorted(params)}")
    return sorted(set(pages)), skipped


# --- data, so listings have rows ------------------------------------------------------------


@pytest.fixture(scope="module")
def superuser(django_db_setup, django_db_blocker):
    """Some rows of each of our models an admin page lists or edits; rolled back afterwards."""
    with django_db_blocker.unblock(), transaction.atomic():
        user = factories.UserFactory(is_superuser=True, is_staff=True)
        with quiet_seeding(verbose=False):
            _seed()
        yield user
        transaction.set_rollback(True)


def _seed():
    """The demo's audience, campaigns, feeds, catalogue and webshop over a few products
    (the demo's own products take a minute to make)."""
    created, now = Counter(), timezone.now()
    # Groups and locales come from migrations; a transactional test run before this module
    # in the same process may have flushed them.
    for name in {spec.group for spec in DEMO_USERS if spec.group}:
        Group.objects.get_or_create(name=name)
    for code, _name in settings.LANGUAGES:
        Locale.objects.get_or_create(language_code=code)
    users = seed_users(created)
    approvers = [users[username] for username in CAMPAIGN_APPROVERS]
    seed_brand(created)
    seed_etim_features(created)
    AudienceSeeder(now=now).run()
    CampaignSeeder(manager=users["campaigns"], approvers=approvers, now=now).run()
    seed_feeds(now=now, created=created)
    seed_print_catalogue(manager=users["campaigns"], approvers=approvers, created=created)
    seed_webshop(manager=users["campaigns"], approvers=approvers, now=now, created=created)
    factories.ProductFactory(with_image=True)
    factories.ProductFeatureFactory()
    factories.AudienceMessageFactory()
    factories.CategoryFactory()
    for _ in range(2):
        factories.OrderLineFactory()
        factories.EventFactory()
        factories.DeliveryFactory()
    factories.SegmentFactory()


def _client(user, language: str) -> Client:
    profile = UserProfile.get_for_user(user)
    profile.preferred_language = language
    profile.save()
    client = Client()
    client.force_login(user)
    return client


def _render_all(client, pages):
    """(URL, visible texts) of each page that renders; a chooser's HTML comes inside JSON."""
    for url in pages:
        response = client.get(url, follow=True)
        if response.status_code != 200:
            continue
        if response["Content-Type"].startswith("text/html"):
            yield url, _visible_texts(response.content)
        elif response["Content-Type"].startswith("application/json"):
            body = response.json()
            if isinstance(body, dict) and body.get("html"):
                yield url, _visible_texts(body["html"].encode())


@pytest.fixture(scope="module")
def pages(superuser, django_db_blocker):
    with django_db_blocker.unblock():
        found, _skipped = admin_pages()
    return found


# --- the tests -----------------------------------------------------------------------------

# Both tests are marked django_db, so pytest-django runs them with the other database tests,
# before any transactional test flushes what migrations made (the approval workflows).


@pytest.mark.django_db
def test_the_language_test_covers_our_admin_pages_and_catalogue(pages):
    assert len(pages) >= 60, pages
    assert len(translated_pairs()) >= 1000


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "other_side"), [("de", 0), ("en", 1)], ids=["german", "english"]
)
def test_no_admin_page_of_ours_shows_the_other_language(superuser, pages, language, other_side):
    needles = _needles([pair[other_side] for pair in translated_pairs()])
    data = _data_texts()
    client = _client(superuser, language)

    rendered = dict(_render_all(client, pages))
    mixed = {
        url: sorted(foreign)
        for url, texts in rendered.items()
        if (foreign := _foreign(texts, needles, data))
    }

    assert len(rendered) >= 150, sorted(set(pages) - set(rendered))
    assert mixed == {}
