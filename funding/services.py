"""Writes of the funding app."""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from collections.abc import Iterable
from decimal import Decimal

from django.db import transaction
from django.db.models import Min, Q
from django.utils import timezone

from documents.services import document_request
from ganapati.errors import DomainError
from ganapati.formats import euros
from ganapati.idempotency import form_token_consume
from ganapati.models import Funder, Role, User
from ganapati.selectors import organisation_get_or_none
from ganapati.services import absolute_url, log_action, mail_queue
from ganapati.uploads import check_pdf
from sessions import services as session_services
from sessions.models import FundingMode, TrainingSession
from sessions.pricing import session_amounts
from sessions.selectors import client_recipients

from . import emails, events, money
from .data import opco_code
from .models import ClientCommitment, CollectiveAgreement, FundingRequest, PecUpload
from .selectors import normalize_idcc
from .states import FUNDING_STATES

# Lock order, everywhere in this app: the session's row first, then its funding request's.
# (Two services taking them in opposite orders deadlock under concurrency.)


# How France Compétences spells each OPCO, once accents, case, "OPCO" and punctuation are gone.
def agreements_import_france_competences(lines: Iterable[str], *, actor=None) -> dict[str, int]:
    """Import the official SIRET|IDCC|OPCO_PROPRIETAIRE|OPCO_GESTION file, streamed line by line.

    The file lists companies (about 100 MB); we keep, per IDCC, the OPCO named most often as
    owner (OPCO_PROPRIETAIRE, or OPCO_GESTION when empty). Memory grows with the number of
    agreements (a few thousand), not with the number of lines.

    All or nothing: the whole file is read before the first write, and any problem (header,
    encoding, an unreadable line) raises DomainError with a French message, nothing changed.
    """
    votes: dict[str, Counter] = defaultdict(Counter)
    stats = {"lines": 0, "skipped": 0}
    reader = csv.reader(lines, delimiter="|")
    try:
        header = next(reader, None)
        if header is None or [h.strip().upper() for h in header[:4]] != [
            "SIRET", "IDCC", "OPCO_PROPRIETAIRE", "OPCO_GESTION",
        ]:  # fmt: skip
            raise DomainError(
                "Ce fichier n'a pas l'en-tête attendu : SIRET|IDCC|OPCO_PROPRIETAIRE|OPCO_GESTION."
            )
        for row in reader:
            stats["lines"] += 1
            if len(row) < 4:
                stats["skipped"] += 1
                continue
            idcc = normalize_idcc(row[1].strip())
            code = opco_code(row[2] or row[3]) or opco_code(row[3])
            if idcc is None or idcc == "0" or code is None:
                stats["skipped"] += 1
                continue
            votes[idcc][code] += 1
    except UnicodeDecodeError as exc:
        raise DomainError(
            "Import impossible : le fichier n'est pas encodé en UTF-8 (vers la ligne "
            f"{reader.line_num + 1}). Enregistrez-le au format « CSV UTF-8 » puis importez-le "
            "de nouveau ; rien n'a été modifié."
        ) from exc
    except csv.Error as exc:
        # Typically a field over the csv module's limit (131 072 characters) or a NUL byte.
        raise DomainError(
            f"Import impossible : la ligne {reader.line_num} est illisible (champ démesuré ou "
            "caractère interdit). Ce n'est pas le fichier de France Compétences attendu ; rien "
            "n'a été modifié."
        ) from exc

    funders = {f.code: f for f in Funder.objects.filter(kind=Funder.Kind.OPCO)}
    missing = sorted({code for counter in votes.values() for code in counter} - set(funders))
    if missing:
        raise DomainError(
            f"Import impossible : OPCO absents de la liste des financeurs ({', '.join(missing)}) ; "
            "rien n'a été modifié."
        )
    created = updated = 0
    with transaction.atomic():
        for idcc, counter in votes.items():
            code, _ = counter.most_common(1)[0]
            _, was_created = CollectiveAgreement.objects.update_or_create(
                idcc=idcc,
                defaults={
                    "opco": funders[code],
                    "source": CollectiveAgreement.Source.FRANCE_COMPETENCES,
                },
            )
            created += was_created
            updated += not was_created
        stats.update(created=created, updated=updated, agreements=len(votes))
        if actor is not None:
            log_action(actor, "agreements.imported", actor=actor, data=stats)
    return stats


