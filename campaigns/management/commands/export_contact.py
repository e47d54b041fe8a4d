"""Export one contact's personal data as JSON (GDPR Art. 15 and 20), audited as the system."""

import json

from django.core.management.base import BaseCommand, CommandError

from campaigns.models import Contact, normalise_email
from campaigns.services.privacy import contact_export_data


def find_contact(*, email: str | None, contact_id: int | None) -> Contact:
    lookup = {"email": normalise_email(email)} if email else {"pk": contact_id}
    try:
        return Contact.objects.get(**lookup)
    except Contact.DoesNotExist:
        what = f"e-mail {lookup['email']!r}" if email else f"id {contact_id}"
        raise CommandError(f"No contact with {what}.") from None


class Command(BaseCommand):
    help = "Write everything the hub holds about one contact as JSON (stdout or --output)."

    def add_arguments(self, parser) -> None:
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--email", help="The contact's e-mail address.")
        which.add_argument("--id", type=int, dest="contact_id", help="The contact's id.")
        parser.add_argument("--output", "-o", help="Write to this file instead of stdout.")

    def handle(self, *args, email=None, contact_id=None, output=None, **options) -> None:
        contact = find_contact(email=email, contact_id=contact_id)
        data = contact_export_data(contact=contact, user=None)
        text = json.dumps(data, indent=2, ensure_ascii=False)
        if output:
            with open(output, "w", encoding="utf-8") as file:
                file.write(text + "\n")
            self.stderr.write(f"Contact #{contact.pk} exported to {output}.")
        else:
            self.stdout.write(text)
