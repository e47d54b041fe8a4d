"""The feeds' secret URLs (no login), mounted under /feeds/ by hub.urls."""

from django.urls import path

from .feeds import views

app_name = "feeds"

urlpatterns = [
    path("<str:token>/<str:name>", views.feed_file, name="file"),
]
