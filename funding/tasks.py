from celery import shared_task

from . import services


@shared_task(name="funding.send_reminders")
def send_reminders() -> dict:
    return services.funding_send_reminders()


@shared_task(name="funding.pec_autocheck", acks_late=True)
def pec_autocheck(upload_id: int) -> None:
    services.pec_upload_autocheck(upload_id=upload_id)
