"""The newsletter's mail transports against a real SMTP server (aiosmtpd) and moto's SES."""

from __future__ import annotations

import json
import urllib.request
from email.message import EmailMessage
from email.policy import SMTP

import pytest
from django.core.exceptions import ImproperlyConfigured

from channels.exceptions import TransportError
from channels.newsletter.transports import (
    OutgoingMail,
    SendOutcome,
    SESTransport,
    SMTPTransport,
    get_transport,
)
from tests.channels.conftest import tls_context
from tests.mail_sink import MailSink, free_port

SENDER = "bounces@news.example.com"


def build_mail(recipient: str, number: int = 1) -> OutgoingMail:
    message = EmailMessage()
    message["From"] = "Hub <news@example.com>"
    message["To"] = recipient
    message["Subject"] = f"Neuheiten Nr. {number}: Größen"
    message["Message-ID"] = f"<n{number}.{recipient}@news.example.com>"
    # 8-bit text and lines starting with a dot: what SMTP could alter if it re-encoded.
    message.set_content(f"Grüße,\n.\n..eine Zeile mit Punkt\nNummer {number}\n", cte="8bit")
    return OutgoingMail(
        sender=SENDER,
        recipient=recipient,
        message=message.as_bytes(policy=SMTP),
        message_id=f"n{number}.{recipient}@news.example.com",
    )


@pytest.fixture
def smtp_transport():
    """Builds SMTP transports to a sink and closes them after the test."""
    made: list[SMTPTransport] = []

    def make(sink: MailSink, **options) -> SMTPTransport:
        transport = SMTPTransport(
            "default", {"HOST": sink.host, "PORT": sink.port, "TIMEOUT": 5, **options}
        )
        made.append(transport)
        return transport

    yield make
    for transport in made:
        transport.close()


@pytest.fixture
def tls_sink(certificate_authority):
    """A sink on localhost that requires STARTTLS (in-house CA) and AUTH."""
    with MailSink(
        tls_context=tls_context(certificate_authority, "localhost"),
        credentials=("newsletter", "correct horse"),
    ) as sink:
        yield sink


@pytest.fixture
def ca_file(certificate_authority, tmp_path):
    path = tmp_path / "ca.pem"
    certificate_authority.cert_pem.write_to_path(str(path))
    return str(path)


def test_messages_arrive_byte_for_byte_with_their_envelope(mail_sink, smtp_transport):
    mails = [build_mail(f"reader{n}@example.com", n) for n in range(10)]
    transport = smtp_transport(mail_sink)

    outcomes = transport.send_many(mails)

    assert outcomes == [SendOutcome(mail.message_id, accepted=True) for mail in mails]
    assert mail_sink.raw_by_recipient() == {mail.recipient: mail.message for mail in mails}
    assert {received.sender for received in mail_sink.received} == {SENDER}
    assert all(len(received.recipients) == 1 for received in mail_sink.received)


def test_pooled_connections_are_reused_across_batches(mail_sink, smtp_transport):
    transport = smtp_transport(mail_sink, POOL_SIZE=3)

    transport.send_many([build_mail(f"first{n}@example.com", n) for n in range(9)])
    transport.send_many([build_mail(f"second{n}@example.com", n) for n in range(9)])

    assert len(mail_sink.received) == 18
    assert mail_sink.connections == 3


def test_refused_recipient_is_a_permanent_outcome_and_the_rest_are_delivered(
    mail_sink, smtp_transport
):
    mail_sink.reject("gone@example.com", 550, "No such user")
    mails = [build_mail(address) for address in ("a@example.com", "gone@example.com", "b@x.de")]

    outcomes = smtp_transport(mail_sink).send_many(mails)

    assert [(o.accepted, o.permanent) for o in outcomes] == [
        (True, False),
        (False, True),
        (True, False),
    ]
    assert outcomes[1].detail == "550 No such user"
    assert set(mail_sink.raw_by_recipient()) == {"a@example.com", "b@x.de"}


def test_temporarily_refused_recipient_is_a_transient_outcome(mail_sink, smtp_transport):
    mail_sink.reject("full@example.com", 451, "Mailbox busy, try later")

    [outcome] = smtp_transport(mail_sink).send_many([build_mail("full@example.com")])

    assert (outcome.accepted, outcome.permanent) == (False, False)
    assert outcome.detail == "451 Mailbox busy, try later"
    assert mail_sink.received == []


