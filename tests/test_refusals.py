"""Refused requests are logged as one line each, a bounded number a second
(conference/refusals.py), through the log handler settings configure."""

import io
import logging

import pytest
from django.urls import reverse

from conference import refusals
from tests.factories import client_for, make_room


@pytest.fixture
def log():
    """What the configured console handler writes, for the length of the test, through a
    fresh copy of its filter: the process's own counts what earlier tests refused (it may
    have left lines out this second, and says so in the next)."""
    (handler,) = [
        h
        for h in logging.getLogger().handlers
        if any(isinstance(f, refusals.OneLineRefusals) for f in h.filters)
    ]
    (configured,) = [f for f in handler.filters if isinstance(f, refusals.OneLineRefusals)]
    fresh = refusals.OneLineRefusals()
    handler.removeFilter(configured)
    handler.addFilter(fresh)
    written = io.StringIO()
    before = handler.setStream(written)
    try:
        yield written
    finally:
        handler.setStream(before)
        handler.removeFilter(fresh)
        handler.addFilter(configured)


@pytest.mark.django_db
def test_a_403_is_one_line_without_a_traceback(published_paper, log):
    room = make_room(published_paper)
    path = reverse("room_positions", args=[room.other_group.pk])
    assert client_for(room.ada).get(path).status_code == 403
    assert log.getvalue().splitlines() == [f"Forbidden (Permission denied): {path}"]


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def refusal(n: int = 0, status: int = 403) -> logging.LogRecord:
    try:
        raise PermissionError("not yours")
    except PermissionError as error:
        exc_info = (type(error), error, error.__traceback__)
    record = logging.LogRecord(
        "django.request", logging.WARNING, __file__, 1, "Forbidden: /rooms/%s/", (n,), exc_info
    )
    record.status_code = status
    return record


def test_a_flood_of_refusals_is_cut_to_a_few_lines_a_second_and_the_rest_counted(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(refusals.time, "monotonic", clock)
    one_line = refusals.OneLineRefusals(per_second=3)
    records = [refusal(n) for n in range(10)]
    assert [one_line.filter(r) for r in records] == [True] * 3 + [False] * 7
    assert all(r.exc_info is None for r in records[:3])
    clock.now += 1
    later = refusal(10)
    assert one_line.filter(later)
    assert later.getMessage() == (
        "Forbidden: /rooms/10/ (7 more refusals before this one not logged)"
    )
    also = refusal(11)
    assert one_line.filter(also) and also.getMessage() == "Forbidden: /rooms/11/"


def test_errors_and_other_lines_pass_untouched(monkeypatch):
    one_line = refusals.OneLineRefusals(per_second=0)
    error = refusal(status=500)
    assert one_line.filter(error) and error.exc_info is not None
    plain = logging.LogRecord("discussions", logging.INFO, __file__, 1, "hello", (), None)
    assert one_line.filter(plain)
