from celery import shared_task

from . import services


@shared_task(name="sessions.send_validation_pack", acks_late=True)
def send_validation_pack(session_id: int) -> str:
    """Email the quote, agreement and programme once all three are ready (idempotent)."""
    return services.validation_pack_send_if_ready(session_id=session_id)


@shared_task(name="sessions.sweep")
def sweep() -> dict:
    return services.sessions_sweep()


@shared_task(name="sessions.quality_daily", acks_late=True)
def quality_daily() -> dict:
    """Convocations, questionnaires and one reminder (keyed e-mails: never twice)."""
    from . import quality

    return quality.quality_daily()


@shared_task(name="sessions.quality_hot_invites", acks_late=True)
def quality_hot_invites(session_id: int) -> int:
    from . import quality

    return quality.hot_invites(session_id=session_id)
