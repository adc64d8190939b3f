"""Qualiopi evidence (issue 15): convocation, questionnaires (needs analysis, satisfaction hot
and cold), assessment per objective, complaints, and the figures published per programme.

Services write (atomic, audited, e-mails through the outbox); selectors read. Links sent to
trainees are signed, expire, and serve one questionnaire once.
"""

from __future__ import annotations

import datetime as dt
import re
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.db.models import Avg, Count, Exists, Min, OuterRef
from django.urls import reverse
from django.utils import timezone

from ganapati.errors import DomainError
from ganapati.models import OutgoingEmail, User
from ganapati.services import absolute_url, log_action, mail_queue
from ganapati.states import StateMachine

from .documents import organisation_pdf
from .links import LinkError
from .models import (
    Complaint,
    ObjectiveAssessment,
    ObjectiveResult,
    Questionnaire,
    QuestionnaireKind,
    QuestionnaireResponse,
    Trainee,
    TrainingSession,
)
from .selectors import client_recipients

Kind = QuestionnaireKind
# A hot questionnaire opened but not invited by e-mail is caught up this long after the end.
HOT_CATCH_UP_DAYS = 30
SALT = "ganapati.sessions.questionnaire"
LINK_VALIDITY = timedelta(days=60)


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def convocation_days() -> int:
    return _setting("QUALITY_CONVOCATION_DAYS", 7)


def cold_days() -> int:
    return _setting("QUALITY_COLD_DAYS", 90)


def reminder_days() -> int:
    return _setting("QUALITY_REMINDER_DAYS", 5)


def minimum_count() -> int:
    """Below this many answers (or trainees), a published figure says too little: not shown."""
    return _setting("QUALITY_MIN_COUNT", 5)


SCALE = [(5, "Très satisfait"), (4, "Satisfait"), (3, "Moyennement"), (2, "Peu satisfait"),
         (1, "Pas du tout satisfait")]  # fmt: skip
LEVELS = ["Débutant", "Notions", "Intermédiaire", "Confirmé"]

DEFAULT_QUESTIONS: dict[str, list[dict]] = {
    Kind.NEEDS: [
        {"key": "level", "label": "Votre niveau actuel sur le sujet", "type": "choice",
         "choices": LEVELS},
        {"key": "expectations", "label": "Ce que vous attendez de la formation", "type": "text"},
        {"key": "constraints", "label": "Vos contraintes (horaires, matériel, accès…)",
         "type": "text", "optional": True},
        {"key": "disability", "label": "Une adaptation liée à un handicap vous serait-elle utile ?",
         "type": "text", "optional": True},
    ],
    Kind.HOT: [
        {"key": "satisfaction", "label": "Votre satisfaction globale", "type": "scale"},
        {"key": "objectives", "label": "Les objectifs annoncés ont-ils été atteints ?",
         "type": "scale"},
        {"key": "comment", "label": "Un commentaire, une suggestion", "type": "text",
         "optional": True},
    ],
    Kind.COLD: [
        {"key": "satisfaction", "label": "Avec le recul, votre satisfaction globale",
         "type": "scale"},
        {"key": "use", "label": "Mettez-vous en pratique ce que vous avez appris ?",
         "type": "scale"},
        {"key": "comment", "label": "Un commentaire", "type": "text", "optional": True},
    ],
    Kind.CLIENT: [
        {"key": "satisfaction", "label": "Votre satisfaction globale (entreprise)",
         "type": "scale"},
        {"key": "organisation", "label": "Organisation et échanges avec l'organisme",
         "type": "scale"},
        {"key": "comment", "label": "Un commentaire", "type": "text", "optional": True},
    ],
    Kind.TRAINER: [
        {"key": "satisfaction", "label": "Votre satisfaction sur le déroulement", "type": "scale"},
        {"key": "group", "label": "Le groupe, les adaptations faites, les difficultés",
         "type": "text"},
        {"key": "improve", "label": "Ce que l'organisme pourrait améliorer", "type": "text",
         "optional": True},
    ],
}  # fmt: skip


# --- Questionnaires and their versions -------------------------------------------------------


def questionnaire_current(kind: str) -> Questionnaire:
    """The latest version of a kind (the shipped questions become version 1 on first use)."""
    current = Questionnaire.objects.filter(kind=kind).order_by("-version").first()
    if current is None:
        current, _ = Questionnaire.objects.get_or_create(
            kind=kind, version=1, defaults={"questions": DEFAULT_QUESTIONS[kind]}
        )
    return current


