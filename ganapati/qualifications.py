"""The reminder before a trainer's dated certification expires (Qualiopi indicators 21–22)."""

from __future__ import annotations

import datetime as dt
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .models import TrainerQualification
from .services import mail_queue


def qualification_reminders(today: dt.date | None = None) -> int:
    """One e-mail per qualification and expiry date, to the trainer and the staff address,
    N days before (keyed: the daily beat never sends it twice)."""
    today = today or timezone.localdate()
    days = int(getattr(settings, "QUALITY_QUALIFICATION_NOTICE_DAYS", 30))
    due = TrainerQualification.objects.filter(
        expires_on__isnull=False,
        expires_on__gte=today,
        expires_on__lte=today + timedelta(days=days),
    ).select_related("trainer")
    sent = 0
    for qualification in due:
        with transaction.atomic():
            key = f"qualification-expiry:{qualification.pk}:{qualification.expires_on:%Y%m%d}"
            mail_queue(
                key=key,
                template="quality_qualification_expiry",
                to=[qualification.trainer.email],
                context={"qualification": qualification, "trainer": qualification.trainer},
                related=qualification.trainer,
            )
            sent += 1
    return sent
