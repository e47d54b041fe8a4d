"""Form widgets for content."""

import json

from wagtail.admin.rich_text import DraftailRichTextArea


class RichTextArea(DraftailRichTextArea):
    """Wagtail's Draftail editor, reading an unreadable submission as empty.

    The editor always posts its JSON content state; anything else is a hand-made request.
    Reading it as empty gives a field error (or an empty text) instead of a server error.
    """

    def value_from_datadict(self, data, files, name):
        try:
            return super().value_from_datadict(data, files, name)
        except (json.JSONDecodeError, TypeError, KeyError, AttributeError):
            return None
