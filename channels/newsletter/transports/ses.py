"""Amazon SES: one SendRawEmail request per message, never retried by botocore."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from channels.exceptions import TransportError

from .base import (
    MailTransport,
    MaySend,
    OutcomeCallback,
    OutgoingMail,
    SendOutcome,
    _Batch,
)

logger = logging.getLogger(__name__)


# SES error codes that concern the one message (or its sender) and won't change on retry.
_SES_PERMANENT = {
    "MessageRejected",
    "MailFromDomainNotVerifiedException",
    "BadRequestException",
    "InvalidParameterValue",
}
# Codes that stop the whole transport: nothing will be accepted until someone acts.
_SES_FATAL = {
    "AccessDenied",
    "AccessDeniedException",
    "AccountSuspendedException",
    "InvalidClientTokenId",
    "NotFoundException",  # e.g. the configuration set does not exist
    "SignatureDoesNotMatch",
    "UnrecognizedClientException",
}
# The account may send again later: stop the batch, send it later.
_SES_PAUSED = {"SendingPausedException"}


class SESTransport(MailTransport):
    """Amazon SES (API v2), one raw message per recipient, ``POOL_SIZE`` requests at once.

    Options: ``REGION``, ``ENDPOINT_URL`` (another SES-compatible endpoint),
    ``CONFIGURATION_SET``, ``TIMEOUT`` and ``RATE_PER_SECOND`` (the account's send rate).
    Credentials come from the usual AWS sources (environment, profile, instance role).
    The outcome's ``provider_id`` is SES's MessageId.
    """

    def __init__(self, key: str, options: dict[str, Any]) -> None:
        super().__init__(key, options)
        # boto3 is imported here only: nothing else in the project needs it at import time.
        import boto3
        from botocore.config import Config

        timeout = float(options.get("TIMEOUT") or 30)
        self.configuration_set = options.get("CONFIGURATION_SET") or ""
        self.region = options.get("REGION") or "eu-central-1"
        self.endpoint_url = options.get("ENDPOINT_URL") or None
        self.client = boto3.session.Session().client(
            "sesv2",
            region_name=self.region,
            endpoint_url=self.endpoint_url,
            config=Config(
                connect_timeout=timeout,
                read_timeout=timeout,
                max_pool_connections=self.pool_size,
                # No automatic retries: a request whose answer was lost may have sent its mail
                # (in doubt). Throttling and service errors come back as transient outcomes,
                # which the caller sends again later.
                retries={"mode": "standard", "total_max_attempts": 1},
            ),
        )

    def send_many(
        self,
        mails: Sequence[OutgoingMail],
        *,
        on_outcome: OutcomeCallback | None = None,
        may_send: MaySend | None = None,
    ) -> list[SendOutcome]:
        if not mails:
            return []
        batch = _Batch(mails, may_send)

        def work() -> None:
            while batch.failure is None and (index := batch.take()) is not None:
                try:
                    batch.record(index, self._send(mails[index]))
                except TransportError as exc:
                    batch.fail(exc)

        self._run_workers(min(self.pool_size, len(mails)), work, batch, on_outcome)
        return self._finish(batch)

    def close(self) -> None:
        super().close()
        self.client.close()

    def _send(self, mail: OutgoingMail) -> SendOutcome:
        from botocore.exceptions import (
            BotoCoreError,
            ClientError,
            ConnectionClosedError,
            ConnectionError,
            NoCredentialsError,
            ParamValidationError,
            ReadTimeoutError,
        )

        request: dict[str, Any] = {
            "FromEmailAddress": mail.sender,
            "Destination": {"ToAddresses": [mail.recipient]},
            "Content": {"Raw": {"Data": mail.message}},
        }
        if self.configuration_set:
            request["ConfigurationSetName"] = self.configuration_set
        try:
            response = self.client.send_email(**request)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            code = error.get("Code", "")
            detail = f"{code}: {error.get('Message', '')}"
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
            if code in _SES_FATAL or code in _SES_PAUSED:
                raise self._error(detail, transient=code in _SES_PAUSED) from exc
            permanent = code in _SES_PERMANENT
            logger.info(
                "mail.transport.refused key=%s message_id=%s code=%s status=%s permanent=%s",
                self.key,
                mail.message_id,
                code,
                status,
                permanent,
            )
            # Throttling, quotas and 5xx service errors: another try later may succeed.
            return SendOutcome(mail.message_id, accepted=False, permanent=permanent, detail=detail)
        except ParamValidationError as exc:
            # botocore refused to build the request from this mail: it never will.
            return SendOutcome(mail.message_id, accepted=False, permanent=True, detail=str(exc))
        except NoCredentialsError as exc:
            raise self._error(str(exc), transient=False) from exc
        except (ReadTimeoutError, ConnectionClosedError) as exc:
            # The request went out and its answer never came: SES may have taken the mail.
            logger.warning(
                "mail.transport.in_doubt key=%s region=%s message_id=%s error=%s",
                self.key,
                self.region,
                mail.message_id,
                exc,
            )
            return SendOutcome(
                mail.message_id,
                accepted=False,
                in_doubt=True,
                detail=f"no answer from Amazon SES after the request was sent; the message "
                f"may have been delivered: {exc}",
            )
        except ConnectionError as exc:
            raise self._error(str(exc), transient=True) from exc
        except BotoCoreError as exc:
            raise self._error(str(exc), transient=True) from exc
        return SendOutcome(
            mail.message_id, accepted=True, provider_id=response.get("MessageId", "")
        )

    def _error(self, detail: str, *, transient: bool) -> TransportError:
        logger.warning(
            "mail.transport.ses_failed key=%s region=%s endpoint=%s transient=%s error=%s",
            self.key,
            self.region,
            self.endpoint_url or "",
            transient,
            detail,
        )
        return TransportError(f"Amazon SES ({self.key}): {detail}", transient=transient)
