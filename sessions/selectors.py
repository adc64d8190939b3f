"""Reads on sessions, always scoped to the person asking: someone else's session is a 404."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Max, Min, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404

from documents.models import Document
from documents.selectors import is_current_version
from ganapati import files
from ganapati.models import JoinRequest, Role, User
from ganapati.search import search_fields

from .models import Programme, SessionDay, Trainee, TrainingSession


def with_summaries(sessions: QuerySet[TrainingSession]) -> QuerySet[TrainingSession]:
    """Add first_date, last_date and trainee_count to a list's rows, as correlated subqueries
    in the list's own query: PostgreSQL evaluates them after ORDER BY ... LIMIT, for the page's
    rows only (EXPLAIN: 20 loops of an index scan each, at 2 000 sessions, searched or not),
    so a page costs one query and never a grouping of every session (which grew with data)."""
    days = SessionDay.objects.filter(session=OuterRef("pk")).order_by().values("session")
    trainees = Trainee.objects.filter(session=OuterRef("pk")).order_by().values("session")
    return sessions.annotate(
        first_date=Subquery(days.annotate(v=Min("date")).values("v")),
        last_date=Subquery(days.annotate(v=Max("date")).values("v")),
        trainee_count=Coalesce(Subquery(trainees.annotate(v=Count("pk")).values("v")), 0),
    )


def sessions_visible_to(user: User) -> QuerySet[TrainingSession]:
    if not user.is_authenticated:
        return TrainingSession.objects.none()
    if user.role == Role.STAFF:
        return TrainingSession.objects.all()
    if user.role == Role.TRAINER:
        return TrainingSession.objects.filter(trainer=user)
    if user.role == Role.CLIENT:
        # A member sees every session of the company. Someone who asked to join it (they
        # completed a session's link for it) sees only the sessions they are the contact of,
        # until a member or staff accepts them; refused or removed, they see nothing more.
        # (The pending companies are read first: a member with none gets a plain
        # "company = X", which PostgreSQL counts from the index alone.)
        pending = list(
            JoinRequest.objects.filter(user=user, status=JoinRequest.Status.PENDING).values_list(
                "company_id", flat=True
            )
        )
        visible = Q(pk__in=[])
        if pending:
            visible |= Q(contact=user, company_id__in=pending)
        if user.company_id:
            visible |= Q(company_id=user.company_id)
        return TrainingSession.objects.filter(visible)
    return TrainingSession.objects.none()


def client_recipients(session: TrainingSession) -> list[str]:
    """Who at the client company receives the session's e-mails. Its contact while they may
    still see the session (`sessions_visible_to`, the rule of the pages); once removed from the
    company or refused, the company's current members instead — never someone who can no
    longer open the session."""
    if session.contact_id:
        contact = session.contact
        if contact.is_active and sessions_visible_to(contact).filter(pk=session.pk).exists():
            return [contact.email]
    if not session.company_id:
        return []
    return list(
        User.objects.filter(company_id=session.company_id, role=Role.CLIENT, is_active=True)
        .order_by("pk")
        .values_list("email", flat=True)
    )


def session_list_for(
    *, user: User, status: str | None = None, query: str | None = None
) -> QuerySet[TrainingSession]:
    sessions = sessions_visible_to(user)
    if status:
        sessions = sessions.filter(status=status)
    if query:
        query = query.strip()
        # Accent- and case-insensitive: "negociation" finds "Négociation commerciale".
        matching = search_fields(sessions, ["title", "company__legal_name"], query)
        reference = query.upper().removeprefix("S-")
        if reference.replace("-", "").isdigit() and len(reference) < 19:
            matching = sessions.filter(
                Q(pk__in=matching.values("pk")) | Q(pk=int(reference.split("-")[-1]))
            )
        sessions = matching
    # Ordered like the indexes of TrainingSession.Meta (trainer or company, then -created_at,
    # -id): the page is read from the index; with_summaries() completes its rows.
    return sessions.select_related("company", "funder", "trainer").order_by("-created_at", "-pk")


def session_get_for(*, user: User, pk: int) -> TrainingSession:
    session = (
        sessions_visible_to(user)
        # Not the programme (23 columns no session page shows: only saving the session as a
        # programme reads it, from the locked row).
        .select_related("company", "contact", "funder", "trainer")
        .prefetch_related(
            Prefetch("days", queryset=SessionDay.objects.order_by("date")), "trainees"
        )
        .filter(pk=pk)
        .first()
    )
    if session is None:
        raise Http404("Session introuvable.")
    return session


def programmes_of(trainer: User) -> QuerySet[Programme]:
    return Programme.objects.filter(trainer=trainer).annotate(session_count=Count("sessions"))


def published_programmes(query: str | None = None) -> QuerySet[Programme]:
    programmes = Programme.objects.filter(published=True).select_related("trainer")
    return search_fields(programmes, ["title", "objectives", "trainer__last_name"], query)


def session_document_get_for(*, user: User, pk: int) -> Document:
    """A ready document of a session the user may see; trainers and clients get the current
    version only (older ones are for staff and auditors)."""
    document = Document.objects.filter(
        pk=pk,
        status=Document.Status.READY,
        owner_type=ContentType.objects.get_for_model(TrainingSession),
        owner_id__in=sessions_visible_to(user).values("pk"),
    ).first()
    if document is None or not files.user_may_see(user, f"document.{document.kind}"):
        raise Http404("Document introuvable.")
    if user.role != Role.STAFF and not is_current_version(document):
        raise Http404("Document introuvable.")
    return document


def planned_minutes(session: TrainingSession) -> int:
    """The session's planned minutes per trainee: the sum of its half-day slots."""
    return sum(day.minutes for day in session.days.all())


