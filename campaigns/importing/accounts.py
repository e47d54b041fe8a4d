"""Accounts: matched by customer number, ERP id or CRM id; a new one needs a name."""

from __future__ import annotations

from campaigns.models import Account, Contact, ImportKind
from campaigns.placements.audience import placement_audience_stale_on_commit
from campaigns.segments.bitmaps import ACCOUNT_ATTRIBUTES
from campaigns.services.segment_state import segment_state_note_accounts

from .engine import Batch, Importer
from .values import max_length, parse_country, parse_size, text_parser


class AccountImporter(Importer):
    kind = ImportKind.ACCOUNTS
    model = Account
    UNIQUE = ("customer_number", "erp_id", "crm_id")
    parsers = {
        "customer_number": text_parser(max_length(Account, "customer_number")),
        "erp_id": text_parser(max_length(Account, "erp_id")),
        "crm_id": text_parser(max_length(Account, "crm_id")),
        "name": text_parser(max_length(Account, "name")),
        "industry": text_parser(max_length(Account, "industry")),
        "country": parse_country,
        "size_class": parse_size,
        "price_group": text_parser(max_length(Account, "price_group")),
    }

    def plan(self, rows) -> Batch:
        batch = Batch()
        parsed = self.keyed(rows, "accounts")
        owners = self.owners(parsed)
        for line, values in parsed:
            target = owners[self.key].get(values[self.key])
            if self.unique_clash(line, values, target, owners):
                self.skipped += 1
                continue
            if target is None:
                if not values.get("name"):
                    self.error(line, "name", "required for a new account")
                    self.skipped += 1
                    continue
                batch.create.append(values)
                continue
            changed = self.apply(target, values)
            if changed:
                batch.update.append(target)
                batch.update_fields |= changed
            else:
                batch.unchanged += 1
        return batch

    def write(self, batch: Batch) -> None:
        super().write(batch)
        # An account's country, size or price group is part of its contacts' segments.
        changed = [row["id"] for row in batch.update]
        if changed and batch.update_fields & set(ACCOUNT_ATTRIBUTES):
            segment_state_note_accounts(changed)
        if changed:
            placement_audience_stale_on_commit(
                Contact.objects.filter(account_id__in=changed).values_list("pk", flat=True)
            )
