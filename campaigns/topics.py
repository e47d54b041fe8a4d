"""Newsletter topics: the keys campaigns name and contacts decline, a label per language.

``settings.HUB_NEWSLETTER_TOPICS`` maps each key to its labels by language code, e.g.
``{"products": {"de": "Produktneuheiten", "en": "Product news"}}``. Every language of
``settings.LANGUAGES`` needs a label; ``topics_check`` says at startup exactly which is
missing. A label is shown in the viewer's language (the admin user's, or the recipient's on
the preference page); the keys are what campaigns and contacts store.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import translation
from django.utils.functional import lazy


def topics_check() -> None:
    """Raise ImproperlyConfigured, naming the topic and language, for a malformed setting."""
    topics = settings.HUB_NEWSLETTER_TOPICS
    if not isinstance(topics, dict):
        raise ImproperlyConfigured(
            "HUB_NEWSLETTER_TOPICS must map each topic key to its labels by language, e.g. "
            '{"products": {"de": "Produktneuheiten", "en": "Product news"}}.'
        )
    languages = [code for code, _name in settings.LANGUAGES]
    for key, labels in topics.items():
        if not isinstance(key, str) or not key or len(key) > 50:
            raise ImproperlyConfigured(
                f"HUB_NEWSLETTER_TOPICS: the key {key!r} must be a text of 1 to 50 characters."
            )
        if not isinstance(labels, dict):
            raise ImproperlyConfigured(
                f"HUB_NEWSLETTER_TOPICS[{key!r}] must map languages to labels, e.g. "
                '{"de": "Produktneuheiten", "en": "Product news"}, '
                f"not {labels!r}."
            )
        missing = [code for code in languages if not str(labels.get(code, "")).strip()]
        if missing:
            raise ImproperlyConfigured(
                f"HUB_NEWSLETTER_TOPICS[{key!r}] has no label for {', '.join(missing)} "
                f"(every language of LANGUAGES needs one)."
            )


def topic_keys() -> list[str]:
    return list(settings.HUB_NEWSLETTER_TOPICS)


def topic_label(key: str, language: str | None = None) -> str:
    """A topic's label in ``language`` (default: the active one), else in LANGUAGE_CODE."""
    labels = settings.HUB_NEWSLETTER_TOPICS.get(key)
    if not labels:
        return key
    language = (language or translation.get_language() or settings.LANGUAGE_CODE)[:2]
    return labels.get(language) or labels.get(settings.LANGUAGE_CODE) or key


topic_label_lazy = lazy(topic_label, str)


def topic_choices() -> list[tuple[str, str]]:
    """(key, label) pairs for a form; each label in the language active when it is shown."""
    return [(key, topic_label_lazy(key)) for key in settings.HUB_NEWSLETTER_TOPICS]
