"""The shared countdown as the templates show it: milliseconds for the script, m:ss for people."""

from django import template

register = template.Library()


@register.filter
def timer_remaining_ms(group) -> int | None:
    remaining = group.timer_remaining()
    return None if remaining is None else int(remaining.total_seconds() * 1000)


@register.filter
def clock(milliseconds: int | None) -> str:
    if milliseconds is None:
        return ""
    seconds = max(0, -(-int(milliseconds) // 1000))  # round up: 0:01 until it is really over
    minutes, seconds = divmod(seconds, 60)
    return f"{minutes}:{seconds:02d}"
