import pytest
from django.urls import reverse
from wagtail.models import ModelLogEntry

from content.models import AudienceMessage, Product
from content.services import content_approve, content_submit
from tests.factories import AudienceMessageFactory, ProductFactory

pytestmark = pytest.mark.django_db


def approved(obj, editor, reviewers):
    content_submit(obj=obj, user=editor)
    for reviewer in reviewers:
        content_approve(obj=type(obj).objects.get(pk=obj.pk), user=reviewer)
    obj = type(obj).objects.get(pk=obj.pk)
    assert obj.live
    return obj


@pytest.fixture
def live_product(editor, reviewers):
    return approved(ProductFactory(sku="LIVE-1"), editor, reviewers)


def test_marketing_approver_withdraws_a_live_product(client, marketing_approver, live_product):
    client.force_login(marketing_approver)

    response = client.post(
        reverse("wagtailsnippets_content_product:unpublish", args=(live_product.pk,))
    )

    assert response.status_code == 302
    assert not Product.objects.get(pk=live_product.pk).live
    assert ModelLogEntry.objects.filter(
        object_id=str(live_product.pk), action="wagtail.unpublish", user=marketing_approver
    ).exists()


def test_marketing_approver_withdraws_a_live_message(client, editor, reviewers, marketing_approver):
    message = approved(AudienceMessageFactory(), editor, reviewers)
    client.force_login(marketing_approver)

    client.post(reverse("wagtailsnippets_content_audiencemessage:unpublish", args=(message.pk,)))

    assert not AudienceMessage.objects.get(pk=message.pk).live


@pytest.mark.parametrize(
    "group",
    ["Editors", "Product data reviewers", "Legal reviewers", "Campaign managers"],
)
def test_other_groups_cannot_withdraw(client, make_user, live_product, group):
    client.force_login(make_user(group))

    client.post(reverse("wagtailsnippets_content_product:unpublish", args=(live_product.pk,)))

    assert Product.objects.get(pk=live_product.pk).live


def test_edit_view_offers_withdraw_to_the_marketing_approver(
    client, marketing_approver, live_product
):
    client.force_login(marketing_approver)

    response = client.get(reverse("wagtailsnippets_content_product:edit", args=(live_product.pk,)))

    unpublish_url = reverse("wagtailsnippets_content_product:unpublish", args=(live_product.pk,))
    assert unpublish_url in response.content.decode()


def test_edit_view_offers_no_withdraw_to_an_editor(client, editor, live_product):
    client.force_login(editor)

    response = client.get(reverse("wagtailsnippets_content_product:edit", args=(live_product.pk,)))

    unpublish_url = reverse("wagtailsnippets_content_product:unpublish", args=(live_product.pk,))
    assert unpublish_url not in response.content.decode()