def check_questions(questions) -> None:
    if not isinstance(questions, list) or not questions:
        raise DomainError("Indiquez au moins une question.")
    keys = set()
    for q in questions:
        if not isinstance(q, dict) or not q.get("key") or not q.get("label"):
            raise DomainError("Chaque question a une clé (« key ») et un libellé (« label »).")
        if q.get("type") not in {"scale", "text", "choice"}:
            raise DomainError(f"Type de question inconnu : {q.get('type')!r}.")
        if q["type"] == "choice" and not q.get("choices"):
            raise DomainError(f"La question « {q['label']} » n'a pas de choix.")
        if q["key"] in keys:
            raise DomainError(f"Clé en double : {q['key']}.")
        keys.add(q["key"])


@transaction.atomic
def questionnaire_publish(*, kind: str, questions: list, actor: User | None) -> Questionnaire:
    """A new version of the questions; earlier answers keep theirs."""
    check_questions(questions)
    last = Questionnaire.objects.select_for_update().filter(kind=kind).order_by("-version").first()
    created = Questionnaire.objects.create(
        kind=kind, version=(last.version if last else 0) + 1, questions=questions
    )
    log_action(created, "questionnaire.published", actor=actor, data={"version": created.version})
    return created


# --- Links -------------------------------------------------------------------------------------


def make_token(response: QuestionnaireResponse) -> str:
    return signing.dumps({"r": response.pk, "k": response.kind}, salt=SALT, compress=True)


def questionnaire_url(response: QuestionnaireResponse) -> str:
    return absolute_url(reverse("quality_questionnaire", args=[make_token(response)]))


def response_from_token(token: str) -> QuestionnaireResponse:
    """The questionnaire a link serves, or LinkError (French) when forged, expired or used."""
    try:
        payload = signing.loads(token, salt=SALT, max_age=LINK_VALIDITY.total_seconds())
        pk, kind = int(payload["r"]), str(payload["k"])
    except signing.SignatureExpired as exc:
        raise LinkError("Ce lien a expiré : demandez-en un nouveau à l'organisme.") from exc
    except (signing.BadSignature, KeyError, TypeError, ValueError) as exc:
        raise LinkError("Ce lien n'est pas valide : vérifiez qu'il a été copié en entier.") from exc
    response = (
        QuestionnaireResponse.objects.select_related("trainee", "session", "questionnaire")
        .filter(pk=pk, kind=kind)
        .first()
    )
    if response is None:
        raise LinkError("Ce questionnaire n'existe plus.")
    return response


# --- Invitations (convocation, questionnaires, reminder) --------------------------------------


def _response_for(trainee: Trainee, kind: str) -> QuestionnaireResponse:
    response, _ = QuestionnaireResponse.objects.get_or_create(
        trainee=trainee,
        kind=kind,
        defaults={"questionnaire": questionnaire_current(kind), "session_id": trainee.session_id,
                  "email": trainee.email},
    )  # fmt: skip
    return response


def _session_response(session: TrainingSession, kind: str, email: str) -> QuestionnaireResponse:
    response, _ = QuestionnaireResponse.objects.get_or_create(
        session=session,
        trainee=None,
        kind=kind,
        defaults={"questionnaire": questionnaire_current(kind), "email": email},
    )
    return response


def _ctx(session: TrainingSession, **extra) -> dict:
    return {"session": session, "reference": session.reference, **extra}


def _rules_url() -> str:
    return absolute_url(reverse("organisation_document", args=["reglement"]))


@transaction.atomic
def convocation_send(*, session: TrainingSession) -> int:
    """Each trainee's convocation (with their needs-analysis link), a copy to the client contact,
    with the current règlement intérieur attached (L6352-3; its PDF is made ready beforehand by
    the caller: `organisation_pdf("reglement", render=True)`). Keyed per trainee: sending again
    sends nothing more. Returns the e-mails queued."""
    if session.status not in {TrainingSession.Status.VALIDATED, TrainingSession.Status.FUNDED}:
        raise DomainError("La convocation part une fois la session validée, avant son début.")
    days = list(session.days.all())
    rules = organisation_pdf("reglement")
    queued = 0
    for trainee in session.trainees.all():
        response = _response_for(trainee, Kind.NEEDS)
        key = f"quality-convocation:{session.pk}:{trainee.pk}"
        queued += not OutgoingEmail.objects.filter(key=key).exists()
        mail_queue(
            key=key,
            template="quality_convocation",
            to=[trainee.email],
            reply_to=[session.trainer.email],
            context=_ctx(session, trainee=trainee, days=days, url=questionnaire_url(response),
                         rules_url=_rules_url(), rules_attached=bool(rules)),
            # The rules are sent to the trainee, who has no account: its addressee.
            attachments=[{**rules, "about": [trainee.email]}] if rules else None,
            related=session,
        )  # fmt: skip
    clients = client_recipients(session)
    if clients:
        mail_queue(
            key=f"quality-convocation:{session.pk}:contact",
            template="quality_convocation",
            to=clients,
            context=_ctx(session, days=days, copy=True, rules_url=_rules_url(),
                         rules_attached=bool(rules), trainees=list(session.trainees.all())),
            attachments=[rules] if rules else None,
            related=session,
        )  # fmt: skip
    log_action(session, "quality.convocation", actor=None,
               data={"reglement": rules["filename"] if rules else None})  # fmt: skip
    return queued


