import ast
import io
from collections import Counter
from itertools import pairwise
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count, Max, Sum
from django.http import HttpRequest
from django.urls import reverse
from wagtail.documents.models import Document
from wagtail.images.models import Image
from wagtail.models import ModelLogEntry, Revision, TaskState, WorkflowState
from wagtail.users.models import UserProfile

from campaigns.models import (
    Account,
    BrandSettings,
    Campaign,
    CampaignArm,
    CampaignContent,
    CampaignDayStats,
    CampaignPlacement,
    ConsentRecord,
    Contact,
    Delivery,
    Event,
    Order,
    OrderCredit,
    OrderLine,
    PhaseChange,
    Placement,
    PlacementDefault,
    Segment,
    SegmentState,
    Suppression,
    TrackingHit,
)
from campaigns.selectors import segment_contacts
from channels.models import ApiClient
from content.models import (
    AudienceMessage,
    Category,
    Product,
    ProductDocument,
    ProductFeature,
    ProductImage,
    ProductRelation,
)
from content.taxonomy import BuyingRole, JourneyPhase
from content.validators import validate_gtin
from hub.demo.users import DEMO_LOGINS, DEMO_PASSWORD, DEMO_USERS

pytestmark = pytest.mark.django_db

REVIEW_STEPS = ("Product data review", "Legal review", "Marketing approval")
APPS = ("content", "campaigns", "channels", "core")

# What the demo held when it moved to hub/demo/ (issue 12), and the finished campaign of
# issue 13 with its raw rows: nothing may thin it out. Issue 15 added the print catalogue,
# approved through the workflow: one revision, one workflow state, two task states and
# the five log entries of its way through it.
DEMO_COUNTS = {
    "users": 7,
    "user profiles": 7,
    "categories": 8,
    "products": 110,
    "product features": 454,
    "product images": 140,
    "product documents": 85,
    # Issue 16: spare parts and accessories of two hydraulic products (and their translations).
    "product relations": 10,
    # Issue 17: the demo company's logo, and its brand and legal details.
    "images": 76,
    "brand settings": 1,
    "documents": 45,
    "messages": 41,
    "revisions": 161,
    "workflow states": 140,
    "task states": 390,
    "log entries": 790,
    "accounts": 40,
    "contacts": 149,
    "consent records": 268,
    "suppressions": 10,
    "orders": 133,
    "order lines": 270,
    "events": 1508,
    "phase changes": 364,
    "segments": 5,
    "campaigns": 4,
    "campaign contents": 8,
    # Issue 13: a finished campaign with arms A/B, a holdout, and what its recipients did.
    "campaign arms": 2,
    "deliveries": 113,
    "tracking hits": 104,
    "order credits": 38,
    # Issue 16: the demo shop's client, three slots with German and English defaults, a
    # webshop campaign filling two of them, and an account's re-orders and hydraulic pump.
    "API clients": 1,
    "placements": 3,
    "placement defaults": 6,
    "campaign placements": 4,
}


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """Seed once for the module; the outer transaction is rolled back afterwards."""
    with django_db_blocker.unblock(), transaction.atomic():
        output = io.StringIO()
        call_command("seed_demo", stdout=output)
        yield output.getvalue()
        transaction.set_rollback(True)


def _products(language_code: str):
    return Product.objects.filter(locale__language_code=language_code)


def _snapshot() -> dict:
    return {
        "users": get_user_model().objects.count(),
        "categories": Category.objects.count(),
        "products": Product.objects.count(),
        "last product change": Product.objects.aggregate(Max("updated_at")),
        "revisions": Revision.objects.count(),
        "workflow states": WorkflowState.objects.count(),
        "task states": TaskState.objects.count(),
        "log entries": ModelLogEntry.objects.count(),
        "images": Image.objects.count(),
        "documents": Document.objects.count(),
        "messages": AudienceMessage.objects.count(),
        "deliveries": Delivery.objects.count(),
        "tracking hits": TrackingHit.objects.count(),
        "events": Event.objects.count(),
        "orders": Order.objects.count(),
        "order credits": OrderCredit.objects.count(),
        "campaign figures": CampaignDayStats.objects.aggregate(
            *(Sum(name) for name in ("opens", "clicks", "unsubscribes", "conversions", "revenue"))
        ),
    }


def test_seeds_sixty_german_products_in_five_categories(seeded):
    german = _products("de")

    skus = list(german.values_list("sku", flat=True))

    assert len(skus) == 60
    assert len(set(skus)) == 60
    assert Category.objects.filter(parent=None).count() == 5
    assert all(count == 12 for count in Counter(sku[:6] for sku in skus).values())
    assert "Demo data: created" in seeded


