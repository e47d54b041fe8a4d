"""The default journey rules, in order; campaign managers edit them in the admin.

The first rule that matches a contact decides its phase, and ``from_phases`` keeps a rule
to contacts in those phases, so customers move forward and do not flip back and forth:

1. Loyalty: two or more orders in the last 12 months.
2. Experience: in transaction and an order in the last 90 days (the nightly run moves a
   new customer on from transaction).
3. Transaction: not yet a customer, and an order in the last 90 days or a cart abandoned
   in the last 30 days without an order since.
4. Consideration: not yet further, repeated product views, product-group clicks or e-mail
   clicks in the last 30 days, and no order in that time.
5. Awareness: no phase yet, and any engagement at all.
"""

from django.db import migrations


def _event(kind, **value):
    return {"field": "event", "operator": "has", "value": {"kind": kind, **value}}


RULES = [
    (
        "Loyalty: two or more orders in 12 months",
        "loyalty",
        [],
        {
            "op": "and",
            "rules": [
                {
                    "field": "order_count",
                    "operator": "gte",
                    "value": {"value": 2, "within_days": 365},
                }
            ],
        },
    ),
    (
        "Experience: an order in the last 90 days",
        "experience",
        ["transaction"],
        {
            "op": "and",
            "rules": [{"field": "last_order", "operator": "within_days", "value": 90}],
        },
    ),
    (
        "Transaction: an order or an abandoned cart",
        "transaction",
        ["", "awareness", "consideration"],
        {
            "op": "or",
            "rules": [
                {"field": "last_order", "operator": "within_days", "value": 90},
                {
                    "field": "cart_abandoned_without_order",
                    "operator": "is",
                    "value": {"within_days": 30},
                },
            ],
        },
    ),
    (
        "Consideration: repeated views or clicks, no order in 30 days",
        "consideration",
        ["", "awareness"],
        {
            "op": "and",
            "rules": [
                {
                    "op": "or",
                    "rules": [
                        _event("product_view", min_count=2, within_days=30),
                        _event("category_click", min_count=2, within_days=30),
                        _event("email_click", min_count=2, within_days=30),
                    ],
                },
                {
                    "field": "order_count",
                    "operator": "lte",
                    "value": {"value": 0, "within_days": 30},
                },
            ],
        },
    ),
    (
        "Awareness: any engagement",
        "awareness",
        [""],
        {
            "op": "or",
            "rules": [
                _event("email_open"),
                _event("email_click"),
                _event("product_view"),
                _event("category_click"),
                _event("survey_answer"),
            ],
        },
    ),
]


def create_rules(apps, schema_editor):
    JourneyRule = apps.get_model("campaigns", "JourneyRule")
    if JourneyRule.objects.exists():
        return
    JourneyRule.objects.bulk_create(
        JourneyRule(
            name=name, phase=phase, from_phases=from_phases, conditions=conditions, sort_order=index
        )
        for index, (name, phase, from_phases, conditions) in enumerate(RULES, start=1)
    )


def remove_rules(apps, schema_editor):
    JourneyRule = apps.get_model("campaigns", "JourneyRule")
    JourneyRule.objects.filter(name__in=[name for name, *_rest in RULES]).delete()


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0002_campaign_managers_manage_the_audience")]

    operations = [migrations.RunPython(create_rules, remove_rules)]
