"""Print catalogues in the admin: the form, the history of runs with its downloads, a run's
problems and first pages, and who may see or do what."""

import pytest
from django.contrib.auth.models import Permission

from campaigns.models import Catalogue, CatalogueProblem
from tests.admin_flow import outcome
from tests.factories import CategoryFactory, ProductFactory, png_bytes, rich_text_json

from .admin_setup import PACKAGE, PDF, draft_catalogue, finished_run, open_run

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

BASE = "/admin/snippets/campaigns/catalogue"


@pytest.fixture(autouse=True)
def _own_media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


def catalogue_post(*, chapters=(), **fields) -> dict:
    data = {
        "title": "Produktkatalog Bauwerkzeuge 2027",
        "slug": "bau-2027",
        "subtitle": "",
        "language": "de",
        "cover_image": "",
        "intro_headline": "Werkzeug für die Baustelle",
        "intro": rich_text_json("Alles für den Rohbau."),
        "intro_phase": "",
        "roles": ["user", "decision_maker"],
        "profile": "screen",
        "layout": "pages",
        "price_basis": "none",
        "price_group": "",
        "show_lead_time": "on",
        "data_merge_encoding": "utf-16",
        "chapters-TOTAL_FORMS": str(len(chapters)),
        "chapters-INITIAL_FORMS": "0",
        "chapters-MIN_NUM_FORMS": "1",
        "chapters-MAX_NUM_FORMS": "1000",
    }
    for index, category in enumerate(chapters):
        data[f"chapters-{index}-category"] = str(category.pk)
        data[f"chapters-{index}-ORDER"] = str(index + 1)
        data[f"chapters-{index}-id"] = ""
    data.update(fields)
    return data


def test_campaign_managers_create_a_catalogue_with_its_chapters_in_order(client, campaign_manager):
    drills, saws = CategoryFactory(name="Bohrhämmer"), CategoryFactory(name="Sägen")
    client.force_login(campaign_manager)

    response = client.post(f"{BASE}/add/", catalogue_post(chapters=[saws, drills]))

    assert response.status_code == 302
    catalogue = Catalogue.objects.get(slug="bau-2027")
    assert [chapter.category for chapter in catalogue.chapters.all()] == [saws, drills]
    assert catalogue.roles == ["user", "decision_maker"]
    assert (catalogue.live, catalogue.is_approved) == (False, False)


def test_the_form_offers_the_roles_as_checkboxes_and_categories_as_a_list(client, campaign_manager):
    CategoryFactory(name="Bohrhämmer")
    client.force_login(campaign_manager)

    page = client.get(f"{BASE}/add/").content.decode()

    assert 'type="checkbox" name="roles" value="decision_maker"' in page
    assert "Bohrhämmer</option>" in page


def test_a_price_group_basis_without_a_group_is_an_error_on_the_group_field(
    client, campaign_manager
):
    client.force_login(campaign_manager)

    response = client.post(
        f"{BASE}/add/", catalogue_post(chapters=[CategoryFactory()], price_basis="group")
    )

    assert response.status_code == 200
    assert response.context["form"].errors["price_group"] == [
        "Name the price group whose prices the catalogue shows."
    ]
    assert not Catalogue.objects.exists()


def test_a_category_may_be_one_chapter_only(client, campaign_manager):
    drills = CategoryFactory(name="Bohrhämmer")
    client.force_login(campaign_manager)

    response = client.post(f"{BASE}/add/", catalogue_post(chapters=[drills, drills]))

    assert response.status_code == 200
    chapter_errors = [form.errors for form in response.context["form"].formsets["chapters"]]
    assert chapter_errors[1]["category"] == [
        "“Bohrhämmer” is a chapter already; each category is one chapter."
    ]
    assert not Catalogue.objects.exists()


def test_the_list_shows_language_profile_and_the_last_run(client, campaign_manager):
    catalogue = draft_catalogue()
    finished_run(catalogue)
    draft_catalogue(slug="leer", title="Noch nie erzeugt")
    client.force_login(campaign_manager)

    page = client.get(f"{BASE}/").content.decode()

    assert "Produktkatalog Bauwerkzeuge 2027" in page
    assert "Succeeded" in page
    assert "Never generated" in page
    assert "Screen (PDF/A-2b, links, small images)" in page


def test_the_edit_view_has_generate_and_history_buttons(client, campaign_manager):
    catalogue = draft_catalogue()
    client.force_login(campaign_manager)

    page = client.get(f"{BASE}/edit/{catalogue.pk}/").content.decode()

    assert f'href="{BASE}/{catalogue.pk}/generate/"' in page
    assert f'href="{BASE}/{catalogue.pk}/runs/"' in page


