"""Surveys as a recipient, an editor and an analyst see them: one-click answers, the comment
page, the newsletter block, the results (NPS, CSAT, CES) and the admin."""

from __future__ import annotations

import datetime
import re

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from campaigns.measurement.surveys import survey_results
from campaigns.models import Contact, Event, EventKind, Segment, Survey
from campaigns.personalisation import VariantResolver, variant_key
from campaigns.segment_evaluator import evaluate_rules, load_contact_facts
from campaigns.segments import clean_rules, compile_rules, field_catalogue
from campaigns.services.segment_state import segment_state_rebuild, segment_state_refresh
from campaigns.services.surveys import COMMENT_MAX_LENGTH, survey_answer_record
from campaigns.tracking import (
    delivery_token,
    mail_survey_token,
    survey_contact_token,
    survey_link,
    survey_token,
)
from channels.base import RECIPIENT_TOKEN
from tests.campaigns.campaign_setup import live_message, newsletter_campaign
from tests.factories import CampaignFactory, ContactFactory, DeliveryFactory, SegmentFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

NOON = datetime.datetime(2026, 12, 1, 12, 0, tzinfo=datetime.UTC)


def make_survey(kind: str = "nps", **fields) -> Survey:
    values = {
        "name": f"Umfrage {kind}",
        "kind": kind,
        "question_de": "Wie wahrscheinlich empfehlen Sie uns weiter?",
        "question_en": "How likely are you to recommend us?",
        "low_label_de": "unwahrscheinlich",
        "low_label_en": "not likely",
        "high_label_de": "sehr wahrscheinlich",
        "high_label_en": "very likely",
        "follow_up_de": "Was ist der wichtigste Grund für Ihre Bewertung?",
        "follow_up_en": "What is the main reason for your score?",
        "thanks_de": "Vielen Dank für Ihre Antwort!",
        "thanks_en": "Thank you for your answer!",
        **fields,
    }
    return Survey.objects.create(**values)


def answer_path(delivery, survey, score: int, campaign_id: int | None = None) -> str:
    survey_part = mail_survey_token(campaign_id or delivery.campaign_id, survey.pk)
    return f"/t/s/{delivery_token(delivery.pk)}/{survey_part}/{score}/"


def altered(token: str) -> str:
    middle = len(token) - 10
    return token[:middle] + ("A" if token[middle] != "A" else "B") + token[middle + 1 :]


def answer_all(survey, scores, *, campaign=None, **contact_fields):
    for score in scores:
        survey_answer_record(
            survey=survey,
            contact=ContactFactory(**contact_fields),
            score=score,
            campaign_id=campaign.pk if campaign else None,
        )


@pytest.fixture
def survey():
    return make_survey()


@pytest.fixture
def delivery():
    return DeliveryFactory(contact=ContactFactory(language="de", role="buyer", phase="loyalty"))


# --- results on known answers ----------------------------------------------------------------


def test_nps_is_percent_promoters_minus_percent_detractors(survey):
    # 5 promoters (9-10), 3 passives (7-8), 2 detractors (0-6) of 10: 50 % - 20 % = 30.
    answer_all(survey, [10, 10, 9, 9, 9, 8, 7, 7, 6, 3])

    score = survey_results(survey).overall.score

    # Interval: 30 +- 1.96 * sqrt((0.5 + 0.2 - 0.3**2) / 10) * 100 = 30 +- 48.41.
    assert score.answers == 10
    assert score.value == pytest.approx(30.0)
    assert (score.low, score.high) == pytest.approx((-18.41, 78.41), abs=0.01)


def test_csat_is_the_share_of_fours_and_fives():
    survey = make_survey("csat")
    answer_all(survey, [5, 4, 4, 3, 1])

    results = survey_results(survey)

    assert results.overall.counts == {1: 1, 2: 0, 3: 1, 4: 2, 5: 1}
    # Wilson interval of 3 of 5 at 95 %: 23.07 % to 88.24 %.
    assert results.overall.score.value == pytest.approx(60.0)
    assert (results.overall.score.low, results.overall.score.high) == pytest.approx(
        (23.07, 88.24), abs=0.01
    )


