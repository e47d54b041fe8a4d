"""Tell a person's open or click from a machine's, by the rules campaign managers keep.

``classify`` is pure: it gets the rules, compiled once per process by ``machine_rules``.
Tracking is the hot path (every pixel load), so the rules are read from the database only
when they changed (a rule's save changes a version in the cache: at once in this process,
and in every process sharing the cache) and, whatever the cache, at least every
``RULES_MAX_AGE`` seconds.
"""

from __future__ import annotations

import ipaddress
import re
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.cache import cache

from ..models import HitClass, MachineRule, RuleScope
from ..models.tracking import RULES_VERSION_KEY

RULES_MAX_AGE = 60.0

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class CompiledRule:
    name: str
    applies_to: str
    classification: str
    network: IPNetwork | None = None
    pattern: re.Pattern | None = None
    max_seconds_after_send: int | None = None

    @classmethod
    def of(cls, rule: MachineRule) -> CompiledRule:
        return cls(
            name=rule.name,
            applies_to=rule.applies_to,
            classification=rule.classification,
            network=ipaddress.ip_network(rule.ip_network, strict=False)
            if rule.ip_network
            else None,
            pattern=re.compile(rule.user_agent_pattern, re.IGNORECASE)
            if rule.user_agent_pattern
            else None,
            max_seconds_after_send=rule.max_seconds_after_send,
        )


def classify(
    kind: str,
    ip: str | None,
    user_agent: str,
    seconds_after_send: int | None,
    rules: Sequence[CompiledRule],
) -> str:
    """What made the hit: the classification of the first rule that matches, else a person.

    A rule's conditions that are set must all hold; a condition on something the hit does
    not have (no address, or a message without a sending time) does not hold.
    """
    address = _address(ip)
    for rule in rules:
        if rule.applies_to not in (kind, RuleScope.BOTH):
            continue
        if rule.network is not None and (address is None or address not in rule.network):
            continue
        if rule.pattern is not None and not rule.pattern.search(user_agent or ""):
            continue
        if rule.max_seconds_after_send is not None and (
            seconds_after_send is None or seconds_after_send > rule.max_seconds_after_send
        ):
            continue
        return rule.classification
    return HitClass.HUMAN


def _address(ip: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    if not ip:
        return None
    try:
        return ipaddress.ip_address(ip)
    except ValueError:
        return None


class _Rules:
    """The compiled active rules of this process, and which version they are."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.version: str | None = None
        self.loaded_at = float("-inf")
        self.rules: tuple[CompiledRule, ...] = ()

    def get(self) -> tuple[CompiledRule, ...]:
        version = cache.get(RULES_VERSION_KEY)
        if version == self.version and time.monotonic() - self.loaded_at < RULES_MAX_AGE:
            return self.rules
        with self.lock:
            rules = tuple(CompiledRule.of(rule) for rule in MachineRule.objects.filter(active=True))
            self.rules, self.version, self.loaded_at = rules, version, time.monotonic()
        return rules

    def clear(self) -> None:
        with self.lock:
            self.version, self.loaded_at, self.rules = None, float("-inf"), ()


_rules = _Rules()


def machine_rules() -> tuple[CompiledRule, ...]:
    """The active rules in the order they are tried, compiled."""
    return _rules.get()


def machine_rules_forget() -> None:
    """Read the rules afresh on next use (tests, after a rollback the cache cannot see)."""
    _rules.clear()
