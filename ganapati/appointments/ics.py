"""The .ics invitation attached to the confirmation emails, stored for the outbox.

Built with the `icalendar` package rather than by hand: RFC 5545 asks for text escaping
(commas, semicolons, newlines) and lines folded at 75 octets without cutting a UTF-8
character — exactly where hand-written files break on French names and accents — and the same
package reads the file back in the tests.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone
from icalendar import Calendar, Event, vCalAddress, vText

from ..models import Appointment

MIMETYPE = "text/calendar"


def uid(appointment: Appointment) -> str:
    host = urlsplit(settings.SITE_URL).hostname or "ganapati"
    return f"rendez-vous-{appointment.pk}@{host}"


def _address(email: str, name: str, **params: str) -> vCalAddress:
    address = vCalAddress(f"mailto:{email}")
    address.params["cn"] = vText(name)
    for key, value in params.items():
        address.params[key] = vText(value)
    return address


def calendar_bytes(appointment: Appointment, *, organiser_name: str, cancel: bool = False) -> bytes:
    """One VEVENT; METHOD:CANCEL (same UID, higher SEQUENCE) removes it from calendars."""
    advisor = appointment.advisor
    calendar = Calendar()
    calendar.add("prodid", "-//Ganapati//Rendez-vous conseiller//FR")
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if cancel else "REQUEST")
    event = Event()
    event.add("uid", uid(appointment))
    event.add("sequence", appointment.sequence)
    event.add("dtstamp", timezone.now())
    event.add("dtstart", appointment.start)
    event.add("dtend", appointment.end)
    event.add("summary", f"Rendez-vous avec un conseiller {organiser_name}")
    how = (
        f"{advisor.get_full_name()} vous appelle au {appointment.phone}."
        if appointment.phone
        else f"{advisor.get_full_name()} vous écrit pour convenir du moyen (téléphone ou "
        "visioconférence)."
    )
    event.add(
        "description",
        f"Appel de 30 minutes — sujet : {appointment.get_topic_display()}.\n{how}",
    )
    event.add("location", f"Téléphone : {appointment.phone}" if appointment.phone else "À distance")
    event.add("status", "CANCELLED" if cancel else "CONFIRMED")
    event["organizer"] = _address(advisor.email, advisor.get_full_name())
    if appointment.email:
        event.add(
            "attendee",
            _address(appointment.email, appointment.name, role="REQ-PARTICIPANT",
                     partstat="ACCEPTED"),
        )  # fmt: skip
    calendar.add_component(event)
    return calendar.to_ical()


def folder(appointment: Appointment) -> str:
    return f"appointments/{appointment.pk}"


def store(appointment: Appointment, *, organiser_name: str, cancel: bool = False) -> dict:
    """Write the .ics to the default storage; returns the outbox's attachment reference."""
    kind = "annulation" if cancel else "invitation"
    name = default_storage.save(
        f"{folder(appointment)}/{kind}-{appointment.sequence}.ics",
        ContentFile(calendar_bytes(appointment, organiser_name=organiser_name, cancel=cancel)),
    )
    filename = "annulation.ics" if cancel else "invitation.ics"
    # The two people of the call: only they may receive it (ganapati/files.py, ADDRESSEE).
    about = [a for a in (appointment.email, appointment.advisor.email) if a]
    return {"name": name, "filename": filename, "mimetype": MIMETYPE,
            "kind": "appointment.invitation", "about": about}  # fmt: skip


def delete_all(appointment_id: int) -> None:
    """Remove every .ics of an appointment (they name the person who booked)."""
    path = f"appointments/{appointment_id}"
    try:
        _dirs, files = default_storage.listdir(path)
    except FileNotFoundError:
        return
    for name in files:
        default_storage.delete(f"{path}/{name}")
