"""Helpers for tests that drive the admin's snippet views: URLs, outcomes, workflow steps."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, nullcontext

from django.conf import settings
from django.contrib.messages import get_messages
from django.db import models
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape
from wagtail.models import ModelLogEntry, Revision, TaskState

from content.models import AudienceMessage, ContentModel, Product
from content.services import content_approve, content_save_draft, content_submit
from tests.factories import AudienceMessageFactory, ProductFactory

# The review steps of the "Content approval" workflow, in order, with the group of each.
STEPS = (
    ("Product data review", "Product data reviewers"),
    ("Legal review", "Legal reviewers"),
    ("Marketing approval", "Marketing approvers"),
)

MODELS = {"product": Product, "message": AudienceMessage}


def admin_url(model: str, name: str, *args, **kwargs) -> str:
    """The URL of a snippet view, e.g. ``admin_url("product", "edit", pk)``."""
    return reverse(
        f"wagtailsnippets_content_{MODELS[model]._meta.model_name}:{name}",
        args=args or None,
        kwargs=kwargs or None,
    )


def outcome(response) -> str:
    """What the user sees, in one word.

    ``ok``: the page (200). ``login``: sent to the login form. ``denied``: sent to the
    dashboard with Wagtail's permission error, or a 403. ``missing``: 404. ``redirect``: any
    other redirect (a form that was accepted).
    """
    if response.status_code == 200:
        return "ok"
    if response.status_code == 403:
        return "denied"
    if response.status_code == 404:
        return "missing"
    if response.status_code == 302:
        if response.url.startswith(reverse("wagtailadmin_login")):
            return "login"
        # Wagtail's permission_denied(): back to the dashboard with its error message.
        if response.url == reverse("wagtailadmin_home") and error_messages(response):
            assert_permission_denied(response)
            return "denied"
        return "redirect"
    return f"status {response.status_code}"


# wagtail/admin/auth.py permission_denied(); translated into the user's admin language.
PERMISSION_DENIED = "Sorry, you do not have permission to access this area."


def permission_denied_texts() -> set[str]:
    texts = set()
    for code, _name in [*settings.LANGUAGES, *settings.WAGTAILADMIN_PERMITTED_LANGUAGES]:
        with translation.override(code):
            texts.add(translation.gettext(PERMISSION_DENIED))
    return texts


def assert_permission_denied(response) -> None:
    """``response`` is Wagtail's refusal: to the dashboard, where its message is shown.

    Follows the redirect with the same client, as the browser would, and finds Wagtail's
    permission-denied message (in any admin language) on the page the user lands on.
    """
    assert response.status_code == 302, response.status_code
    assert response.url == reverse("wagtailadmin_home"), response.url
    texts = permission_denied_texts()
    # Wagtail renders its messages through a template: the text, in white space.
    assert {message.strip() for message in error_messages(response)} & texts, error_messages(
        response
    )
    landing = response.client.get(response.url)
    assert landing.status_code == 200
    page = landing.content.decode()
    assert any(escape(text) in page for text in texts), "permission message not shown"


def _state(things) -> list:
    """Row counts of model classes and stored field values of model instances."""
    state = []
    for thing in things:
        if isinstance(thing, type) and issubclass(thing, models.Model):
            state.append((thing.__name__, thing._default_manager.count()))
        else:
            row = type(thing)._default_manager.filter(pk=thing.pk).values().first()
            state.append((f"{type(thing).__name__} {thing.pk}", row))
    return state


@contextmanager
def unchanged(*things) -> Iterator[None]:
    """Assert that the block changes none of ``things``: model classes (their row counts)
    and instances (every stored field). Revisions and audit-log entries are always checked.
    """
    watched = (*things, Revision, ModelLogEntry)
    before = _state(watched)
    yield
    assert _state(watched) == before


def unchanged_unless(allowed: bool, *things):
    """``unchanged(*things)`` for a request that must be refused; no check when allowed."""
    return nullcontext() if allowed else unchanged(*things)


def error_messages(response) -> list[str]:
    return [
        str(message)
        for message in get_messages(response.wsgi_request)
        if message.level_tag == "error"
    ]


def make_draft(model: str, user, **fields) -> ContentModel:
    """A saved draft with one revision, as the admin or content_save_draft leaves it."""
    factory = ProductFactory if model == "product" else AudienceMessageFactory
    obj = factory.build(**fields)
    content_save_draft(obj=obj, user=user)
    return obj


def make_live(model: str, user, **fields) -> ContentModel:
    """A live item, published directly (as a superuser could)."""
    obj = make_draft(model, user, **fields)
    obj.get_latest_revision().publish(user=user, skip_permission_checks=True)
    return reload(obj)


def reload(obj: ContentModel) -> ContentModel:
    return type(obj).objects.get(pk=obj.pk)


def submit_and_approve(obj: ContentModel, editor, reviewers, steps: int) -> ContentModel:
    """Submit ``obj`` and approve its first ``steps`` review steps through the services."""
    content_submit(obj=obj, user=editor)
    for reviewer in reviewers[:steps]:
        content_approve(obj=reload(obj), user=reviewer)
    return reload(obj)


def current_task_state(obj: ContentModel) -> TaskState:
    return reload(obj).current_workflow_task_state


def log_actions(obj: ContentModel) -> list[str]:
    """The audit log of ``obj``, oldest first, as action names."""
    return list(
        ModelLogEntry.objects.for_instance(obj)
        .order_by("timestamp", "pk")
        .values_list("action", flat=True)
    )


def model_key(obj: ContentModel) -> str:
    return "product" if isinstance(obj, Product) else "message"


def workflow_action(client, obj: ContentModel, action: str, **data: str):
    """POST a workflow action on the current step, as the admin's modal does."""
    task_state = current_task_state(obj)
    return client.post(
        admin_url(model_key(obj), "workflow_action", obj.pk, action, task_state.pk), data
    )