def test_german_products_have_valid_identifiers_features_and_media(seeded):
    german = list(_products("de").prefetch_related("features", "images", "documents"))

    gtins = [product.gtin for product in german if product.gtin]

    for gtin in gtins:
        validate_gtin(gtin)
    assert 0 < len(gtins) < len(german)
    assert all(3 <= len(product.features.all()) <= 6 for product in german)
    assert all(product.long_text.startswith("<p>") for product in german)
    assert all(product.brand and product.manufacturer_part_number for product in german)
    with_images = [product for product in german if product.images.all()]
    assert 0 < len(with_images) < len(german)
    assert all(row.alt_text for product in with_images for row in product.images.all())
    assert 0 < sum(bool(product.documents.all()) for product in german) < len(german)
    assert any(product.price is None for product in german)


def test_most_products_have_an_english_translation_with_their_own_content(seeded):
    german = _products("de").get(sku="HW-ELW-0004")

    english = _products("en").get(sku="HW-ELW-0004")

    assert 40 <= _products("en").count() < 60
    assert english.translation_key == german.translation_key
    assert english.name.startswith("Angle grinder")
    assert [f.name for f in english.features.all()] == [
        "Rated input",
        "Disc diameter",
        "No-load speed",
        "Spindle thread",
        "Weight",
    ]
    assert [f.value for f in english.features.all()][-1] == "1.9"
    assert [f.value for f in german.features.all()][-1] == "1,9"
    assert [row.image_id for row in english.images.all()] == [
        row.image_id for row in german.images.all()
    ]
    assert english.images.first().alt_text.startswith("Product photo")
    assert list(english.categories.all()) == list(german.categories.all())
    assert english.price == german.price
    assert english.live
    assert english.live_revision.object_id == str(english.pk)


@pytest.mark.parametrize(("username", "password", "role"), DEMO_LOGINS)
def test_demo_user_logs_in_to_the_english_admin(seeded, client, username, password, role):
    user = get_user_model().objects.get(username=username)

    # django-axes counts sign-ins per request, so authenticate() needs one.
    logged_in = client.login(request=HttpRequest(), username=username, password=password)
    response = client.get("/admin/")

    assert logged_in
    assert password == DEMO_PASSWORD
    assert response.status_code == 200
    assert UserProfile.get_for_user(user).preferred_language == "en"
    assert user.email == f"{username}@example.com"


def test_there_is_one_demo_user_per_group_and_a_superuser(seeded):
    users = get_user_model().objects.filter(username__in=[spec.username for spec in DEMO_USERS])

    groups = {user.username: [group.name for group in user.groups.all()] for user in users}

    assert groups == {spec.username: [spec.group] if spec.group else [] for spec in DEMO_USERS}
    assert users.get(username="admin").is_superuser


def test_every_review_step_has_products_waiting(seeded):
    waiting = WorkflowState.objects.filter(status=WorkflowState.STATUS_IN_PROGRESS)

    steps = Counter(state.current_task_state.task.name for state in waiting)
    open_tasks = Counter(
        TaskState.objects.filter(status=TaskState.STATUS_IN_PROGRESS).values_list(
            "task__name", flat=True
        )
    )

    assert all(steps[step] >= 2 for step in REVIEW_STEPS)
    assert all(open_tasks[step] >= 2 for step in REVIEW_STEPS)
    waiting_products = [
        int(state.object_id) for state in waiting if state.content_type.model == "product"
    ]
    assert not Product.objects.filter(pk__in=waiting_products, live=True).exists()


def test_rejected_items_carry_the_reviewers_comment(seeded):
    rejected = TaskState.objects.filter(status=TaskState.STATUS_REJECTED)

    states = WorkflowState.objects.filter(status=WorkflowState.STATUS_NEEDS_CHANGES)

    assert rejected.count() >= 2
    assert all(task_state.comment.strip() for task_state in rejected)
    assert {task_state.task.name for task_state in rejected} >= set(REVIEW_STEPS[:2])
    assert states.count() == rejected.count()


def test_most_products_are_live_some_are_drafts_and_one_has_a_newer_draft(seeded):
    german = _products("de")

    edited = german.filter(live=True, has_unpublished_changes=True).first()
    drafts = german.filter(live=False).exclude(
        pk__in=[int(pk) for pk in WorkflowState.objects.values_list("object_id", flat=True)]
    )

    assert german.filter(live=True).count() > german.count() // 2
    assert drafts.exists()
    assert edited is not None
    assert edited.get_latest_revision_as_object().short_text != edited.short_text
    assert edited.live_revision != edited.latest_revision


