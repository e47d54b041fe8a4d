"""Public survey pages, without login: one-click answers from a newsletter, and by link.

A newsletter's survey block links each score to ``/t/s/<delivery token>/<survey token>/
<score>/``: the delivery token names the recipient, the survey token (signed with the
campaign) the survey, so neither the person nor the campaign can be chosen by whoever
holds the link. The public page of a survey, ``/s/<survey token>/?c=<contact token>``, asks
the same question outside a campaign; it takes answers only with a signed contact token.
Answers without a person are not accepted: nobody could tell one person answering a
hundred times from a hundred people, and an answer nobody gave cannot feed a segment.

A GET of an answer link records the score, as one-click surveys do (the person has already
answered by choosing the link), when a person follows it. Mail security scanners fetch every
link of a message and would answer for the person, the last link fetched winning. So the
request is classified by the machine rules for clicks (``campaigns.measurement.machines``:
client address, user agent, seconds since the message was sent); a machine's GET, and any
HEAD, records nothing and gets the answer page with the score preselected and a "Send my
answer" button, whose POST (with CSRF) records it. The follow-up comment is an ordinary form
with CSRF too; posting it records the score it carries (else that of its URL) again, so an
answer stands even if the GET never reached the hub.
"""

from __future__ import annotations

import logging

from django import forms
from django.core import signing
from django.http import Http404, HttpResponse
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect, ensure_csrf_cookie
from django.views.decorators.http import require_GET, require_http_methods

from campaigns.models import Contact, Delivery, Survey, is_human
from campaigns.services.consent import recipient_language
from campaigns.services.surveys import COMMENT_MAX_LENGTH, SurveyClosed, survey_answer_record
from campaigns.services.tracking import click_classification
from campaigns.tracking import (
    contact_id_from_survey_token,
    mail_survey_from_token,
    survey_id_from_token,
)
from campaigns.tracking_views import (
    _delivery,
    _friendly_not_found,
    _test_send,
    page_of_test_send,
)
from campaigns.views import client_ip, public_page

logger = logging.getLogger(__name__)


class AnswerForm(forms.Form):
    """The score (on the confirmation page; else the link's) and the follow-up comment."""

    score = forms.TypedChoiceField(
        coerce=int, required=False, empty_value=None, widget=forms.RadioSelect
    )
    comment = forms.CharField(
        max_length=COMMENT_MAX_LENGTH, required=False, widget=forms.Textarea(attrs={"rows": 5})
    )
    # Set by the confirmation page: an empty comment there leaves a stored one alone.
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, survey: Survey, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["score"].choices = [(score, str(score)) for score in survey.scores]


def _survey(survey_id: int) -> Survey:
    survey = Survey.objects.filter(pk=survey_id).first()
    if survey is None:
        raise Http404("Not a valid link.")
    return survey


def _page(request, template: str, context: dict, lang: str, status: int = 200) -> HttpResponse:
    return public_page(request, f"campaigns/surveys/{template}", context, lang, status)


def _texts(survey: Survey, lang: str) -> dict[str, str]:
    return {
        name: survey.text(name, lang)
        for name in ("question", "low_label", "high_label", "follow_up", "thanks")
    }


