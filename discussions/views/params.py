"""Ids read from forms and query strings.

Not str.isdigit(): "²" passes it and breaks int(), and 5,000 digits make an integer no
database column holds; both were 500s. A row id here is 1 to 18 ASCII digits.
"""

from __future__ import annotations

import re

ID = re.compile(r"[0-9]{1,18}")


def as_id(text: str) -> int | None:
    """The id this text is, or None when it is not one."""
    return int(text) if ID.fullmatch(text) else None


def as_ids(texts: list[str]) -> list[int]:
    """The ids among these texts, in order; the rest are dropped."""
    return [int(text) for text in texts if ID.fullmatch(text)]
