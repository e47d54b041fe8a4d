import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def fresh_cache():
    """Rendered placements and the content version live in the cache, which outlives a
    test's database transaction (and ids are reused after a rollback)."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def withdraw(marketing_approver):
    """Withdraw (unpublish) a live item the way a marketing approver does, in the admin."""
    from django.test import Client
    from django.urls import reverse

    admin = Client()
    admin.force_login(marketing_approver)

    def withdraw_(obj):
        url_name = f"wagtailsnippets_content_{obj._meta.model_name}:unpublish"
        response = admin.post(reverse(url_name, args=(obj.pk,)))
        assert response.status_code == 302
        obj = type(obj).objects.get(pk=obj.pk)
        assert not obj.live
        return obj

    return withdraw_


@pytest.fixture
def approved(campaign_manager, approvers):
    """Takes a campaign or a placement through the "Campaign approval" workflow."""
    from content.services import content_approve, content_submit

    def approve_(obj):
        content_submit(obj=obj, user=campaign_manager)
        for approver in approvers:
            content_approve(obj=type(obj).objects.get(pk=obj.pk), user=approver)
        return type(obj).objects.get(pk=obj.pk)

    return approve_
