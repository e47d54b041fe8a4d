"""The Jinja2 environments of the channels' templates: one per template folder and process."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import jinja2
from django.conf import settings


@cache
def template_environment(folder: str) -> jinja2.Environment:
    """The environment for ``templates/<folder>/``: autoescaped, strict about undefined
    names, templates compiled once (no reload)."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(settings.BASE_DIR) / "templates" / folder),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
