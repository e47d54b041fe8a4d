"""Recompute the kept figures of campaigns from their raw rows (after an import or a fix)."""

from django.core.management.base import BaseCommand, CommandError

from campaigns.measurement.rebuild import campaign_results_rebuild
from campaigns.models import Campaign


class Command(BaseCommand):
    help = (
        "Recompute the figures of campaigns (opens, clicks, unsubscribes, complaints, "
        "conversions, revenue, link figures, delivery states) from deliveries, tracking hits, "
        "events and orders. Each campaign is rebuilt in one transaction."
    )

    def add_arguments(self, parser) -> None:
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument(
            "--campaign",
            type=int,
            action="append",
            dest="campaign_ids",
            metavar="ID",
            help="A campaign's id; repeat for several.",
        )
        which.add_argument("--all", action="store_true", help="Every campaign.")

    def handle(self, *args, campaign_ids=None, all=False, **options) -> None:
        if all:
            campaign_ids = list(Campaign.objects.order_by("pk").values_list("pk", flat=True))
        else:
            known = set(Campaign.objects.filter(pk__in=campaign_ids).values_list("pk", flat=True))
            unknown = sorted(set(campaign_ids) - known)
            if unknown:
                raise CommandError(f"No campaign with id {', '.join(map(str, unknown))}.")
        for campaign_id in campaign_ids:
            report = campaign_results_rebuild(campaign_id)
            self.stdout.write(
                f"Campaign #{campaign_id}: {report.day_rows} day rows, {report.link_rows} links, "
                f"{report.orders_credited} orders credited anew."
            )
            if report.deliveries_at_hit_limit:
                self.stdout.write(
                    self.style.WARNING(
                        f"  {report.deliveries_at_hit_limit} deliveries have as many tracking "
                        "hits as are kept: opens or clicks beyond them were counted live but "
                        "cannot be recounted."
                    )
                )