def test_the_history_lists_runs_with_their_downloads_and_the_open_run_with_its_progress(
    client, campaign_manager
):
    catalogue = draft_catalogue()
    done = finished_run(catalogue, roles=("decision_maker", "user"))
    CatalogueProblem.objects.create(run=done, sku="A-1", field="image", message="Kein Bild")
    running = open_run(catalogue, done=1, total=3)
    client.force_login(campaign_manager)

    page = client.get(f"{BASE}/{catalogue.pk}/runs/").content.decode()

    assert f'data-run="{done.pk}" data-status="succeeded"' in page
    assert f'data-run="{running.pk}" data-status="rendering"' in page
    assert "1 of 3 chapters" in page
    assert 'value="33"' in page  # the progress bar
    assert f'data-url="{BASE}/{catalogue.pk}/progress/"' in page
    for name in (
        "bau-2027.pdf",
        "bau-2027-decision_maker.pdf",
        "bau-2027-user.pdf",
        "bau-2027-indesign.zip",
    ):
        assert f'href="{BASE}/{catalogue.pk}/runs/{done.pk}/files/{name}"' in page
    assert "Version for Decision maker" in page
    assert 'data-problems="1"' in page


def test_the_progress_view_reports_the_open_run_as_json(client, campaign_manager):
    catalogue = draft_catalogue()
    finished_run(catalogue)
    running = open_run(catalogue, done=2, total=4)
    client.force_login(campaign_manager)

    state = client.get(f"{BASE}/{catalogue.pk}/progress/").json()["run"]

    assert state["run"] == running.pk
    assert (state["open"], state["chapters_done"], state["chapters_total"]) == (True, 2, 4)
    assert state["percent"] == 50


def test_a_download_streams_the_stored_pdf_as_an_attachment(client, campaign_manager):
    catalogue = draft_catalogue()
    run = finished_run(catalogue)
    client.force_login(campaign_manager)

    response = client.get(f"{BASE}/{catalogue.pk}/runs/{run.pk}/files/bau-2027.pdf")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="bau-2027.pdf"'
    assert response["Content-Length"] == str(len(PDF))
    assert b"".join(response.streaming_content) == PDF


def test_the_layout_studio_package_downloads_as_a_zip(client, campaign_manager):
    catalogue = draft_catalogue()
    run = finished_run(catalogue)
    client.force_login(campaign_manager)

    response = client.get(f"{BASE}/{catalogue.pk}/runs/{run.pk}/files/bau-2027-indesign.zip")

    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"] == 'attachment; filename="bau-2027-indesign.zip"'
    assert b"".join(response.streaming_content) == PACKAGE


def test_a_file_the_run_does_not_list_is_not_served(client, campaign_manager):
    catalogue = draft_catalogue()
    run = finished_run(catalogue)
    other = finished_run(draft_catalogue(slug="anders"))
    client.force_login(campaign_manager)

    unknown = client.get(f"{BASE}/{catalogue.pk}/runs/{run.pk}/files/secret.pdf")
    foreign = client.get(f"{BASE}/{catalogue.pk}/runs/{other.pk}/files/anders.pdf")

    assert (unknown.status_code, foreign.status_code) == (404, 404)


def test_the_run_shows_its_first_pages_and_each_streams_as_a_png(client, campaign_manager):
    catalogue = draft_catalogue()
    run = finished_run(catalogue, previews=2)
    client.force_login(campaign_manager)

    page = client.get(f"{BASE}/{catalogue.pk}/runs/{run.pk}/").content.decode()
    image = client.get(f"{BASE}/{catalogue.pk}/runs/{run.pk}/previews/1.png")
    missing = client.get(f"{BASE}/{catalogue.pk}/runs/{run.pk}/previews/2.png")

    assert f'src="{BASE}/{catalogue.pk}/runs/{run.pk}/previews/0.png"' in page
    assert f'src="{BASE}/{catalogue.pk}/runs/{run.pk}/previews/1.png"' in page
    assert image["Content-Type"] == "image/png"
    assert b"".join(image.streaming_content) == png_bytes(62, 80)
    assert missing.status_code == 404


