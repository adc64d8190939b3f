"""Pages of the electronic attendance (issue 13): the trainer's half-day page, the rotating QR
code, the kiosk, and the trainee's signing pages (personal link, or QR code + one-time code)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from ganapati import ratelimit
from ganapati.errors import DomainError
from ganapati.models import Role
from ganapati.permissions import role_required
from ganapati.services import absolute_url

from . import quality, selectors, signing
from .models import HalfDayClosure, SigningSlot, TrainingSession

SESSION_KEY = "signing_slot"
CODE_PER_IP = (10, 600)
CODE_PER_EMAIL = (3, 600)
CHECK_PER_IP = (20, 600)


def _trainer_session(request, pk: int) -> TrainingSession:
    return selectors.session_get_for(user=request.user, pk=pk)


def _half_from(session: TrainingSession, key: str | None):
    for day, half in signing.half_days(session):
        if key == f"{day.pk}-{half}":
            return day, half
    return None


def _statement(slot: SigningSlot) -> str:
    return (
        f"J'atteste avoir suivi la formation « {slot.session.title} » le "
        f"{slot.date:%d/%m/%Y} de {signing.hhmm(slot.start_minute)} à "
        f"{signing.hhmm(slot.end_minute)} (module : {slot.module})."
    )


def _minute_from(value: str) -> int | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        hours, minutes = value.split(":")[:2]
        result = int(hours) * 60 + int(minutes)
    except ValueError:
        raise DomainError("Heure invalide : écrivez-la sous la forme 09:30.") from None
    if not 0 <= result < 24 * 60:
        raise DomainError("Heure invalide : écrivez-la sous la forme 09:30.")
    return result


@role_required(Role.TRAINER)
@require_http_methods(["GET", "POST"])
def trainer_signing(request, pk):
    """The trainer's half-day: who signed, marks, the QR code, the kiosk, and the closure."""
    session = _trainer_session(request, pk)
    halves = signing.half_days(session)
    closures = {(c.day_id, c.half): c for c in HalfDayClosure.objects.filter(session=session)}
    current = _half_from(session, request.GET.get("demi-journee") or request.POST.get("half_day"))
    if current is None:
        current = next(((d, h) for d, h in halves if (d.pk, h) not in closures), None) or (
            halves[0] if halves else None
        )
    if current is None:
        raise Http404("Aucune demi-journée.")
    day, half = current
    key = f"{day.pk}-{half}"
    target = reverse("signing_trainer", args=[session.pk]) + f"?demi-journee={key}"
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "close":
                signing.halfday_close(
                    session=session, day_id=day.pk, half=half, actor=request.user,
                    countersignature=signing.decode_data_url(request.POST.get("signature", "")),
                )  # fmt: skip
                messages.success(request, "Demi-journée contresignée et close.")
            elif action == "scan":
                upload = request.FILES.get("scan")
                if upload is None:
                    raise DomainError("Joignez la feuille signée (PDF).")
                absent = {int(v) for v in request.POST.getlist("absent") if v.isdigit()}
                signing.halfday_close_with_scan(
                    session=session,
                    day_id=day.pk,
                    half=half,
                    actor=request.user,
                    upload=upload,
                    absent=absent,
                )
                messages.success(request, "Feuille papier déposée : demi-journée close.")
            elif action == "links":
                sent = signing.halfday_links_send(session=session, day_id=day.pk, half=half)
                messages.success(request, f"{sent} lien(s) personnel(s) envoyé(s).")
            elif action in {"absent", "times", "reopen"}:
                slot = SigningSlot.objects.filter(
                    session=session, pk=request.POST.get("slot", "0") or 0
                ).first() if (request.POST.get("slot") or "").isdigit() else None  # fmt: skip
                if slot is None:
                    raise DomainError("Stagiaire introuvable.")
                reason = request.POST.get("reason", "")
                if action == "absent":
                    signing.slot_mark(slot=slot, actor=request.user, absent=True, reason=reason)
                elif action == "reopen":
                    signing.slot_reopen(slot=slot, actor=request.user, reason=reason)
                else:
                    signing.slot_mark(
                        slot=slot, actor=request.user, reason=reason,
                        arrived=_minute_from(request.POST.get("arrived", "")),
                        left=_minute_from(request.POST.get("left", "")),
                    )  # fmt: skip
                messages.success(request, "Émargement mis à jour.")
            else:
                raise DomainError("Action inconnue.")
        except DomainError as exc:
            messages.error(request, exc.message)
        return redirect(target)
    slots = list(
        SigningSlot.objects.filter(session=session, day=day, half=half).select_related("trainee")
    )
    return render(request, "sessions/signing/trainer.html", {
        "session": session, "day": day, "half": half, "key": key,
        "label": signing.HALF_LABELS[half], "slots": slots,
        "halves": [{"key": f"{d.pk}-{h}", "day": d, "label": signing.HALF_LABELS[h],
                    "closure": closures.get((d.pk, h)), "current": (d.pk, h) == (day.pk, half)}
                   for d, h in halves],
        "closure": closures.get((day.pk, half)),
        "findings": signing.signing_findings(session),
        "hhmm": signing.hhmm,
    })  # fmt: skip


