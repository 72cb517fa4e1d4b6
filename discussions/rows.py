"""Model instances from plain SQL, for the few queries every vote runs.

The ORM builds and compiles each query anew, for every query with joins, which under a
conference's votes was a large share of a process's time (docs/capacity.md, "Hot reads
written as SQL").
The hottest reads are written out instead, and their rows become the same model instances
the ORM would give: the select lists come from the models' own fields, so a field added to a
model is read here too.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from django.db import connection, models


@cache
def columns(model: type[models.Model], alias: str) -> str:
    """The select list of all of a model's columns, from the table known as `alias`.
    Kept: every vote's membership query is built from four of them."""
    return ", ".join(f'{alias}."{field.column}"' for field in model._meta.concrete_fields)


def in_range(model: type[models.Model], pk: int) -> bool:
    """Whether a number from a URL can be one of the model's keys. The ORM answers "no such
    row" for a number the database cannot hold; plain SQL would fail (SQLite) or err."""
    low, high = connection.ops.integer_field_range(model._meta.pk.get_internal_type())
    return (low is None or pk >= low) and (high is None or pk <= high)


def take(model: type[models.Model], row: tuple, start: int) -> tuple[models.Model | None, int]:
    """The instance whose columns (as `columns` lists them) begin at row[start], and where
    the next model's begin. None for the NULLs of an outer join that found no row."""
    fields = model._meta.concrete_fields
    end = start + len(fields)
    values = list(row[start:end])
    if values[0] is None and model._meta.pk is fields[0]:
        return None, end
    for i, convert in _converters(model):
        values[i] = convert(values[i])
    return model.from_db(connection.alias, _attnames(model), values), end


@cache
def _attnames(model: type[models.Model]) -> list[str]:
    return [field.attname for field in model._meta.concrete_fields]


@cache
def _converters(model: type[models.Model]) -> list[tuple[int, Callable]]:
    """What the ORM does to a column's value as it comes from the database (SQLite's
    datetimes and booleans, a field's own from_db_value), per column that needs it."""
    found = []
    for i, field in enumerate(model._meta.concrete_fields):
        column = field.get_col(model._meta.db_table)
        steps = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
        if steps:
            found.append((i, _chain(steps, column)))
    return found


def _chain(steps, column):
    def convert(value):
        for step in steps:
            value = step(value, column, connection)
        return value

    return convert
