from django.conf import settings
from django.http import HttpResponse
from django.urls import include, path
from django.views.generic import RedirectView
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from campaigns import urls as consent_urls
from channels.newsletter.transports import ses_configured
from hub.accounts import ThrottledPasswordResetView
from hub.api import api
from hub.js_catalog import js_catalog_view
from hub.media import serve_media


def healthz(request):
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("api/v1/", api.urls),
    # Ahead of Wagtail's own route of the same path and name: the throttled form.
    path(
        "admin/password_reset/",
        ThrottledPasswordResetView.as_view(),
        name="wagtailadmin_password_reset",
    ),
    # Before the admin's own URLs, which ask for a sign-in: the sign-in page loads it too.
    path("admin/hub-jsi18n/", js_catalog_view, name="hub_javascript_catalog"),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("consent/", include(consent_urls)),
    path("t/", include("campaigns.tracking_urls")),
    path("s/", include("campaigns.survey_urls")),
    path("feeds/", include("campaigns.feed_urls")),
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
]

# SES reports bounces and complaints here. Where no mail goes out through SES nothing could,
# so the route does not exist rather than invite forged reports.
if ses_configured():
    urlpatterns.append(path("hooks/ses/", include("channels.newsletter.urls")))

# Local media files, each checked like the API checks content: nothing of an unapproved
# product, no import file. Never Django's unchecked static() serving, not even in DEBUG.
if settings.HUB_SERVE_MEDIA:
    urlpatterns.insert(
        0, path(f"{settings.MEDIA_URL.strip('/')}/<path:path>", serve_media, name="media")
    )