def test_ces_is_the_mean_effort():
    survey = make_survey("ces")
    answer_all(survey, [2, 2, 3, 3, 5])

    score = survey_results(survey).overall.score

    # Mean 3, standard deviation sqrt(6 / 4), t(0.975, 4) = 2.776: 3 +- 1.52.
    assert score.value == pytest.approx(3.0)
    assert (score.low, score.high) == pytest.approx((1.48, 4.52), abs=0.01)
    assert score.answers == 5


def test_results_by_role_count_each_role_apart(survey):
    answer_all(survey, [10, 9, 0], role="buyer")
    answer_all(survey, [8, 2], role="user")

    results = survey_results(survey, group_by="role")

    by_role = {group.key: group for group in results.groups}
    assert set(by_role) == {"buyer", "user"}
    assert by_role["buyer"].score.value == pytest.approx(100 * (2 - 1) / 3)
    assert by_role["user"].score.value == pytest.approx(-50.0)
    assert results.overall.answers == 5


def test_results_by_campaign_and_segment_and_the_campaign_filter(survey):
    spring = CampaignFactory(name="Frühling", segment=SegmentFactory(name="Einkäufer"))
    autumn = CampaignFactory(name="Herbst", segment=spring.segment)
    answer_all(survey, [10, 10], campaign=spring)
    answer_all(survey, [0], campaign=autumn)
    answer_all(survey, [9])  # by link: no campaign

    by_campaign = survey_results(survey, group_by="campaign")
    by_segment = survey_results(survey, group_by="segment")
    spring_only = survey_results(survey, campaign=spring)

    assert [(group.label, group.answers) for group in by_campaign.groups] == [
        ("Frühling", 2),
        ("Herbst", 1),
        ("Without campaign (by link)", 1),
    ]
    assert [(group.label, group.answers) for group in by_segment.groups] == [
        ("Einkäufer", 3),
        ("Without segment", 1),
    ]
    assert spring_only.overall.answers == 2
    assert spring_only.overall.score.value == pytest.approx(100.0)


def test_results_of_a_window_leave_out_answers_outside_it(survey):
    with time_machine.travel(NOON - datetime.timedelta(days=40), tick=False):
        answer_all(survey, [0])
    with time_machine.travel(NOON, tick=False):
        answer_all(survey, [10])

    results = survey_results(survey, since=NOON - datetime.timedelta(days=30))

    assert results.overall.answers == 1
    assert results.overall.counts[10] == 1


def test_a_survey_without_answers_has_no_score(survey):
    results = survey_results(survey, group_by="phase")

    assert results.overall.score.value is None
    assert results.groups == ()


# --- one click in the newsletter -------------------------------------------------------------


def test_one_click_records_exactly_one_answer_with_the_score(client, delivery, survey):
    response = client.get(answer_path(delivery, survey, 9))

    assert response.status_code == 200
    assert "Vielen Dank für Ihre Antwort!" in response.content.decode()
    event = Event.objects.get()
    assert event.kind == EventKind.SURVEY_ANSWER
    assert event.value == 9
    assert event.contact == delivery.contact
    assert event.campaign_id == delivery.campaign_id
    assert event.data["survey"] == survey.pk
    assert event.data["kind"] == "nps"
    assert event.data["score"] == 9
    assert event.data["role"] == "buyer"


def test_the_same_click_twice_stays_one_answer(client, delivery, survey):
    client.get(answer_path(delivery, survey, 9))
    client.get(answer_path(delivery, survey, 9))

    event = Event.objects.get()
    assert event.value == 9
    assert event.data["changes"] == 0