def _invite(response: QuestionnaireResponse, key: str) -> QuestionnaireResponse:
    if response.submitted_at is None:
        mail_queue(
            key=key,
            template="quality_questionnaire",
            to=[response.email],
            context=_ctx(response.session, name=response.first_name,
                         kind=response.get_kind_display(), url=questionnaire_url(response)),
            related=response.session,
        )  # fmt: skip
    return response


def questionnaire_invite(*, trainee: Trainee, kind: str) -> QuestionnaireResponse:
    return _invite(_response_for(trainee, kind), f"quality-{kind}:{trainee.pk}")


def session_feedback_invites(session: TrainingSession) -> None:
    """At the end: the client company's satisfaction (its contact) and the trainer's feedback."""
    clients = client_recipients(session)
    if clients:
        response = _session_response(session, Kind.CLIENT, clients[0])
        _invite(response, f"quality-client:{session.pk}")
    response = _session_response(session, Kind.TRAINER, session.trainer.email)
    _invite(response, f"quality-trainer:{session.pk}")


@transaction.atomic
def hot_link_after_signing(*, slot) -> str | None:
    """Once a trainee signed the session's last half-day, their own hot questionnaire, offered
    on the confirmation page (the e-mail at completion still goes if they do not answer there).
    None for another half-day, or once answered."""
    from .signing import half_days

    halves = half_days(slot.session)
    if not halves or (halves[-1][0].pk, halves[-1][1]) != (slot.day_id, slot.half):
        return None
    response = _response_for(slot.trainee, Kind.HOT)
    if response.submitted_at is not None:
        return None
    return reverse("quality_questionnaire", args=[make_token(response)])


def _remind(response: QuestionnaireResponse) -> bool:
    # Conditional update: two beats at once remind once.
    if not QuestionnaireResponse.objects.filter(
        pk=response.pk, reminded_at__isnull=True, submitted_at__isnull=True
    ).update(reminded_at=timezone.now()):
        return False
    mail_queue(
        key=f"quality-reminder:{response.pk}",
        template="quality_questionnaire",
        to=[response.email],
        context=_ctx(response.session, name=response.first_name, reminder=True,
                     kind=response.get_kind_display(), url=questionnaire_url(response)),
        related=response.session,
    )  # fmt: skip
    return True


def hot_invites(*, session_id: int) -> int:
    """At completion: each trainee's hot questionnaire (idempotent)."""
    trainees = Trainee.objects.filter(
        session_id=session_id, session__status=TrainingSession.Status.COMPLETED
    ).select_related("session")
    for trainee in trainees:
        with transaction.atomic():
            questionnaire_invite(trainee=trainee, kind=Kind.HOT)
    session = TrainingSession.objects.filter(
        pk=session_id, status=TrainingSession.Status.COMPLETED
    ).first()
    if session is not None:
        with transaction.atomic():
            session_feedback_invites(session)
    return len(trainees)


