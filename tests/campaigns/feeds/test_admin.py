"""Feeds in the admin: creating one (with its secret URL shown once), runs and readiness,
"Generate now", "New secret URL", and who may do what."""

import re

import pytest

from campaigns.feeds.runs import feed_generate
from campaigns.models import Feed
from core.tokens import hash_token
from tests.factories import CategoryFactory, ProductFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

BASE = "/admin/snippets/campaigns/feed"


def feed_post(**fields) -> dict:
    data = {
        "name": "Marktplatz",
        "slug": "marktplatz",
        "channel": "fakefeed",
        "active": "on",
        "languages": "de",
        "price_group": "",
        "buyer_price_groups": "",
        "vat_rate": "19",
        "etim_release": "9.0",
        "schedule_minutes": "0",
        "options": '{"shop_name": "Hubwerk"}',
        "push_url": "",
        "push_host_key": "",
        "push_secret": "",
    }
    data.update(fields)
    return data


def secret_url(response) -> str:
    return re.search(r"<code data-url>([^<]+)</code>", response.content.decode()).group(1)


def test_integrators_create_a_feed_and_see_its_url_once(client, integrator, fake_feed_channel):
    client.force_login(integrator)
    category = CategoryFactory(slug="werkzeuge")

    response = client.post(f"{BASE}/add/", feed_post(category_slugs=[category.slug]))

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    url = secret_url(response)
    assert url.startswith("http://testserver/feeds/") and url.endswith("/feed.txt")
    feed = Feed.objects.get(slug="marktplatz")
    assert feed.category_slugs == ["werkzeuge"]
    assert feed.dirty_since is not None
    assert feed.token_hash == hash_token(url.split("/")[-2])
    ProductFactory(sku="A-1", live=True)
    feed_generate(feed=feed)
    assert client.get(url.removeprefix("http://testserver")).status_code == 200


def test_options_the_format_refuses_are_errors_on_the_options_field(
    client, integrator, fake_feed_channel
):
    client.force_login(integrator)

    response = client.post(f"{BASE}/add/", feed_post(options="{}"))

    assert response.status_code == 200
    assert response.context["form"].errors["options"] == ["shop_name: Shop name is required."]
    assert not Feed.objects.exists()


def test_only_feed_channels_are_offered_as_formats(client, integrator, fake_feed_channel):
    client.force_login(integrator)

    response = client.get(f"{BASE}/add/")

    choices = [key for key, _label in response.context["form"].fields["channel"].choices]
    assert choices == ["google_merchant", "amazon", "bmecat", "fakefeed", "fakefull"]


def test_an_unknown_language_is_refused(client, integrator, fake_feed_channel):
    client.force_login(integrator)

    response = client.post(f"{BASE}/add/", feed_post(languages="de, xx"))

    assert "languages" in response.context["form"].errors


def test_new_secret_url_revokes_the_old_one(client, integrator, make_feed):
    feed, old_token = make_feed()
    ProductFactory(sku="A-1", live=True)
    feed_generate(feed=feed)
    client.force_login(integrator)

    response = client.post(f"{BASE}/{feed.pk}/new-url/")

    new = secret_url(response).removeprefix("http://testserver")
    assert client.get(f"/feeds/{old_token}/feed.txt").status_code == 404
    assert client.get(new).status_code == 200


def test_generate_now_queues_a_run(
    client, integrator, make_feed, django_capture_on_commit_callbacks
):
    feed, _token = make_feed()
    ProductFactory(sku="A-1", live=True)
    client.force_login(integrator)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{BASE}/{feed.pk}/generate/")

    assert response.status_code == 302
    feed.refresh_from_db()
    assert feed.current_run.trigger == "manual"


def test_the_runs_page_shows_runs_errors_and_refused_products_with_links(
    client, integrator, make_feed, fake_feed_channel
):
    feed, _token = make_feed()
    ProductFactory(sku="A-1", live=True)
    incomplete = ProductFactory(sku="NO-GTIN", gtin="", live=True)
    feed_generate(feed=feed)
    fake_feed_channel(INVALID="Element 'item' is not expected.")
    failed = feed_generate(feed=feed)
    client.force_login(integrator)

    response = client.get(f"{BASE}/{feed.pk}/runs/")

    page = response.content.decode()
    assert response.status_code == 200
    assert f'data-run="{failed.pk}" data-status="failed"' in page
    assert "Element &#x27;item&#x27; is not expected." in page
    assert 'data-part="feed.txt"' in page
    assert 'data-refusal="NO-GTIN"' in page
    assert f'href="/admin/snippets/content/product/edit/{incomplete.pk}/"' in page
    assert "Missing: GTIN" in page


