"""An HTTPS stand-in for AWS, and SNS messages as SNS signs them (real signatures)."""

from __future__ import annotations

import base64
import contextlib
import datetime
import importlib
import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from django.test import override_settings
from django.urls import clear_url_caches
from django.utils import timezone

import hub.urls

URL = "/hooks/ses/"
TOPIC = "arn:aws:sns:eu-central-1:123456789012:ses-feedback"
FOREIGN_TOPIC = "arn:aws:sns:eu-central-1:999999999999:someone-elses-topic"
SES = {"BACKEND": "channels.newsletter.transports.SESTransport", "OPTIONS": {}}
SMTP = {"BACKEND": "channels.newsletter.transports.SMTPTransport", "OPTIONS": {}}
FILES = {"BACKEND": "channels.newsletter.transports.FileTransport", "OPTIONS": {}}
# When SES says the mail bounced (ses_bounce); recent sends are counted back from it.
BOUNCED_AT = datetime.datetime(2026, 11, 23, 10, 15, tzinfo=datetime.UTC)
CERT_PATH = "/SimpleNotificationService-0000000000000000000000.pem"
OUR_MESSAGE_ID = "newsletter-42.7@hub.example"
SES_MESSAGE_ID = "0107018c2f3e4d5e-ses-message-id-000000"
# The fields SNS signs per type, in order (written out here, not taken from the code).
SIGNED = {
    "Notification": ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"],
    "SubscriptionConfirmation": [
        "Message",
        "MessageId",
        "SubscribeURL",
        "Timestamp",
        "Token",
        "TopicArn",
        "Type",
    ],
}


class AwsStandIn:
    """An HTTPS server that hands out the signing certificate and records every GET."""

    def __init__(self, tls, certificate_pem: bytes, host: str = "localhost") -> None:
        self.paths: list[str] = []
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                stand_in.paths.append(self.path)
                if self.path == CERT_PATH:
                    body, kind = certificate_pem, "application/x-pem-file"
                else:
                    body, kind = b"<ConfirmSubscriptionResponse/>", "text/xml"
                self.send_response(200)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.url = f"https://{host}:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    def __enter__(self) -> AwsStandIn:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


@contextlib.contextmanager
def mail_transport(config: dict):
    """The hub's URLs as they are when the newsletter sends through ``config``."""
    with override_settings(HUB_MAIL_TRANSPORTS={"default": config}):
        importlib.reload(hub.urls)
        clear_url_caches()
        yield
    importlib.reload(hub.urls)
    clear_url_caches()


def sns_timestamp(moment: datetime.datetime) -> str:
    moment = moment.astimezone(datetime.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def sign(message: dict, key, version: str) -> str:
    text = "".join(
        f"{name}\n{message[name]}\n" for name in SIGNED[message["Type"]] if name in message
    )
    algorithm = hashes.SHA1() if version == "1" else hashes.SHA256()  # noqa: S303
    return base64.b64encode(key.sign(text.encode(), padding.PKCS1v15(), algorithm)).decode()


def sns_notification(
    key, cert_url: str, ses_message: str, *, version: str = "2", topic: str = TOPIC
) -> dict:
    message = {
        "Type": "Notification",
        "MessageId": str(uuid.uuid4()),
        "TopicArn": topic,
        "Message": ses_message,
        "Timestamp": sns_timestamp(timezone.now()),
        "SignatureVersion": version,
        "SigningCertURL": cert_url,
        "UnsubscribeURL": f"{cert_url}?Action=Unsubscribe",
    }
    message["Signature"] = sign(message, key, version)
    return message


def ses_bounce(email: str, bounce_type: str = "Permanent", *, field="notificationType") -> str:
    return json.dumps(
        {
            field: "Bounce",
            "bounce": {
                "bounceType": bounce_type,
                "bounceSubType": "General",
                "bouncedRecipients": [
                    {
                        "emailAddress": email,
                        "action": "failed",
                        "status": "5.1.1",
                        "diagnosticCode": "smtp; 550 5.1.1 user unknown",
                    }
                ],
                "timestamp": "2026-11-23T10:15:00.000Z",
                "feedbackId": "0107018c-bounce-feedback",
            },
            "mail": {
                "timestamp": "2026-11-23T10:14:58.000Z",
                "messageId": SES_MESSAGE_ID,
                "source": "newsletter@hub.example",
                "destination": [email],
                "headersTruncated": False,
                "headers": [
                    {"name": "From", "value": "newsletter@hub.example"},
                    {"name": "Message-ID", "value": f"<{OUR_MESSAGE_ID}>"},
                ],
                "commonHeaders": {"messageId": f"<{OUR_MESSAGE_ID}>", "to": [email]},
            },
        }
    )


def without_message_id(ses_message: str) -> str:
    """The notification as SES sends it when it passes on no Message-ID of the mail."""
    notification = json.loads(ses_message)
    notification["mail"].pop("headers", None)
    notification["mail"]["commonHeaders"].pop("messageId", None)
    return json.dumps(notification)


def ses_complaint(email: str, message_id: str = OUR_MESSAGE_ID) -> str:
    return json.dumps(
        {
            "notificationType": "Complaint",
            "complaint": {
                "complainedRecipients": [{"emailAddress": email}],
                "complaintFeedbackType": "abuse",
                "timestamp": "2026-11-23T11:00:00.000Z",
                "feedbackId": "0107018c-complaint-feedback",
            },
            "mail": {
                "timestamp": "2026-11-23T10:14:58.000Z",
                "messageId": SES_MESSAGE_ID,
                "commonHeaders": {"messageId": f"<{message_id}>"},
            },
        }
    )


def post(client, message):
    body = message if isinstance(message, str) else json.dumps(message)
    return client.post(URL, data=body, content_type="text/plain; charset=UTF-8")