def test_a_click_on_another_score_replaces_the_answer_and_counts_the_change(
    client, delivery, survey
):
    with time_machine.travel(NOON, tick=False):
        client.get(answer_path(delivery, survey, 3))
    with time_machine.travel(NOON + datetime.timedelta(minutes=5), tick=False):
        client.get(answer_path(delivery, survey, 8))

    event = Event.objects.get()
    assert event.value == 8
    assert event.data["score"] == 8
    assert event.data["first_score"] == 3
    assert event.data["changes"] == 1
    assert event.occurred_at == NOON + datetime.timedelta(minutes=5)


@pytest.mark.parametrize("part", ["delivery", "survey"])
def test_a_tampered_answer_link_is_not_found_and_records_nothing(client, delivery, survey, part):
    token = delivery_token(delivery.pk)
    survey_part = mail_survey_token(delivery.campaign_id, survey.pk)
    if part == "delivery":
        token = altered(token)
    else:
        survey_part = altered(survey_part)

    response = client.get(f"/t/s/{token}/{survey_part}/9/")

    assert response.status_code == 404
    assert not Event.objects.exists()


def test_a_survey_link_of_another_campaign_does_not_answer_for_this_delivery(
    client, delivery, survey
):
    other = CampaignFactory()

    response = client.get(answer_path(delivery, survey, 9, campaign_id=other.pk))

    assert response.status_code == 404
    assert not Event.objects.exists()


def test_a_score_off_the_scale_is_not_found(client, delivery):
    csat = make_survey("csat")

    response = client.get(answer_path(delivery, csat, 6))

    assert response.status_code == 404
    assert not Event.objects.exists()


def test_an_inactive_survey_takes_no_answer(client, delivery):
    closed = make_survey(active=False)

    response = client.get(answer_path(delivery, closed, 9))

    assert response.status_code == 200
    assert "Diese Umfrage ist beendet" in response.content.decode()
    assert not Event.objects.exists()


def test_the_link_of_an_erased_contact_records_nothing(client, survey, settings):
    settings.LANGUAGE_CODE = "de"  # no contact, no language of its own: the hub's
    erased = DeliveryFactory(contact=None)

    response = client.get(answer_path(erased, survey, 9))

    assert response.status_code == 200
    assert "Ihre Daten sind bereits entfernt" in response.content.decode()
    assert not Event.objects.exists()


def test_the_answer_page_speaks_the_contacts_language(client, survey):
    english = DeliveryFactory(contact=ContactFactory(language="en"))

    response = client.get(answer_path(english, survey, 10))

    assert "Thank you for your answer!" in response.content.decode()
    assert "What is the main reason for your score?" in response.content.decode()


# --- the follow-up comment -------------------------------------------------------------------


def test_the_comment_is_stored_with_the_answer(delivery, survey):
    browser = Client(enforce_csrf_checks=True)
    path = answer_path(delivery, survey, 4)
    page = browser.get(path)
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)

    response = browser.post(
        path, {"comment": "  Lieferzeit zu lang.  ", "csrfmiddlewaretoken": csrf}
    )

    assert response.status_code == 200
    assert "Ihr Kommentar ist gespeichert." in response.content.decode()
    event = Event.objects.get()
    assert event.data["comment"] == "Lieferzeit zu lang."
    assert event.value == 4


def test_a_comment_without_the_csrf_token_is_refused(delivery, survey):
    browser = Client(enforce_csrf_checks=True)
    path = answer_path(delivery, survey, 4)
    browser.get(path)

    response = browser.post(path, {"comment": "Von einer fremden Seite"})

    assert response.status_code == 403
    assert Event.objects.get().data["comment"] == ""


def test_an_overlong_comment_is_refused_with_a_message(client, delivery, survey):
    path = answer_path(delivery, survey, 4)
    client.get(path)

    response = client.post(path, {"comment": "x" * (COMMENT_MAX_LENGTH + 1)})

    assert response.status_code == 200
    assert f"höchstens {COMMENT_MAX_LENGTH} Zeichen" in response.content.decode()
    assert Event.objects.get().data["comment"] == ""