def test_the_run_lists_its_problems_with_links_to_the_products(client, campaign_manager):
    catalogue = draft_catalogue()
    run = finished_run(catalogue)
    product = ProductFactory(sku="BH-100")
    CatalogueProblem.objects.create(
        run=run, sku="BH-100", product_id=product.pk, field="image", message="Bild fehlt"
    )
    CatalogueProblem.objects.create(run=run, field="chapter", message="Keine Produkte in Sägen")
    client.force_login(campaign_manager)

    page = client.get(f"{BASE}/{catalogue.pk}/runs/{run.pk}/").content.decode()

    assert f'<a href="/admin/snippets/content/product/edit/{product.pk}/">BH-100</a>' in page
    assert "Bild fehlt" in page
    assert "Keine Produkte in Sägen" in page
    assert f'href="{BASE}/{catalogue.pk}/runs/{run.pk}/files/bau-2027.pdf"' in page


# Pages refuse as the admin does (to the dashboard, with its permission message); files,
# JSON and POSTs with a 403.
EXTRA_VIEWS = [
    ("get", "/{pk}/runs/", "page"),
    ("get", "/{pk}/runs/{run}/", "page"),
    ("get", "/{pk}/generate/", "page"),
    ("get", "/{pk}/progress/", 403),
    ("get", "/{pk}/runs/{run}/files/bau-2027.pdf", 403),
    ("get", "/{pk}/runs/{run}/previews/0.png", 403),
    ("post", "/{pk}/generate/queue/", 403),
]


@pytest.mark.parametrize(("method", "suffix", "refusal"), EXTRA_VIEWS)
def test_users_without_catalogue_permissions_are_refused_on_every_extra_view(
    client, editor, method, suffix, refusal
):
    catalogue = draft_catalogue()
    run = finished_run(catalogue)
    client.force_login(editor)

    response = getattr(client, method)(BASE + suffix.format(pk=catalogue.pk, run=run.pk))

    assert outcome(response) == "denied"
    if refusal == 403:
        assert response.status_code == 403
    assert catalogue.runs.count() == 1


@pytest.mark.parametrize(
    ("method", "suffix", "seen"),
    [
        ("get", "/{pk}/runs/", "ok"),
        ("get", "/{pk}/runs/{run}/files/bau-2027.pdf", "ok"),
        ("get", "/{pk}/generate/", "denied"),
        ("post", "/{pk}/generate/queue/", "denied"),
    ],
)
def test_who_may_see_runs_may_not_generate(client, make_user, method, suffix, seen):
    catalogue = draft_catalogue()
    run = finished_run(catalogue)
    viewer = make_user()
    viewer.user_permissions.add(
        *Permission.objects.filter(
            codename__in=["access_admin", "view_catalogue", "view_cataloguerun"]
        )
    )
    client.force_login(viewer)

    response = getattr(client, method)(BASE + suffix.format(pk=catalogue.pk, run=run.pk))

    assert outcome(response) == seen
    assert catalogue.runs.count() == 1


@pytest.mark.parametrize("codename", ["view_catalogue", "view_cataloguerun"])
def test_seeing_runs_takes_both_view_permissions(client, make_user, codename):
    catalogue = draft_catalogue()
    run = finished_run(catalogue)
    user = make_user()
    user.user_permissions.add(*Permission.objects.filter(codename__in=["access_admin", codename]))
    client.force_login(user)

    runs = client.get(f"{BASE}/{catalogue.pk}/runs/")
    download = client.get(f"{BASE}/{catalogue.pk}/runs/{run.pk}/files/bau-2027.pdf")

    assert (outcome(runs), download.status_code) == ("denied", 403)


def test_a_run_under_way_shows_its_progress_and_no_files_yet(client, campaign_manager):
    catalogue = draft_catalogue()
    running = open_run(catalogue, done=0, total=2)
    client.force_login(campaign_manager)

    page = client.get(f"{BASE}/{catalogue.pk}/runs/{running.pk}/").content.decode()

    assert "0 of 2 chapters" in page
    assert f'data-run="{running.pk}"' in page
    assert "data-downloads" not in page
    assert "data-previews" not in page


def test_a_failed_run_shows_its_error_in_the_history(client, campaign_manager):
    catalogue = draft_catalogue()
    failed = open_run(catalogue, done=1, total=2)
    failed.status, failed.error = "failed", "Part 2 did not validate."
    failed.save()
    client.force_login(campaign_manager)

    page = client.get(f"{BASE}/{catalogue.pk}/runs/").content.decode()

    assert f'data-run-error="{failed.pk}"' in page
    assert "Part 2 did not validate." in page
    assert "data-catalogue-progress" not in page  # nothing under way: the page stays still