def _answer(
    request,
    *,
    survey: Survey,
    contact: Contact | None,
    score: int,
    campaign_id: int | None,
    channel: str,
    delivery: Delivery | None = None,
) -> HttpResponse:
    """Record ``score`` (a person's GET) or the posted score and comment; show the follow-up
    page. A HEAD or a machine's GET records nothing and gets the confirmation page."""
    lang = recipient_language(contact)
    if contact is None:
        return public_page(request, "campaigns/tracking/removed.html", {}, lang)
    if score not in survey.scores:
        raise Http404("Not a valid link.")
    context = {"survey": survey, "score": score, "texts": _texts(survey, lang)}
    if request.method != "POST":
        if not survey.active:
            return _page(request, "closed.html", context, lang)
        if request.method == "HEAD" or not _person(request, delivery):
            logger.info(
                "survey.confirmation_asked survey=%s campaign=%s contact=%s method=%s",
                survey.pk,
                campaign_id,
                contact.pk,
                request.method,
            )
            form = AnswerForm(survey=survey, initial={"score": score, "confirm": True})
            return _page(request, "confirm.html", {**context, "form": form}, lang)
    form = AnswerForm(request.POST if request.method == "POST" else None, survey=survey)
    if form.is_bound and not form.is_valid():
        template = "confirm.html" if request.POST.get("confirm") else "answer.html"
        return _page(request, template, {**context, "form": form}, lang)
    comment = None
    if form.is_bound:
        score = form.cleaned_data["score"] if form.cleaned_data["score"] is not None else score
        comment = form.cleaned_data["comment"].strip()
        if form.cleaned_data["confirm"] and not comment:
            comment = None
    context["score"] = score
    try:
        survey_answer_record(
            survey=survey,
            contact=contact,
            score=score,
            campaign_id=campaign_id,
            channel=channel,
            comment=comment,
        )
    except SurveyClosed:
        return _page(request, "closed.html", context, lang)
    return _page(
        request,
        "answer.html",
        {**context, "form": AnswerForm(survey=survey), "commented": comment is not None},
        lang,
    )


def _person(request, delivery: Delivery | None) -> bool:
    """Whether the machine rules for clicks take the request for a person's."""
    classification = click_classification(
        delivery=delivery,
        ip=client_ip(request),
        user_agent=request.META.get("HTTP_USER_AGENT", ""),
    )
    return is_human(classification)


# One-click answers from a newsletter: the forms on the pages post back to the same URL, so
# the view takes GET, HEAD and POST and checks CSRF (a GET or HEAD is never checked).
@never_cache
@_friendly_not_found
@ensure_csrf_cookie
@csrf_protect
@require_http_methods(["GET", "HEAD", "POST"])
def mail_answer(request, token: str, survey: str, score: int):
    test = _test_send(token)
    if test is not None:  # a test mail's answer is recorded nowhere
        return page_of_test_send(request, test)
    delivery = _delivery(token)
    try:
        campaign_id, survey_id = mail_survey_from_token(survey)
    except signing.BadSignature as exc:
        raise Http404("Not a valid link.") from exc
    # A genuine survey link of another campaign does not answer in this delivery's name.
    if campaign_id != delivery.campaign_id:
        raise Http404("Not a valid link.")
    return _answer(
        request,
        survey=_survey(survey_id),
        contact=delivery.contact,
        score=score,
        campaign_id=campaign_id,
        channel="newsletter",
        delivery=delivery,
    )


# --- by link -----------------------------------------------------------------------------


def _link_survey_and_contact(request, token: str) -> tuple[Survey, Contact, str]:
    try:
        survey_id = survey_id_from_token(token)
        contact_token = request.GET.get("c", "")
        contact_id = contact_id_from_survey_token(contact_token)
    except signing.BadSignature as exc:
        raise Http404("Not a valid link.") from exc
    contact = Contact.objects.filter(pk=contact_id).first()
    if contact is None:
        raise Http404("Not a valid link.")
    return _survey(survey_id), contact, contact_token


@never_cache
@_friendly_not_found
@require_GET
def page(request, token: str):
    survey, contact, contact_token = _link_survey_and_contact(request, token)
    lang = recipient_language(contact)
    context = {"survey": survey, "texts": _texts(survey, lang)}
    if not survey.active:
        return _page(request, "closed.html", context, lang)
    answer_urls = [
        (
            score,
            reverse("surveys:answer", kwargs={"token": token, "score": score})
            + f"?c={contact_token}",
        )
        for score in survey.scores
    ]
    return _page(request, "question.html", {**context, "answer_urls": answer_urls}, lang)


@never_cache
@_friendly_not_found
@ensure_csrf_cookie
@csrf_protect
@require_http_methods(["GET", "HEAD", "POST"])
def answer_by_link(request, token: str, score: int):
    survey, contact, _contact_token = _link_survey_and_contact(request, token)
    return _answer(
        request, survey=survey, contact=contact, score=score, campaign_id=None, channel="link"
    )