def test_starttls_and_auth_deliver_to_a_server_of_the_in_house_ca(
    tls_sink, smtp_transport, ca_file
):
    transport = smtp_transport(
        tls_sink,
        HOST="localhost",
        STARTTLS=True,
        USERNAME="newsletter",
        PASSWORD="correct horse",
        CA_FILE=ca_file,
    )
    mail = build_mail("reader@example.com")

    [outcome] = transport.send_many([mail])

    assert outcome.accepted
    assert tls_sink.raw_by_recipient() == {"reader@example.com": mail.message}


def test_wrong_password_raises_a_permanent_transport_error(tls_sink, smtp_transport, ca_file):
    transport = smtp_transport(
        tls_sink,
        HOST="localhost",
        STARTTLS=True,
        USERNAME="newsletter",
        PASSWORD="wrong",
        CA_FILE=ca_file,
    )

    with pytest.raises(TransportError, match="authentication failed") as raised:
        transport.send_many([build_mail("reader@example.com")])

    assert raised.value.transient is False
    assert tls_sink.received == []


def test_server_certificate_from_an_unknown_ca_raises_a_permanent_transport_error(
    tls_sink, smtp_transport
):
    transport = smtp_transport(tls_sink, HOST="localhost", STARTTLS=True)

    with pytest.raises(TransportError, match="certificate not trusted") as raised:
        transport.send_many([build_mail("reader@example.com")])

    assert raised.value.transient is False


def test_implicit_tls_delivers(certificate_authority, smtp_transport, ca_file):
    with MailSink(implicit_tls=tls_context(certificate_authority, "localhost")) as sink:
        transport = smtp_transport(sink, HOST="localhost", SSL=True, CA_FILE=ca_file)

        [outcome] = transport.send_many([build_mail("reader@example.com")])

    assert outcome.accepted
    assert set(sink.raw_by_recipient()) == {"reader@example.com"}


def test_no_server_listening_raises_a_transient_transport_error(smtp_transport):
    transport = SMTPTransport("default", {"HOST": "127.0.0.1", "PORT": free_port(), "TIMEOUT": 5})

    with pytest.raises(TransportError, match="cannot connect") as raised:
        transport.send_many([build_mail("reader@example.com")])

    assert raised.value.transient is True


def test_server_gone_between_batches_raises_a_transient_transport_error(mail_sink, smtp_transport):
    transport = smtp_transport(mail_sink, POOL_SIZE=2)
    transport.send_many([build_mail("first@example.com"), build_mail("second@example.com")])
    mail_sink.stop()

    with pytest.raises(TransportError) as raised:
        transport.send_many([build_mail("third@example.com"), build_mail("fourth@example.com")])

    assert raised.value.transient is True


def test_restarted_server_gets_the_next_batch_over_new_connections(mail_sink, smtp_transport):
    transport = smtp_transport(mail_sink, POOL_SIZE=2)
    transport.send_many([build_mail(f"first{n}@example.com", n) for n in range(4)])
    mail_sink.restart()
    mails = [build_mail(f"second{n}@example.com", n) for n in range(4)]

    outcomes = transport.send_many(mails)

    assert all(outcome.accepted for outcome in outcomes)
    assert {m.recipient: m.message for m in mails}.items() <= mail_sink.raw_by_recipient().items()
    assert mail_sink.connections == 4


def test_get_transport_builds_the_configured_transport_once(settings, mail_sink):
    settings.HUB_MAIL_TRANSPORTS = {
        "default": {
            "BACKEND": "channels.newsletter.transports.SMTPTransport",
            "OPTIONS": {"HOST": mail_sink.host, "PORT": mail_sink.port, "RATE_PER_SECOND": 25},
        }
    }

    transport = get_transport()

    assert transport is get_transport("default")
    assert transport.rate_per_second == 25.0
    assert transport.send_many([build_mail("reader@example.com")])[0].accepted


def test_get_transport_follows_a_change_of_settings(settings, mail_sink):
    settings.HUB_MAIL_TRANSPORTS = {
        "default": {"BACKEND": "channels.newsletter.transports.SMTPTransport", "OPTIONS": {}}
    }
    before = get_transport()

    settings.HUB_MAIL_TRANSPORTS = {
        "default": {
            "BACKEND": "channels.newsletter.transports.SMTPTransport",
            "OPTIONS": {"HOST": mail_sink.host, "PORT": mail_sink.port},
        }
    }

    after = get_transport()
    assert after is not before
    assert (after.host, after.port) == (mail_sink.host, mail_sink.port)


def test_get_transport_names_the_setting_and_key_of_a_bad_backend(settings):
    settings.HUB_MAIL_TRANSPORTS = {"bulk": {"BACKEND": "channels.newsletter.NewsletterChannel"}}

    with pytest.raises(ImproperlyConfigured, match=r"HUB_MAIL_TRANSPORTS\['bulk'\]"):
        get_transport("bulk")