def realised_minutes(session: TrainingSession) -> dict[int, int]:
    """The one source of realised time: minutes actually attended, per trainee (every trainee
    of the session is a key; 0 when absent throughout). Computed in two queries whatever the
    number of trainees and half-days. A closed half-day counts its signed slots (late arrivals
    and early leaves cut, absent 0); the others the trainer's attendance record."""
    return realised_minutes_of([session])[session.pk]


def _prefetched(session: TrainingSession, relation: str) -> bool:
    """Whether `relation` of this session was read with it (prefetch_related)."""
    return relation in getattr(session, "_prefetched_objects_cache", {})


def realised_minutes_of(sessions: list[TrainingSession]) -> dict[int, dict[int, int]]:
    """realised_minutes() of several sessions at once (exports): four queries in all, two when
    the sessions were read with their days and trainees (prefetch_related of the whole
    relations: a Prefetch filtering either would give wrong minutes, and none does)."""
    from .models import Attendance, HalfDayClosure, SigningSlot

    ids = [s.pk for s in sessions]
    result: dict[int, dict[int, int]] = {pk: {} for pk in ids}
    if all(_prefetched(s, "days") and _prefetched(s, "trainees") for s in sessions):
        # Days and trainees already read with the sessions (invoice_issue): two queries fewer.
        days = {day.pk: day for s in sessions for day in s.days.all()}
        pairs = [(s.pk, trainee.pk) for s in sessions for trainee in s.trainees.all()]
    else:
        days = {day.pk: day for day in SessionDay.objects.filter(session_id__in=ids)}
        pairs = Trainee.objects.filter(session_id__in=ids).values_list("session_id", "pk")
    for session_id, trainee_id in pairs:
        result[session_id][trainee_id] = 0
    rows = Attendance.objects.filter(session_id__in=ids, present=True).values_list(
        "session_id", "trainee_id", "day_id", "half"
    )
    closed = set(
        HalfDayClosure.objects.filter(session_id__in=ids).values_list(
            "session_id", "day_id", "half"
        )
    )
    for session_id, trainee_id, day_id, half in rows:
        day = days.get(day_id)
        if (
            trainee_id in result[session_id]
            and day is not None
            and day.session_id == session_id
            and (session_id, day_id, half) not in closed
        ):
            result[session_id][trainee_id] += day.half_minutes(half)
    if closed:
        slots = SigningSlot.objects.filter(session_id__in={c[0] for c in closed})
        for slot in slots:
            key = (slot.session_id, slot.day_id, slot.half)
            if key in closed and slot.trainee_id in result[slot.session_id]:
                result[slot.session_id][slot.trainee_id] += slot.minutes
    return result
