"""Admin viewset shapes shared by the apps."""

from __future__ import annotations

from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.urls import path
from wagtail.admin.viewsets.model import ModelViewSet


class ReadOnlyViewSet(ModelViewSet):
    """An index and an inspect view, guarded by the view permission; nothing that writes.

    For facts the hub records (events, orders, webhook deliveries): no add, edit, copy,
    delete or history views exist, so nobody can change them through the admin.
    """

    copy_view_enabled = False
    inspect_view_enabled = True

    def get_common_view_kwargs(self, **kwargs):
        return super().get_common_view_kwargs(
            add_url_name=None,
            edit_url_name=None,
            delete_url_name=None,
            history_url_name=None,
            usage_url_name=None,
            **kwargs,
        )

    def get_permissions_to_register(self):
        content_type = ContentType.objects.get_for_model(self.model)
        return Permission.objects.filter(
            content_type=content_type, codename=f"view_{self.model._meta.model_name}"
        )

    def get_urlpatterns(self):
        return [
            path("", self.index_view, name="index"),
            path("results/", self.index_results_view, name="index_results"),
            path("inspect/<str:pk>/", self.inspect_view, name="inspect"),
        ]
