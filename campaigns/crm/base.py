"""The contract every CRM backend implements, and the settings that choose the backends.

A backend reads what changed in the CRM since a cursor and hands it over as rows already
keyed by our field names (the import engine's row shape), a page at a time. It never
writes to the database: ``campaigns.services.sync.crm_sync`` feeds the rows to the import
engine and keeps the cursor.

Backends are configured like the channel adapters (``channels/registry.py``)::

    HUB_CRM = {"salesforce": {"BACKEND": "campaigns.crm.salesforce.SalesforceBackend",
                              "OPTIONS": {...}}}
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver

from campaigns.models import ImportKind
from core.backends import backend_class

Row = dict[str, str]


class CrmError(Exception):
    """The CRM could not be read; the message says what it answered."""


@dataclass(frozen=True)
class CrmPage:
    """Rows that changed, in the order of their modification time.

    Rows are keyed by the import engine's field names (``campaigns.importing.FIELDS``), values
    as text, with the CRM's id as ``crm_id`` (orders: ``external_id``, ``source`` "crm", one
    row per order line). A related record is named by its CRM id in ``account_crm_id`` and
    ``contact_crm_id``; the sync turns those into the references the import matches by.
    ``cursor`` is where to continue after this page: reading again from it repeats none of
    these rows and skips nothing that changed later. For orders, all lines of one order are
    on the same page.
    """

    rows: tuple[Row, ...]
    cursor: str


class BaseCrmBackend(ABC):
    """A CRM the hub reads accounts, contacts and won deals (as orders) from."""

    #: What the backend is called in logs and the sync state, e.g. "salesforce".
    identifier: ClassVar[str] = ""
    #: The kinds it can read, in the order a sync reads them (contacts refer to accounts,
    #: orders to both).
    kinds: ClassVar[tuple[ImportKind, ...]] = (
        ImportKind.ACCOUNTS,
        ImportKind.CONTACTS,
        ImportKind.ORDERS,
    )

    def __init__(self, key: str, options: Mapping[str, Any]) -> None:
        self.key = key
        self.options = dict(options)
        # KINDS narrows what is read, e.g. no orders where the ERP is their source of truth
        # (won deals and ERP orders of the same sale would count its revenue twice).
        if "KINDS" in self.options:
            wanted = [str(kind) for kind in self.options["KINDS"]]
            unknown = sorted(set(wanted) - {kind.value for kind in type(self).kinds})
            if unknown:
                raise ImproperlyConfigured(
                    f"HUB_CRM[{key!r}]: KINDS has {', '.join(unknown)}; "
                    f"{type(self).__name__} reads {', '.join(type(self).kinds)}."
                )
            self.kinds = tuple(kind for kind in type(self).kinds if kind in wanted)

    @abstractmethod
    def changes(self, kind: ImportKind, *, since: str) -> Iterator[CrmPage]:
        """Pages of rows of ``kind`` changed after the cursor ``since`` ("" reads everything).

        Raises CrmError when the CRM refuses or fails; pages already yielded stay valid.
        """

    def close(self) -> None:  # noqa: B027 (optional hook, nothing to do by default)
        """Release connections."""


def _load(key: str, config: object) -> BaseCrmBackend:
    backend, options = backend_class("HUB_CRM", key, config, BaseCrmBackend)
    return backend(key, options)


@cache
def crm_backend_keys() -> tuple[str, ...]:
    """The keys of the configured CRM backends, in settings order; empty when none is."""
    configured = settings.HUB_CRM
    if not isinstance(configured, dict):
        raise ImproperlyConfigured("HUB_CRM must be a dict of backend key to config.")
    for key, config in configured.items():
        _load(key, config)  # fail at the first use, naming the key, not in the middle of a run
    return tuple(configured)


def get_crm_backend(key: str) -> BaseCrmBackend:
    """A new backend instance (it holds connections and a session: one per sync run)."""
    if key not in crm_backend_keys():
        raise KeyError(f"No CRM backend {key!r} in HUB_CRM.")
    return _load(key, settings.HUB_CRM[key])


@receiver(setting_changed)
def _reset_on_settings_change(*, setting: str, **kwargs: object) -> None:
    if setting == "HUB_CRM":
        crm_backend_keys.cache_clear()