def quality_daily(today: dt.date | None = None) -> dict[str, int]:
    """The daily beat: convocations N days before, hot questionnaires of completed sessions,
    cold ones N days after, one reminder. Every e-mail has a key: running it twice sends
    nothing twice."""
    now = timezone.now()
    today = today or timezone.localdate()
    counts = {"convocations": 0, "hot": 0, "cold": 0, "reminders": 0}
    upcoming = TrainingSession.objects.filter(
        status__in=[TrainingSession.Status.VALIDATED, TrainingSession.Status.FUNDED]
    ).annotate(first=Min("days__date"))
    due = upcoming.filter(first__gte=today, first__lte=today + timedelta(days=convocation_days()))
    if due.exists():
        organisation_pdf("reglement", render=True)  # outside the transactions below
    for session in due:
        with transaction.atomic():
            counts["convocations"] += convocation_send(session=session)
    completed = TrainingSession.objects.filter(status=TrainingSession.Status.COMPLETED)
    for trainee in Trainee.objects.filter(session__in=completed).exclude(
        questionnaires__kind=Kind.HOT
    ):
        with transaction.atomic():
            questionnaire_invite(trainee=trainee, kind=Kind.HOT)
            counts["hot"] += 1
    # Opened from the last half-day's signing page (so the response exists) but never
    # answered, and the invitation of the completion lost with its event: invited now.
    recent = completed.filter(completed_at__gte=now - timedelta(days=HOT_CATCH_UP_DAYS))
    opened = list(
        Trainee.objects.filter(session__in=recent).filter(
            Exists(QuestionnaireResponse.objects.filter(
                trainee=OuterRef("pk"), kind=Kind.HOT, submitted_at__isnull=True))
        )
    )  # fmt: skip
    keys = {t.pk: f"quality-{Kind.HOT}:{t.pk}" for t in opened}
    invited = set(
        OutgoingEmail.objects.filter(key__in=list(keys.values())).values_list("key", flat=True)
    )
    for trainee in opened:
        if keys[trainee.pk] not in invited:
            with transaction.atomic():
                questionnaire_invite(trainee=trainee, kind=Kind.HOT)
                counts["hot"] += 1
    for session in completed.exclude(questionnaires__kind=Kind.TRAINER):
        with transaction.atomic():
            session_feedback_invites(session)
    cold_due = completed.filter(completed_at__lte=now - timedelta(days=cold_days()))
    for trainee in Trainee.objects.filter(session__in=cold_due).exclude(
        questionnaires__kind=Kind.COLD
    ):
        with transaction.atomic():
            questionnaire_invite(trainee=trainee, kind=Kind.COLD)
            counts["cold"] += 1
    stale = QuestionnaireResponse.objects.filter(
        submitted_at__isnull=True,
        reminded_at__isnull=True,
        invited_at__lte=now - timedelta(days=reminder_days()),
        session__status__in=[
            TrainingSession.Status.VALIDATED, TrainingSession.Status.FUNDED,
            TrainingSession.Status.RUNNING, TrainingSession.Status.COMPLETED,
        ],
    ).select_related("trainee", "session")  # fmt: skip
    for response in stale:
        with transaction.atomic():
            counts["reminders"] += _remind(response)
    return counts


# --- Answers -----------------------------------------------------------------------------------


def clean_answers(questions: list[dict], data) -> dict[str, str | int]:
    """The answers posted, checked against the questions (French message on bad input)."""
    answers: dict[str, str | int] = {}
    for q in questions:
        raw = (data.get(q["key"]) or "").strip()
        if not raw:
            if q.get("optional"):
                continue
            raise DomainError(f"Répondez à la question « {q['label']} ».")
        if q["type"] == "scale":
            if raw not in {"1", "2", "3", "4", "5"}:
                raise DomainError(f"« {q['label']} » : choisissez une note de 1 à 5.")
            answers[q["key"]] = int(raw)
        elif q["type"] == "choice":
            if raw not in q["choices"]:
                raise DomainError(f"« {q['label']} » : choisissez une des réponses proposées.")
            answers[q["key"]] = raw
        else:
            answers[q["key"]] = raw[:2000]
    return answers


@transaction.atomic
def response_submit(*, response: QuestionnaireResponse, data) -> QuestionnaireResponse:
    response = QuestionnaireResponse.objects.select_for_update().get(pk=response.pk)
    if response.submitted_at is not None:
        raise DomainError("Vous avez déjà répondu à ce questionnaire : merci !")
    answers = clean_answers(response.questionnaire.questions, data)
    response.answers = answers
    score = answers.get("satisfaction")
    response.satisfaction = score if isinstance(score, int) else None
    response.submitted_at = timezone.now()
    response.save(update_fields=["answers", "satisfaction", "submitted_at"])
    log_action(response.session, f"quality.{response.kind}.answered", actor=None,
               data={"trainee": response.trainee_id})  # fmt: skip
    return response