# --- scanners: no answer without a person ----------------------------------------------------

FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"
BARRACUDA = "Barracuda Sentinel (EE)"


def csrf_of(response) -> str:
    return re.search(
        r'name="csrfmiddlewaretoken" value="([^"]+)"', response.content.decode()
    ).group(1)


def checked_score(response) -> str | None:
    match = re.search(
        r'<input type="radio" name="score" value="(\d+)"[^>]*checked', response.content.decode()
    )
    return match.group(1) if match else None


def test_a_mail_scanner_records_no_answer_and_gets_the_confirmation_page(client, delivery, survey):
    response = client.get(answer_path(delivery, survey, 9), HTTP_USER_AGENT=BARRACUDA)

    assert response.status_code == 200
    assert "Antwort senden" in response.content.decode()
    assert checked_score(response) == "9"
    assert not Event.objects.exists()


def test_sending_the_confirmation_form_records_the_answer(delivery, survey):
    browser = Client(enforce_csrf_checks=True, HTTP_USER_AGENT=BARRACUDA)
    path = answer_path(delivery, survey, 9)
    page = browser.get(path)

    response = browser.post(
        path, {"csrfmiddlewaretoken": csrf_of(page), "confirm": "True", "score": "9"}
    )

    assert response.status_code == 200
    assert "Vielen Dank für Ihre Antwort!" in response.content.decode()
    event = Event.objects.get()
    assert (event.value, event.contact, event.campaign_id) == (
        9,
        delivery.contact,
        delivery.campaign_id,
    )
    assert event.data["comment"] == ""


def test_the_confirmation_form_takes_another_score_and_a_comment(delivery, survey):
    browser = Client(enforce_csrf_checks=True, HTTP_USER_AGENT=BARRACUDA)
    path = answer_path(delivery, survey, 9)
    page = browser.get(path)

    browser.post(
        path,
        {
            "csrfmiddlewaretoken": csrf_of(page),
            "confirm": "True",
            "score": "6",
            "comment": " Zu teuer. ",
        },
    )

    event = Event.objects.get()
    assert event.value == 6
    assert event.data["comment"] == "Zu teuer."


def test_the_confirmation_form_without_the_csrf_token_is_refused(delivery, survey):
    browser = Client(enforce_csrf_checks=True, HTTP_USER_AGENT=BARRACUDA)
    path = answer_path(delivery, survey, 9)
    browser.get(path)

    response = browser.post(path, {"confirm": "True", "score": "9"})

    assert response.status_code == 403
    assert not Event.objects.exists()


def test_a_browser_records_the_answer_at_once(client, survey):
    delivery = DeliveryFactory(sent_at=NOON - datetime.timedelta(hours=2))

    with time_machine.travel(NOON, tick=False):
        response = client.get(answer_path(delivery, survey, 9), HTTP_USER_AGENT=FIREFOX)

    assert "Antwort senden" not in response.content.decode()
    assert Event.objects.get().value == 9


def test_a_fetch_within_two_seconds_of_sending_is_a_scanners(client, survey):
    delivery = DeliveryFactory(sent_at=NOON)

    with time_machine.travel(NOON + datetime.timedelta(seconds=2), tick=False):
        response = client.get(answer_path(delivery, survey, 9), HTTP_USER_AGENT=FIREFOX)

    assert checked_score(response) == "9"
    assert not Event.objects.exists()


def test_a_head_request_records_nothing(client, delivery, survey):
    response = client.head(answer_path(delivery, survey, 9), HTTP_USER_AGENT=FIREFOX)

    assert response.status_code == 200
    assert not Event.objects.exists()


def test_a_scanner_fetching_every_score_leaves_the_persons_answer_alone(client, delivery, survey):
    client.get(answer_path(delivery, survey, 3), HTTP_USER_AGENT=FIREFOX)

    for score in survey.scores:
        client.get(answer_path(delivery, survey, score), HTTP_USER_AGENT=BARRACUDA)

    event = Event.objects.get()
    assert event.value == 3
    assert event.data["changes"] == 0


