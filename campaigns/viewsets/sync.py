"""Where each scheduled sync (CRM, ERP files) stands: read-only, for operators and managers."""

from django.utils.translation import gettext_lazy as _
from wagtail.admin.ui.tables import Column, DateColumn

from campaigns.models import SyncState
from core.viewsets import ReadOnlyViewSet


def _error(state: SyncState) -> str:
    first_line = state.last_error.strip().splitlines()[0] if state.last_error.strip() else ""
    return first_line[:120]


class SyncStateViewSet(ReadOnlyViewSet):
    model = SyncState
    icon = "resubmit"
    menu_label = _("Syncs")
    list_display = [
        "backend",
        Column("cursor", label=_("Continue from")),
        DateColumn("last_run_at", label=_("Last run")),
        DateColumn("last_success_at", label=_("Last success")),
        Column("last_error", label=_("Last error"), accessor=_error),
    ]
    inspect_view_fields = [
        "backend",
        "cursor",
        "last_run_at",
        "last_success_at",
        "last_error",
        "stats",
    ]
