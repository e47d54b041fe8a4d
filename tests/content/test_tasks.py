import datetime

import pytest
import time_machine
from django.utils import timezone

from content.models import Product
from content.services import content_approve, content_submit
from content.tasks import publish_scheduled_content
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def approve_all(product, reviewers):
    for reviewer in reviewers:
        content_approve(obj=Product.objects.get(pk=product.pk), user=reviewer)


def test_approved_product_with_a_future_go_live_date_waits_for_it(editor, reviewers):
    go_live = timezone.now() + datetime.timedelta(days=2)
    product = ProductFactory(sku="LATER-1", go_live_at=go_live)
    content_submit(obj=product, user=editor)

    approve_all(product, reviewers)
    publish_scheduled_content.delay()

    assert not Product.objects.get(pk=product.pk).live


def test_scheduled_task_publishes_approved_content_when_its_date_comes(editor, reviewers):
    go_live = timezone.now() + datetime.timedelta(days=2)
    product = ProductFactory(sku="LATER-1", name="Neu", go_live_at=go_live)
    content_submit(obj=product, user=editor)
    approve_all(product, reviewers)

    with time_machine.travel(go_live + datetime.timedelta(minutes=1)):
        publish_scheduled_content.delay()

    live = Product.objects.get(pk=product.pk)
    assert live.live
    assert live.name == "Neu"


def test_scheduled_task_never_publishes_an_unapproved_draft(editor):
    go_live = timezone.now() + datetime.timedelta(days=2)
    product = ProductFactory(sku="DRAFT-1", go_live_at=go_live)
    content_submit(obj=product, user=editor)

    with time_machine.travel(go_live + datetime.timedelta(minutes=1)):
        publish_scheduled_content.delay()

    assert not Product.objects.get(pk=product.pk).live