@transaction.atomic
def adaptation_record(*, response: QuestionnaireResponse, text: str, actor: User) -> None:
    """The trainer's answer to a needs analysis: what they will adapt."""
    response = QuestionnaireResponse.objects.select_for_update().get(pk=response.pk)
    if response.kind != Kind.NEEDS:
        raise DomainError("L'adaptation se note sur l'analyse du besoin.")
    response.trainer_adaptation = text.strip()[:2000]
    response.save(update_fields=["trainer_adaptation"])
    log_action(response.session, "quality.adaptation", actor=actor,
               data={"trainee": response.trainee_id})  # fmt: skip


# --- Assessment per objective -------------------------------------------------------------------


def objectives_of(session: TrainingSession) -> list[str]:
    """The programme's objectives, one per line or separated by semicolons."""
    parts = re.split(r"[;\n]+", session.objectives or "")
    return [p.strip(" .-•\t\r") for p in parts if p.strip(" .-•\t\r")]


@transaction.atomic
def assessment_record(
    *, session: TrainingSession, actor: User, results: dict[tuple[int, int], str]
) -> int:
    """Each trainee's result per objective ((trainee id, objective position) → result); every
    pair must be given: no result is assumed."""
    session = TrainingSession.objects.select_for_update().get(pk=session.pk)
    if session.status not in {TrainingSession.Status.RUNNING, TrainingSession.Status.COMPLETED}:
        raise DomainError("Les acquis s'évaluent pendant ou à la fin de la session.")
    objectives = objectives_of(session)
    trainees = list(session.trainees.all())
    for trainee in trainees:
        for position, _ in enumerate(objectives):
            if results.get((trainee.pk, position)) not in ObjectiveResult.values:
                raise DomainError(
                    f"Indiquez pour {trainee.first_name} {trainee.last_name} un résultat pour "
                    "chaque objectif."
                )
    before = {
        (a.trainee_id, a.position): a.result
        for a in ObjectiveAssessment.objects.filter(trainee__in=trainees)
    }
    ObjectiveAssessment.objects.filter(trainee__in=trainees).delete()
    ObjectiveAssessment.objects.bulk_create(
        ObjectiveAssessment(trainee=t, position=i, objective=o, result=results[(t.pk, i)])
        for t in trainees
        for i, o in enumerate(objectives)
    )
    log_action(session, "quality.assessed", actor=actor)
    if session.status == TrainingSession.Status.COMPLETED:
        # The attestation states these results: a trainee whose results changed after the
        # end gets a new version, rendered by a worker and e-mailed again (its key names the
        # version: sessions/completion.py).
        from documents.models import Document
        from documents.services import document_request

        had_one = set(
            Document.objects.for_owner(session)
            .filter(kind="attestation")
            .values_list("subject_id", flat=True)
        )
        source = f"quality.assessed:{timezone.now().isoformat()}"  # one change, one version
        for t in trainees:
            changed = any(
                before.get((t.pk, i)) != results[(t.pk, i)] for i in range(len(objectives))
            )
            if changed and t.pk in had_one:
                document_request(owner=session, kind="attestation", subject=t,
                                 source=source, actor=actor)  # fmt: skip
    return len(trainees) * len(objectives)


def assessment_merge(
    *, session: TrainingSession, trainees: list[Trainee], results: dict[tuple[int, int], str]
) -> int:
    """Record the results given ((trainee id, objective position) → result), keeping those not
    given (from the quality page). Called inside the completion's transaction."""
    objectives = objectives_of(session)
    ids = {t.pk for t in trainees}
    given = {}
    for (trainee_id, position), result in results.items():
        if trainee_id not in ids or not 0 <= position < len(objectives):
            raise DomainError("Un résultat ne correspond à aucun stagiaire ou objectif.")
        if result not in ObjectiveResult.values:
            raise DomainError("Choisissez « acquis », « partiellement acquis » ou « non acquis ».")
        given[(trainee_id, position)] = result
    # One DELETE per objective (a handful), whatever the number of trainees.
    by_position: dict[int, list[int]] = {}
    for trainee_id, position in given:
        by_position.setdefault(position, []).append(trainee_id)
    for position, trainee_ids in sorted(by_position.items()):
        ObjectiveAssessment.objects.filter(position=position, trainee_id__in=trainee_ids).delete()
    ObjectiveAssessment.objects.bulk_create(
        ObjectiveAssessment(trainee_id=t, position=p, objective=objectives[p], result=r)
        for (t, p), r in sorted(given.items())
    )
    return len(given)


