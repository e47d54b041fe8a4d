"""Real Celery workers killed, stalled and slowed in the middle of a batch: mail goes out once.

Runs on PostgreSQL with Redis as the broker (a worker is another process: it cannot see an
in-memory SQLite test database). The SMTP sink (aiosmtpd) holds the conversation at the
point under test; the worker is killed with SIGKILL the way a machine dies, or stopped with
SIGSTOP the way a machine stalls. Each worker sends over three pooled connections with a
lease of five seconds.

Exactly once means: every recipient gets the mail, and a second copy can only come from
the gap SMTP leaves (the server kept a message, the worker died before recording it), at
most one message per connection.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

import psycopg
import pytest
import redis
from celery import Celery
from django.db import connection
from django.utils import timezone

from campaigns.models import Campaign, CampaignStatus, Delivery, DeliveryState, ScheduleMode
from campaigns.services.campaigns import campaign_schedule
from campaigns.services.dispatch import campaign_dispatch
from campaigns.services.sending import (
    campaign_finish_if_done,
    deliveries_claim,
    deliveries_release_stale,
)
from tests.campaigns.campaign_setup import approve, live_message, newsletter_campaign
from tests.factories import ContactFactory
from tests.mail_sink import MailSink

ROOT = Path(__file__).resolve().parents[2]
BROKER = "redis://127.0.0.1:6379/7"
POOL_SIZE = 3
LEASE_SECONDS = 5


def _redis_up() -> bool:
    try:
        return bool(redis.Redis.from_url(BROKER, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="the worker process needs a database it can share (PostgreSQL)",
    ),
    pytest.mark.skipif(not _redis_up(), reason="needs Redis at 127.0.0.1:6379 as the broker"),
]


class Worker:
    """A Celery worker process on its own queue, its log in a file; stopped at the end."""

    def __init__(self, sink: MailSink, queue: str, log: Path) -> None:
        database = connection.settings_dict
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "hub.settings.test",
            "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:"
            f"{database['PORT']}/{database['NAME']}",
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "CELERY_BROKER_URL": BROKER,
            # Hand an abandoned task to the next worker after 2 s, and look every second.
            "CELERY_BROKER_TRANSPORT_OPTIONS": json.dumps(
                {
                    "visibility_timeout": 2,
                    "unacked_restore_interval": 1,
                    "unacked_restore_throttle": 1,
                }
            ),
            "EMAIL_HOST": sink.host,
            "EMAIL_PORT": str(sink.port),
            "HUB_MAIL_POOL_SIZE": str(POOL_SIZE),
            "HUB_SEND_BATCHES_AHEAD": "1",
            "HUB_SEND_LEASE_SECONDS": str(LEASE_SECONDS),
            "LOG_LEVEL": "INFO",
        }
        command = [
            *(sys.executable, "-m", "celery", "--app", "hub", "worker", "--pool", "solo"),
            *("--queues", queue, "--without-heartbeat", "--without-mingle", "--without-gossip"),
            *("--loglevel", "INFO"),
        ]
        self.log = log
        self._output = log.open("wb")
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=self._output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def signal(self, number: int) -> None:
        os.killpg(self.process.pid, number)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.signal(signal.SIGCONT)
            self.signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()
        self._output.close()

    def logged(self, text: str) -> bool:
        return text in self.log.read_text(errors="replace")


@pytest.fixture
def workers(tmp_path):
    """Starts workers on one queue; every one is stopped after the test."""
    started: list[Worker] = []
    queue = f"send-{uuid.uuid4().hex[:8]}"

    def start(sink: MailSink) -> Worker:
        worker = Worker(sink, queue, tmp_path / f"worker{len(started) + 1}.log")
        started.append(worker)
        return worker

    start.queue = queue
    yield start
    for worker in started:
        worker.stop()
        # Shown by pytest when the test failed.
        print(f"--- {worker.log.name}\n{worker.log.read_text(errors='replace')}")


@pytest.fixture
def producer():
    # Not the current app: the rest of the suite's tasks must stay eager.
    app = Celery(broker=BROKER, set_as_current=False)
    yield app
    app.close()


@pytest.fixture
def batch(settings, campaign_manager, marketing_approver, legal_reviewer):
    """Thirty recipients of a running campaign in one claimed batch: (campaign, claim)."""
    settings.HUB_SEND_LEASE_SECONDS = LEASE_SECONDS
    live_message("de")
    ContactFactory.create_batch(30)
    campaign = approve(
        newsletter_campaign(),
        manager=campaign_manager,
        approvers=[marketing_approver, legal_reviewer],
    )
    campaign_schedule(campaign=campaign, mode=ScheduleMode.NOW, user=campaign_manager)
    campaign_dispatch(campaign_id=campaign.pk)
    [claim] = deliveries_claim(campaign_id=campaign.pk, limit=1)
    return campaign, claim


def _send(producer: Celery, queue: str, campaign: Campaign, claim: str) -> None:
    producer.send_task(
        "campaigns.tasks.send_campaign_batch",
        args=(campaign.pk, claim),
        task_id=claim,
        queue=queue,
    )


def _wait(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def _sent() -> int:
    return Delivery.objects.filter(state=DeliveryState.SENT).count()


def _lease_lapsed() -> bool:
    sending = Delivery.objects.filter(state=DeliveryState.SENDING)
    return sending.exists() and not sending.filter(lease_until__gte=timezone.now()).exists()


def _send_what_the_dead_left(producer: Celery, queue: str, campaign: Campaign) -> None:
    """What the ticker does once a dead worker's lease lapsed: queue its rows again. The
    broker may have handed the dead worker's task to the new worker meanwhile, which then
    claims the released rows first: nothing is left to queue, as for the ticker."""
    _wait(_lease_lapsed, 30, "the dead worker's lease to lapse")
    deliveries_release_stale()
    for claim in deliveries_claim(campaign_id=campaign.pk, limit=1):
        _send(producer, queue, campaign, claim)


def _all_connections_held(sink: MailSink) -> None:
    """Every connection waits at RCPT; each mail the server accepted before is recorded."""
    _wait(lambda: sink.waiting == POOL_SIZE, 60, "every connection to be held at RCPT")
    _wait(lambda: _sent() == len(sink.received), 10, "the accepted mails to be recorded")


def _copies(sink: MailSink) -> Counter:
    return Counter(recipient for mail in sink.received for recipient in mail.recipients)


def _emails(campaign: Campaign) -> set[str]:
    return {d.contact.email for d in Delivery.objects.filter(campaign=campaign)}


def test_a_worker_killed_while_the_server_holds_the_next_mails_sends_each_mail_once(
    batch, workers, producer
):
    campaign, claim = batch

    with MailSink() as sink:
        sink.hold_after(9)  # from then on RCPT waits on every connection: not accepted
        first = workers(sink)
        _send(producer, workers.queue, campaign, claim)
        _all_connections_held(sink)
        first.kill()
        sink.release()
        workers(sink)
        _send_what_the_dead_left(producer, workers.queue, campaign)
        _wait(lambda: _sent() == 30, 90, "all thirty deliveries sent")

        copies = _copies(sink)

    assert copies == Counter({email: 1 for email in _emails(campaign)})


def test_a_worker_killed_while_its_results_wait_for_the_database_resends_at_most_one_per_connection(
    batch, workers, producer
):
    campaign, claim = batch
    database = connection.settings_dict

    with MailSink() as sink:
        sink.hold_after(0)  # every connection waits at RCPT until the rows are locked
        first = workers(sink)
        _send(producer, workers.queue, campaign, claim)
        _wait(sink.holding.is_set, 60, "the first mails to be held")
        # A slow database: the rows are locked, so recording a result waits.
        with psycopg.connect(
            host=database["HOST"],
            port=database["PORT"],
            user=database["USER"],
            dbname=database["NAME"],
        ) as blocker:
            blocker.execute(
                "SELECT id FROM campaigns_delivery WHERE campaign_id = %s FOR UPDATE",
                [campaign.pk],
            )
            sink.release()
            _wait(lambda: len(sink.received) >= POOL_SIZE, 30, "a mail on each connection")
            # Give the connections every chance to go on without waiting for the record.
            time.sleep(1)
            accepted_while_blocked = len(sink.received)
            first.kill()
            blocker.rollback()
        workers(sink)
        _send_what_the_dead_left(producer, workers.queue, campaign)
        _wait(lambda: _sent() == 30, 90, "all thirty deliveries sent")

        copies = _copies(sink)

    assert accepted_while_blocked == POOL_SIZE
    assert set(copies) == _emails(campaign)
    assert sum(copies.values()) - len(copies) <= POOL_SIZE


def test_a_worker_killed_after_the_server_kept_a_mail_resends_at_most_one_per_connection(
    batch, workers, producer
):
    campaign, claim = batch

    with MailSink() as sink:
        sink.hold_after(9, at="data")  # mails kept from the tenth on; their answer waits
        first = workers(sink)
        _send(producer, workers.queue, campaign, claim)
        _wait(lambda: sink.waiting == POOL_SIZE, 60, "an unanswered mail on each connection")
        first.kill()
        sink.release()
        workers(sink)
        _send_what_the_dead_left(producer, workers.queue, campaign)
        _wait(lambda: _sent() == 30, 90, "all thirty deliveries sent")

        copies = _copies(sink)

    assert set(copies) == _emails(campaign)
    assert sum(copies.values()) - len(copies) == POOL_SIZE  # the kept, unrecorded ones


def test_a_connection_lost_after_data_leaves_that_mail_in_doubt_and_the_rest_goes_once(
    batch, workers, producer
):
    campaign, claim = batch
    doubtful = Delivery.objects.order_by("pk")[12].contact.email

    with MailSink() as sink:
        sink.drop(doubtful, at="data")
        workers(sink)
        _send(producer, workers.queue, campaign, claim)
        _wait(
            lambda: not Delivery.objects.filter(state=DeliveryState.SENDING).exists(),
            60,
            "the batch to end",
        )
        deliveries_release_stale()
        # The worker finishes the campaign itself when its batch was the last; if not yet,
        # this does (a mail in doubt is not an open row).
        campaign_finish_if_done(campaign_id=campaign.pk)

        copies = _copies(sink)

    assert copies == Counter({email: 1 for email in _emails(campaign)})
    states = Counter(Delivery.objects.values_list("state", flat=True))
    assert states == Counter({DeliveryState.SENT: 29, DeliveryState.IN_DOUBT: 1})
    assert Campaign.objects.get(pk=campaign.pk).status == CampaignStatus.DONE


def test_a_worker_stalled_past_its_lease_sends_nothing_more_once_another_took_over(
    batch, workers, producer
):
    campaign, claim = batch

    with MailSink() as sink:
        sink.hold_after(9)  # from then on RCPT waits on every connection
        first = workers(sink)
        _send(producer, workers.queue, campaign, claim)
        _all_connections_held(sink)
        first.signal(signal.SIGSTOP)  # the machine stalls, mid-conversation
        _wait(_lease_lapsed, 30, "the stalled worker's lease to lapse")
        deliveries_release_stale()
        [taker] = deliveries_claim(campaign_id=campaign.pk, limit=1)
        # The server answers the stalled worker's RCPTs; it is not there to read them.
        sink.release()
        workers(sink)
        _send(producer, workers.queue, campaign, taker)
        _wait(lambda: _sent() == 30, 90, "all thirty deliveries sent by the second worker")
        first.signal(signal.SIGCONT)  # the stalled worker wakes up where it stopped
        _wait(lambda: first.logged("lease_lost=True"), 30, "the stalled batch to give up")

        copies = _copies(sink)

    assert copies == Counter({email: 1 for email in _emails(campaign)})
    assert Counter(Delivery.objects.values_list("state", flat=True)) == Counter(
        {DeliveryState.SENT: 30}
    )