# --- The PEC ------------------------------------------------------------------------------------


def _session_total(session) -> Decimal:
    return session_amounts(session, organisation_get_or_none()).total_excl_tax


def pec_upload_scope(session) -> str:
    return f"funding.pec_upload:{session.pk}"


@transaction.atomic
def funding_request_upload(
    *, session, actor, upload, values: dict, form_token: str | None = None
) -> FundingRequest:
    """The client deposits the funder's decision: the PDF and what it says. From the page,
    `form_token` makes a double submit record one upload."""
    session = TrainingSession.objects.select_for_update().get(pk=session.pk)
    if form_token is not None:
        form_token_consume(token=form_token, scope=pec_upload_scope(session), user=actor)
    if session.status != TrainingSession.Status.VALIDATED:
        raise DomainError(
            "L'accord de prise en charge se dépose une fois la session validée et avant son "
            f"feu vert (statut actuel : « {session.get_status_display()} »)."
        )
    if session.funder is None:
        raise DomainError("Cette session est financée par l'entreprise : aucun accord à déposer.")
    existing = FundingRequest.objects.select_for_update().filter(session=session).first()
    if existing is not None:
        FUNDING_STATES.check(
            existing, FundingRequest.Status.UPLOADED,
            message="L'accord de prise en charge a déjà été validé par l'équipe.",
        )  # fmt: skip
    total = _session_total(session)
    decision = values["decision"]
    amount = values.get("amount_granted") or Decimal("0")
    if decision == FundingRequest.Decision.REFUSED:
        amount, minutes = Decimal("0"), 0
    else:
        minutes = values.get("minutes_granted") or 0
        if amount <= 0:
            raise DomainError(
                "Indiquez le montant accordé par le financeur.", field="amount_granted"
            )
        if amount > total:
            raise DomainError(
                f"Le montant accordé ({euros(amount)}) dépasse le prix de la session "
                f"({euros(total)} HT) : "
                "vérifiez le montant.",
                field="amount_granted",
            )
        if decision == FundingRequest.Decision.TOTAL and amount < total:
            raise DomainError(
                f"Une prise en charge totale couvre le prix ({euros(total)} HT) : "
                "le montant indiqué "
                "est inférieur. S'agit-il d'une prise en charge partielle ?",
                field="decision",
            )
    valid_from, valid_until = values.get("valid_from"), values.get("valid_until")
    if valid_from and valid_until and valid_until < valid_from:
        raise DomainError(
            f"La fin de validité de l'accord ({valid_until:%d/%m/%Y}) précède son début "
            f"({valid_from:%d/%m/%Y}).",
            field="valid_until",
        )
    checked = check_pdf(upload, folder="pec")
    if existing is not None:
        request = existing
        FUNDING_STATES.advance(request, FundingRequest.Status.UPLOADED)
    else:
        request = FundingRequest(
            session=session, funder=session.funder, status=FundingRequest.Status.UPLOADED
        )
    request.decision = decision
    request.file_number = values.get("file_number", "")
    request.amount_granted = amount
    request.session_price = total
    request.minutes_granted = minutes
    request.subrogation = bool(values.get("subrogation"))
    request.valid_from, request.valid_until = valid_from, valid_until
    request.uploaded_at = timezone.now()
    request.rejection_reason = ""
    request.reviewed_by = None
    request.reviewed_at = None
    request.save()
    upload = PecUpload.objects.create(
        request=request, file=checked.content, original_name=checked.original_name,
        sha256=checked.sha256, size=checked.size, crc32=checked.crc32, uploaded_by=actor,
    )  # fmt: skip
    from .tasks import pec_autocheck  # tasks import this module

    pec_autocheck.delay(upload.pk)  # sent on commit (TransactionAwareTask)
    log_action(session, "funding.uploaded", actor=actor, data={"decision": decision,
               "amount": str(amount)})  # fmt: skip
    return request