def _qr_url(session, day, half) -> str:
    token = signing.qr_token(session=session, day_id=day.pk, half=half)
    return absolute_url(reverse("signing_qr", args=[token]))


@role_required(Role.TRAINER)
def trainer_qr(request, pk, key):
    """The QR code shown on screen; the page swaps it for a fresh one every 30 seconds."""
    session = _trainer_session(request, pk)
    current = _half_from(session, key)
    if current is None or session.status != TrainingSession.Status.RUNNING:
        raise Http404("Demi-journée introuvable.")
    day, half = current
    url = _qr_url(session, day, half)
    svg = signing.qr_svg(url)
    if request.GET.get("fragment"):
        return HttpResponse(svg)
    return render(request, "sessions/signing/qr.html", {
        "session": session, "day": day, "label": signing.HALF_LABELS[half], "key": key,
        "svg": svg, "url": url, "period": signing.QR_PERIOD_SECONDS,
    })  # fmt: skip


def _sign_page(request, slot, *, channel, code=None, actor=None, done_url=None):
    if request.method == "POST" and request.POST.get("signature") is not None:
        try:
            code_record = None
            if code is not None:
                ratelimit.check(request, "signing-check", keys={"ip": ratelimit.client_ip(request)},
                                limits={"ip": CHECK_PER_IP})  # fmt: skip
                code_record = signing.code_check(slot=slot, code=request.POST.get("code", ""))
            signing.slot_sign(
                slot=slot, signature=signing.decode_data_url(request.POST.get("signature", "")),
                channel=channel, origin=signing.Request.of(request), code=code_record,
                actor=actor,
            )  # fmt: skip
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            request.session.pop(SESSION_KEY, None)
            if done_url:
                messages.success(request, f"Signature de {slot.trainee} enregistrée.")
                return redirect(done_url)
            # Signed on their own phone (personal link or QR code): after the last half-day,
            # their hot questionnaire, right away (issue 15).
            hot_url = quality.hot_link_after_signing(slot=slot)
            return render(request, "sessions/signing/done.html",
                          {"slot": slot, "hot_url": hot_url})  # fmt: skip
    return render(request, "sessions/signing/sign.html", {
        "slot": slot, "statement": _statement(slot), "ask_code": code is not None,
        "kiosk": actor is not None,
    })  # fmt: skip


@require_http_methods(["GET", "POST"])
def link_sign(request, token):
    """The personal single-use link e-mailed at the start of the half-day."""
    slot = signing.slot_for_link(token)
    if slot is None:
        return render(request, "sessions/signing/invalid.html", status=404)
    return _sign_page(request, slot, channel=SigningSlot.Channel.LINK)


@require_http_methods(["GET", "POST"])
def qr_landing(request, token):
    """Opened by the QR code: the trainee gives their e-mail and receives a one-time code."""
    found = signing.qr_check(token)
    if found is None:
        return render(request, "sessions/signing/invalid.html", {"qr": True}, status=404)
    session_id, day_id, half = found
    if request.method == "POST":
        email = request.POST.get("email", "").strip()
        try:
            ratelimit.check(request, "signing-code",
                            keys={"ip": ratelimit.client_ip(request), "email": email.lower()},
                            limits={"ip": CODE_PER_IP, "email": CODE_PER_EMAIL})  # fmt: skip
            slot = signing.code_send(session_id=session_id, day_id=day_id, half=half, email=email)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            request.session[SESSION_KEY] = slot.pk
            return redirect("signing_code")
    return render(request, "sessions/signing/qr_email.html", {})


@require_http_methods(["GET", "POST"])
def code_sign(request):
    """After the QR code: the one-time code and the signature, on the trainee's phone."""
    slot_id = request.session.get(SESSION_KEY)
    slot = (
        SigningSlot.objects.filter(pk=slot_id, state=SigningSlot.State.OPEN)
        .select_related("session", "trainee")
        .first()
        if slot_id
        else None
    )
    if slot is None:
        return render(request, "sessions/signing/invalid.html", {"qr": True}, status=404)
    return _sign_page(request, slot, channel=SigningSlot.Channel.QR, code=True)


@role_required(Role.TRAINER)
@require_http_methods(["GET", "POST"])
def kiosk_sign(request, pk, slot_pk):
    """On the trainer's device, trainee by trainee, in the trainer's presence."""
    session = _trainer_session(request, pk)
    slot = (
        SigningSlot.objects.filter(session=session, pk=slot_pk, state=SigningSlot.State.OPEN)
        .select_related("session", "trainee")
        .first()
    )
    if slot is None:
        raise Http404("Créneau introuvable ou déjà signé.")
    back = (
        reverse("signing_trainer", args=[session.pk]) + f"?demi-journee={slot.day_id}-{slot.half}"
    )
    return _sign_page(request, slot, channel=SigningSlot.Channel.KIOSK, actor=request.user,
                      done_url=back)  # fmt: skip
