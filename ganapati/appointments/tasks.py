"""Thin periodic tasks (Celery beat, ganapati/settings.py): both are safe to run twice."""

from celery import shared_task

from . import services


@shared_task(name="ganapati.appointment_reminders")
def appointment_reminders() -> int:
    return services.appointment_send_reminders()


@shared_task(name="ganapati.appointments_purge")
def appointments_purge() -> int:
    return services.appointments_purge()
