"""Extra actions in a snippet editor's header, each shown to users holding its permissions."""

from __future__ import annotations

from django.urls import reverse
from django.utils.functional import cached_property
from wagtail.admin.widgets.button import Button


class HeaderActionsMixin:
    """For a snippet ``EditView``: ``ACTIONS`` lists (url name, label, icon, permissions),
    the permissions being codenames of the ``campaigns`` app (one, or a tuple of all needed);
    ``URL_NAMESPACE`` is the viewset's URL namespace."""

    ACTIONS: list[tuple[str, str, str, str | tuple[str, ...]]] = []
    URL_NAMESPACE = ""

    def action_shown(self, name: str) -> bool:
        """Whether action ``name`` fits the object's state; every action by default."""
        return True

    @cached_property
    def header_more_buttons(self):
        buttons = list(super().header_more_buttons)
        for priority, (name, label, icon, permissions) in enumerate(self.ACTIONS):
            if not self.action_shown(name):
                continue
            codes = (permissions,) if isinstance(permissions, str) else permissions
            if self.request.user.has_perms([f"campaigns.{code}" for code in codes]):
                buttons.append(
                    Button(
                        label,
                        url=reverse(f"{self.URL_NAMESPACE}:{name}", args=(self.object.pk,)),
                        icon_name=icon,
                        priority=20 + priority,
                    )
                )
        return buttons