def test_a_live_product_has_the_audit_trail_of_the_admin(seeded):
    product = _products("de").get(sku="HW-BEF-0001")

    actions = Counter(ModelLogEntry.objects.for_instance(product).values_list("action", flat=True))

    assert actions == {
        "wagtail.create": 1,
        "wagtail.workflow.start": 1,
        "wagtail.workflow.approve": 3,
        "wagtail.publish": 1,
    }
    assert product.revisions.count() == 1


def test_audience_messages_cover_every_role_and_phase_in_both_languages(seeded):
    live = AudienceMessage.objects.filter(live=True).select_related("product", "locale")

    slots = Counter(
        (
            message.product.translation_key if message.product else None,
            message.role,
            message.phase,
            message.locale_id,
        )
        for message in live
    )

    assert {message.role for message in live} >= set(BuyingRole.values)
    assert {message.phase for message in live} >= set(JourneyPhase.values)
    assert {message.locale.language_code for message in live} == {"de", "en"}
    assert any(message.product for message in live)
    assert all(
        message.product.locale_id == message.locale_id for message in live if message.product
    )
    assert max(slots.values()) == 1
    assert AudienceMessage.objects.filter(
        live=False, workflow_states__status=WorkflowState.STATUS_IN_PROGRESS
    ).exists()


def test_editor_sees_the_seeded_products_in_the_admin(seeded, client):
    edited = _products("de").filter(live=True, has_unpublished_changes=True).first()
    client.force_login(get_user_model().objects.get(username="editor"))

    listing = client.get("/admin/snippets/content/product/")
    editing = client.get(f"/admin/snippets/content/product/edit/{edited.pk}/")

    assert listing.status_code == 200
    assert editing.status_code == 200


def test_second_run_changes_nothing(seeded):
    before = _snapshot()
    output = io.StringIO()

    call_command("seed_demo", stdout=output)

    assert _snapshot() == before
    assert "nothing to do" in output.getvalue()


def test_logins_option_only_prints_the_logins(django_assert_num_queries):
    output = io.StringIO()

    with django_assert_num_queries(0):
        call_command("seed_demo", "--logins", stdout=output)

    assert all(username in output.getvalue() for username, _password, _role in DEMO_LOGINS)
    assert DEMO_PASSWORD in output.getvalue()


def test_the_demo_campaign_is_approved_and_ready_to_schedule_and_another_is_a_draft(seeded):
    from campaigns.models import Campaign, CampaignStatus
    from campaigns.services.campaigns import campaign_problems
    from hub.demo.campaigns import DEMO_CAMPAIGN, DEMO_DRAFT

    approved = Campaign.objects.get(name=DEMO_CAMPAIGN)
    draft = Campaign.objects.get(name=DEMO_DRAFT)

    assert (approved.status, approved.is_approved) == (CampaignStatus.APPROVED, True)
    assert campaign_problems(approved) == []
    assert (draft.status, draft.is_approved) == (CampaignStatus.DRAFT, False)


def test_the_demo_is_as_rich_as_before_it_moved(seeded):
    counts = {
        "users": get_user_model().objects.count(),
        "user profiles": UserProfile.objects.count(),
        "categories": Category.objects.count(),
        "products": Product.objects.count(),
        "product features": ProductFeature.objects.count(),
        "product images": ProductImage.objects.count(),
        "product documents": ProductDocument.objects.count(),
        "product relations": ProductRelation.objects.count(),
        "images": Image.objects.count(),
        "documents": Document.objects.count(),
        "messages": AudienceMessage.objects.count(),
        "revisions": Revision.objects.count(),
        "workflow states": WorkflowState.objects.count(),
        "task states": TaskState.objects.count(),
        "log entries": ModelLogEntry.objects.count(),
        "accounts": Account.objects.count(),
        "contacts": Contact.objects.count(),
        "consent records": ConsentRecord.objects.count(),
        "suppressions": Suppression.objects.count(),
        "orders": Order.objects.count(),
        "order lines": OrderLine.objects.count(),
        "events": Event.objects.count(),
        "phase changes": PhaseChange.objects.count(),
        "segments": Segment.objects.count(),
        "campaigns": Campaign.objects.count(),
        "campaign contents": CampaignContent.objects.count(),
        "campaign arms": CampaignArm.objects.count(),
        "deliveries": Delivery.objects.count(),
        "tracking hits": TrackingHit.objects.count(),
        "order credits": OrderCredit.objects.count(),
        "API clients": ApiClient.objects.count(),
        "placements": Placement.objects.count(),
        "placement defaults": PlacementDefault.objects.count(),
        "campaign placements": CampaignPlacement.objects.count(),
        "brand settings": BrandSettings.objects.count(),
    }

    assert counts == DEMO_COUNTS