@transaction.atomic
def funding_request_validate(
    *, request: FundingRequest, actor, values: dict | None = None
) -> FundingRequest:
    """Staff validate the PEC: the outcome follows the funder's decision. `values`: what staff
    retained from the PDF (n° de dossier, montant, durée, subrogation, validité), which replaces
    what the client typed; the same checks as at upload apply."""
    session = TrainingSession.objects.select_for_update().get(pk=request.session_id)
    request = FundingRequest.objects.select_for_update().get(pk=request.pk)
    FUNDING_STATES.advance(
        request, FundingRequest.Status.VALIDATED,
        message="Cet accord est « {current} » : rien à valider.",
    )  # fmt: skip
    if values:
        changed = {}
        for name in CORRECTABLE:
            if name in values and values[name] != getattr(request, name):
                changed[name] = str(values[name])
                setattr(request, name, values[name])
        if request.decision != FundingRequest.Decision.REFUSED and changed:
            total = _session_total(session)
            if request.amount_granted <= 0 or request.amount_granted > total:
                raise DomainError(
                    f"Le montant retenu ({euros(request.amount_granted)}) doit être positif et "
                    f"ne pas dépasser le prix de la session ({euros(total)} HT).",
                    field="amount_granted",
                )
            if request.decision == FundingRequest.Decision.TOTAL and request.amount_granted < total:
                raise DomainError(
                    f"Le montant retenu ({euros(request.amount_granted)}) est inférieur au prix "
                    f"({euros(total)} HT) : c'est une prise en charge partielle, refusez le dépôt "
                    "pour que le client le redépose comme tel.",
                    field="amount_granted",
                )
        if changed:
            log_action(session, "funding.corrected", actor=actor, data=changed)
    request.reviewed_by = actor
    request.reviewed_at = timezone.now()
    request.save()
    log_action(session, "funding.validated", actor=actor, data={"decision": request.decision})
    if request.decision == FundingRequest.Decision.TOTAL:
        session_services.session_fund(session=session, actor=actor)
        events.funding_cleared.emit(session_id=session.pk, funding_request_id=request.pk)
    elif request.decision == FundingRequest.Decision.PARTIAL:
        # The agreement is made again with the split; the client accepts the remainder.
        document_request(owner=session, kind="convention",
                         source=f"funding.{request.pk}.partial", actor=actor)  # fmt: skip
        emails.remainder_to_accept(session, request)
    else:
        emails.funding_refused(session, request)
    return request


def pec_upload_autocheck(*, upload_id: int) -> dict | None:
    """Read the uploaded PDF and store what it states (idempotent: done once per upload).

    No lock is held while pypdf reads: the facts are written with a conditional update."""
    from .pec_check import extract, pdf_text

    upload = PecUpload.objects.select_related("request__session").filter(pk=upload_id).first()
    if upload is None or upload.facts is not None:
        return None
    with upload.file.open("rb") as handle:
        data = handle.read()
    try:
        text = pdf_text(data)
    except Exception:  # noqa: BLE001 - a PDF pypdf cannot lay out: staff read it themselves
        text = ""
    names = [f"{t.first_name} {t.last_name}" for t in upload.request.session.trainees.all()]
    facts = extract(text, trainee_names=names).to_json()
    facts["has_text"] = bool(text.strip())
    PecUpload.objects.filter(pk=upload.pk, facts__isnull=True).update(facts=facts)
    return facts


# Values staff may correct, from what the PDF states, before validating.
CORRECTABLE = ("file_number", "amount_granted", "minutes_granted", "subrogation", "valid_from",
               "valid_until")  # fmt: skip


@transaction.atomic
def funding_request_reject(*, request: FundingRequest, actor, reason: str) -> FundingRequest:
    """Staff refuse the upload (unreadable, wrong session...): the client uploads again."""
    if not reason.strip():
        raise DomainError("Indiquez le motif du refus : il est envoyé au client.")
    TrainingSession.objects.select_for_update().get(pk=request.session_id)
    request = FundingRequest.objects.select_for_update().get(pk=request.pk)
    FUNDING_STATES.advance(
        request, FundingRequest.Status.REJECTED,
        message="Cet accord est « {current} » : rien à refuser.",
    )  # fmt: skip
    request.rejection_reason = reason.strip()
    request.reviewed_by = actor
    request.reviewed_at = timezone.now()
    request.save()
    log_action(request.session, "funding.rejected", actor=actor, data={"reason": reason})
    emails.upload_rejected(request.session, request)
    return request


def remainder_of(session) -> Decimal:
    """What the company signs for (see `funding.money`): the price less what the funder pays
    under subrogation; the whole price otherwise (the company then asks its OPCO to
    reimburse it)."""
    from .money import session_terms

    terms = session_terms(session, realised={})
    return money.commitment(terms.price, terms.granted, terms.subrogation)


