"""Electronic attendance per half-day (émargement électronique, issue 13).

One slot per trainee and half-day is created when the session starts (date, times and module
copied from the programme). A trainee signs through one of three channels — the personal link
e-mailed at the start of the half-day, the rotating QR code shown by the trainer followed by a
one-time code sent to their e-mail, or the trainer's device (kiosk) — all ending in
`slot_sign`. The trainer marks absences, late arrivals and early leaves, countersigns and
closes the half-day (`halfday_close`), or uploads the signed paper sheet instead
(`halfday_close_with_scan`).

Every signature, mark, code and closure is an entry of an append-only chain
(`AttendanceEvidence`): each entry's hash covers the previous one's, and the latest entry about
a slot holds the slot's snapshot, so that editing a slot or an entry afterwards is detected by
`chain_verify` (`manage.py verify_attendance_chain`).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import io
import json
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core import signing as django_signing
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from ganapati.errors import DomainError
from ganapati.models import User
from ganapati.services import absolute_url, log_action, mail_queue

from .models import (
    Attendance,
    AttendanceEvidence,
    AttendanceScan,
    HalfDayClosure,
    SessionDay,
    SigningCode,
    SigningSlot,
    TrainingSession,
)
from .states import SLOT_STATES

HALF_LABELS = {"am": "matin", "pm": "après-midi"}
GENESIS = "0" * 64
MAX_SIGNATURE_BYTES = 300_000
QR_PERIOD_SECONDS = 30
CODE_MINUTES = 10
CODE_ATTEMPTS = 5
# Two trainees' signatures whose difference hashes are this close are "near-identical".
NEAR_BITS = 4
Slot = SigningSlot.State
Channel = SigningSlot.Channel


def _window() -> tuple[int, int]:
    """Minutes before a half-day's start and after its end during which trainees may sign."""
    return tuple(getattr(settings, "SIGNING_WINDOW_MINUTES", (30, 60)))


def _minute(time: dt.time) -> int:
    return time.hour * 60 + time.minute


def hhmm(minute: int | None) -> str:
    return "" if minute is None else f"{minute // 60:02d}:{minute % 60:02d}"


