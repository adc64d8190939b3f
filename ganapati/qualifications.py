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


# --- The trainer's own qualifications, with their proof ------------------------------------------


def _check_upload(upload) -> dict:
    from .uploads import check_pdf

    checked = check_pdf(upload, folder="qualifications")
    return {"file": checked.content, "original_name": checked.original_name,
            "sha256": checked.sha256}  # fmt: skip


@transaction.atomic
def qualification_add(
    *, trainer, actor, kind: str, title: str, details: str = "", obtained_on=None,
    expires_on=None, upload=None,
) -> TrainerQualification:  # fmt: skip
    """A CV, diploma, certification or experience on the trainer's profile, with its PDF (checked:
    a refused file is a French message, nothing is saved)."""
    from django.core.exceptions import ValidationError

    from .errors import DomainError
    from .models import Role
    from .services import log_action

    if trainer.role != Role.TRAINER:
        raise DomainError("Seul un formateur a des qualifications.")
    if obtained_on and expires_on and expires_on <= obtained_on:
        raise DomainError("La date d'expiration suit la date d'obtention.", field="expires_on")
    qualification = TrainerQualification(
        trainer=trainer, kind=kind, title=(title or "").strip(), details=(details or "").strip(),
        obtained_on=obtained_on, expires_on=expires_on,
    )  # fmt: skip
    try:
        qualification.full_clean(exclude=["file"])
    except ValidationError as exc:
        field, errors = next(iter(exc.message_dict.items()))
        raise DomainError(errors[0], field=field) from exc
    if upload is not None:
        for name, value in _check_upload(upload).items():
            setattr(qualification, name, value)
    qualification.save()
    log_action(trainer, "qualification.added", actor=actor,
               data={"qualification": qualification.pk, "kind": kind,
                     "sha256": qualification.sha256 or None})  # fmt: skip
    return qualification


@transaction.atomic
def qualification_remove(*, qualification: TrainerQualification, actor) -> None:
    """The trainer withdraws an entry (its file too); the audit log keeps the trace."""
    from .services import log_action

    qualification = TrainerQualification.objects.select_for_update().get(pk=qualification.pk)
    name = qualification.file.name
    data = {"title": qualification.title, "sha256": qualification.sha256 or None}
    log_action(qualification.trainer, "qualification.removed", actor=actor, data=data)
    qualification.delete()
    if name:
        from django.core.files.storage import default_storage

        transaction.on_commit(lambda: default_storage.delete(name), robust=True)


def qualifications_of(trainer):
    return TrainerQualification.objects.filter(trainer=trainer).order_by("kind", "-obtained_on")


def qualification_file_get_for(*, user, pk: int) -> TrainerQualification:
    """A qualification's PDF for its trainer or staff; anyone else a 404."""
    from django.http import Http404

    from . import files
    from .models import Role

    qualification = TrainerQualification.objects.filter(pk=pk).exclude(file="").first()
    allowed = (
        qualification is not None
        and files.user_may_see(user, "qualification")
        and (user.role == Role.STAFF or qualification.trainer_id == user.pk)
    )
    if not allowed:
        raise Http404("Document introuvable.")
    return qualification
