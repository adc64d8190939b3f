from celery import shared_task

from . import services


@shared_task(name="funding.send_reminders")
def send_reminders() -> dict:
    return services.funding_send_reminders()
