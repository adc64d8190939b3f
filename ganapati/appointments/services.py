"""Writes: book, move and cancel a call; remind the day before; anonymise old bookings.

A slot is checked against the advisors' hours first (past, not offered), then the row is
inserted; two people racing for the same advisor and instant are settled by the database
(the conditional unique constraint on advisor + start among booked rows): the loser's insert
fails, and it tries another free advisor or is told the slot was just taken.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.utils import timezone

from ..errors import DomainError
from ..models import Appointment, OutgoingEmail, User
from ..selectors import organisation_get_or_none
from ..services import absolute_url, log_action
from . import emails, ics, links, selectors
from .slots import SLOT
from .states import APPOINTMENT_STATES

TAKEN = "Ce créneau vient d'être réservé, choisissez-en un autre."
PAST = "Ce créneau est déjà passé ou trop proche : choisissez-en un autre."
NOT_OFFERED = "Ce créneau n'est pas proposé : choisissez-en un dans la liste."
ANONYMISED_NAME = "Personne anonymisée"


def _organiser_name() -> str:
    organisation = organisation_get_or_none()
    return organisation.legal_name if organisation else "Ganapati"


def _check_slot(start: dt.datetime, now: dt.datetime) -> None:
    earliest, _first, _last = selectors.booking_window(now)
    if start < earliest:
        raise DomainError(PAST, field="slot")
    if not selectors.slot_offered(start, now):
        raise DomainError(NOT_OFFERED, field="slot")


def _context(appointment: Appointment) -> dict[str, Any]:
    return {
        "appointment": appointment,
        "advisor": appointment.advisor,
        "when": timezone.localtime(appointment.start),
        "topic": appointment.get_topic_display(),
        "manage_url": absolute_url(links.manage_path(appointment)),
        "book_url": absolute_url("/rendez-vous/"),
    }


def _send_confirmations(appointment: Appointment, *, moved: bool) -> None:
    # The .ics is written now, inside the transaction, so that it exists before the outbox row
    # naming it commits; if the transaction rolls back, it is an orphan file nothing points to.
    attachment = ics.store(appointment, organiser_name=_organiser_name())
    ctx = {**_context(appointment), "moved": moved}
    if appointment.email:
        emails.confirmation(appointment, ctx=ctx, attachment=attachment)
    emails.advisor_notice(appointment, ctx=ctx, attachment=attachment)


def _take_slot(appointment: Appointment, candidates: list[int]) -> bool:
    """Save `appointment` with the first candidate advisor the database lets have the slot."""
    for advisor_id in candidates:
        appointment.advisor_id = advisor_id
        try:
            # A savepoint: a lost race must not break the caller's transaction.
            with transaction.atomic():
                appointment.save()
        except IntegrityError:
            continue
        return True
    return False


@transaction.atomic
def appointment_book(
    *,
    start: dt.datetime,
    topic: str,
    name: str,
    email: str,
    phone: str = "",
    message: str = "",
    source: str = "",
    booked_by: User | None = None,
    now: dt.datetime | None = None,
) -> Appointment:
    """Someone (a visitor, a trainer, a client contact) books a 30-minute call."""
    now = now or timezone.now()
    _check_slot(start, now)
    appointment = Appointment(
        start=start, end=start + SLOT, topic=topic, name=name.strip(),
        email=User.objects.normalize_email(email), phone=phone.strip(), message=message.strip(),
        source=source, booked_by=booked_by if booked_by and booked_by.pk else None,
        consent_at=now,
    )  # fmt: skip
    if not _take_slot(appointment, selectors.slot_free_advisors(start, now)):
        raise DomainError(TAKEN, field="slot")
    log_action(
        appointment, "appointment.booked", actor=booked_by,
        data={"start": start, "advisor": appointment.advisor_id, "source": source},
    )  # fmt: skip
    _send_confirmations(appointment, moved=False)
    return appointment


def _locked(appointment: Appointment) -> Appointment:
    return Appointment.objects.select_for_update().select_related("advisor").get(pk=appointment.pk)


def _check_changeable(appointment: Appointment, now: dt.datetime) -> None:
    if appointment.status == Appointment.Status.CANCELLED:
        raise DomainError("Ce rendez-vous est annulé.")
    if appointment.start <= now:
        raise DomainError("Ce rendez-vous a déjà commencé ou est passé : il ne peut plus changer.")


@transaction.atomic
def appointment_move(
    *,
    appointment: Appointment,
    start: dt.datetime,
    actor: User | None = None,
    now: dt.datetime | None = None,
) -> Appointment:
    """Move a booked call to another free slot (the same advisor when free). Earlier links
    stop working; both sides get the updated invitation."""
    now = now or timezone.now()
    appointment = _locked(appointment)
    _check_changeable(appointment, now)
    if start == appointment.start:
        raise DomainError("C'est déjà l'horaire de ce rendez-vous.", field="slot")
    _check_slot(start, now)
    previous = {"start": appointment.start, "advisor": appointment.advisor}
    candidates = selectors.slot_free_advisors(start, now, prefer=appointment.advisor_id)
    appointment.start, appointment.end = start, start + SLOT
    appointment.sequence += 1
    appointment.nonce = Appointment._meta.get_field("nonce").get_default()
    if not _take_slot(appointment, candidates):
        raise DomainError(TAKEN, field="slot")
    appointment.refresh_from_db()
    log_action(
        appointment, "appointment.moved", actor=actor,
        data={"from": previous["start"], "to": start, "advisor": appointment.advisor_id},
    )  # fmt: skip
    if previous["advisor"].pk != appointment.advisor_id:
        # The first advisor no longer has the call: their calendar drops it.
        ctx = {**_context(appointment), "when": timezone.localtime(previous["start"])}
        emails.cancelled(
            appointment, person=previous["advisor"], ctx=ctx,
            attachment=_cancel_ics_for(appointment, previous),
        )  # fmt: skip
    _send_confirmations(appointment, moved=True)
    return appointment


def _cancel_ics_for(appointment: Appointment, previous: dict) -> dict:
    """The cancellation as the first advisor's calendar knows the event."""
    old = Appointment(
        pk=appointment.pk, advisor=previous["advisor"], start=previous["start"],
        end=previous["start"] + SLOT, sequence=appointment.sequence, name=appointment.name,
        email=appointment.email, phone=appointment.phone, topic=appointment.topic,
    )  # fmt: skip
    return ics.store(old, organiser_name=_organiser_name(), cancel=True)


