"""The trainer's private calendar feed (iCalendar): one event per half-day of each session, so
the trainer's own calendar shows them. Built with `icalendar` (RFC 5545 escaping and folding)."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from django.conf import settings
from icalendar import Calendar, Event

from .models import SessionDay, TrainingSession

PARIS = ZoneInfo("Europe/Paris")
HORIZON_DAYS = 400  # past sessions kept a while, so a calendar does not lose what happened


def feed_bytes(trainer) -> bytes:
    host = urlsplit(settings.SITE_URL).hostname or "ganapati"
    calendar = Calendar()
    calendar.add("prodid", "-//Ganapati//Agenda des sessions//FR")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", "Mes sessions de formation")
    since = dt.date.today() - dt.timedelta(days=HORIZON_DAYS)
    days = (
        SessionDay.objects.filter(session__trainer=trainer, date__gte=since)
        .exclude(session__status__in=[TrainingSession.Status.CANCELLED])
        .select_related("session__company")
        .order_by("date")
    )
    for day in days:
        session = day.session
        for half, start, end in (("am", day.morning_start, day.morning_end),
                                 ("pm", day.afternoon_start, day.afternoon_end)):  # fmt: skip
            if not (start and end):
                continue
            event = Event()
            event.add("uid", f"session-{session.pk}-{day.date:%Y%m%d}-{half}@{host}")
            event.add("summary", f"{session.title} ({session.reference})")
            event.add("dtstart", dt.datetime.combine(day.date, start, tzinfo=PARIS))
            event.add("dtend", dt.datetime.combine(day.date, end, tzinfo=PARIS))
            event.add("dtstamp", dt.datetime.now(dt.UTC))
            if session.location:
                event.add("location", session.location)
            client = session.company.legal_name if session.company else "client à compléter"
            event.add("description", f"{client} — {session.get_status_display()}")
            calendar.add_component(event)
    return calendar.to_ical()