def test_the_demo_segments_are_counted_from_the_segment_state_built_after_seeding(seeded):
    state = SegmentState.objects.get()
    segments = list(Segment.objects.order_by("name"))

    counts = {segment.name: segment.member_count for segment in segments}

    assert state.built_at is not None
    assert all(segment.member_bits is not None for segment in segments)
    # The same as the plain SQL evaluation of each segment at the moment the state was built.
    assert counts == {
        segment.name: segment_contacts(segment, now=state.built_at).count() for segment in segments
    }
    assert sum(counts.values()) > 0


def test_no_app_imports_the_demo():
    root = Path(__file__).resolve().parents[2]
    importers = []

    for app in APPS:
        for path in (root / app).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                names = []
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module:
                    names = [node.module]
                if any(name == "hub.demo" or name.startswith("hub.demo.") for name in names):
                    importers.append(str(path.relative_to(root)))

    assert importers == []


def _finished():
    from hub.demo.campaigns import DEMO_FINISHED

    return Campaign.objects.get(name=DEMO_FINISHED)


def test_the_finished_demo_campaign_went_to_two_arms_and_a_holdout(seeded):
    from campaigns.models import CampaignStatus

    campaign = _finished()

    arms = dict(
        Delivery.objects.filter(campaign=campaign).values_list("arm").annotate(n=Count("*"))
    )
    assert campaign.status == CampaignStatus.DONE
    assert {arm.label: arm.share for arm in campaign.arms.all()} == {"A": 45, "B": 45}
    assert campaign.holdout_percent == 10
    assert set(arms) == {"A", "B", "holdout"}
    assert abs(arms["A"] - arms["B"]) <= 1
    assert arms["holdout"] == round(sum(arms.values()) * 0.1)


def test_the_finished_demo_campaigns_figures_are_those_of_its_raw_rows(seeded):
    from campaigns.measurement.rebuild import campaign_results_rebuild

    campaign = _finished()
    hits = TrackingHit.objects.filter(delivery__campaign=campaign)
    figures = CampaignDayStats.objects.filter(campaign=campaign)
    before = sorted(figures.values_list("day", "arm", "opens", "clicks", "revenue"))

    campaign_results_rebuild(campaign.pk)

    assert sorted(figures.values_list("day", "arm", "opens", "clicks", "revenue")) == before
    totals = figures.aggregate(
        machine_opens=Sum("machine_opens"), clicks=Sum("clicks"), unsubscribes=Sum("unsubscribes")
    )
    assert totals["machine_opens"] == hits.filter(classification="apple_mpp").count() > 0
    assert totals["clicks"] == hits.filter(kind="click", classification="human").count() > 0
    assert totals["unsubscribes"] == 2
    assert OrderCredit.objects.filter(campaign=campaign, kind="attributed").exists()
    assert OrderCredit.objects.filter(campaign=campaign, kind="exposed", arm="holdout").exists()


def test_the_campaign_manager_sees_the_finished_demo_campaigns_results(seeded, client):
    campaign = _finished()
    client.force_login(get_user_model().objects.get(username="campaigns"))

    response = client.get(
        reverse("wagtailsnippets_campaigns_campaign:results", args=(campaign.pk,))
    )

    assert response.status_code == 200
    total = response.context["total"]
    assert total.human_opens > 0
    assert total.clicks > 0
    assert total.revenue > 0
    page = response.content.decode()
    assert response.context["ab"].verdicts
    assert "<ul data-ab-verdicts><li>" in page
    assert response.context["holdout"].difference is not None
    assert "Not enough data" not in response.context["holdout_verdict"]
    assert "data-holdout-verdict" in page


def test_the_demo_feeds_write_valid_files_and_explain_what_they_leave_out(
    seeded, tmp_path, settings
):
    from campaigns.feeds.runs import feed_generate
    from campaigns.models import Feed, FeedRefusal

    settings.MEDIA_ROOT = tmp_path
    feeds = {feed.channel: feed for feed in Feed.objects.all()}
    assert set(feeds) == {"google_merchant", "amazon", "bmecat"}

    runs = {channel: feed_generate(feed=feed) for channel, feed in feeds.items()}

    for channel, run in runs.items():
        assert (channel, run.status, run.error) == (channel, "succeeded", "")
        assert run.written > 0
        assert run.written + run.refused == run.candidates
    # The demo's thread sizes ("M8") are no ETIM value codes: BMEcat leaves them out, saying so.
    reasons = " ".join(
        " ".join(refusal.reasons) for refusal in FeedRefusal.objects.filter(run=runs["bmecat"])
    )
    assert "EF000213" in reasons


