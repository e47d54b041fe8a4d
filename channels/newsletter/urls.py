"""Mail provider callbacks, mounted under /hooks/ses/ by hub.urls when a transport is SES."""

from django.urls import path

from .views import ses_notification_view

app_name = "ses"

urlpatterns = [
    path("", ses_notification_view, name="notifications"),
]
