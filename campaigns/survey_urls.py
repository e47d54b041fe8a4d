"""Public survey pages by link (no login), mounted under /s/ by hub.urls."""

from django.urls import path

from . import survey_views

app_name = "surveys"

urlpatterns = [
    path("<str:token>/", survey_views.page, name="page"),
    path("<str:token>/<int:score>/", survey_views.answer_by_link, name="answer"),
]