def test_the_demo_print_catalogue_is_approved_live_and_not_generated(seeded, client):
    from campaigns.models import Catalogue
    from hub.demo.print_catalogue import DEMO_PRINT_CATALOGUE

    catalogue = Catalogue.objects.get(slug=DEMO_PRINT_CATALOGUE["slug"])
    client.force_login(get_user_model().objects.get(username="campaigns"))

    listing = client.get(reverse("wagtailsnippets_campaigns_catalogue:list"))

    assert (catalogue.live, catalogue.is_approved, catalogue.language) == (True, True, "de")
    assert catalogue.roles == ["decision_maker", "user"]
    assert catalogue.profile == "screen"
    assert [chapter.category.slug for chapter in catalogue.chapters.all()] == [
        "elektrowerkzeuge",
        "handwerkzeuge",
        "befestigungstechnik",
    ]
    assert catalogue.current_workflow_state is None
    assert not catalogue.runs.exists()
    assert "Produktkatalog Bauwerkzeuge 2027" in listing.content.decode()
    assert "Never generated" in listing.content.decode()


def test_the_demo_shop_reads_content_with_the_token_the_logins_print(seeded, client):
    from hub.demo.users import DEMO_SHOP_TOKEN

    output = io.StringIO()
    call_command("seed_demo", "--logins", stdout=output)
    shop = ApiClient.objects.get(name="Demo shop")

    response = client.get("/api/v1/categories", HTTP_AUTHORIZATION=f"Bearer {DEMO_SHOP_TOKEN}")

    assert DEMO_SHOP_TOKEN in output.getvalue()
    assert response.status_code == 200
    assert shop.channel == "webshop"
    assert sorted(shop.scopes) == [
        "catalogue:read",
        "content:read",
        "placements:read",
        "visitors:write",
    ]
    assert shop.allowed_origins.splitlines() == ["http://localhost:8000", "http://127.0.0.1:8000"]


def test_the_demo_slots_are_approved_with_german_and_english_defaults(seeded):
    placements = Placement.objects.filter(channel="webshop").order_by("key")

    assert [placement.key for placement in placements] == [
        "cart.upsell",
        "home.hero",
        "product.cross_sell",
    ]
    for placement in placements:
        assert placement.is_approved
        languages = sorted(default.locale.language_code for default in placement.defaults.all())
        assert languages == ["de", "en"]


def test_the_demo_webshop_campaign_is_approved_scheduled_and_fills_two_slots(seeded):
    from campaigns.models import CampaignStatus
    from hub.demo.webshop import DEMO_SHOP_CAMPAIGN

    campaign = Campaign.objects.get(name=DEMO_SHOP_CAMPAIGN)
    rows = CampaignPlacement.objects.filter(campaign=campaign)

    assert (campaign.is_approved, campaign.status) == (True, CampaignStatus.SCHEDULED)
    assert campaign.channels == ["webshop"]
    assert campaign.segment is not None
    assert campaign.placements_until > campaign.send_at
    blocks = {
        (row.placement.key, row.locale.language_code): [block.block_type for block in row.body]
        for row in rows
    }
    assert blocks == {
        ("home.hero", "de"): ["teaser", "message", "products"],
        ("home.hero", "en"): ["teaser", "message", "products"],
        ("cart.upsell", "de"): ["offers"],
        ("cart.upsell", "en"): ["offers"],
    }


def test_a_demo_account_reorders_monthly_and_bought_a_pump_with_spare_parts(seeded):
    from hub.demo.webshop import HYDRAULIC_SKU, ORDER_PREFIX

    lines = OrderLine.objects.filter(order__external_id__startswith=ORDER_PREFIX).order_by(
        "order__ordered_at"
    )
    reorders = [line for line in lines if line.sku != HYDRAULIC_SKU]
    gaps = {
        (later.order.ordered_at - earlier.order.ordered_at).days
        for earlier, later in pairwise(reorders)
    }

    assert len({line.order.account_id for line in lines}) == 1
    assert len({line.sku for line in reorders}) == 1
    assert len(reorders) == 6
    assert gaps == {30}
    assert [line.sku for line in lines if line.sku == HYDRAULIC_SKU] == [HYDRAULIC_SKU]
    assert ProductRelation.objects.filter(product__sku=HYDRAULIC_SKU, kind="spare_part").exists()