@pytest.mark.parametrize(
    ("method", "suffix"),
    [
        ("get", "/"),
        ("get", "/add/"),
        ("get", "/{pk}/runs/"),
        ("post", "/{pk}/generate/"),
        ("post", "/{pk}/new-url/"),
    ],
)
def test_users_without_feed_permissions_are_turned_away(client, editor, make_feed, method, suffix):
    feed, _token = make_feed()
    client.force_login(editor)

    response = getattr(client, method)(BASE + suffix.format(pk=feed.pk))

    assert response.status_code in (302, 403)
    if response.status_code == 302:
        assert response["Location"] == "/admin/"
    feed.refresh_from_db()
    assert feed.runs.count() == 0


def test_viewers_see_runs_but_may_not_act(client, make_user, make_feed):
    from django.contrib.auth.models import Permission

    feed, token = make_feed()
    viewer = make_user()
    viewer.user_permissions.add(
        Permission.objects.get(codename="access_admin"),
        Permission.objects.get(codename="view_feed"),
    )
    client.force_login(viewer)

    runs = client.get(f"{BASE}/{feed.pk}/runs/")
    renew = client.post(f"{BASE}/{feed.pk}/new-url/")

    assert runs.status_code == 200
    assert "data-new-url" not in runs.content.decode()
    assert renew.status_code in (302, 403)
    assert client.get(f"/feeds/{token}/feed.txt").status_code == 404  # no run yet, same token
    feed.refresh_from_db()
    assert Feed.objects.get(pk=feed.pk).token_hash == feed.token_hash


def test_editing_a_feed_keeps_its_url_and_checks_options_again(
    client, integrator, make_feed, fake_feed_channel
):
    feed, token = make_feed()
    ProductFactory(sku="A-1", live=True)
    feed_generate(feed=feed)
    client.force_login(integrator)
    assert client.get(f"{BASE}/edit/{feed.pk}/").status_code == 200

    refused = client.post(f"{BASE}/edit/{feed.pk}/", feed_post(slug="fake", options="{}"))
    saved = client.post(f"{BASE}/edit/{feed.pk}/", feed_post(slug="fake", name="Neu"))

    assert "options" in refused.context["form"].errors
    assert saved.status_code == 302
    feed.refresh_from_db()
    assert feed.name == "Neu"
    assert client.get(f"/feeds/{token}/feed.txt").status_code == 200


def test_generating_and_renewing_are_in_the_feeds_history(client, integrator, make_feed):
    from wagtail.models import ModelLogEntry

    feed, _token = make_feed()
    client.force_login(integrator)

    client.post(f"{BASE}/{feed.pk}/generate/", {"full": "1"})
    client.post(f"{BASE}/{feed.pk}/new-url/")

    actions = list(
        ModelLogEntry.objects.filter(object_id=str(feed.pk))
        .order_by("timestamp", "pk")
        .values_list("action", "user__username")
    )
    assert actions == [
        ("campaigns.feed.generate", "integrator"),
        ("campaigns.feed.new_url", "integrator"),
    ]


def test_the_list_shows_each_feeds_last_run(client, integrator, make_feed, fake_feed_channel):
    feed, _token = make_feed()
    ProductFactory(sku="A-1", live=True)
    feed_generate(feed=feed)
    fake_feed_channel(INVALID="broken")
    feed_generate(feed=feed)
    client.force_login(integrator)

    response = client.get(f"{BASE}/")

    assert response.status_code == 200
    row = re.search(r"Fake marketplace.*?</tr>", response.content.decode(), re.S).group(0)
    assert "Failed" in row
    assert f'href="{BASE}/{feed.pk}/runs/"' in row


def test_changing_what_the_file_says_makes_the_next_file_full(client, integrator, make_feed):
    feed, _token = make_feed(deltas=True)
    ProductFactory(sku="A-1", live=True)
    feed_generate(feed=feed)
    client.force_login(integrator)

    client.post(
        f"{BASE}/edit/{feed.pk}/",
        feed_post(slug="fake", deltas="on", options='{"shop_name": "Hubwerk AG"}'),
    )
    feed.refresh_from_db()
    first = feed_generate(feed=feed)
    second = feed_generate(feed=feed)

    assert first.kind == "full"
    assert second.kind == "delta"
