"""Files: each message written as an .eml file, for development and tests."""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from .base import (
    LEASE_LOST,
    MailTransport,
    MaySend,
    OutcomeCallback,
    OutgoingMail,
    SendOutcome,
)

logger = logging.getLogger(__name__)


class FileTransport(MailTransport):
    """Writes each message to ``DIRECTORY/<message id>.eml``: the embedded default.

    ``make run`` has no mail server; campaigns still send, and every message can be opened
    in a mail program from the folder. Never used in production.
    """

    def __init__(self, key: str, options: dict[str, Any]) -> None:
        super().__init__(key, options)
        directory = options.get("DIRECTORY")
        if not directory:
            raise ImproperlyConfigured(
                f"HUB_MAIL_TRANSPORTS[{key!r}]['OPTIONS']['DIRECTORY'] is required."
            )
        self.directory = os.fspath(directory)

    def send_many(
        self,
        mails: Sequence[OutgoingMail],
        *,
        on_outcome: OutcomeCallback | None = None,
        may_send: MaySend | None = None,
    ) -> list[SendOutcome]:
        os.makedirs(self.directory, exist_ok=True)
        outcomes = []
        for mail in mails:
            if may_send is not None and not may_send():
                outcomes.append(
                    SendOutcome(mail.message_id, accepted=False, detail=f"not sent: {LEASE_LOST}")
                )
                continue
            name = "".join(c if c.isalnum() or c in ".-_@" else "_" for c in mail.message_id)
            with open(os.path.join(self.directory, f"{name}.eml"), "wb") as file:
                file.write(mail.message)
            outcome = SendOutcome(mail.message_id, accepted=True, detail="written to file")
            outcomes.append(outcome)
            if on_outcome is not None:
                on_outcome(mail, outcome)
        return outcomes

    def forget_recipient(self, *, email: str) -> int:
        """Delete every ``.eml`` file addressed to ``email`` or naming it anywhere."""
        needle = email.strip().lower().encode()
        if not needle or not os.path.isdir(self.directory):
            return 0
        deleted = 0
        with os.scandir(self.directory) as entries:
            for entry in entries:
                if not (entry.is_file() and entry.name.endswith(".eml")):
                    continue
                with open(entry.path, "rb") as file:
                    if needle not in file.read().lower():
                        continue
                os.remove(entry.path)
                deleted += 1
        logger.info("mail.file_forgotten transport=%s files=%s", self.key, deleted)
        return deleted
