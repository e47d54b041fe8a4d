"""A real Celery worker killed in the middle of a batch, restarted: every mail arrives once.

Runs on PostgreSQL with Redis as the broker (the worker is another process: it cannot see an
in-memory SQLite test database). The SMTP sink holds the next mail after nine have arrived;
the worker is killed with SIGKILL while it waits, the way a machine dies. Redis hands the
unacknowledged task to the next worker after the visibility timeout.
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

import pytest
import redis
from celery import Celery
from django.db import connection

from campaigns.models import Delivery, DeliveryState, ScheduleMode
from campaigns.services.campaigns import campaign_schedule
from campaigns.services.sending import campaign_dispatch, deliveries_claim
from tests.campaigns.campaign_setup import approve, live_message, newsletter_campaign
from tests.factories import ContactFactory
from tests.mail_sink import MailSink

ROOT = Path(__file__).resolve().parents[2]
BROKER = "redis://127.0.0.1:6379/7"


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


def _worker(sink: MailSink, queue: str) -> subprocess.Popen:
    database = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "hub.settings.test",
        "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/"
        f"{database['NAME']}",
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "CELERY_BROKER_URL": BROKER,
        # Hand an abandoned task to the next worker after 2 s, and look for one every second.
        "CELERY_BROKER_TRANSPORT_OPTIONS": json.dumps(
            {"visibility_timeout": 2, "unacked_restore_interval": 1, "unacked_restore_throttle": 1}
        ),
        "EMAIL_HOST": sink.host,
        "EMAIL_PORT": str(sink.port),
        "HUB_MAIL_POOL_SIZE": "1",
        "HUB_SEND_BATCHES_AHEAD": "1",
    }
    command = [
        *(sys.executable, "-m", "celery", "--app", "hub", "worker", "--pool", "solo"),
        *("--queues", queue, "--without-heartbeat", "--without-mingle", "--without-gossip"),
        *("--loglevel", "WARNING"),
    ]
    return subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )


def _wait(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def _sent() -> int:
    return Delivery.objects.filter(state=DeliveryState.SENT).count()


def test_a_worker_killed_mid_batch_and_restarted_sends_every_mail_exactly_once(
    campaign_manager, marketing_approver, legal_reviewer
):
    live_message("de")
    contacts = ContactFactory.create_batch(30)
    campaign = approve(
        newsletter_campaign(),
        manager=campaign_manager,
        approvers=[marketing_approver, legal_reviewer],
    )
    campaign_schedule(campaign=campaign, mode=ScheduleMode.NOW, user=campaign_manager)
    campaign_dispatch(campaign_id=campaign.pk)
    [claim] = deliveries_claim(campaign_id=campaign.pk, limit=1)
    queue = f"send-{uuid.uuid4().hex[:8]}"
    # Not the current app: the rest of the suite's tasks must stay eager.
    producer = Celery(broker=BROKER, set_as_current=False)

    with MailSink() as sink:
        sink.hold_after(9)
        first = _worker(sink, queue)
        try:
            producer.send_task(
                "campaigns.tasks.send_campaign_batch",
                args=(campaign.pk, claim),
                task_id=claim,
                queue=queue,
            )
            _wait(sink.holding.is_set, 60, "the tenth mail to be held")
            _wait(lambda: _sent() == 9, 10, "nine deliveries recorded as sent")
            os.killpg(first.pid, signal.SIGKILL)
            first.wait(10)
        finally:
            if first.poll() is None:
                os.killpg(first.pid, signal.SIGKILL)
        sink.release()
        second = _worker(sink, queue)
        try:
            _wait(lambda: _sent() == 30, 90, "all thirty deliveries sent")
        finally:
            os.killpg(second.pid, signal.SIGTERM)
            second.wait(20)

    received = Counter(recipient for mail in sink.received for recipient in mail.recipients)
    assert received == Counter({contact.email: 1 for contact in contacts})
