"""Public consent pages (no login), mounted under /consent/ by hub.urls."""

from django.urls import path

from .views import consent_again_view, consent_confirm_view

app_name = "consent"

urlpatterns = [
    path("confirm/<str:token>/", consent_confirm_view, name="confirm"),
    path("confirm/<str:token>/again/", consent_again_view, name="again"),
]