def test_a_scanner_of_a_personal_survey_link_records_nothing(client, survey):
    contact = ContactFactory()
    path = f"/s/{survey_token(survey.pk)}/7/?c={survey_contact_token(contact.pk)}"

    response = client.get(path, HTTP_USER_AGENT=BARRACUDA)

    assert checked_score(response) == "7"
    assert not Event.objects.exists()


# --- by link ---------------------------------------------------------------------------------


def test_the_personal_survey_link_records_an_answer_without_campaign(client, survey):
    contact = ContactFactory()
    page = client.get(survey_link(survey.pk, contact.pk).split("example.com", 1)[-1])
    first = re.search(r'href="([^"]+)" data-answer="7"', page.content.decode()).group(1)

    response = client.get(first.replace("&amp;", "&"))

    assert response.status_code == 200
    event = Event.objects.get()
    assert (event.contact, event.campaign, event.value) == (contact, None, 7)
    assert event.data["channel"] == "link"


def test_the_survey_link_without_a_contact_takes_no_answer(client, survey):
    response = client.get(f"/s/{survey_token(survey.pk)}/7/")

    assert response.status_code == 404
    assert not Event.objects.exists()


def test_a_forged_contact_token_takes_no_answer(client, survey):
    contact = ContactFactory()

    response = client.get(
        f"/s/{survey_token(survey.pk)}/7/?c={altered(survey_contact_token(contact.pk))}"
    )

    assert response.status_code == 404
    assert not Event.objects.exists()


# --- the newsletter block --------------------------------------------------------------------


def survey_variant(campaign):
    resolver = VariantResolver(campaign)
    return resolver.resolve(variant_key("de", "buyer", "awareness", ""))


def test_the_block_gives_each_score_an_answer_link_with_the_recipients_token(client, survey):
    live_message("de")
    campaign = newsletter_campaign(extra_blocks=[("survey", {"survey": survey})])
    delivery = DeliveryFactory(campaign=campaign)

    variant, missing = survey_variant(campaign)
    block = variant.blocks[-1]
    url = dict(block.answers)[10].replace(RECIPIENT_TOKEN, delivery_token(delivery.pk))
    response = client.get(url.split("example.com", 1)[-1])

    assert missing == []
    assert block.question == "Wie wahrscheinlich empfehlen Sie uns weiter?"
    assert [score for score, _url in block.answers] == list(range(11))
    assert all(RECIPIENT_TOKEN in answer_url for _score, answer_url in block.answers)
    assert response.status_code == 200
    assert Event.objects.get().value == 10


def test_an_inactive_survey_in_a_newsletter_is_a_problem_of_the_variant():
    live_message("de")
    closed = make_survey(active=False)
    campaign = newsletter_campaign(extra_blocks=[("survey", {"survey": closed})])

    _variant, missing = survey_variant(campaign)

    assert [problem.reason for problem in missing] == ['the survey "Umfrage nps" is not active']


# --- admin -----------------------------------------------------------------------------------


def test_campaign_managers_see_a_surveys_results(client, campaign_manager, survey):
    answer_all(survey, [10, 10, 9, 0], role="buyer")
    client.force_login(campaign_manager)

    response = client.get(f"/admin/snippets/campaigns/survey/{survey.pk}/results/")

    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-answers="4"' in page
    assert 'data-score="50.0"' in page  # 3 promoters, 1 detractor of 4
    assert "Buyer" in page or "Einkäufer" in page


def test_users_without_the_results_permission_do_not_see_results(client, editor, survey):
    client.force_login(editor)

    response = client.get(f"/admin/snippets/campaigns/survey/{survey.pk}/results/")

    # Wagtail answers a denied admin page with a redirect to the dashboard and a message.
    assert response.status_code == 302
    assert response["Location"] == "/admin/"