@transaction.atomic
def appointment_cancel(
    *, appointment: Appointment, actor: User | None = None, now: dt.datetime | None = None
) -> Appointment:
    """Cancel a booked call: the slot is free again; both sides get a cancellation."""
    now = now or timezone.now()
    appointment = _locked(appointment)
    _check_changeable(appointment, now)
    APPOINTMENT_STATES.advance(appointment, Appointment.Status.CANCELLED)
    appointment.cancelled_at = now
    appointment.sequence += 1
    appointment.save(update_fields=["status", "cancelled_at", "sequence"])
    log_action(appointment, "appointment.cancelled", actor=actor, data={"start": appointment.start})
    attachment = ics.store(appointment, organiser_name=_organiser_name(), cancel=True)
    ctx = _context(appointment)
    if appointment.email:
        emails.cancelled(appointment, person=None, ctx=ctx, attachment=attachment)
    emails.cancelled(appointment, person=appointment.advisor, ctx=ctx, attachment=attachment)
    return appointment


@transaction.atomic
def appointment_send_reminders(*, now: dt.datetime | None = None) -> int:
    """The day before: remind whoever booked a call tomorrow. The outbox key (appointment and
    its version) makes a second run send nothing, and a moved call is reminded again."""
    now = now or timezone.now()
    tomorrow = timezone.localdate(now) + dt.timedelta(days=1)
    count = 0
    for appointment in selectors.appointments_to_remind(tomorrow):
        count += not OutgoingEmail.objects.filter(key=emails.reminder_key(appointment)).exists()
        emails.reminder(appointment, ctx=_context(appointment))
    return count


def _months_before(moment: dt.datetime, months: int) -> dt.datetime:
    month_index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(month_index, 12)
    # The 31st of a shorter month becomes its last day.
    for day in range(moment.day, 27, -1):
        try:
            return moment.replace(year=year, month=month + 1, day=day)
        except ValueError:
            continue
    return moment.replace(year=year, month=month + 1, day=min(moment.day, 28))


@transaction.atomic
def appointments_purge(*, now: dt.datetime | None = None, months: int | None = None) -> int:
    """Anonymise bookings whose call ended more than `months` ago (setting
    APPOINTMENTS_RETENTION_MONTHS): name, e-mail, phone and message go, and so do the copies in
    the emails sent about them and their .ics files. Returns how many were anonymised."""
    from django.conf import settings

    now = now or timezone.now()
    months = settings.APPOINTMENTS_RETENTION_MONTHS if months is None else months
    cutoff = _months_before(now, months)
    ids = list(
        selectors.appointments_to_anonymise(cutoff).select_for_update().values_list("pk", flat=True)
    )
    if not ids:
        return 0
    Appointment.objects.filter(pk__in=ids).update(
        name=ANONYMISED_NAME, email="", phone="", message="", booked_by=None, anonymised_at=now
    )
    OutgoingEmail.objects.filter(
        related_type=ContentType.objects.get_for_model(Appointment),
        related_id__in=[str(pk) for pk in ids],
    ).exclude(status__in=[OutgoingEmail.Status.QUEUED, OutgoingEmail.Status.SENDING]).update(
        to=[], cc=[], reply_to=[], subject="(rendez-vous anonymisé)",
        body_text="Contenu effacé : les données personnelles de ce rendez-vous ont été "
        f"anonymisées le {timezone.localtime(now):%d/%m/%Y}.",
        body_html="", attachments=[],
    )  # fmt: skip
    for appointment in Appointment.objects.filter(pk__in=ids):
        log_action(appointment, "appointment.anonymised", data={"retention_months": months})
    transaction.on_commit(lambda: [ics.delete_all(pk) for pk in ids], robust=True)
    return len(ids)
