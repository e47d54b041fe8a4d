"""Erase one contact (GDPR Art. 17), keeping the hashed suppression; audited as the system."""

from django.core.management.base import BaseCommand, CommandError

from campaigns.management.commands.export_contact import find_contact
from campaigns.services.privacy import contact_erase


class Command(BaseCommand):
    help = (
        "Erase one contact: events and orders are kept without the person, the address stays "
        "suppressed as a hash, everything else about the contact is deleted."
    )

    def add_arguments(self, parser) -> None:
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--email", help="The contact's e-mail address.")
        which.add_argument("--id", type=int, dest="contact_id", help="The contact's id.")
        parser.add_argument(
            "--reason", required=True, help="Why (e.g. the ticket of the erasure request)."
        )
        parser.add_argument("--yes", action="store_true", help="Do not ask for confirmation.")

    def handle(self, *args, email=None, contact_id=None, reason="", yes=False, **options) -> None:
        if not reason.strip():
            raise CommandError("--reason must not be empty.")
        contact = find_contact(email=email, contact_id=contact_id)
        if not yes:
            answer = input(
                f"Erase contact #{contact.pk} ({contact.email}) for good? Type 'yes' to go on: "
            )
            if answer.strip().lower() != "yes":
                raise CommandError("Nothing erased.")
        summary = contact_erase(contact=contact, user=None, reason=reason)
        self.stdout.write(
            f"Contact #{summary['contact_id']} erased: {summary['events_anonymised']} events and "
            f"{summary['orders_anonymised']} orders kept without the person, address suppressed "
            f"({summary['suppression']})."
        )