def _aware(date: dt.date, minute: int) -> dt.datetime:
    naive = dt.datetime.combine(date, dt.time(minute // 60, minute % 60))
    return timezone.make_aware(naive, timezone.get_default_timezone())


def slot_window(slot: SigningSlot) -> tuple[dt.datetime, dt.datetime]:
    before, after = _window()
    return (
        _aware(slot.date, slot.start_minute) - dt.timedelta(minutes=before),
        _aware(slot.date, slot.end_minute) + dt.timedelta(minutes=after),
    )


def half_days(session: TrainingSession) -> list[tuple[SessionDay, str]]:
    halves = []
    for day in session.days.order_by("date"):
        if day.morning_start:
            halves.append((day, "am"))
        if day.afternoon_start:
            halves.append((day, "pm"))
    return halves


def _module_for(session: TrainingSession, index: int, count: int) -> str:
    modules = [m.get("title", "") for m in (session.modules or []) if isinstance(m, dict)]
    if not modules:
        return session.title[:300]
    return modules[min(len(modules) - 1, index * len(modules) // max(count, 1))][:300]


# --- The evidence chain ------------------------------------------------------------------------


def _canonical(value) -> bytes:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def _entry_hash(*, prev_hash: str, seq: int, created_at: str, action: str, slot, data) -> str:
    body = {"seq": seq, "created_at": created_at, "action": action, "slot": slot, "data": data}
    return hashlib.sha256(prev_hash.encode() + _canonical(body)).hexdigest()


def _append(session: TrainingSession, action: str, *, slot=None, **data) -> AttendanceEvidence:
    """Add an entry to the session's chain. The caller holds the session's row lock, so two
    entries never take the same place."""
    last = AttendanceEvidence.objects.filter(session=session).order_by("-seq").first()
    seq = last.seq + 1 if last else 1
    prev_hash = last.hash if last else GENESIS
    now = timezone.now()
    if slot is not None:
        data["snapshot"] = slot.snapshot()
    data = json.loads(_canonical(data))
    created = now.isoformat()
    entry = AttendanceEvidence(
        session=session, seq=seq, created_at=now, action=action, slot=slot, data=data,
        prev_hash=prev_hash,
        hash=_entry_hash(prev_hash=prev_hash, seq=seq, created_at=created, action=action,
                         slot=slot.pk if slot else None, data=data),
    )  # fmt: skip
    entry.save()
    return entry


def _append_many(session: TrainingSession, action: str, slots: list) -> None:
    """_append() for many slots at once: the same entries, chained in order, in bulk."""
    if not slots:
        return
    last = AttendanceEvidence.objects.filter(session=session).order_by("-seq").first()
    seq = last.seq if last else 0
    prev_hash = last.hash if last else GENESIS
    now = timezone.now()
    created = now.isoformat()
    entries = []
    for slot in slots:
        seq += 1
        data = json.loads(_canonical({"snapshot": slot.snapshot()}))
        entry_hash = _entry_hash(prev_hash=prev_hash, seq=seq, created_at=created,
                                 action=action, slot=slot.pk, data=data)  # fmt: skip
        entries.append(AttendanceEvidence(
            session=session, seq=seq, created_at=now, action=action, slot=slot, data=data,
            prev_hash=prev_hash, hash=entry_hash,
        ))  # fmt: skip
        prev_hash = entry_hash
    AttendanceEvidence.objects.bulk_create(entries, batch_size=1000)


def chain_verify(session: TrainingSession) -> list[str]:
    """What does not hold in the session's evidence: an entry changed, removed or inserted, or
    a slot or closure whose row differs from what the chain last recorded. Empty: intact."""
    problems = []
    prev_hash = GENESIS
    latest: dict[int, dict] = {}
    closures: dict[str, dict] = {}
    entries = AttendanceEvidence.objects.filter(session=session).order_by("seq")
    for expected_seq, entry in enumerate(entries, start=1):
        if entry.seq != expected_seq:
            problems.append(f"Entrée n° {expected_seq} manquante (trouvé n° {entry.seq}).")
        recomputed = _entry_hash(
            prev_hash=prev_hash, seq=entry.seq, created_at=entry.created_at.isoformat(),
            action=entry.action, slot=entry.slot_id, data=entry.data,
        )  # fmt: skip
        if entry.prev_hash != prev_hash or entry.hash != recomputed:
            problems.append(f"Entrée n° {entry.seq} ({entry.action}) modifiée après coup.")
        prev_hash = entry.hash
        if entry.slot_id and "snapshot" in entry.data:
            latest[entry.slot_id] = entry.data["snapshot"]
        if entry.action == "halfday.closed":
            closures[entry.data["closure"]["key"]] = entry.data["closure"]
    for slot in SigningSlot.objects.filter(session=session):
        recorded = latest.get(slot.pk)
        if recorded is None:
            problems.append(f"Créneau {slot} absent du journal de preuve.")
        elif recorded != json.loads(_canonical(slot.snapshot())):
            problems.append(f"Créneau {slot} modifié hors du journal de preuve.")
        elif slot.signature_sha256 and (
            hashlib.sha256(bytes(slot.signature or b"")).hexdigest() != slot.signature_sha256
        ):
            problems.append(f"Signature du créneau {slot} remplacée.")
    for closure in HalfDayClosure.objects.filter(session=session).select_related("day"):
        recorded = closures.get(_closure_key(closure.day, closure.half))
        if recorded is None or recorded != json.loads(_canonical(_closure_snapshot(closure))):
            problems.append(f"Demi-journée close {closure} modifiée hors du journal de preuve.")
    return problems


def _closure_key(day: SessionDay, half: str) -> str:
    return f"{day.date.isoformat()}-{half}"


def _closure_snapshot(closure: HalfDayClosure) -> dict:
    return {
        "key": _closure_key(closure.day, closure.half),
        "route": closure.route,
        "closed_at": closure.closed_at.isoformat(),
        "closed_by": closure.closed_by_id,
        "countersignature_sha256": closure.countersignature_sha256,
        "scan": closure.scan_id,
    }


# --- Slots -------------------------------------------------------------------------------------


def slots_create(*, session: TrainingSession) -> int:
    """At the start: one slot per trainee and half-day, the programme's times and module copied.
    Called by `session_start` inside its transaction (the session row is locked). In bulk: the
    largest session has 12 000 slots (one INSERT and one chain entry each took 12 s)."""
    halves = half_days(session)
    trainees = list(session.trainees.all())
    existing = set(
        SigningSlot.objects.filter(session=session).values_list("trainee_id", "day_id", "half")
    )
    slots = []
    for index, (day, half) in enumerate(halves):
        start, end = (
            (day.morning_start, day.morning_end) if half == "am"
            else (day.afternoon_start, day.afternoon_end)
        )  # fmt: skip
        module = _module_for(session, index, len(halves))
        for trainee in trainees:
            if (trainee.pk, day.pk, half) in existing:
                continue
            slots.append(SigningSlot(
                session=session, trainee=trainee, day=day, half=half, date=day.date,
                start_minute=_minute(start), end_minute=_minute(end), module=module,
            ))  # fmt: skip
    # PostgreSQL and SQLite ≥ 3.35 return the new ids, which the chain's entries name.
    slots = SigningSlot.objects.bulk_create(slots, batch_size=1000)
    _append_many(session, "slot.created", slots)
    return len(slots)


def _lock_session(session_id: int) -> TrainingSession:
    return TrainingSession.objects.select_for_update().get(pk=session_id)


def _check_png(data: bytes) -> bytes:
    from PIL import Image, UnidentifiedImageError

    if not data or len(data) > MAX_SIGNATURE_BYTES:
        raise DomainError("La signature est vide ou trop lourde : signez à nouveau dans le cadre.")
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except (UnidentifiedImageError, OSError, ValueError):
        raise DomainError("La signature n'a pas pu être lue : signez à nouveau.") from None
    if image.format != "PNG" or image.width > 2000 or image.height > 1000:
        raise DomainError("La signature n'a pas pu être lue : signez à nouveau.")
    alpha = image.convert("RGBA").getchannel("A")
    inked = sum(alpha.histogram()[16:])
    if inked < 30:
        raise DomainError("Le cadre de signature est vide : signez avec le doigt ou la souris.")
    return data


def decode_data_url(value: str) -> bytes:
    prefix = "data:image/png;base64,"
    if not value or not value.startswith(prefix):
        raise DomainError("Le cadre de signature est vide : signez avec le doigt ou la souris.")
    try:
        return base64.b64decode(value[len(prefix) :], validate=True)
    except ValueError:
        raise DomainError("La signature n'a pas pu être lue : signez à nouveau.") from None


@dataclass(frozen=True)
class Request:
    """Where a signature came from (recorded in the evidence)."""

    ip: str = ""
    user_agent: str = ""

    @classmethod
    def of(cls, request) -> Request:
        from ganapati.ratelimit import client_ip

        return cls(ip=client_ip(request), user_agent=request.META.get("HTTP_USER_AGENT", "")[:400])


@transaction.atomic
def slot_sign(
    *,
    slot: SigningSlot,
    signature: bytes,
    channel: str,
    origin: Request,
    code: SigningCode | None = None,
    actor: User | None = None,
) -> SigningSlot:
    """A trainee signs their half-day (every channel ends here). Outside the half-day's window
    the signature is refused."""
    session = _lock_session(slot.session_id)
    slot = SigningSlot.objects.select_for_update().get(pk=slot.pk)
    if HalfDayClosure.objects.filter(session=session, day_id=slot.day_id, half=slot.half).exists():
        raise DomainError("Cette demi-journée est close : la signature n'est plus possible.")
    if session.status != TrainingSession.Status.RUNNING:
        raise DomainError("L'émargement se fait pendant la session.")
    opens, closes = slot_window(slot)
    now = timezone.now()
    if not opens <= now <= closes:
        raise DomainError(
            f"L'émargement de cette demi-journée est ouvert de {timezone.localtime(opens):%H:%M} "
            f"à {timezone.localtime(closes):%H:%M} le {slot.date:%d/%m/%Y}."
        )
    SLOT_STATES.check(slot, Slot.SIGNED, message="Ce créneau est déjà « {current} ».")
    data = _check_png(signature)
    slot.state = Slot.SIGNED
    slot.channel = channel
    slot.signed_at = now
    slot.signature = data
    slot.signature_sha256 = hashlib.sha256(data).hexdigest()
    slot.save()
    delivery = None
    if code is not None:
        delivery = {
            "code": code.pk,
            "sent_at": code.created_at.isoformat(),
            "to": slot.trainee.email,
        }
    _append(session, "slot.signed", slot=slot, channel=channel, ip=origin.ip,
            user_agent=origin.user_agent, code_delivery=delivery,
            kiosk_trainer=actor.pk if actor else None)  # fmt: skip
    log_action(
        session,
        "session.slot_signed",
        actor=actor,
        data={"slot": slot.pk, "channel": channel, "sha256": slot.signature_sha256},
    )
    return slot


@transaction.atomic
def slot_mark(
    *,
    slot: SigningSlot,
    actor: User,
    absent: bool = False,
    arrived: int | None = None,
    left: int | None = None,
    reason: str = "",
) -> SigningSlot:
    """The trainer marks a trainee absent, or records a late arrival or an early leave (minutes
    from midnight) on a signed slot. A change of a mark already made needs a reason."""
    session = _lock_session(slot.session_id)
    slot = SigningSlot.objects.select_for_update().get(pk=slot.pk)
    if HalfDayClosure.objects.filter(session=session, day_id=slot.day_id, half=slot.half).exists():
        raise DomainError("Cette demi-journée est close : plus rien ne s'y modifie.")
    if session.status != TrainingSession.Status.RUNNING:
        raise DomainError("L'émargement se fait pendant la session.")
    if timezone.now() < _aware(slot.date, slot.start_minute):
        raise DomainError("La demi-journée n'a pas encore commencé.")
    # A trainee's signature or an earlier mark is changed: a correction, with its reason.
    correction = (
        (absent and slot.state != Slot.OPEN)
        or slot.arrived_minute is not None
        or slot.left_minute is not None
    )
    if correction and not reason.strip():
        raise DomainError("Indiquez le motif de la correction.")
    if absent:
        SLOT_STATES.advance(slot, Slot.ABSENT, message="Ce créneau est déjà « {current} ».")
        slot.channel = Channel.TRAINER
        slot.arrived_minute = slot.left_minute = None
    else:
        if slot.state != Slot.SIGNED:
            raise DomainError("Un retard ou un départ anticipé se note sur un créneau signé.")
        for value in (arrived, left):
            if value is not None and not slot.start_minute <= value <= slot.end_minute:
                raise DomainError(
                    f"Les heures se situent entre {hhmm(slot.start_minute)} et "
                    f"{hhmm(slot.end_minute)}."
                )
        if arrived is not None and left is not None and arrived >= left:
            raise DomainError("L'heure d'arrivée précède l'heure de départ.")
        slot.arrived_minute, slot.left_minute = arrived, left
    slot.save()
    _append(session, "slot.marked", slot=slot, actor=actor.pk, reason=reason.strip())
    log_action(session, "session.slot_marked", actor=actor,
               data={"slot": slot.pk, "state": slot.state, "reason": reason.strip()})  # fmt: skip
    return slot


@transaction.atomic
def slot_reopen(*, slot: SigningSlot, actor: User, reason: str) -> SigningSlot:
    """A trainee marked absent by mistake: the slot is opened again, with a reason."""
    session = _lock_session(slot.session_id)
    slot = SigningSlot.objects.select_for_update().get(pk=slot.pk)
    if HalfDayClosure.objects.filter(session=session, day_id=slot.day_id, half=slot.half).exists():
        raise DomainError("Cette demi-journée est close : plus rien ne s'y modifie.")
    if not reason.strip():
        raise DomainError("Indiquez le motif de la correction.")
    SLOT_STATES.advance(slot, Slot.OPEN, message="Ce créneau est « {current} » : rien à rouvrir.")
    slot.channel = ""
    slot.save()
    _append(session, "slot.reopened", slot=slot, actor=actor.pk, reason=reason.strip())
    return slot


# --- Half-days ---------------------------------------------------------------------------------


def _check_half(session: TrainingSession, day_id: int, half: str) -> SessionDay:
    for day, h in half_days(session):
        if day.pk == day_id and h == half:
            return day
    raise DomainError("Cette demi-journée ne fait pas partie de la session.")


def _sync_attendance(session, day, half) -> None:
    """Keep the trainer-typed record (read by older pages) in step with the signed slots."""
    slots = SigningSlot.objects.filter(session=session, day=day, half=half)
    Attendance.objects.filter(session=session, day=day, half=half).delete()
    Attendance.objects.bulk_create(
        Attendance(session=session, trainee_id=s.trainee_id, day=day, half=half,
                   present=s.state == Slot.SIGNED)
        for s in slots
    )  # fmt: skip


@transaction.atomic
def halfday_close(
    *, session: TrainingSession, day_id: int, half: str, actor: User, countersignature: bytes
) -> HalfDayClosure:
    """The trainer countersigns and closes a half-day once every trainee signed or was marked."""
    session = _lock_session(session.pk)
    if session.status != TrainingSession.Status.RUNNING:
        raise DomainError("L'émargement se fait pendant la session.")
    day = _check_half(session, day_id, half)
    if HalfDayClosure.objects.filter(session=session, day=day, half=half).exists():
        raise DomainError("Cette demi-journée est déjà close.")
    bounds = day.half_bounds(half)
    if timezone.now() < bounds[0]:
        raise DomainError("La demi-journée n'a pas encore commencé.")
    waiting = SigningSlot.objects.filter(session=session, day=day, half=half, state=Slot.OPEN)
    if waiting.exists():
        names = ", ".join(str(s.trainee) for s in waiting.select_related("trainee"))
        raise DomainError(
            f"Chaque stagiaire signe ou est marqué absent avant la clôture : reste {names}."
        )
    data = _check_png(countersignature)
    closure = HalfDayClosure.objects.create(
        session=session, day=day, half=half, route=HalfDayClosure.Route.ELECTRONIC,
        closed_at=timezone.now(), closed_by=actor, countersignature=data,
        countersignature_sha256=hashlib.sha256(data).hexdigest(),
    )  # fmt: skip
    _sync_attendance(session, day, half)
    _append(session, "halfday.closed", closure=_closure_snapshot(closure))
    log_action(session, "session.halfday_closed", actor=actor,
               data={"half_day": _closure_key(day, half), "route": closure.route})  # fmt: skip
    return closure


@transaction.atomic
def halfday_close_with_scan(
    *, session: TrainingSession, day_id: int, half: str, actor: User, upload, absent: set[int]
) -> HalfDayClosure:
    """The paper route: the trainer uploads the signed sheet of the half-day and says who was
    absent on it; the slots are marked from the sheet (channel "scan")."""
    from ganapati.uploads import check_pdf

    session = _lock_session(session.pk)
    if session.status != TrainingSession.Status.RUNNING:
        raise DomainError("L'émargement se fait pendant la session.")
    day = _check_half(session, day_id, half)
    if HalfDayClosure.objects.filter(session=session, day=day, half=half).exists():
        raise DomainError("Cette demi-journée est déjà close.")
    if timezone.now() < day.half_bounds(half)[0]:
        raise DomainError("La demi-journée n'a pas encore commencé.")
    checked = check_pdf(upload, folder="emargement")
    scan = AttendanceScan.objects.create(
        session=session, file=checked.content, original_name=checked.original_name,
        sha256=checked.sha256, size=checked.size, crc32=checked.crc32,
    )  # fmt: skip
    for slot in SigningSlot.objects.select_for_update().filter(session=session, day=day, half=half):
        if slot.state != Slot.OPEN:
            continue
        slot.state = Slot.ABSENT if slot.trainee_id in absent else Slot.SIGNED
        slot.channel = Channel.SCAN
        slot.signed_at = timezone.now() if slot.state == Slot.SIGNED else None
        slot.save()
        _append(session, "slot.scanned", slot=slot, actor=actor.pk, scan_sha256=checked.sha256)
    closure = HalfDayClosure.objects.create(
        session=session, day=day, half=half, route=HalfDayClosure.Route.SCAN,
        closed_at=timezone.now(), closed_by=actor, scan=scan,
    )  # fmt: skip
    _sync_attendance(session, day, half)
    _append(session, "halfday.closed", closure=_closure_snapshot(closure))
    log_action(session, "session.halfday_closed", actor=actor,
               data={"half_day": _closure_key(day, half), "route": closure.route,
                     "sha256": checked.sha256})  # fmt: skip
    return closure


def open_half_days(session: TrainingSession) -> list[tuple[SessionDay, str]]:
    """The half-days with slots that are not closed yet."""
    closed = set(HalfDayClosure.objects.filter(session=session).values_list("day_id", "half"))
    with_slots = set(SigningSlot.objects.filter(session=session).values_list("day_id", "half"))
    return [(d, h) for d, h in half_days(session) if (d.pk, h) in with_slots - closed]


def signed_minutes(session: TrainingSession) -> dict[int, dict[tuple[int, str], int]]:
    """Per trainee, the minutes of each closed half-day from its slots."""
    closed = set(HalfDayClosure.objects.filter(session=session).values_list("day_id", "half"))
    result: dict[int, dict[tuple[int, str], int]] = {}
    for slot in SigningSlot.objects.filter(session=session):
        if (slot.day_id, slot.half) in closed:
            result.setdefault(slot.trainee_id, {})[(slot.day_id, slot.half)] = slot.minutes
    return result


# --- Channels: personal link, rotating QR code and one-time code -----------------------------


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def halfday_links_send(*, session: TrainingSession, day_id: int, half: str) -> int:
    """E-mail each trainee still to sign a personal single-use link (once per slot)."""
    sent = 0
    with transaction.atomic():
        session = _lock_session(session.pk)
        slots = SigningSlot.objects.select_for_update().filter(
            session=session, day_id=day_id, half=half, state=Slot.OPEN, link_sent_at__isnull=True
        )
        for slot in slots.select_related("trainee"):
            token = secrets.token_urlsafe(24)  # 192 bits
            slot.link_token_hash = _hash(token)
            slot.link_sent_at = timezone.now()
            slot.save(update_fields=["link_token_hash", "link_sent_at"])
            url = absolute_url(reverse("signing_link", args=[token]))
            email = mail_queue(
                key=f"signing-link:{slot.pk}",
                template="signing_link",
                to=[slot.trainee.email],
                context={"session": session, "reference": session.reference, "slot": slot,
                         "url": url, "label": HALF_LABELS[slot.half],
                         "start": hhmm(slot.start_minute), "end": hhmm(slot.end_minute)},
                related=session,
            )  # fmt: skip
            _append(session, "link.sent", slot=slot, email=email.pk, to=slot.trainee.email)
            sent += 1
    return sent


def links_sweep() -> int:
    """Periodic: send the links of every half-day whose signing window is open."""
    now = timezone.now()
    before, after = _window()
    sent = 0
    pending = (
        SigningSlot.objects.filter(
            session__status=TrainingSession.Status.RUNNING, state=Slot.OPEN,
            link_sent_at__isnull=True, date=timezone.localdate(),
        )
        .values_list("session_id", "day_id", "half", "date", "start_minute", "end_minute")
        .distinct()
    )  # fmt: skip
    for session_id, day_id, half, date, start, end in pending:
        opens = _aware(date, start) - dt.timedelta(minutes=before)
        if opens <= now <= _aware(date, end) + dt.timedelta(minutes=after):
            session = TrainingSession(pk=session_id)
            sent += halfday_links_send(session=session, day_id=day_id, half=half)
    return sent


def slot_for_link(token: str) -> SigningSlot | None:
    """The open slot a personal link opens; None once used or past its half-day's window."""
    if not token or len(token) > 100:
        return None
    slot = (
        SigningSlot.objects.filter(link_token_hash=_hash(token), state=Slot.OPEN)
        .select_related("session", "trainee")
        .first()
    )
    if slot is None or timezone.now() > slot_window(slot)[1]:
        return None
    return slot


def qr_token(*, session: TrainingSession, day_id: int, half: str, at: float | None = None) -> str:
    """The QR code's content for the current 30-second period: it only opens the page."""
    period = int((at if at is not None else timezone.now().timestamp()) // QR_PERIOD_SECONDS)
    return django_signing.dumps(
        [session.pk, day_id, half, period], salt="signing-qr", compress=True
    )


def qr_check(token: str) -> tuple[int, int, str] | None:
    """(session, day, half) of a QR code of this period or the previous one, else None."""
    try:
        session_id, day_id, half, period = django_signing.loads(token, salt="signing-qr")
    except (django_signing.BadSignature, ValueError, TypeError):
        return None
    now = int(timezone.now().timestamp() // QR_PERIOD_SECONDS)
    if not 0 <= now - int(period) <= 1:
        return None
    return int(session_id), int(day_id), str(half)


def qr_svg(url: str) -> str:
    import segno

    return segno.make(url, error="m").svg_inline(scale=6, title="QR code d'émargement")


@transaction.atomic
def code_send(*, session_id: int, day_id: int, half: str, email: str) -> SigningSlot:
    """A trainee who came through the QR code gives their e-mail: a one-time code is sent."""
    session = _lock_session(session_id)
    slot = (
        SigningSlot.objects.filter(
            session=session, day_id=day_id, half=half, trainee__email__iexact=email.strip()
        )
        .select_related("trainee")
        .first()
    )
    if slot is None:
        raise DomainError("Aucun stagiaire de cette session n'a cette adresse e-mail.")
    if slot.state != Slot.OPEN:
        raise DomainError("Vous avez déjà émargé cette demi-journée.")
    code = f"{secrets.randbelow(1_000_000):06d}"
    now = timezone.now()
    record = SigningCode.objects.create(
        slot=slot, code_hash=_hash(f"{slot.pk}:{code}"), created_at=now,
        expires_at=now + dt.timedelta(minutes=CODE_MINUTES),
    )  # fmt: skip
    email_row = mail_queue(
        key=f"signing-code:{record.pk}",
        template="signing_code",
        to=[slot.trainee.email],
        context={"session": session, "reference": session.reference, "slot": slot, "code": code,
                 "minutes": CODE_MINUTES, "label": HALF_LABELS[slot.half]},
        related=session,
    )  # fmt: skip
    _append(session, "code.sent", slot=slot, code=record.pk, email=email_row.pk,
            to=slot.trainee.email)  # fmt: skip
    return slot


@transaction.atomic
def code_check(*, slot: SigningSlot, code: str) -> SigningCode:
    """The latest code sent for the slot, if it matches, unexpired and unused (then used)."""
    record = (
        SigningCode.objects.select_for_update()
        .filter(slot=slot, used_at__isnull=True)
        .order_by("-created_at")
        .first()
    )
    if record is None or record.expires_at < timezone.now() or record.attempts >= CODE_ATTEMPTS:
        raise DomainError("Ce code n'est plus valable : demandez-en un nouveau.")
    record.attempts += 1
    if not hmac.compare_digest(record.code_hash, _hash(f"{slot.pk}:{code.strip()}")):
        record.save(update_fields=["attempts"])
        raise DomainError("Ce code ne correspond pas : vérifiez le dernier e-mail reçu.")
    record.used_at = timezone.now()
    record.save(update_fields=["attempts", "used_at"])
    return record


# --- Checks before completion and invoicing -----------------------------------------------------


def _dhash(data: bytes) -> int:
    """A difference hash of the drawn signature (ink on white, cropped to the ink, 9×8):
    near-identical images have hashes a few bits apart."""
    from PIL import Image

    image = Image.open(io.BytesIO(bytes(data))).convert("RGBA")
    white = Image.new("RGBA", image.size, "white")
    white.alpha_composite(image)
    gray = white.convert("L")
    # Cropped to the ink: a copy moved or scaled in the frame hashes the same.
    box = Image.eval(gray, lambda v: 255 - v).getbbox()
    small = (gray.crop(box) if box else gray).resize((9, 8), Image.Resampling.LANCZOS)
    pixels = list(small.tobytes())  # mode L: one byte per pixel (getdata is deprecated)
    bits = 0
    for row in range(8):
        for col in range(8):
            bits = (bits << 1) | (pixels[row * 9 + col] > pixels[row * 9 + col + 1])
    return bits


@dataclass(frozen=True)
class Finding:
    text: str
    blocking: bool


def signing_findings(session: TrainingSession) -> list[Finding]:
    """What an OPCO would question in the signed attendance (shown to the trainer and staff;
    blocking findings stop completion and invoicing)."""
    findings = []
    slots = list(
        SigningSlot.objects.filter(session=session, state=Slot.SIGNED)
        .exclude(signature=None)
        .select_related("trainee")
    )
    by_hash: dict[str, set] = {}
    for slot in slots:
        by_hash.setdefault(slot.signature_sha256, set()).add(slot.trainee_id)
    if any(len(trainees) > 1 for trainees in by_hash.values()):
        findings.append(Finding("Des stagiaires différents ont une signature identique.", True))
    hashes = [(s.trainee_id, s, _dhash(s.signature)) for s in slots]
    near = set()
    for i, (trainee_a, slot_a, hash_a) in enumerate(hashes):
        for trainee_b, slot_b, hash_b in hashes[i + 1 :]:
            if trainee_a != trainee_b and (hash_a ^ hash_b).bit_count() <= NEAR_BITS:
                near.add(tuple(sorted((str(slot_a.trainee), str(slot_b.trainee)))))
    for a, b in sorted(near):
        findings.append(Finding(f"Signatures presque identiques : {a} et {b}.", True))
    outside = [s for s in slots if s.outside_window]
    if outside:
        findings.append(Finding(f"{len(outside)} signature(s) hors de la demi-journée.", True))
    # A trainer countersigning two sessions at the same time.
    mine = HalfDayClosure.objects.filter(session=session, route=HalfDayClosure.Route.ELECTRONIC)
    for closure in mine.select_related("day"):
        clash = HalfDayClosure.objects.filter(
            ~Q(session=session), closed_by=closure.closed_by_id, day__date=closure.day.date,
            half=closure.half, route=HalfDayClosure.Route.ELECTRONIC,
        ).select_related("session")  # fmt: skip
        for other in clash:
            findings.append(Finding(
                f"Le {closure.day.date:%d/%m/%Y} ({HALF_LABELS[closure.half]}), le formateur a "
                f"aussi contresigné la session {other.session.reference}.", True,
            ))  # fmt: skip
    return findings


def evidence_lines(session: TrainingSession, entries=None) -> bytes:
    """The evidence log as JSON lines (the audit ZIP); `entries` when fetched in bulk."""
    lines = []
    if entries is None:
        entries = AttendanceEvidence.objects.filter(session=session).order_by("seq")
    for entry in entries:
        lines.append(_canonical({
            "session": session.reference, "seq": entry.seq,
            "created_at": entry.created_at.isoformat(), "action": entry.action,
            "slot": entry.slot_id, "data": entry.data, "prev_hash": entry.prev_hash,
            "hash": entry.hash,
        }))  # fmt: skip
    return b"\n".join(lines) + (b"\n" if lines else b"")
