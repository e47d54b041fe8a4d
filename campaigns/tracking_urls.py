"""Public tracking URLs of newsletter messages (no login), mounted under /t/ by hub.urls.

Short paths on purpose: they appear once per link in every message sent.
"""

from django.urls import path

from . import survey_views, tracking_views

app_name = "tracking"

urlpatterns = [
    path("o/<str:token>/", tracking_views.open_pixel, name="open"),
    path("c/<str:token>/<str:link>/", tracking_views.click, name="click"),
    path("u/<str:token>/", tracking_views.unsubscribe, name="unsubscribe"),
    path("p/<str:token>/", tracking_views.preferences, name="preferences"),
    path("r/<str:token>/", tracking_views.resubscribe, name="resubscribe"),
    path("w/<str:token>/", tracking_views.web_version, name="web_version"),
    path("s/<str:token>/<str:survey>/<int:score>/", survey_views.mail_answer, name="survey"),
]
