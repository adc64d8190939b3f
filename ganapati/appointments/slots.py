"""Which 30-minute slots an advisor offers on a given day. Pure functions, no database.

An advisor's hours are Paris wall-clock times: each slot is built as a Paris time on its own
date (`datetime.combine(..., tzinfo=PARIS)`), so "9 h" is 9 h in winter and in summer, and
the UTC instant moves by an hour across a daylight-saving change. Times that do not exist
(the skipped hour in March) are never offered.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings

SLOT = dt.timedelta(minutes=30)
UTC = dt.UTC


def paris() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


@dataclass(frozen=True)
class Weekly:
    weekday: int
    start: dt.time
    end: dt.time


@dataclass(frozen=True)
class Exception_:
    kind: str  # "unavailable" or "extra"
    start_date: dt.date
    end_date: dt.date
    start: dt.time | None = None
    end: dt.time | None = None

    def covers(self, day: dt.date) -> bool:
        return self.start_date <= day <= self.end_date


Interval = tuple[dt.time, dt.time]


def _merge(intervals: Iterable[Interval]) -> list[Interval]:
    merged: list[Interval] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _subtract(intervals: list[Interval], hole: Interval) -> list[Interval]:
    kept: list[Interval] = []
    for start, end in intervals:
        if hole[1] <= start or hole[0] >= end:
            kept.append((start, end))
            continue
        if start < hole[0]:
            kept.append((start, hole[0]))
        if hole[1] < end:
            kept.append((hole[1], end))
    return kept


def day_windows(
    day: dt.date, weekly: Iterable[Weekly], exceptions: Iterable[Exception_]
) -> list[Interval]:
    """The hours an advisor takes calls on `day`: weekly hours plus extra hours, minus time off."""
    exceptions = [e for e in exceptions if e.covers(day)]
    windows = [(w.start, w.end) for w in weekly if w.weekday == day.weekday()]
    windows += [(e.start, e.end) for e in exceptions if e.kind == "extra" and e.start and e.end]
    windows = _merge(windows)
    for off in (e for e in exceptions if e.kind == "unavailable"):
        if off.start is None or off.end is None:
            return []
        windows = _subtract(windows, (off.start, off.end))
    return windows


def _exists(naive: dt.datetime, zone: ZoneInfo) -> bool:
    """False for a wall-clock time skipped by the spring daylight-saving change."""
    aware = naive.replace(tzinfo=zone)
    return aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == naive


def day_slots(
    day: dt.date, weekly: Iterable[Weekly], exceptions: Iterable[Exception_]
) -> list[dt.datetime]:
    """Start instants (UTC) of the 30-minute slots offered on `day`, in order."""
    zone = paris()
    starts: list[dt.datetime] = []
    for window_start, window_end in day_windows(day, weekly, exceptions):
        cursor = dt.datetime.combine(day, window_start)
        last = dt.datetime.combine(day, window_end)
        while cursor + SLOT <= last:
            if _exists(cursor, zone):
                starts.append(cursor.replace(tzinfo=zone).astimezone(UTC))
            cursor += SLOT
    return starts


def parse_slot(value: str) -> dt.datetime | None:
    """A slot's value in a form ("2026-10-26T08:00Z") → an aware UTC datetime, or None."""
    try:
        parsed = dt.datetime.fromisoformat((value or "").strip())
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return None
    return parsed.astimezone(UTC)


def slot_value(start: dt.datetime) -> str:
    return start.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")