def assessment_missing(session: TrainingSession, trainees: list[Trainee]) -> list[str]:
    """The trainees (names) with an objective not assessed: none is assumed acquired."""
    positions = set(range(len(objectives_of(session))))
    done: dict[int, set[int]] = {}
    for trainee_id, position in ObjectiveAssessment.objects.filter(
        trainee__in=trainees
    ).values_list("trainee_id", "position"):
        done.setdefault(trainee_id, set()).add(position)
    return [
        f"{t.first_name} {t.last_name}" for t in trainees if not positions <= done.get(t.pk, set())
    ]


# --- Complaints ----------------------------------------------------------------------------------

C = Complaint.Status
COMPLAINT_STATES = StateMachine.from_table(
    "la réclamation",
    {
        C.RECEIVED: {C.ANALYSED},
        C.ANALYSED: {C.ANSWERED},
        C.ANSWERED: {C.CLOSED},
        C.CLOSED: set(),
    },
    C.choices,
)
_DATE_OF = {C.ANALYSED: "analysed_at", C.ANSWERED: "answered_at", C.CLOSED: "closed_at"}
_TEXT_OF = {C.ANALYSED: "analysis", C.ANSWERED: "answer", C.CLOSED: "improvement"}


@transaction.atomic
def complaint_file(
    *, origin: str, name: str, email: str, text: str, session: TrainingSession | None = None,
    author: User | None = None,
) -> Complaint:  # fmt: skip
    complaint = Complaint.objects.create(
        origin=origin, name=name.strip(), email=email.strip(), text=text.strip(),
        session=session, author=author if author and author.is_authenticated else None,
    )  # fmt: skip
    log_action(complaint, "complaint.received", actor=complaint.author)
    mail_queue(
        key=f"complaint-received:{complaint.pk}",
        template="quality_complaint_received",
        to=[complaint.email],
        context={"complaint": complaint},
        related=complaint,
    )
    return complaint


@transaction.atomic
def complaint_advance(*, complaint: Complaint, target: str, text: str, actor: User) -> Complaint:
    """Analysed, answered, closed: each step with its text (the improvement action at closing)."""
    complaint = Complaint.objects.select_for_update().get(pk=complaint.pk)
    previous = COMPLAINT_STATES.advance(complaint, target)
    if not text.strip():
        raise DomainError("Décrivez ce qui a été fait à cette étape.")
    setattr(complaint, _TEXT_OF[target], text.strip())
    setattr(complaint, _DATE_OF[target], timezone.now())
    complaint.save()
    log_action(complaint, f"complaint.{target}", actor=actor, data={"from": previous})
    return complaint


# --- Published figures (indicator 2) -------------------------------------------------------------


def programme_indicators(programme) -> dict:
    """Figures from real data for a public programme page. A figure under the minimum count is
    None (the page says why). Answers are counted, never shown one by one: anonymous."""
    sessions = TrainingSession.objects.filter(
        programme=programme,
        status__in=[TrainingSession.Status.RUNNING, TrainingSession.Status.COMPLETED],
    )
    completed = sessions.filter(status=TrainingSession.Status.COMPLETED)
    trainees = Trainee.objects.filter(session__in=completed)
    trained = trainees.filter(attendance__present=True).distinct().count()
    enrolled = trainees.count()
    minimum = minimum_count()
    figures: dict = {
        "minimum": minimum,
        "computed_at": timezone.now(),
        "trained": trained,
        "cold_days": cold_days(),
    }
    figures["completion"] = round(100 * trained / enrolled) if enrolled >= minimum else None
    for kind in (Kind.HOT, Kind.COLD):
        agg = QuestionnaireResponse.objects.filter(
            kind=kind, session__in=completed, satisfaction__isnull=False
        ).aggregate(n=Count("pk"), mean=Avg("satisfaction"))
        figures[f"{kind}_count"] = agg["n"]
        figures[kind] = (
            round(float(agg["mean"]), 1) if agg["n"] >= minimum and agg["mean"] else None
        )
    figures["show_trained"] = trained >= minimum
    return figures


def responses_for_trainer(session: TrainingSession):
    return QuestionnaireResponse.objects.filter(session=session).select_related(
        "trainee", "questionnaire"
    )


def session_by_reference(reference: str) -> TrainingSession | None:
    """The session named S-YYYY-NNNNN in a complaint, if it exists (never an error: optional)."""
    match = re.fullmatch(r"\s*S-\d{4}-0*(\d{1,9})\s*", reference or "", flags=re.IGNORECASE)
    return TrainingSession.objects.filter(pk=int(match.group(1))).first() if match else None
