"""Reads of the newsletter topics (``NewsletterTopic``) for forms and checks.

A label is resolved when it is shown, so a form built before ``translation.override`` (the
preference page, rendered in the recipient's language) still shows the recipient's label.
"""

from __future__ import annotations

from django.utils.functional import lazy

from campaigns.models import NewsletterTopic


def topic_keys() -> list[str]:
    """The keys of all topics, in their order."""
    return list(NewsletterTopic.objects.values_list("key", flat=True))


def topic_choices() -> list[tuple[str, str]]:
    """(key, label) pairs for a form; each label in the language active when it is shown."""
    return [(topic.key, lazy(topic.label, str)()) for topic in NewsletterTopic.objects.all()]
