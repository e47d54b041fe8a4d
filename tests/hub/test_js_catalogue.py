"""The apps' JavaScript strings reach the browser in the user's admin language."""

import pytest
from django.urls import reverse
from wagtail.users.models import UserProfile

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _admin_client(client, language):
    user = UserFactory(is_superuser=True, is_staff=True)
    profile = UserProfile.get_for_user(user)
    profile.preferred_language = language
    profile.save()
    client.force_login(user)
    return client


def test_every_admin_page_loads_the_catalogue_from_the_hub_itself(client):
    admin = _admin_client(client, "de")

    page = admin.get(reverse("wagtailadmin_home")).content.decode()

    assert f'<script src="{reverse("hub_javascript_catalog")}"></script>' in page


def test_the_segment_editor_strings_come_in_german_for_a_german_user(client):
    admin = _admin_client(client, "de")

    catalogue = admin.get(reverse("hub_javascript_catalog")).content.decode()

    assert '"+ Condition": "+ Bedingung"' in catalogue
    assert '"Remove group": "Gruppe entfernen"' in catalogue


def test_the_catalogue_is_empty_of_german_for_an_english_user(client):
    admin = _admin_client(client, "en")

    catalogue = admin.get(reverse("hub_javascript_catalog")).content.decode()

    assert "Bedingung" not in catalogue


def test_the_sign_in_page_loads_the_catalogue_as_javascript_without_a_sign_in(client):
    page = client.get(reverse("wagtailadmin_login")).content.decode()

    response = client.get(reverse("hub_javascript_catalog"))

    assert f'<script src="{reverse("hub_javascript_catalog")}"></script>' in page
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
