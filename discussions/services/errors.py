"""What every service shares: the refusal it raises and the clean-up of one-line input."""


class ServiceError(Exception):
    """A refused write. str(error) is a one-line message fit to show the person."""


def clean_line(value: str, *, what: str, limit: int) -> str:
    """Collapse white space; refuse an empty or oversize value with a message naming it."""
    cleaned = " ".join(value.split())
    if not cleaned:
        raise ServiceError(f"The {what} cannot be empty.")
    if len(cleaned) > limit:
        raise ServiceError(f"The {what} is {len(cleaned)} characters; the limit is {limit}.")
    return cleaned