@pytest.fixture
def ses_transport(moto_url, monkeypatch):
    """An SES transport to moto's server with a verified sender identity."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    transport = SESTransport(
        "ses", {"REGION": "eu-central-1", "ENDPOINT_URL": moto_url, "RATE_PER_SECOND": 14}
    )
    transport.client.create_email_identity(EmailIdentity=SENDER)
    yield transport
    transport.close()


def sent_by_moto(moto_url: str) -> dict[str, dict]:
    with urllib.request.urlopen(f"{moto_url}/moto-api/data.json") as response:  # noqa: S310
        data = json.load(response)
    return {raw["id"]: raw for raw in data["ses"]["RawMessage"]}


def test_ses_hands_over_the_raw_message(ses_transport, moto_url):
    mails = [build_mail("reader@example.com", 1), build_mail("other@example.com", 2)]

    outcomes = ses_transport.send_many(mails)

    sent = sent_by_moto(moto_url)
    assert [outcome.accepted for outcome in outcomes] == [True, True]
    for mail, outcome in zip(mails, outcomes, strict=True):
        assert outcome.message_id == mail.message_id
        assert sent[outcome.provider_id]["raw_data"].encode() == mail.message
        assert sent[outcome.provider_id]["source"] == SENDER
        assert mail.recipient in sent[outcome.provider_id]["destinations"]


def test_ses_rejects_an_unverified_sender_permanently(ses_transport):
    mail = build_mail("reader@example.com")
    unverified = OutgoingMail(
        sender="someone@unverified.example.org",
        recipient=mail.recipient,
        message=mail.message,
        message_id=mail.message_id,
    )

    [outcome] = ses_transport.send_many([unverified])

    assert (outcome.accepted, outcome.permanent) == (False, True)
    assert outcome.detail.startswith("MessageRejected")


def test_ses_endpoint_unreachable_raises_a_transient_transport_error(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    transport = SESTransport(
        "ses", {"REGION": "eu-central-1", "ENDPOINT_URL": f"http://127.0.0.1:{free_port()}"}
    )

    with pytest.raises(TransportError) as raised:
        transport.send_many([build_mail("reader@example.com")])

    assert raised.value.transient is True


def test_each_outcome_reaches_the_caller_thread_as_soon_as_its_mail_is_answered(
    mail_sink, smtp_transport
):
    import threading

    mails = [build_mail(f"stream{n}@example.com", n) for n in range(12)]
    transport = smtp_transport(mail_sink, POOL_SIZE=3)
    seen = []

    def on_outcome(mail, outcome):
        seen.append((mail.message_id, outcome.accepted, threading.current_thread()))

    outcomes = transport.send_many(mails, on_outcome=on_outcome)

    assert sorted(message_id for message_id, _, _ in seen) == sorted(m.message_id for m in mails)
    assert all(accepted for _, accepted, _ in seen)
    assert {thread for _, _, thread in seen} == {threading.current_thread()}
    assert [outcome.message_id for outcome in outcomes] == [m.message_id for m in mails]


def test_a_failing_outcome_callback_stops_the_batch_after_the_mails_in_flight(
    mail_sink, smtp_transport
):
    mails = [build_mail(f"halt{n}@example.com", n) for n in range(40)]
    transport = smtp_transport(mail_sink, POOL_SIZE=2)

    def on_outcome(mail, outcome):
        raise RuntimeError("the database is gone")

    with pytest.raises(RuntimeError, match="database is gone"):
        transport.send_many(mails, on_outcome=on_outcome)

    # Only the mails already handed to a connection went out; the rest was never started.
    assert 1 <= len(mail_sink.received) <= 2


def test_a_connection_starts_its_next_mail_only_once_the_last_one_was_recorded(
    mail_sink, smtp_transport
):
    import threading
    import time

    mails = [build_mail(f"slow{n}@example.com", n) for n in range(10)]
    transport = smtp_transport(mail_sink, POOL_SIZE=2)
    recorder_free = threading.Event()

    def slow_recorder(mail, outcome):
        recorder_free.wait(10)  # the database is slow to record the first outcome

    sending = threading.Thread(
        target=lambda: transport.send_many(mails, on_outcome=slow_recorder), daemon=True
    )
    sending.start()
    deadline = time.monotonic() + 10
    while len(mail_sink.received) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    # Give the connections every chance to go on if they did not wait for the recorder.
    time.sleep(0.5)
    accepted_while_recording = len(mail_sink.received)
    recorder_free.set()
    sending.join(10)

    assert accepted_while_recording == 2  # one per connection, not recorded yet
    assert len(mail_sink.received) == 10


def test_a_connection_lost_after_the_content_went_out_leaves_the_mail_in_doubt_not_resent(
    mail_sink, smtp_transport
):
    mails = [build_mail("doubt@example.com", 1), build_mail("after@example.com", 2)]
    mail_sink.drop("doubt@example.com", at="data")
    transport = smtp_transport(mail_sink, POOL_SIZE=1)

    outcomes = transport.send_many(mails)

    assert (outcomes[0].accepted, outcomes[0].in_doubt, outcomes[0].permanent) == (
        False,
        True,
        False,
    )
    assert "may have been delivered" in outcomes[0].detail
    assert outcomes[1].accepted
    received = [r for mail in mail_sink.received for r in mail.recipients]
    assert sorted(received) == ["after@example.com", "doubt@example.com"]


def test_a_connection_lost_before_the_content_went_out_is_retried_on_a_new_one(
    mail_sink, smtp_transport
):
    mail_sink.drop("early@example.com", at="rcpt")
    transport = smtp_transport(mail_sink, POOL_SIZE=1)

    [outcome] = transport.send_many([build_mail("early@example.com")])

    assert (outcome.accepted, outcome.in_doubt) == (True, False)
    assert [r for mail in mail_sink.received for r in mail.recipients] == ["early@example.com"]


def test_no_further_mail_goes_out_once_may_send_says_no(mail_sink, smtp_transport):
    mails = [build_mail(f"lease{n}@example.com", n) for n in range(6)]
    transport = smtp_transport(mail_sink, POOL_SIZE=1)
    answers = iter([True, True, True])

    outcomes = transport.send_many(mails, may_send=lambda: next(answers, False))

    # Asked before each mail and again before its content: the second mail is the last.
    assert [outcome.accepted for outcome in outcomes] == [True, False, False, False, False, False]
    assert all(not o.permanent and not o.in_doubt for o in outcomes[1:])
    assert all("lease" in o.detail for o in outcomes[1:])
    assert len(mail_sink.received) == 1


def test_a_mail_held_at_rcpt_is_not_sent_when_the_lease_ends_meanwhile(mail_sink, smtp_transport):
    import threading
    import time

    transport = smtp_transport(mail_sink, POOL_SIZE=1)
    lease = threading.Event()
    lease.set()
    mail_sink.hold_after(0)
    result = {}
    sending = threading.Thread(
        target=lambda: result.update(
            outcomes=transport.send_many([build_mail("held@example.com")], may_send=lease.is_set)
        ),
        daemon=True,
    )
    sending.start()
    assert mail_sink.holding.wait(10)

    lease.clear()  # the worker stalled past its lease while the server kept it waiting
    mail_sink.release()
    sending.join(10)

    [outcome] = result["outcomes"]
    assert (outcome.accepted, outcome.in_doubt) == (False, False)
    assert mail_sink.received == []
    time.sleep(0)  # the connection stays usable for the next batch:
    [after] = transport.send_many([build_mail("next@example.com")])
    assert after.accepted


def test_ses_without_an_answer_is_in_doubt_and_asked_only_once(monkeypatch):
    import socketserver
    import threading

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    requests = []

    class Silent(socketserver.BaseRequestHandler):
        def handle(self):
            requests.append(self.request.recv(65536))
            self.request.recv(65536)  # never answers; the client gives up first

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Silent)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    transport = SESTransport(
        "ses",
        {
            "REGION": "eu-central-1",
            "ENDPOINT_URL": f"http://127.0.0.1:{server.server_address[1]}",
            "TIMEOUT": 1,
        },
    )
    try:
        [outcome] = transport.send_many([build_mail("reader@example.com")])
    finally:
        transport.close()
        server.shutdown()
        server.server_close()

    assert (outcome.accepted, outcome.in_doubt) == (False, True)
    assert len(requests) == 1  # botocore did not send it again on its own


def test_the_file_transport_writes_each_message_as_an_eml_file(tmp_path):
    from channels.newsletter.transports import FileTransport

    mails = [build_mail(f"file{n}@example.com", n) for n in range(3)]
    transport = FileTransport("default", {"DIRECTORY": str(tmp_path / "mail")})

    outcomes = transport.send_many(mails)

    assert all(outcome.accepted for outcome in outcomes)
    written = {path.read_bytes() for path in (tmp_path / "mail").glob("*.eml")}
    assert written == {mail.message for mail in mails}
