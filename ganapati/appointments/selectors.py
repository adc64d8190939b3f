"""Reads: the free slots of the coming weeks, who is free at a slot, the day's calls."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from ..models import AdvisorAvailability, Appointment, AvailabilityException, Role, User
from . import slots


def day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """From midnight to midnight, Paris time (a day is 23 or 25 hours long on DST changes)."""
    zone = slots.paris()
    start = dt.datetime.combine(day, dt.time.min, tzinfo=zone)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    return start, end


def appointments_of_day(day: dt.date, *, advisor: User | None = None) -> QuerySet[Appointment]:
    """The calls booked on `day` (Paris time), in order: what staff see for the day."""
    start, end = day_bounds(day)
    appointments = Appointment.objects.filter(
        status=Appointment.Status.BOOKED, start__gte=start, start__lt=end
    ).select_related("advisor")
    if advisor is not None:
        appointments = appointments.filter(advisor=advisor)
    return appointments.order_by("start", "advisor__last_name")


def advisors() -> QuerySet[User]:
    """Active staff who have hours to offer."""
    return (
        User.objects.filter(role=Role.STAFF, is_active=True)
        .filter(Q(availabilities__isnull=False) | Q(availability_exceptions__kind="extra"))
        .distinct()
    )


def booking_window(now: dt.datetime | None = None) -> tuple[dt.datetime, dt.date, dt.date]:
    """The earliest bookable instant, and the first and last days offered."""
    now = now or timezone.now()
    earliest = now + dt.timedelta(hours=settings.APPOINTMENTS_MIN_NOTICE_HOURS)
    first = timezone.localdate(now)
    last = first + dt.timedelta(days=7 * settings.APPOINTMENTS_WEEKS_AHEAD - 1)
    return earliest, first, last


def _offered(first: dt.date, last: dt.date) -> dict[int, list[dt.datetime]]:
    """Every slot each advisor offers between two days, booked or not."""
    weekly = AdvisorAvailability.objects.filter(advisor__in=advisors())
    exceptions = AvailabilityException.objects.filter(
        advisor__in=advisors(), start_date__lte=last, end_date__gte=first
    )
    weekly_by = defaultdict(list)
    for row in weekly:
        weekly_by[row.advisor_id].append(slots.Weekly(row.weekday, row.start, row.end))
    exceptions_by = defaultdict(list)
    for row in exceptions:
        exceptions_by[row.advisor_id].append(
            slots.Exception_(row.kind, row.start_date, row.end_date, row.start, row.end)
        )
    offered: dict[int, list[dt.datetime]] = {}
    for advisor_id in set(weekly_by) | set(exceptions_by):
        starts: list[dt.datetime] = []
        day = first
        while day <= last:
            starts += slots.day_slots(day, weekly_by[advisor_id], exceptions_by[advisor_id])
            day += dt.timedelta(days=1)
        offered[advisor_id] = starts
    return offered


def _booked(first: dt.date, last: dt.date) -> set[tuple[int, dt.datetime]]:
    start, _ = day_bounds(first)
    _, end = day_bounds(last)
    return {
        (advisor_id, when.astimezone(dt.UTC))
        for advisor_id, when in Appointment.objects.filter(
            status=Appointment.Status.BOOKED, start__gte=start, start__lt=end
        ).values_list("advisor_id", "start")
    }


def free_slots_by_advisor(now: dt.datetime | None = None) -> dict[int, list[dt.datetime]]:
    earliest, first, last = booking_window(now)
    booked = _booked(first, last)
    return {
        advisor_id: [s for s in starts if s >= earliest and (advisor_id, s) not in booked]
        for advisor_id, starts in _offered(first, last).items()
    }


@dataclass
class Day:
    date: dt.date
    slots: list[dt.datetime] = field(default_factory=list)


def free_slots(now: dt.datetime | None = None) -> list[Day]:
    """The free slots of the coming weeks, any advisor, grouped by Paris day."""
    starts = sorted({s for free in free_slots_by_advisor(now).values() for s in free})
    days: dict[dt.date, Day] = {}
    for start in starts:
        date = timezone.localdate(start)
        days.setdefault(date, Day(date)).slots.append(start)
    return list(days.values())


def slot_offered(start: dt.datetime, now: dt.datetime | None = None) -> bool:
    """Whether someone's hours include this slot within the window (booked or not)."""
    _, first, last = booking_window(now)
    day = timezone.localdate(start)
    if not first <= day <= last:
        return False
    return any(start in starts for starts in _offered(day, day).values())


def slot_free_advisors(
    start: dt.datetime, now: dt.datetime | None = None, *, prefer: int | None = None
) -> list[int]:
    """Advisors free at `start`: `prefer` first, then the least busy that day."""
    day = timezone.localdate(start)
    booked = _booked(day, day)
    free = [
        advisor_id
        for advisor_id, starts in _offered(day, day).items()
        if start in starts and (advisor_id, start) not in booked
    ]
    day_start, day_end = day_bounds(day)
    load = dict(
        Appointment.objects.filter(
            status=Appointment.Status.BOOKED, start__gte=day_start, start__lt=day_end
        )
        .values("advisor_id")
        .annotate(n=Count("pk"))
        .values_list("advisor_id", "n")
    )
    return sorted(free, key=lambda a: (a != prefer, load.get(a, 0), a))


def appointments_to_remind(day: dt.date) -> QuerySet[Appointment]:
    return appointments_of_day(day).filter(anonymised_at__isnull=True).exclude(email="")


def appointments_to_anonymise(before: dt.datetime) -> QuerySet[Appointment]:
    return Appointment.objects.filter(end__lt=before, anonymised_at__isnull=True)
