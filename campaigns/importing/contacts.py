"""Contacts: matched by e-mail, external id or CRM id; consent and phase changes leave their
evidence (consent records, phase changes), and a suppressed address stays suppressed."""

from __future__ import annotations

from typing import Any

from campaigns.models import (
    Account,
    ConsentKind,
    ConsentRecord,
    ConsentState,
    Contact,
    ImportKind,
    PhaseChange,
    Suppression,
    email_hash,
)
from campaigns.placements.audience import placement_audience_stale_on_commit
from campaigns.services.segment_state import segment_state_note_contacts

from .engine import Batch, Importer
from .fields import ACCOUNT_KEY_NAMES
from .reports import UnreadableFile
from .values import (
    CONSENTS,
    LANGUAGES,
    PHASES,
    ROLES,
    SALUTATIONS,
    choice_parser,
    max_length,
    parse_email,
    parse_timezone,
    text_parser,
)


class ContactImporter(Importer):
    kind = ImportKind.CONTACTS
    model = Contact
    UNIQUE = ("email", "external_id", "crm_id")
    parsers = {
        "email": parse_email,
        "external_id": text_parser(max_length(Contact, "external_id")),
        "crm_id": text_parser(max_length(Contact, "crm_id")),
        "account": text_parser(max_length(Account, "crm_id")),
        "salutation": choice_parser(SALUTATIONS, "salutation"),
        "first_name": text_parser(max_length(Contact, "first_name")),
        "last_name": text_parser(max_length(Contact, "last_name")),
        "language": choice_parser(LANGUAGES, "language"),
        "role": choice_parser(ROLES, "role"),
        "phase": choice_parser(PHASES, "phase"),
        "consent": choice_parser(CONSENTS, "consent"),
        "timezone": parse_timezone,
    }
    CONSENT_KINDS = {
        ConsentState.PENDING: ConsentKind.OPT_IN,
        ConsentState.CONFIRMED: ConsentKind.CONFIRMATION,
        ConsentState.REVOKED: ConsentKind.OPT_OUT,
    }

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.text_version = (
            self.options.get("consent_text_version") or self.options.get("file_name") or ""
        )[:100]
        # What the account column holds: customer numbers unless a sync names another id.
        self.account_key = self.options.get("account_key") or "customer_number"
        if self.account_key not in ACCOUNT_KEY_NAMES:
            raise UnreadableFile(
                f"Accounts cannot be referred to by {self.account_key!r}; use one of: "
                f"{', '.join(ACCOUNT_KEY_NAMES)}."
            )

    def plan(self, rows) -> Batch:
        batch = Batch()
        parsed = self.keyed(rows, "contacts")
        owners = self.owners(parsed)
        accounts = dict(
            Account.objects.filter(
                **{f"{self.account_key}__in": {v["account"] for _l, v in parsed if "account" in v}}
            ).values_list(self.account_key, "pk")
        )
        suppressed = set(
            Suppression.objects.filter(
                email_hash__in={email_hash(v["email"]) for _l, v in parsed if "email" in v}
            ).values_list("email_hash", flat=True)
        )
        evidence: list[tuple[dict, str, str, str]] = []  # contact row, what, from, to
        for line, values in parsed:
            target = owners[self.key].get(values[self.key])
            if self.unique_clash(line, values, target, owners):
                self.skipped += 1
                continue
            if "account" in values:
                number = values.pop("account")
                account_id = accounts.get(number)
                if account_id is None:
                    self.error(
                        line,
                        "account",
                        f"no account has the {ACCOUNT_KEY_NAMES[self.account_key]} {number}",
                    )
                    self.skipped += 1
                    continue
                values["account_id"] = account_id
            consent = values.pop("consent", None)
            phase = values.pop("phase", None)
            if target is None:
                if "email" not in values:
                    self.error(line, "email", "required for a new contact")
                    self.skipped += 1
                    continue
                contact = {
                    **values,
                    "email_hash": email_hash(values["email"]),
                    "consent": ConsentState.NONE,
                    "phase": "",
                }
                changed = set()
            else:
                contact = target
                changed = self.apply(contact, values)
                if "email" in changed:
                    contact["email_hash"] = email_hash(contact["email"])
                    changed.add("email_hash")
            suppressed_address = contact["email_hash"] in suppressed
            if consent and consent != ConsentState.NONE and consent != contact["consent"]:
                if suppressed_address and consent != ConsentState.REVOKED:
                    self.warn(
                        line,
                        "consent",
                        "the address is suppressed: consent not imported, it stays suppressed",
                    )
                else:
                    evidence.append((contact, "consent", contact["consent"], consent))
                    contact["consent"] = consent
                    contact["consent_changed_at"] = self.now
                    changed |= {"consent", "consent_changed_at"}
            elif suppressed_address and target is None:
                self.warn(line, "email", "the address is suppressed: it stays suppressed")
            if phase and phase != contact["phase"]:
                evidence.append((contact, "phase", contact["phase"], phase))
                contact["phase"] = phase
                contact["phase_changed_at"] = self.now
                changed |= {"phase", "phase_changed_at"}
            if target is None:
                batch.create.append(contact)
            elif changed:
                batch.update.append(contact)
                batch.update_fields |= changed
            else:
                batch.unchanged += 1
        if evidence:
            batch.after_create.append(lambda: self.evidence(evidence))
        return batch

    def write(self, batch: Batch) -> None:
        super().write(batch)
        # Rolled back with the batch in a dry run, like the rows themselves.
        segment_state_note_contacts(row["id"] for row in (*batch.create, *batch.update))
        placement_audience_stale_on_commit(row["id"] for row in (*batch.create, *batch.update))

    def assign_pks(self, rows: list[dict[str, Any]]) -> None:
        ids = dict(
            Contact.objects.filter(email__in=[row["email"] for row in rows]).values_list(
                "email", "pk"
            )
        )
        for row in rows:
            row["id"] = ids[row["email"]]

    def evidence(self, evidence):
        """Consent records and phase changes, once the new contacts have their ids."""
        consents, phases = [], []
        for contact, what, before, after in evidence:
            if what == "consent":
                consents.append(
                    {
                        "contact_id": contact["id"],
                        "kind": self.CONSENT_KINDS[after],
                        "at": self.now,
                        "source": "import",
                        "text_version": self.text_version,
                    }
                )
            else:
                phases.append(
                    {
                        "contact_id": contact["id"],
                        "from_phase": before,
                        "to_phase": after,
                        "changed_at": self.now,
                        "reason": "import",
                    }
                )
        return [(ConsentRecord, consents), (PhaseChange, phases)]
