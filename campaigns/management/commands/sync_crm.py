"""``manage.py sync_crm``: import what changed in the CRM now, as the scheduler does."""

from django.core.management.base import BaseCommand, CommandError

from campaigns.crm.base import crm_backend_keys
from campaigns.services.sync import crm_sync


class Command(BaseCommand):
    help = (
        "Import accounts, contacts and won deals changed in the CRM (HUB_CRM) since the last "
        "sync. Exits with an error if a kind failed; its cursor stays where it was."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "backend", nargs="?", help="A key of HUB_CRM (default: every configured CRM)."
        )

    def handle(self, *args, backend=None, **options):
        keys = crm_backend_keys()
        if not keys:
            self.stdout.write("No CRM is configured (HUB_CRM is empty): nothing to do.")
            return
        if backend and backend not in keys:
            raise CommandError(f"No CRM {backend!r} in HUB_CRM; configured: {', '.join(keys)}.")
        failed = []
        for key in [backend] if backend else keys:
            result = crm_sync(backend_key=key)
            for kind in result.kinds:
                if kind.ok:
                    self.stdout.write(
                        f"{key} {kind.kind}: {kind.created} created, {kind.updated} updated, "
                        f"{kind.unchanged} unchanged, {kind.skipped} skipped"
                    )
                    for issue in kind.issues[:20]:
                        self.stdout.write(
                            f"  {issue.get('crm_id', '')} line {issue['line']} "
                            f"{issue['field']}: {issue['reason']}"
                        )
                else:
                    self.stderr.write(f"{key} {kind.kind} failed: {kind.error}")
            if not result.ok:
                failed.append(key)
        if failed:
            raise CommandError(f"The sync of {', '.join(failed)} failed; see above.")
