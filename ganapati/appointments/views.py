"""Public pages: book a call, then manage it through the signed link."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from .. import ratelimit
from ..errors import DomainError
from ..models import Appointment
from . import links, selectors, services
from .forms import BookingForm, SlotForm
from .slots import slot_value

# Where a booking came from (kept for statistics), from the link that led to the page.
SOURCES = {"trouver-mon-opco", "aide", "formateur", "client"}
LIMITS = {"ip": (10, 3600), "email": (3, 3600)}


def _day_groups(selected: str | None, now=None) -> list[dict]:
    days = []
    for index, day in enumerate(selectors.free_slots(now)):
        values = [(slot_value(s), timezone.localtime(s)) for s in day.slots]
        days.append(
            {
                "date": day.date,
                "slots": [{"value": v, "time": t} for v, t in values],
                "open": index == 0 if not selected else any(v == selected for v, _ in values),
            }
        )
    if selected and days and not any(d["open"] for d in days):
        days[0]["open"] = True
    return days


def _initial_for(user) -> dict:
    if not user.is_authenticated:
        return {}
    return {"name": user.get_full_name(), "email": user.email, "phone": user.phone}


@require_http_methods(["GET", "POST"])
def appointment_book(request):
    source = request.GET.get("depuis") or request.POST.get("depuis") or ""
    source = source if source in SOURCES else ""
    form = BookingForm(
        request.POST or None,
        initial=_initial_for(request.user),
        retention_months=settings.APPOINTMENTS_RETENTION_MONTHS,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            ratelimit.check(
                request, "appointment-book",
                keys={"ip": ratelimit.client_ip(request), "email": data["email"].lower()},
                limits=LIMITS,
            )  # fmt: skip
            appointment = services.appointment_book(
                start=data["slot"], topic=data["topic"], name=data["name"], email=data["email"],
                phone=data["phone"], message=data["message"], source=source,
                booked_by=request.user if request.user.is_authenticated else None,
            )  # fmt: skip
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            request.session["appointment_just_booked"] = appointment.pk
            return redirect(links.manage_path(appointment))
    selected = request.POST.get("slot") if request.method == "POST" else None
    return render(
        request,
        "ganapati/appointments/book.html",
        {
            "form": form,
            "days": _day_groups(selected),
            "selected": selected,
            "source": source,
            "weeks": settings.APPOINTMENTS_WEEKS_AHEAD,
        },
        status=400 if request.method == "POST" else 200,
    )


def _invalid(request, message: str):
    return render(
        request, "ganapati/appointments/invalid_link.html", {"message": message}, status=404
    )


@require_http_methods(["GET", "POST"])
def appointment_manage(request, token: str):
    try:
        pk, nonce = links.read_token(token)
    except DomainError as exc:
        return _invalid(request, exc.message)
    appointment = (
        Appointment.objects.select_related("advisor")
        .filter(pk=pk, nonce=nonce, anonymised_at__isnull=True)
        .first()
    )
    if appointment is None:
        return _invalid(request, links.INVALID)
    now = timezone.now()
    changeable = appointment.status == Appointment.Status.BOOKED and appointment.start > now
    form = SlotForm(request.POST if request.POST.get("action") == "move" else None)
    error = None
    if request.method == "POST" and changeable:
        action = request.POST.get("action")
        try:
            ratelimit.check(
                request, "appointment-manage",
                keys={"ip": ratelimit.client_ip(request)}, limits={"ip": (20, 3600)},
            )  # fmt: skip
            if action == "cancel":
                services.appointment_cancel(appointment=appointment, actor=_actor(request))
                messages.success(request, "Votre rendez-vous est annulé. Un e-mail le confirme.")
                return redirect(links.manage_path(appointment))
            if action == "move" and form.is_valid():
                appointment = services.appointment_move(
                    appointment=appointment, start=form.cleaned_data["slot"],
                    actor=_actor(request),
                )  # fmt: skip
                messages.success(
                    request,
                    "Votre rendez-vous est déplacé. Une nouvelle invitation vous a été envoyée : "
                    "le lien reçu auparavant ne fonctionne plus.",
                )
                return redirect(links.manage_path(appointment))
        except DomainError as exc:
            if form.is_bound and exc.field in form.fields:
                form.add_error(exc.field, exc.message)
            else:
                error = exc.message
    just_booked = request.session.pop("appointment_just_booked", None) == appointment.pk
    selected = request.POST.get("slot") if request.method == "POST" else None
    return render(
        request,
        "ganapati/appointments/manage.html",
        {
            "appointment": appointment,
            "when": timezone.localtime(appointment.start),
            "changeable": changeable,
            "just_booked": just_booked,
            "error": error,
            "form": form,
            "days": _day_groups(selected) if changeable else [],
            "selected": selected,
        },
        status=400 if form.errors or error else 200,
    )


def _actor(request):
    return request.user if request.user.is_authenticated else None
