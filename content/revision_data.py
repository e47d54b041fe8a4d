"""Revisions read back with a constant number of queries, whatever the rows they hold.

modelcluster's ``from_serializable_data`` checks that every foreign key of the object and
of each child row (a product's images, documents, features, relations) still exists,
with one ``get()`` per key: a product with ten images and ten related products cost forty
queries each time its edit view opened. ``checked_serializable_data`` does the same check
with one query per referenced model and applies the same rules (a dangling CASCADE key
drops the child row, or with ``strict_fks`` the object; SET_NULL clears the key), so the
caller can build the object with ``check_fks=False``.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db import models
from modelcluster.models import get_all_child_relations

_Refs = dict[type[models.Model], set[Any]]


def _fk_fields(model: type[models.Model]) -> list[models.ForeignKey]:
    return [
        field
        for field in model._meta.get_fields()
        if isinstance(field, models.ForeignKey) and not field.auto_created
    ]


def _collect(model: type[models.Model], row: dict, refs: _Refs) -> None:
    for field in _fk_fields(model):
        value = row.get(field.name)
        if value is not None:
            target = field.remote_field.model
            refs[target].add(target._meta.get_field(field.remote_field.field_name).to_python(value))


def _keep(model: type[models.Model], row: dict, existing: _Refs, *, drop: bool) -> dict | None:
    """``row`` with its dangling keys cleared, or None when ``drop`` and a dangling key
    cascades (the row would have been deleted with what it pointed to)."""
    row = dict(row)
    for field in _fk_fields(model):
        value = row.get(field.name)
        if value is None:
            continue
        target = field.remote_field.model
        clean = target._meta.get_field(field.remote_field.field_name).to_python(value)
        if clean in existing[target]:
            continue
        on_delete = field.remote_field.on_delete
        if on_delete == models.CASCADE and drop:
            return None
        if on_delete in (models.CASCADE, models.SET_NULL):
            row[field.name] = None
    return row


def checked_serializable_data(
    model: type[models.Model], data: dict, *, strict_fks: bool = False
) -> dict | None:
    """``data`` (a revision's content) with the keys that no longer exist handled as
    modelcluster would, checked with one query per referenced model. Child rows of child
    rows are not checked (products have none)."""
    refs: _Refs = defaultdict(set)
    _collect(model, data, refs)
    relations = [
        (rel.get_accessor_name(), rel.related_model) for rel in get_all_child_relations(model)
    ]
    for name, child_model in relations:
        for row in data.get(name) or ():
            _collect(child_model, row, refs)
    existing: _Refs = defaultdict(set)
    for target, values in refs.items():
        field = target._meta.pk.name
        existing[target] = set(
            target._default_manager.filter(**{f"{field}__in": values}).values_list(field, flat=True)
        )
    checked = _keep(model, data, existing, drop=strict_fks)
    if checked is None:
        return None
    for name, child_model in relations:
        if checked.get(name):
            checked[name] = [
                kept
                for row in checked[name]
                if (kept := _keep(child_model, row, existing, drop=True)) is not None
            ]
    return checked