@transaction.atomic
def client_commit_to_pay(*, session, actor, ip: str | None) -> ClientCommitment:
    """The client accepts to pay what no funder pays: after a partial or refused PEC, or
    because the company funds the training itself. Gives the green light."""
    session = TrainingSession.objects.select_for_update().get(pk=session.pk)
    if session.status != TrainingSession.Status.VALIDATED:
        raise DomainError("Il n'y a rien à accepter pour cette session à ce stade.")
    request = FundingRequest.objects.filter(session=session).first()
    if session.funding_mode == FundingMode.COMPANY:
        kind = ClientCommitment.Kind.SELF_PAY
    elif request and request.status == FundingRequest.Status.VALIDATED and request.decision in (
        FundingRequest.Decision.PARTIAL, FundingRequest.Decision.REFUSED,
    ):  # fmt: skip
        kind = (
            ClientCommitment.Kind.REMAINDER
            if request.decision == FundingRequest.Decision.PARTIAL
            else ClientCommitment.Kind.SELF_PAY
        )
    else:
        raise DomainError(
            "L'engagement de paiement n'est demandé qu'après une prise en charge partielle ou "
            "refusée, ou quand l'entreprise finance elle-même la formation."
        )
    commitment = ClientCommitment.objects.create(
        session=session, kind=kind, amount=remainder_of(session), accepted_by=actor,
        accepted_ip=ip,
    )  # fmt: skip
    log_action(session, "funding.client_committed", actor=actor,
               data={"kind": kind, "amount": str(commitment.amount), "ip": ip})  # fmt: skip
    session_services.session_fund(session=session, actor=actor)
    events.funding_cleared.emit(session_id=session.pk,
                                funding_request_id=request.pk if request else None)  # fmt: skip
    return commitment


# --- Reminders -----------------------------------------------------------------------------------


def funding_send_reminders(*, today=None) -> dict[str, int]:
    """Daily (Celery beat). Each email's key names the day: running twice sends nothing more.

    - a client with the documents but no PEC, 7 days after validation and every 7 days: the
      client and the trainer (who must chase the client) are reminded;
    - the first day in 7 days or less without the green light: client, trainer and staff;
    - PECs waiting for review (uploaded, not yet validated or refused): one digest a day to the
      staff, oldest first, each with the link to its review page.
    """
    today = today or timezone.localdate()
    counts = {"pec": 0, "start": 0, "staff": 0}
    staff = list(
        User.objects.filter(role=Role.STAFF, is_active=True).values_list("email", flat=True)
    )
    waiting = (
        TrainingSession.objects.filter(status=TrainingSession.Status.VALIDATED)
        .select_related("contact", "trainer", "funder", "company")
        .annotate(first_day=Min("days__date"))
    )
    for session in waiting:
        with transaction.atomic():
            no_pec = (
                session.funder_id
                and not FundingRequest.objects.filter(
                    Q(session=session) & ~Q(status=FundingRequest.Status.REJECTED)
                ).exists()
            )
            since = (today - timezone.localtime(session.validated_at).date()).days
            if no_pec and since >= 7 and since % 7 == 0:
                to = [*client_recipients(session), session.trainer.email]
                emails.reminder(session, kind="pec", day=today, to=to)
                counts["pec"] += 1
            if session.first_day and 0 <= (session.first_day - today).days <= 7:
                everyone = [*client_recipients(session), session.trainer.email, *staff]
                emails.reminder(session, kind="start", day=today, to=everyone)
                counts["start"] += 1
    late = list(
        FundingRequest.objects.filter(status=FundingRequest.Status.UPLOADED)
        .select_related("session__company", "funder")
        .order_by("uploaded_at", "pk")
    )
    for request in late:
        request.review_url = absolute_url(f"/admin/funding/fundingrequest/{request.pk}/change/")
        request.days_waiting = (today - timezone.localtime(request.uploaded_at).date()).days
    if late and staff:
        with transaction.atomic():
            mail_queue(
                key=f"funding-reminder:staff:{today.isoformat()}",
                template="funding_reminder_staff",
                to=staff,
                context={"requests": late,
                         "url": absolute_url("/admin/funding/fundingrequest/")},
            )  # fmt: skip
        counts["staff"] = len(late)
    return counts
