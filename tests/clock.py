"""Moving the clock in tests (time-machine: Python's time, Celery eager tasks and Django's
"now" follow), so that a session is started, attended and completed at its real dates.
Every travel is undone at the end of the test (autouse fixture in conftest)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import time_machine

PARIS = ZoneInfo("Europe/Paris")
_travellers: list = []


def at(when: dt.datetime) -> None:
    if when.tzinfo is None:
        when = when.replace(tzinfo=PARIS)
    traveller = time_machine.travel(when, tick=True)
    traveller.start()
    _travellers.append(traveller)


def after(session) -> None:
    """The evening of the session's last day: it can be started, attended and completed."""
    last = max(day.date for day in session.days.all())
    at(dt.datetime.combine(last, dt.time(18, 30)))


def during(session, day: int = 0, hour: int = 10) -> None:
    """A moment of one of the session's days (10:00 by default: the morning has begun)."""
    dates = sorted(d.date for d in session.days.all())
    at(dt.datetime.combine(dates[day], dt.time(hour)))


def back() -> None:
    while _travellers:
        _travellers.pop().stop()
