"""One function per email about a call with an advisor (template triplets under
templates/emails/appointment_*/)."""

from ..models import Appointment, OutgoingEmail, User
from ..services import mail_queue


def confirmation(appointment: Appointment, *, ctx: dict, attachment: dict) -> OutgoingEmail:
    return mail_queue(
        key=f"appointment-confirmation:{appointment.pk}:{appointment.sequence}",
        template="appointment_confirmation",
        to=[appointment.email],
        reply_to=[appointment.advisor.email],
        context=ctx,
        attachments=[attachment],
        related=appointment,
    )


def advisor_notice(appointment: Appointment, *, ctx: dict, attachment: dict) -> OutgoingEmail:
    return mail_queue(
        key=f"appointment-advisor:{appointment.pk}:{appointment.sequence}",
        template="appointment_advisor",
        to=[appointment.advisor.email],
        reply_to=[appointment.email] if appointment.email else [],
        context=ctx,
        attachments=[attachment],
        related=appointment,
    )


def cancelled(
    appointment: Appointment, *, person: User | None, ctx: dict, attachment: dict
) -> OutgoingEmail:
    """To the advisor (`person`) or, with person=None, to whoever booked."""
    return mail_queue(
        key=f"appointment-cancelled:{appointment.pk}:{appointment.sequence}:"
        f"{person.pk if person else 'booker'}",
        template="appointment_cancelled",
        to=[person.email if person else appointment.email],
        context={**ctx, "for_advisor": person is not None},
        attachments=[attachment],
        related=appointment,
    )


def reminder_key(appointment: Appointment) -> str:
    return f"appointment-reminder:{appointment.pk}:{appointment.sequence}"


def reminder(appointment: Appointment, *, ctx: dict) -> OutgoingEmail:
    return mail_queue(
        key=reminder_key(appointment),
        template="appointment_reminder",
        to=[appointment.email],
        reply_to=[appointment.advisor.email],
        context=ctx,
        related=appointment,
    )
