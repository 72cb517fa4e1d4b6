"""Ids and numbers read from forms and query strings.

Not str.isdigit(): "²" passes it and breaks int(), and 5,000 digits make an integer no
database column holds; both were 500s. A row id here is 1 to 18 ASCII digits. Nor a bare
float(): it reads "nan" and "inf", which no duration or count can be (int() of them was a
500); a number here is finite.
"""

from __future__ import annotations

import math
import re

ID = re.compile(r"[0-9]{1,18}")


def as_id(text: str) -> int | None:
    """The id this text is, or None when it is not one."""
    return int(text) if ID.fullmatch(text) else None


def id_or_zero(text: str | None) -> int:
    """The id this text is, or 0 (no row) when it is not one: for the services, which
    answer a missing row with their own message."""
    return as_id(text or "") or 0


def as_ids(texts: list[str]) -> list[int]:
    """The ids among these texts, in order; the rest are dropped."""
    return [int(text) for text in texts if ID.fullmatch(text)]


def as_number(text: str) -> float | None:
    """The finite number this text is, as float() reads it, or None when it is not one."""
    try:
        number = float(text)
    except ValueError:
        return None
    return number if math.isfinite(number) else None