def test_campaign_managers_create_surveys_in_the_admin(client, campaign_manager):
    client.force_login(campaign_manager)

    response = client.post(
        "/admin/snippets/campaigns/survey/add/",
        {
            "name": "Zufriedenheit",
            "kind": "csat",
            "active": "on",
            "question_de": "Wie zufrieden sind Sie?",
            "question_en": "How satisfied are you?",
            "thanks_de": "Danke!",
            "thanks_en": "Thanks!",
        },
    )

    assert response.status_code == 302
    assert Survey.objects.get().kind == "csat"


# --- the segment condition -------------------------------------------------------------------

DETRACTORS = {
    "op": "and",
    "rules": [
        {
            "field": "survey_answer",
            "operator": "has",
            "value": {"kind": "nps", "min_score": 0, "max_score": 6, "within_days": 90},
        }
    ],
}


def test_the_survey_answer_condition_selects_recent_detractors(survey):
    csat = make_survey("csat")
    with time_machine.travel(NOON - datetime.timedelta(days=100), tick=False):
        long_ago = ContactFactory()
        survey_answer_record(survey=survey, contact=long_ago, score=2)
    with time_machine.travel(NOON - datetime.timedelta(days=10), tick=False):
        detractor, passive, unhappy_csat = ContactFactory.create_batch(3)
        survey_answer_record(survey=survey, contact=detractor, score=6)
        survey_answer_record(survey=survey, contact=passive, score=7)
        survey_answer_record(survey=csat, contact=unhappy_csat, score=1)
    ContactFactory()  # never answered

    selected = Contact.objects.filter(compile_rules(DETRACTORS, now=NOON))
    evaluated = [
        facts.pk for facts in load_contact_facts() if evaluate_rules(DETRACTORS, facts, now=NOON)
    ]

    assert list(selected) == [detractor]
    assert evaluated == [detractor.pk]


def test_a_detractor_who_changed_their_mind_leaves_the_segment(client, delivery, survey):
    client.get(answer_path(delivery, survey, 3))
    client.get(answer_path(delivery, survey, 9))

    selected = Contact.objects.filter(compile_rules(DETRACTORS, now=timezone.now()))

    assert not selected.exists()


def test_a_detractor_who_changed_their_mind_leaves_the_saved_segment_after_the_refresh(
    client, delivery, survey
):
    segment = SegmentFactory(rules=DETRACTORS, include_all=True)
    with time_machine.travel(NOON, tick=False):
        client.get(answer_path(delivery, survey, 3))
        segment_state_rebuild(now=NOON)
    first = Segment.objects.get(pk=segment.pk).member_count
    later = NOON + datetime.timedelta(minutes=5)

    with time_machine.travel(later, tick=False):
        client.get(answer_path(delivery, survey, 9))
        segment_state_refresh(now=later)

    assert first == 1
    assert Segment.objects.get(pk=segment.pk).member_count == 0


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"kind": "csat", "min_score": 0, "max_score": 2}, "csat scores run from 1 to 5"),
        ({"kind": "nps", "min_score": 7, "max_score": 6}, "must not be below min_score"),
        ({"kind": "sus", "min_score": 0, "max_score": 6}, "'sus' is not one of nps, csat, ces"),
        ({"kind": "nps", "min_score": 0}, "max_score: is required"),
        ({"kind": "nps", "min_score": 0, "max_score": 6, "survey": 999}, "no survey 999"),
    ],
)
def test_a_bad_survey_answer_condition_is_refused_with_its_place(value, message):
    rules = {"op": "and", "rules": [{"field": "survey_answer", "operator": "has", "value": value}]}

    with pytest.raises(ValidationError) as error:
        clean_rules(rules)

    assert message in str(error.value)


def test_the_rule_editor_offers_the_survey_answer_condition():
    fields = {field["name"]: field for field in field_catalogue()}

    assert fields["survey_answer"]["widget"] == "survey"
    assert [value for value, _label in fields["survey_answer"]["choices"]] == ["nps", "csat", "ces"]
