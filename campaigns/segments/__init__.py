"""The segment rule language: validation, the SQL compiler and a plain-Python evaluator.

A rule tree is JSON, the same for segments (``Segment.rules``) and journey rules
(``JourneyRule.conditions``)::

    group:     {"op": "and" | "or", "rules": [node, ...], "negate": false}
    condition: {"field": "role", "operator": "in", "value": ["buyer", "user"]}

An empty "and" group matches every contact, an empty "or" group none. Fields and their
operators come from one allow-list (``FIELDS``); anything else is a ``ValidationError``
naming the place in the tree, e.g. ``rules[1].rules[0].operator: 'like' is not allowed for
field 'role'; use in, not_in``. Nothing from the tree reaches SQL except as a parameter.

``compile_rules`` turns a tree into one ``Q`` over ``Contact`` built from ``Exists`` and
``pk IN (subquery)`` terms, so ``.count()`` is one SQL query. ``evaluate_rules``
(``segment_evaluator``) answers the same question for one contact's facts in plain
Python; it is written separately from the compiler on purpose: the property test holds
the two to the same answers.

Time windows are whole days in the hub's time zone (``TIME_ZONE``): "in the last D days"
means from midnight D days before today up to now (events dated later count too). Both
backends answer the same: the direct SQL one (``compile_rules``) and the bitmap one
(``bitmaps``), which reads day sets kept by ``campaigns.services.segment_state``.

Conditions (a window includes its first day):

- ``role``, ``phase``, ``language``, ``consent``: ``in`` / ``not_in`` a list of choices.
- ``account.industry``, ``account.country``, ``account.size_class``,
  ``account.price_group``: ``in`` / ``not_in`` a list of strings. A contact without an
  account never matches ``in`` and always matches ``not_in``.
- ``event``: ``has`` / ``has_not`` with ``{"kind", "min_count" (1), "within_days", "sku",
  "category"}``: at least (``has``) or fewer than (``has_not``) ``min_count`` events of that
  kind. ``category`` is a category slug and includes its subtree: an event matches when its
  category is in the subtree or its SKU is a product in the subtree.
- ``order_count``, ``revenue``: ``gte`` / ``lte`` / ``between`` with ``{"value": n or
  [lo, hi], "within_days"}``, over the contact's orders (none count as 0).
- ``last_order``: ``before`` / ``after`` an ISO date from 1900 to 2999 (the day itself
  excluded, in ``TIME_ZONE``), ``within_days`` / ``not_within_days`` N. All need at least one order.
- ``cart_abandoned_without_order``: ``is`` with ``{"within_days"}``: a cart was abandoned
  (in the window) and the contact placed no order at or after that moment.
- ``viewed_not_bought``: ``is`` with ``{"within_days", "sku", "category"}``: a product
  viewed in the window that no order of the contact placed since the window's start contains.
- ``survey_answer``: ``has`` / ``has_not`` with ``{"kind" (nps, csat, ces), "min_score",
  "max_score", "within_days", "survey"}``: an answer to a survey of that kind (or that
  survey) with a score in [min_score, max_score], e.g. NPS detractors are ``{"kind": "nps",
  "min_score": 0, "max_score": 6, "within_days": 90}``. A changed answer counts with its
  latest score and time.

The package: ``parsing`` (plain JSON, the editor's parser), ``values`` (value cleaners),
``conditions`` (one ``Q`` per condition), ``fields`` (the allow-list), ``cleaning``
(``clean_rules``), ``compiler`` (``compile_rules``). The names other modules use are
re-exported here.
"""

from .cleaning import MAX_CONDITIONS, MAX_DEPTH, clean_rules
from .compiler import compile_rules
from .conditions import CompileContext
from .fields import FIELDS, FieldSpec, Operator, field_catalogue
from .parsing import MAX_JSON_DEPTH, MAX_NUMBER, RuleError, check_plain_json, parse_rules_json
from .values import (
    MAX_AMOUNT,
    MAX_DAYS,
    day_start,
    local_day,
    window_first_day,
    window_start,
)

__all__ = [
    "FIELDS",
    "MAX_AMOUNT",
    "MAX_CONDITIONS",
    "MAX_DAYS",
    "MAX_DEPTH",
    "MAX_JSON_DEPTH",
    "MAX_NUMBER",
    "CompileContext",
    "FieldSpec",
    "Operator",
    "RuleError",
    "check_plain_json",
    "clean_rules",
    "compile_rules",
    "day_start",
    "field_catalogue",
    "local_day",
    "parse_rules_json",
    "window_first_day",
    "window_start",
]
