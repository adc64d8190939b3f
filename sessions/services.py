"""Writes on training sessions: one function per change, in a transaction, audited."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from documents.models import Document
from documents.services import document_request, documents_request_for_subjects
from ganapati.errors import DomainError
from ganapati.fields import format_minutes
from ganapati.idempotency import form_token_consume
from ganapati.models import Company, Funder, Role, User
from ganapati.services import join_request_create, log_action, password_set_url
from ganapati.uploads import check_pdf

from . import emails, events, links
from .documents import VALIDATION_PACK, organisation_pdf
from .models import (
    MAX_DAYS,
    Attendance,
    AttendanceScan,
    FundingMode,
    Programme,
    SessionDay,
    Trainee,
    TrainingSession,
)
from .states import SESSION_STATES

HALF_LABELS = {"am": "matin", "pm": "après-midi"}

Status = TrainingSession.Status


def _lock(session: TrainingSession) -> TrainingSession:
    return TrainingSession.objects.select_for_update().get(pk=session.pk)


def _transition(
    session: TrainingSession, target: str, *, actor: User | None, message: str | None = None, **data
) -> None:
    previous = SESSION_STATES.advance(session, target, message=message)
    log_action(
        session,
        f"session.{target}",
        actor=actor,
        data={"from": previous, "to": target, **data},
    )


def ensure_editable(session: TrainingSession) -> None:
    if not session.is_editable:
        raise DomainError(
            f"Cette session est « {session.get_status_display()} » : ses conditions ne peuvent "
            "plus être modifiées."
        )


NEW_SESSION_SCOPE = "sessions.new"


@transaction.atomic
def session_create(
    *,
    trainer: User,
    values: dict[str, Any],
    programme: Programme | None = None,
    form_token: str | None = None,
) -> TrainingSession:
    """A new draft. From the page, `form_token` makes a double submit create one draft."""
    if form_token is not None:
        form_token_consume(token=form_token, scope=NEW_SESSION_SCOPE, user=trainer)
    if trainer.role != Role.TRAINER:
        raise DomainError("Seul un formateur peut créer une session.")
    if programme is not None and programme.trainer_id != trainer.pk:
        raise DomainError("Ce programme n'est pas le vôtre.")
    initial = programme.content_values() if programme else {}
    session = TrainingSession(trainer=trainer, programme=programme, **{**initial, **values})
    session.full_clean(exclude=["price_excl_tax"])
    session.save()
    log_action(
        session, "session.created", actor=trainer, data={"programme": programme and programme.pk}
    )
    return session


@transaction.atomic
def session_update(*, session: TrainingSession, actor: User, values: dict[str, Any]) -> None:
    """The trainer edits the training or the price (not the client's part)."""
    session = _lock(session)
    ensure_editable(session)
    changed = [name for name, value in values.items() if getattr(session, name) != value]
    for name, value in values.items():
        setattr(session, name, value)
    session.full_clean()
    session.save()
    if changed:
        log_action(session, "session.updated", actor=actor, data={"fields": changed})


@transaction.atomic
def session_set_schedule(
    *, session: TrainingSession, actor: User, days: list[dict[str, Any]]
) -> None:
    session = _lock(session)
    ensure_editable(session)
    if not days:
        raise DomainError("Indiquez au moins une journée.")
    if len(days) > MAX_DAYS:
        raise DomainError(f"Une session compte au plus {MAX_DAYS} journées.")
    dates = [day["date"] for day in days]
    if len(set(dates)) != len(dates):
        raise DomainError("La même date figure deux fois : une ligne par journée.")
    today = timezone.localdate()
    if any(d < today for d in dates):
        raise DomainError("Une journée est dans le passé : choisissez des dates à venir.")
    session.days.all().delete()
    SessionDay.objects.bulk_create(SessionDay(session=session, **day) for day in days)
    session.save(update_fields=["updated_at"])
    log_action(
        session,
        "session.schedule_set",
        actor=actor,
        data={"days": [d.isoformat() for d in sorted(dates)]},
    )


@transaction.atomic
def session_link_issue(*, session: TrainingSession, actor: User) -> str:
    """Make a new link for the client (any earlier one stops working)."""
    session = _lock(session)
    ensure_editable(session)
    session.link_version += 1
    session.link_revoked = False
    session.link_expires_at = timezone.now() + links.LINK_VALIDITY
    if session.status == Status.DRAFT:
        _transition(session, Status.AWAITING_CLIENT, actor=actor, link_version=session.link_version)
    else:
        log_action(
            session, "session.link_issued", actor=actor, data={"version": session.link_version}
        )
    session.save()
    return links.make_token(session)


@transaction.atomic
def session_link_revoke(*, session: TrainingSession, actor: User) -> None:
    session = _lock(session)
    if session.link_revoked or not session.link_version:
        raise DomainError("Aucun lien actif à désactiver.")
    session.link_revoked = True
    if session.status == Status.AWAITING_CLIENT:
        _transition(session, Status.DRAFT, actor=actor, reason="link_revoked")
    else:
        log_action(session, "session.link_revoked", actor=actor)
    session.save()


@transaction.atomic
def session_link_send(*, session: TrainingSession, actor: User, to: str, url: str) -> None:
    session = _lock(session)
    if session.status != Status.AWAITING_CLIENT or session.link_revoked:
        raise DomainError("Créez d'abord un lien actif à envoyer.")
    emails.client_link(session, to=to, url=url, version=session.link_version)
    log_action(session, "session.link_sent", actor=actor, data={"to": to})


def _attach_company(values: dict[str, Any]) -> tuple[Company, bool]:
    """(company, created). An existing company is taken as it is on file: nothing typed on a
    link may rewrite another company's identity (staff see the differences and decide)."""
    company = Company.objects.filter(siret=values["siret"]).first()
    if company is not None:
        return company, False
    company = Company(**values)
    _full_clean(company)
    company.save()
    return company, True


def _full_clean(obj, **kwargs) -> None:
    """Model validation as a DomainError, for the page to show (never a 500)."""
    try:
        obj.full_clean(**kwargs)
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise DomainError(messages[0], field=field) from exc


def _attach_contact(
    session: TrainingSession, values: dict[str, Any], company: Company, *, new_company: bool
) -> User | None:
    """The contact typed on the form. A new address becomes a client account (a member of the
    company only if this form created the company; otherwise it asks to join it) and gets the
    e-mail to choose a password. An address that already has an account is never attached
    from a form: its owner gets an e-mail to confirm, logged in, that they are the contact.
    The page says the same thing in both cases, so nothing tells whether the address exists."""
    email = User.objects.normalize_email(values["email"])
    existing = User.objects.filter(email__iexact=email).first()
    if existing is not None:
        if session.contact_id != existing.pk:
            emails.contact_to_confirm(
                session, email=email, url=_contact_confirm_url(session, email)
            )
            return None
        return existing
    user = User(
        email=email,
        first_name=values["first_name"],
        last_name=values["last_name"],
        phone=values.get("phone", ""),
        job_title=values.get("job_title", ""),
        role=Role.CLIENT,
        company=company if new_company else None,
    )
    user.set_unusable_password()
    _full_clean(user, exclude=["password"])
    user.save()
    if not new_company:
        join_request_create(
            company=company, user=user, via=f"lien de la session {session.reference}",
            proposed=session.client_submission.get("company", {}),
        )  # fmt: skip
    emails.client_account_created(session, user, url=password_set_url(user))
    return user


def _contact_confirm_url(session: TrainingSession, email: str) -> str:
    from django.urls import reverse

    from ganapati.services import absolute_url

    return absolute_url(reverse("session_contact_confirm", args=[links.make_contact_token(
        session, email)]))  # fmt: skip


@transaction.atomic
def session_client_submit(
    *,
    session: TrainingSession,
    actor: User | None,
    company: dict[str, Any],
    contact: dict[str, Any],
    trainees: list[dict[str, Any]],
    funding_mode: str,
    funder: Funder | None,
    revision: int | None = None,
) -> TrainingSession:
    """The client's details, from the shared link (actor None) or typed in by the trainer."""
    session = _lock(session)
    if not session.is_editable:
        raise DomainError(
            "Cette session a déjà été validée par le formateur : ses informations ne peuvent "
            "plus être modifiées. Retrouvez-la dans votre espace client."
        )
    if revision is not None and revision != session.revision:
        raise DomainError(
            "Ces informations ont été modifiées depuis l'ouverture de cette page (peut-être "
            "dans un autre onglet). Vérifiez le formulaire ci-dessous, qui garde ce que vous "
            "avez saisi, puis envoyez-le de nouveau.",
            field="revision",
        )
    if not trainees:
        raise DomainError("Indiquez au moins un stagiaire.", field="trainees")
    if len(trainees) > session.trainees_max:
        raise DomainError(
            f"Cette session accueille au plus {session.trainees_max} stagiaire(s) : "
            f"vous en avez indiqué {len(trainees)}.",
            field="trainees",
        )
    if funding_mode in (FundingMode.OPCO_SUBROGATION, FundingMode.OPCO_DIRECT):
        if funder is None or funder.kind != Funder.Kind.OPCO:
            raise DomainError("Choisissez l'OPCO de l'entreprise.", field="funder")
    elif funding_mode in (FundingMode.AGEFICE, FundingMode.FIFPL):
        funder = Funder.objects.get(code=funding_mode)
    else:
        funder = None

    session.client_submission = {
        "company": {k: v for k, v in company.items() if v not in (None, "")},
        "contact": {k: v for k, v in contact.items() if v not in (None, "")},
    }
    company_obj, new_company = _attach_company(company)
    if session.company_id and session.company_id != company_obj.pk:
        session.contact = None  # another company: its contact must be confirmed again
    session.company = company_obj
    session.contact = _attach_contact(session, contact, company_obj, new_company=new_company)
    session.trainees.all().delete()
    Trainee.objects.bulk_create(
        Trainee(session=session, position=index, **values) for index, values in enumerate(trainees)
    )
    session.funding_mode = funding_mode
    session.funder = funder
    session.client_completed_at = timezone.now()
    session.revision += 1
    if session.status != Status.READY:
        _transition(session, Status.READY, actor=actor, by="trainer" if actor else "client")
    else:
        log_action(session, "session.client_updated", actor=actor)
    session.save()
    if actor is None:
        emails.client_completed(session)
    return session


@transaction.atomic
def session_contact_confirm(*, session: TrainingSession, user: User, email: str) -> None:
    """The owner of an existing account, logged in, confirms being the contact named on the
    form. They see the session; if they are not a member of its company, they ask to join."""
    session = _lock(session)
    if user.email.lower() != email.lower():
        raise DomainError(
            f"Ce lien est destiné à {email} : connectez-vous avec ce compte pour confirmer."
        )
    if user.role != Role.CLIENT:
        raise DomainError(
            "Ce compte (formateur ou équipe) ne peut pas être le contact client d'une session : "
            "indiquez au formateur une autre adresse professionnelle."
        )
    if not session.is_editable:
        raise DomainError("Cette session est déjà validée : son contact ne change plus.")
    submitted = (session.client_submission.get("contact") or {}).get("email", "")
    if submitted.lower() != email.lower() or session.company_id is None:
        raise DomainError("Ce lien n'est plus valable : le formulaire a été modifié depuis.")
    session.contact = user
    session.save(update_fields=["contact", "updated_at"])
    log_action(session, "session.contact_confirmed", actor=user, data={"email": user.email})
    join_request_create(company=session.company, user=user,
                        via=f"lien de la session {session.reference}",
                        proposed=session.client_submission.get("company", {}))  # fmt: skip


@transaction.atomic
def session_contacts_detach(*, company_id: int, user_id: int) -> int:
    """After a refusal or a removal: the person is no longer the contact of the company's
    sessions still being prepared (the trainer is told and asks the client again)."""
    count = 0
    for session in TrainingSession.objects.select_for_update().filter(
        company_id=company_id, contact_id=user_id,
        status__in=[Status.DRAFT, Status.AWAITING_CLIENT, Status.READY],
    ):  # fmt: skip
        session.contact = None
        session.save(update_fields=["contact", "updated_at"])
        log_action(session, "session.contact_removed", actor=None, data={"user": user_id})
        emails.contact_removed(session)
        count += 1
    return count


def session_missing(session: TrainingSession) -> list[str]:
    """What still prevents validation, as French sentences (empty: ready to validate)."""
    missing = []
    for name in ["title", "objectives", "audience", "methods", "assessment",
                 "accessibility_contact", "location"]:  # fmt: skip
        if not getattr(session, name):
            missing.append(f"« {TrainingSession._meta.get_field(name).verbose_name} » est vide")
    if not session.modules:
        missing.append("le contenu ne compte aucun module")
    days = list(session.days.all())
    if not days:
        missing.append("aucune journée n'est planifiée")
    else:
        total = total_minutes(days)
        if total != session.duration_minutes:
            missing.append(
                f"les créneaux totalisent {format_minutes(total)} mais la durée déclarée est "
                f"{format_minutes(session.duration_minutes)}"
            )
        if min(day.date for day in days) < timezone.localdate():
            missing.append("la première journée est passée : modifiez les dates")
    if session.price_excl_tax is None:
        missing.append("le prix n'est pas indiqué")
    typed_contact = (session.client_submission.get("contact") or {}).get("email")
    if not session.company_id:
        missing.append("les informations du client ne sont pas complètes")
    elif not session.contact_id:
        missing.append(
            f"le contact du client ({typed_contact}) n'a pas encore confirmé son adresse : "
            "il a reçu un e-mail pour le faire"
            if typed_contact
            else "le contact du client n'est pas indiqué"
        )
    else:
        count = len(session.trainees.all())
        if count == 0:
            missing.append("aucun stagiaire n'est inscrit")
        elif count > session.trainees_max:
            missing.append(f"{count} stagiaires pour {session.trainees_max} places au plus")
    return missing


def total_minutes(days) -> int:
    return sum(day.minutes for day in days)


@transaction.atomic
def session_validate(*, session: TrainingSession, actor: User) -> TrainingSession:
    """The trainer validates: the commercial terms are frozen, the client is told."""
    session = _lock(session)
    if session.status != Status.READY:
        raise DomainError(
            "La session ne peut être validée qu'une fois les informations du client complètes "
            f"(statut actuel : « {session.get_status_display()} »)."
        )
    missing = session_missing(session)
    if missing:
        raise DomainError("Impossible de valider : " + " ; ".join(missing) + ".")
    session.validated_at = timezone.now()
    _transition(session, Status.VALIDATED, actor=actor)
    session.save()
    # The quote, agreement and programme are rendered by workers after commit, then emailed
    # together once all three are ready (validation_pack_send_if_ready).
    for kind in VALIDATION_PACK:
        document_request(owner=session, kind=kind, source="session.validated", actor=actor)
    events.session_validated.emit(session_id=session.pk)
    return session


def validation_pack_send_if_ready(*, session_id: int) -> str:
    """Once quote, agreement and programme are ready, email them (once) to the client, with the
    current CGV (issue 15) when staff published them."""
    terms = organisation_pdf("cgv", render=True)  # rendered (once) outside the transaction
    with transaction.atomic():
        session = TrainingSession.objects.select_for_update().get(pk=session_id)
        documents = list(
            Document.objects.for_owner(session).filter(
                source="session.validated", kind__in=VALIDATION_PACK
            )
        )
        if len(documents) != len(VALIDATION_PACK) or any(
            d.status != Document.Status.READY for d in documents
        ):
            return "not-ready"
        if emails.validation_pack_sent(session):
            return "skipped-sent"
        documents.sort(key=lambda d: VALIDATION_PACK.index(d.kind))
        attachments = [
            {"name": d.file.name, "filename": d.filename, "mimetype": "application/pdf",
             "kind": f"document.{d.kind}"}
            for d in documents
        ]  # fmt: skip
        if terms:
            attachments.append(terms)
        emails.session_validated(session, attachments=attachments)
        log_action(session, "documents.sent", actor=None,
                   data={"documents": [d.pk for d in documents]})  # fmt: skip
    return "sent"


@transaction.atomic
def session_cancel(*, session: TrainingSession, actor: User, reason: str) -> None:
    session = _lock(session)
    if not reason.strip():
        raise DomainError("Indiquez le motif de l'annulation.", field="reason")
    session.cancelled_at = timezone.now()
    session.cancel_reason = reason.strip()
    session.link_revoked = True
    _transition(session, Status.CANCELLED, actor=actor, reason=session.cancel_reason)
    session.save()
    emails.session_cancelled(session)
    events.session_cancelled.emit(session_id=session.pk)


@transaction.atomic
def programme_save_from_session(*, session: TrainingSession, actor: User) -> Programme:
    """Keep this training as a reusable programme (updating the one it came from, if any)."""
    session = _lock(session)
    values = session.content_values()
    programme = session.programme
    if programme is not None and programme.trainer_id == session.trainer_id:
        for name, value in values.items():
            setattr(programme, name, value)
        programme.save()
        log_action(programme, "programme.updated", actor=actor, data={"from_session": session.pk})
    else:
        programme = Programme.objects.create(trainer=session.trainer, **values)
        session.programme = programme
        session.save(update_fields=["programme", "updated_at"])
        log_action(programme, "programme.created", actor=actor, data={"from_session": session.pk})
    return programme


@transaction.atomic
def session_fund(*, session: TrainingSession, actor: User | None) -> None:
    """Funding is cleared (PEC validated, or the client's commitment): the green light."""
    session = _lock(session)
    session.funded_at = timezone.now()
    _transition(session, Status.FUNDED, actor=actor)
    session.save()
    emails.green_light(session)
    events.session_funded.emit(session_id=session.pk)


@transaction.atomic
def session_start(*, session: TrainingSession, actor: User) -> None:
    """The trainer starts: only after the green light. The attendance sheet is generated."""
    session = _lock(session)
    session.started_at = timezone.now()
    _transition(
        session, Status.RUNNING, actor=actor,
        message="La session ne peut démarrer qu'après le feu vert : accord de prise en charge "
        "validé par l'équipe, ou engagement de paiement de l'entreprise (elle est « {current} »).",
    )  # fmt: skip
    halves = _half_days(session)
    if halves and timezone.localdate() < halves[0][0].date:
        raise DomainError(
            f"La session commence le {halves[0][0].date:%d/%m/%Y} : elle se démarre ce jour-là, "
            "pas avant."
        )
    session.save()
    from .signing import slots_create

    slots_create(session=session)
    document_request(owner=session, kind="emargement", source="session.running", actor=actor)
    events.session_started.emit(session_id=session.pk)


def _half_days(session: TrainingSession) -> list[tuple[SessionDay, str]]:
    halves = []
    for day in session.days.all():
        if day.morning_start:
            halves.append((day, "am"))
        if day.afternoon_start:
            halves.append((day, "pm"))
    return halves


@transaction.atomic
def attendance_record(
    *,
    session: TrainingSession,
    actor: User,
    present: set[tuple[int, int, str]],
    half_days: set[tuple[int, str]] | None = None,
) -> int:
    """Record who was present, per trainee and half-day (absent unless listed).

    `present` holds (trainee id, day id, "am"/"pm") triples; `half_days` the (day id, half)
    this record covers — one half-day from the attendance page, every one by default — the
    others keep what was recorded. Returns the number of rows written (in bulk: a constant
    number of queries whatever the number of trainees).
    """
    session = _lock(session)
    if session.status != Status.RUNNING:
        raise DomainError("L'émargement se saisit pendant la session (après son démarrage).")
    trainees = list(session.trainees.all())
    days = {day.pk: day for day in session.days.all()}
    all_halves = {(d.pk, h) for d, h in _half_days(session)}
    covered = all_halves if half_days is None else set(half_days)
    if not covered or not covered <= all_halves:
        raise DomainError("Cette demi-journée ne fait pas partie de la session.")
    now = timezone.now()
    early = sorted((days[d].date, h) for d, h in covered if days[d].half_bounds(h)[0] > now)
    if early:
        date, half = early[0]
        raise DomainError(
            f"La demi-journée du {date:%d/%m/%Y} ({HALF_LABELS[half]}) n'a pas encore commencé : "
            "la présence se relève une fois la demi-journée commencée."
        )
    from .models import HalfDayClosure

    if (
        HalfDayClosure.objects.filter(session=session)
        .filter(Q(*[Q(day_id=d, half=h) for d, h in covered], _connector=Q.OR))
        .exists()
    ):
        raise DomainError(
            "Cette demi-journée est close (émargement signé) : elle ne se ressaisit pas."
        )
    valid = {(t.pk, d, h) for t in trainees for d, h in covered}
    if not present <= valid:
        raise DomainError("Une présence cochée ne correspond à aucun stagiaire ou demi-journée.")
    cells = Q()
    for day_id, half in covered:
        cells |= Q(day_id=day_id, half=half)
    Attendance.objects.filter(cells, session=session).delete()
    rows = Attendance.objects.bulk_create(
        Attendance(session=session, trainee=t, day=days[d], half=h, present=(t.pk, d, h) in present)
        for t in trainees
        for d, h in sorted(covered)
    )
    labels = sorted(f"{days[d].date.isoformat()}-{h}" for d, h in covered)
    log_action(session, "session.attendance_recorded", actor=actor,
               data={"present": len(present), "of": len(rows), "half_days": labels})  # fmt: skip
    return len(rows)


@transaction.atomic
def attendance_scan_upload(*, session: TrainingSession, actor: User, upload) -> None:
    session = _lock(session)
    if session.status not in (Status.RUNNING, Status.COMPLETED):
        raise DomainError("Les feuilles signées se déposent une fois la session démarrée.")
    checked = check_pdf(upload, folder="emargement")
    AttendanceScan.objects.create(
        session=session, file=checked.content, original_name=checked.original_name,
        sha256=checked.sha256, size=checked.size, crc32=checked.crc32,
    )  # fmt: skip
    log_action(session, "session.attendance_scan", actor=actor, data={"sha256": checked.sha256})


@transaction.atomic
def session_complete(
    *,
    session: TrainingSession,
    actor: User,
    results: dict[int, tuple[bool, str]],
    assessments: dict[tuple[int, int], str] | None = None,
) -> None:
    """The trainer declares the end: each trainee's result is recorded and the certificates
    and attestations are generated with the hours actually attended.

    `assessments` ((trainee id, objective position) → acquired / partly / not_acquired) adds
    to what the quality page recorded; every trainee who attended must have a result for every
    objective of the programme (issue 15: nothing is assumed acquired)."""
    session = _lock(session)
    if session.status != Status.RUNNING:
        raise DomainError("Seule une session en cours peut être déclarée terminée.")
    trainees = list(session.trainees.all())
    halves = _half_days(session)
    if halves:
        last_day, last_half = halves[-1]
        ends = last_day.half_bounds(last_half)[1]
        if timezone.now() < ends:
            raise DomainError(
                f"La session se termine le {last_day.date:%d/%m/%Y} à "
                f"{timezone.localtime(ends):%H:%M} : elle se déclare terminée après son dernier "
                "créneau."
            )
    from .signing import open_half_days, signing_findings

    recorded = set(Attendance.objects.filter(session=session).values_list("day_id", "half"))
    still_open = [(d, h) for d, h in open_half_days(session) if (d.pk, h) not in recorded]
    if still_open:
        day, half = still_open[0]
        raise DomainError(
            f"La demi-journée du {day.date:%d/%m/%Y} ({HALF_LABELS[half]}) n'est pas close : "
            "chaque stagiaire signe ou est marqué, puis le formateur contresigne."
        )
    blocking = [f.text for f in signing_findings(session) if f.blocking]
    if blocking:
        raise DomainError("Émargement à revoir avant de terminer : " + " ".join(blocking))
    expected = len(trainees) * len(halves)
    if Attendance.objects.filter(session=session).count() < expected:
        raise DomainError(
            "Saisissez d'abord l'émargement de chaque demi-journée : les certificats reprennent "
            "les heures réellement suivies."
        )
    missing = [t for t in trainees if t.pk not in results]
    if missing:
        raise DomainError(
            "Indiquez le résultat de chaque stagiaire : "
            + ", ".join(f"{t.first_name} {t.last_name}" for t in missing)
            + "."
        )
    from .quality import assessment_merge, assessment_missing
    from .selectors import realised_minutes

    realised = realised_minutes(session)
    assessment_merge(session=session, trainees=trainees, results=assessments or {})
    unassessed = assessment_missing(session, [t for t in trainees if realised.get(t.pk, 0) > 0])
    if unassessed:
        raise DomainError(
            "Évaluez les acquis de chaque stagiaire présent, objectif par objectif (acquis, "
            "partiellement acquis ou non acquis), avant de terminer : "
            + ", ".join(unassessed)
            + "."
        )
    for trainee in trainees:
        acquired, text = results[trainee.pk]
        trainee.competences_acquired = acquired
        trainee.assessment_result = text.strip()
    Trainee.objects.bulk_update(trainees, ["competences_acquired", "assessment_result"],
                                batch_size=500)  # fmt: skip
    session.completed_at = timezone.now()
    _transition(session, Status.COMPLETED, actor=actor)
    session.save()
    _signed_sheet_request(session, actor=actor)
    attended = []
    for trainee in trainees:
        if realised.get(trainee.pk, 0) <= 0:
            # Absent throughout: nothing was done, so nothing is certified (no "0 h" papers).
            log_action(session, "session.no_certificate", actor=actor,
                       data={"trainee": trainee.pk, "reason": "absent throughout"})  # fmt: skip
            continue
        attended.append(trainee)
    for kind in ("certificat", "attestation"):  # a fixed number of queries for any size
        documents_request_for_subjects(owner=session, kind=kind, subjects=attended,
                                       source="session.completed", actor=actor)  # fmt: skip
    events.session_completed.emit(session_id=session.pk)


def _signed_sheet_request(session: TrainingSession, *, actor: User) -> None:
    """The signed attendance sheet, asked before the certificates that print its SHA-256: its
    task is queued first, and a certificate's task that comes first renders it (see
    sessions.documents.session_document_context). Rendered by a worker, not in the page: for
    the largest session (100 trainees × 120 half-days) it takes minutes (issue 17). Its hash
    goes to the audit log when it is ready (receivers.log_signed_sheet_seal)."""
    from .documents import SIGNED_SHEET
    from .models import SigningSlot

    if SigningSlot.objects.filter(session=session).exists():
        document_request(owner=session, kind=SIGNED_SHEET, source="session.completed",
                         actor=actor)  # fmt: skip


def sessions_sweep() -> dict[str, int]:
    """Periodic: the validation packs whose three documents are ready but whose email was never
    queued (the worker that rendered the last one died before its event was handled), and the
    same for the attestations and certificates of completion."""
    from datetime import timedelta

    from ganapati.models import OutgoingEmail

    recent = TrainingSession.objects.filter(
        status__in=[Status.VALIDATED, Status.FUNDED, Status.RUNNING, Status.COMPLETED],
        validated_at__gte=timezone.now() - timedelta(days=30),
    ).values_list("pk", flat=True)
    sent_keys = set(
        OutgoingEmail.objects.filter(
            key__startswith="session-validated:", key__endswith=":client"
        ).values_list("key", flat=True)
    )
    sent = 0
    for session_id in recent:
        if f"session-validated:{session_id}:client" not in sent_keys:
            sent += validation_pack_send_if_ready(session_id=session_id) == "sent"
    from .completion import completion_papers_sweep
    from .signing import links_sweep

    return {"packs_sent": sent, "signing_links": links_sweep(),
            "completion_papers": completion_papers_sweep()}  # fmt: skip
