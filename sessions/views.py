from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from documents import pdf
from documents.selectors import current_documents
from ganapati import ratelimit
from ganapati.downloads import file_response
from ganapati.errors import DomainError
from ganapati.fields import format_minutes
from ganapati.formats import euros
from ganapati.idempotency import form_token_from, form_token_issue
from ganapati.models import Role, TrainerProfile
from ganapati.pagecache import public_page
from ganapati.permissions import role_required
from ganapati.privatecache import private_page
from ganapati.reversing import pk_url
from ganapati.selectors import audit_timeline, organisation_for_pages, organisation_get_or_none
from ganapati.services import absolute_url

from . import documents as session_documents
from . import links, selectors, services
from .forms import (
    CancelForm,
    ClientForm,
    DayFormSet,
    NewSessionForm,
    PriceForm,
    SendLinkForm,
    TrainingForm,
    trainee_formset,
)
from .models import (
    MAX_DAYS,
    Attendance,
    ObjectiveAssessment,
    ObjectiveResult,
    SessionDay,
    TrainingSession,
)
from .next_steps import CLIENT, TRAINER, next_step, next_steps, next_steps_detailed
from .quality import objectives_of
from .states import SESSION_STATES

PAGE_SIZE = 20
CATALOGUE_PAGE_SIZE = 30
# The share link's form, anonymous: bounded per address and per session (attempts, seconds).
LINK_POSTS_PER_IP = (20, 3600)
LINK_POSTS_PER_SESSION = (30, 3600)
HALF_LABELS = {"am": "matin", "pm": "après-midi"}
DEFAULT_DAY_TIMES = {"morning_start": "09:00", "morning_end": "12:30",
                     "afternoon_start": "13:30", "afternoon_end": "17:00"}  # fmt: skip


def _trainer_session(request, pk: int) -> TrainingSession:
    return selectors.session_get_for(user=request.user, pk=pk)


# --- Trainer: dashboard and the creation steps ------------------------------------------------


@role_required(Role.TRAINER)
@require_POST
def trainer_calendar_renew(request):
    from ganapati.services import trainer_calendar_token_renew

    trainer_calendar_token_renew(user=request.user)
    messages.success(
        request, "Nouvelle adresse d'agenda créée : l'ancienne ne fonctionne plus. Abonnez votre "
        "agenda à la nouvelle.",
    )  # fmt: skip
    return redirect("trainer_home")


def trainer_calendar(request, token):
    """Public but private: the URL's 192-bit secret is the only key (calendars cannot log in)."""
    from .calendar import feed_bytes

    if len(token) < 20:
        raise Http404("Agenda introuvable.")
    profile = (
        TrainerProfile.objects.select_related("user")
        .filter(calendar_token=token, user__is_active=True)
        .first()
    )
    if profile is None:
        raise Http404("Agenda introuvable.")
    response = HttpResponse(feed_bytes(profile.user), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="sessions.ics"'
    response["Cache-Control"] = "private, max-age=900"
    return response


# What the dashboard's lists show of a session (the rest of its row, long texts included, is
# neither read nor built); the next-step rules of funding and billing read status, funding_mode
# and funder_id.
LIST_FIELDS = ("title", "created_at", "status", "company_id", "price_excl_tax", "price_basis",
               "funding_mode", "funder_id", "trainer_id")  # fmt: skip


def _dates(first, last) -> str:
    """ "12/01/2026 → 13/01/2026", as the lists show a session's first and last days."""
    if not first:
        return "à planifier"
    return f"{first:%d/%m/%Y}" + (f" → {last:%d/%m/%Y}" if last != first else "")


def _list_rows(sessions, url_name: str, steps: dict[int, str]) -> list[dict]:
    """A page of sessions as the plain values the list shows, computed once here rather than
    looked up attribute by attribute (and a URL reversed per row) by the template."""
    url = pk_url(url_name)
    return [
        {"pk": s.pk, "url": url(s.pk), "title": s.title, "reference": s.reference,
         "session": s,
         "dates": _dates(s.first_date, s.last_date), "trainee_count": s.trainee_count,
         "next_step": steps[s.pk]}
        for s in sessions
    ]  # fmt: skip


@private_page
@role_required(Role.TRAINER)
def trainer_home(request):
    status = request.GET.get("statut") or None
    if status not in TrainingSession.Status.values:
        status = None
    query = request.GET.get("q", "").strip()
    sessions = selectors.with_summaries(
        selectors.session_list_for(user=request.user, status=status, query=query)
        .select_related(None)
        .select_related("company")
        .only(*LIST_FIELDS, "company__legal_name")
    )
    mine = TrainingSession.objects.filter(trainer=request.user)
    counts = dict(mine.values_list("status").annotate(n=Count("pk")).order_by())
    paginator = Paginator(sessions, PAGE_SIZE)
    if not query:  # the counters give the list's length: no second COUNT over the sessions
        paginator.count = counts.get(status, 0) if status else sum(counts.values())
    page = paginator.get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    profile = getattr(request.user, "trainer_profile", None) or TrainerProfile(user=request.user)
    # "Waiting for you": the trainer's own tasks among the sessions still under way (bounded).
    active = list(
        mine.exclude(status=TrainingSession.Status.CANCELLED)
        .only(*LIST_FIELDS)
        .order_by("-created_at")[:50]
    )
    # One pass of the next-step rules over the page's rows and the active ones together.
    union = {s.pk: s for s in active}
    for s in page.object_list:
        union.setdefault(s.pk, s)
    detailed = next_steps_detailed(union.values())
    detail_url = pk_url("session_detail")
    waiting = [
        {"url": detail_url(s.pk), "title": s.title, "reference": s.reference,
         "step": detailed[s.pk][1]}
        for s in active if detailed[s.pk][0] == TRAINER
    ]  # fmt: skip
    rows = _list_rows(
        page.object_list, "session_detail", {pk: step for pk, (_, step) in detailed.items()}
    )
    for row in rows:
        s = row["session"]
        row["client"] = s.company.legal_name if s.company_id else ""
        row["price"] = euros(s.price_excl_tax) + (
            " par stagiaire"
            if s.price_excl_tax is not None and s.price_basis == "per_trainee"
            else ""
        )
    calendar_url = (
        absolute_url(reverse("trainer_calendar", args=[profile.calendar_token]))
        if profile.calendar_token
        else ""
    )
    return render(
        request,
        "sessions/trainer_home.html",
        {
            "page": page,
            "rows": rows,
            "status": status,
            "query": query,
            "statuses": TrainingSession.Status.choices,
            "missing_payout": profile.missing_payout_fields,
            "counters": [
                (value, label, counts.get(value, 0))
                for value, label in TrainingSession.Status.choices
            ],
            "waiting": waiting,
            "calendar_url": calendar_url,
        },
    )


@role_required(Role.TRAINER)
@require_http_methods(["GET", "POST"])
def session_new(request):
    """Step 1 of a new session: from one of my programmes, or from scratch."""
    # Each form shows its own errors only: the one submitted is bound, the other stays blank.
    from_a_programme = request.method == "POST" and "programme" in request.POST
    posted = request.POST if request.method == "POST" else None
    form = TrainingForm(None if from_a_programme else posted)
    from_programme = NewSessionForm(posted if from_a_programme else None, trainer=request.user)
    token = form_token_from(request) if request.method == "POST" else ""
    if request.method == "POST":
        try:
            if from_a_programme:
                if from_programme.is_valid():
                    session = services.session_create(
                        trainer=request.user,
                        values={},
                        programme=from_programme.cleaned_data["programme"],
                        form_token=token,
                    )
                    messages.success(request, "Session créée à partir du programme : vérifiez-la.")
                    return redirect("session_training", pk=session.pk)
            elif form.is_valid():
                session = services.session_create(
                    trainer=request.user, values=form.values(), form_token=token
                )
                messages.success(request, "Brouillon enregistré. Étape suivante : les dates.")
                return redirect("session_schedule", pk=session.pk)
        except DomainError as exc:
            messages.error(request, exc.message)
    return render(
        request,
        "sessions/session_training.html",
        {"form": form, "from_programme": from_programme, "step": 1, "session": None,
         "form_token": form_token_issue(scope=services.NEW_SESSION_SCOPE, user=request.user)},
    )  # fmt: skip


def _editable_or_redirect(request, session):
    try:
        services.ensure_editable(session)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("session_detail", pk=session.pk)
    return None


@role_required(Role.TRAINER)
@require_http_methods(["GET", "POST"])
def session_training(request, pk):
    session = _trainer_session(request, pk)
    if response := _editable_or_redirect(request, session):
        return response
    form = TrainingForm(request.POST or None, instance=session)
    if request.method == "POST" and form.is_valid():
        try:
            services.session_update(session=session, actor=request.user, values=form.values())
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "Formation enregistrée.")
            return redirect("session_schedule", pk=session.pk)
    return render(
        request, "sessions/session_training.html", {"form": form, "step": 1, "session": session}
    )


@role_required(Role.TRAINER)
@require_http_methods(["GET", "POST"])
def session_schedule(request, pk):
    session = _trainer_session(request, pk)
    if response := _editable_or_redirect(request, session):
        return response
    initial = [
        {
            "date": d.date,
            "morning_start": d.morning_start,
            "morning_end": d.morning_end,
            "afternoon_start": d.afternoon_start,
            "afternoon_end": d.afternoon_end,
        }
        for d in session.days.all()
    ] or [dict(DEFAULT_DAY_TIMES)]
    if request.method == "POST":
        data = request.POST.copy()
        if "add_day" in data:
            # Without JavaScript: one more row, keeping what was typed (unbound, so that the
            # half-typed rows are not flagged yet); the new day starts with the usual times.
            total = min(_form_count(data.get("jours-TOTAL_FORMS"), default=1), MAX_DAYS)
            fields = ["date", *DEFAULT_DAY_TIMES]
            typed = [{name: data.get(f"jours-{i}-{name}", "") for name in fields}
                     for i in range(total)]  # fmt: skip
            if total < MAX_DAYS:
                typed.append(dict(DEFAULT_DAY_TIMES))
            return render(
                request,
                "sessions/session_schedule.html",
                {"formset": DayFormSet(initial=typed, prefix="jours"), "step": 2,
                 "session": session},
            )  # fmt: skip
        formset = DayFormSet(data, prefix="jours")
        if formset.is_valid():
            days = [f.cleaned_data for f in formset.forms if f.cleaned_data]
            try:
                services.session_set_schedule(session=session, actor=request.user, days=days)
            except DomainError as exc:
                messages.error(request, exc.message)
            else:
                total = services.total_minutes(SessionDay.objects.filter(session=session))
                if total != session.duration_minutes:
                    messages.warning(
                        request,
                        f"Les créneaux totalisent {format_minutes(total)} pour une durée "
                        f"déclarée de {format_minutes(session.duration_minutes)} : corrigez "
                        "l'un ou l'autre avant de valider.",
                    )
                else:
                    messages.success(request, "Dates enregistrées.")
                return redirect("session_price", pk=session.pk)
    else:
        formset = DayFormSet(initial=initial, prefix="jours")
    return render(
        request,
        "sessions/session_schedule.html",
        {"formset": formset, "step": 2, "session": session},
    )


@role_required(Role.TRAINER)
@require_http_methods(["GET", "POST"])
def session_price(request, pk):
    session = _trainer_session(request, pk)
    if response := _editable_or_redirect(request, session):
        return response
    form = PriceForm(request.POST or None, instance=session)
    if request.method == "POST" and form.is_valid():
        try:
            services.session_update(
                session=session,
                actor=request.user,
                values={name: form.cleaned_data[name] for name in PriceForm.Meta.fields},
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "Prix enregistré.")
            return redirect("session_client", pk=session.pk)
    return render(
        request,
        "sessions/session_price.html",
        {"form": form, "step": 3, "session": session, "organisation": organisation_get_or_none()},
    )


def _form_count(raw, *, default: int) -> int:
    """A formset's row count as posted: anything but a small number counts as the default
    (the formset then reports its own French error)."""
    try:
        return max(0, min(int(str(raw)), 1000))
    except (TypeError, ValueError):
        return default


def _client_forms(request, session, data=None):
    form = ClientForm(data, initial=ClientForm.initial_for(session))
    trainees = trainee_formset(session, data)
    return form, trainees


def _wants_another_trainee(request, session):
    """Without JavaScript: "Ajouter un stagiaire" re-shows the form with one more row."""
    if "add_trainee" not in request.POST:
        return None
    data = request.POST.copy()
    total = _form_count(data.get("stagiaires-TOTAL_FORMS"), default=0)
    data["stagiaires-TOTAL_FORMS"] = str(min(total + 1, session.trainees_max))
    return ClientForm(data, initial=ClientForm.initial_for(session)), trainee_formset(session, data)


def _submit_client(request, session, form, trainees, *, actor):
    """Shared by the trainer's form and the client's link. Returns True when saved."""
    if not (form.is_valid() and trainees.is_valid()):
        return False
    try:
        services.session_client_submit(
            session=session,
            actor=actor,
            company=form.company_values(),
            contact=form.contact_values(),
            trainees=trainees.values(),
            funding_mode=form.cleaned_data["funding_mode"],
            funder=form.cleaned_data.get("funder"),
            revision=form.cleaned_data.get("revision"),
        )
    except DomainError as exc:
        if exc.field == "revision":
            # Keep what was typed; the next submission is taken as confirmed.
            data = form.data.copy()
            data["revision"] = str(TrainingSession.objects.get(pk=session.pk).revision)
            form.data = data
        if exc.field in form.fields and exc.field != "revision":
            form.add_error(exc.field, exc.message)
        else:
            form.add_error(None, exc.message)
        return False
    return True


@role_required(Role.TRAINER)
@require_http_methods(["GET", "POST"])
def session_client(request, pk):
    """Step 4: share a link with the client, or fill in the client's details here."""
    session = _trainer_session(request, pk)
    if response := _editable_or_redirect(request, session):
        return response
    form, trainees = _client_forms(request, session, request.POST or None)
    if more := _wants_another_trainee(request, session):
        form, trainees = more
    elif request.method == "POST" and _submit_client(
        request, session, form, trainees, actor=request.user
    ):
        messages.success(
            request, "Informations du client enregistrées : la session est prête à valider."
        )
        return redirect("session_detail", pk=session.pk)
    return render(
        request,
        "sessions/session_client.html",
        {"form": form, "trainees": trainees, "step": 4, "session": session,
         "link_url": _link_url(session)},
    )  # fmt: skip


def _link_url(session) -> str | None:
    if not session.link_version or session.link_revoked:
        return None
    return absolute_url(reverse("client_link", args=[links.make_token(session)]))


@private_page
@role_required(Role.TRAINER)
def session_detail(request, pk):
    session = _trainer_session(request, pk)
    return render(
        request,
        "sessions/session_detail.html",
        {
            "session": session,
            "timeline": audit_timeline(session),
            "missing": services.session_missing(session) if session.is_editable else [],
            "next_action": next_step(session, viewer=TRAINER),
            "link_url": _link_url(session),
            "send_form": SendLinkForm(),
            "cancel_form": CancelForm(),
            "total_minutes": services.total_minutes(session.days.all()),
            "documents": current_documents(session),
            "document_kinds": [(kind, label) for kind, label, _ in session_documents.KINDS],
            "cancellable": SESSION_STATES.sources_of(TrainingSession.Status.CANCELLED),
        },
    )


def _action(request, pk, run, success: str):
    session = _trainer_session(request, pk)
    try:
        run(session)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, success)
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("session_detail", args=[session.pk])
    return redirect(target)


@role_required(Role.TRAINER)
@require_POST
def session_link_issue(request, pk):
    return _action(
        request,
        pk,
        lambda s: services.session_link_issue(session=s, actor=request.user),
        "Nouveau lien créé : copiez-le ou envoyez-le au client. Les liens précédents ne "
        "fonctionnent plus.",
    )


@role_required(Role.TRAINER)
@require_POST
def session_link_revoke(request, pk):
    return _action(
        request,
        pk,
        lambda s: services.session_link_revoke(session=s, actor=request.user),
        "Lien désactivé : le client ne peut plus l'utiliser.",
    )


@role_required(Role.TRAINER)
@require_POST
def session_link_send(request, pk):
    form = SendLinkForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Indiquez une adresse e-mail valide pour envoyer le lien.")
        return redirect("session_detail", pk=pk)
    to = form.cleaned_data["email"]

    def send(session):
        url = _link_url(session)
        if url is None:
            raise DomainError("Créez d'abord un lien actif à envoyer.")
        services.session_link_send(session=session, actor=request.user, to=to, url=url)

    return _action(request, pk, send, f"Lien envoyé à {to}.")


@role_required(Role.TRAINER)
@require_POST
def session_validate(request, pk):
    return _action(
        request,
        pk,
        lambda s: services.session_validate(session=s, actor=request.user),
        "Session validée : le client est prévenu par e-mail.",
    )


@role_required(Role.TRAINER)
@require_POST
def session_cancel(request, pk):
    form = CancelForm(request.POST)
    reason = form.data.get("reason", "")
    return _action(
        request,
        pk,
        lambda s: services.session_cancel(session=s, actor=request.user, reason=reason),
        "Session annulée.",
    )


@role_required(Role.TRAINER)
@require_POST
def session_save_programme(request, pk):
    return _action(
        request,
        pk,
        lambda s: services.programme_save_from_session(session=s, actor=request.user),
        "Formation enregistrée dans vos programmes : vous pourrez en repartir pour une "
        "nouvelle session. Elle est publiée au catalogue.",
    )


@role_required(Role.TRAINER)
def programme_list(request):
    return render(
        request,
        "sessions/programme_list.html",
        {"programmes": selectors.programmes_of(request.user)},
    )


# --- The client's shared link (no account) ----------------------------------------------------


@require_http_methods(["GET", "POST"])
def client_link(request, token):
    try:
        session_id, version = links.read_token(token)
        session = (
            TrainingSession.objects.select_related("trainer", "company", "contact", "funder")
            .prefetch_related("days", "trainees")
            .filter(pk=session_id)
            .first()
        )
        if session is None:
            raise links.LinkError("Cette session n'existe plus.")
        if session.status == TrainingSession.Status.CANCELLED:
            raise links.LinkError("Cette session a été annulée.")
        if not session.is_editable:
            # Validated: no form and no data any more, whoever holds the link.
            if version != session.link_version:
                raise links.LinkError("Ce lien a été remplacé par un plus récent.")
            return render(request, "sessions/client_link_done.html", status=410)
        links.check_link(session, version)
    except links.LinkError as exc:
        return render(
            request, "sessions/client_link_invalid.html", {"message": exc.message}, status=404
        )

    form, trainees = _client_forms(request, session, request.POST or None)
    status = 200
    if more := _wants_another_trainee(request, session):
        form, trainees = more
    elif request.method == "POST":
        try:
            ratelimit.check(
                request, "client_link",
                keys={"ip": ratelimit.client_ip(request), "session": str(session.pk)},
                limits={"ip": LINK_POSTS_PER_IP, "session": LINK_POSTS_PER_SESSION},
            )  # fmt: skip
        except DomainError as exc:
            form.is_valid()
            form.add_error(None, exc.message)
            status = 429
        else:
            if _submit_client(request, session, form, trainees, actor=None):
                return render(
                    request, "sessions/client_link_thanks.html",
                    {"session": session, "token": token},
                )  # fmt: skip
    return render(
        request,
        "sessions/client_link.html",
        {"session": session, "form": form, "trainees": trainees},
        status=status,
    )


def session_contact_confirm(request, token):
    """An address that already has an account was named as the session's contact: its owner,
    logged in as that account, confirms (a form cannot attach an existing account)."""
    try:
        session_id, email = links.read_contact_token(token)
    except links.LinkError as exc:
        return render(
            request, "sessions/client_link_invalid.html", {"message": exc.message}, status=404
        )
    if not request.user.is_authenticated:
        from django.contrib.auth.views import redirect_to_login

        return redirect_to_login(request.get_full_path())
    session = TrainingSession.objects.filter(pk=session_id).first()
    if request.method == "POST" and session is not None:
        try:
            services.session_contact_confirm(session=session, user=request.user, email=email)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "C'est confirmé : vous êtes le contact de cette formation.")
            return redirect("client_session_detail", pk=session.pk)
    return render(
        request, "sessions/contact_confirm.html",
        {"email": email, "found": session is not None and session.is_editable},
    )  # fmt: skip


# --- Client space ------------------------------------------------------------------------------


@private_page
@role_required(Role.CLIENT)
def client_home(request):
    sessions = selectors.with_summaries(
        selectors.session_list_for(user=request.user)
        .select_related(None)
        .select_related("trainer")
        .only(*LIST_FIELDS, "trainer__first_name", "trainer__last_name")
    )
    page = Paginator(sessions, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    rows = _list_rows(
        page.object_list, "client_session_detail", next_steps(page.object_list, viewer=CLIENT)
    )
    for row in rows:
        row["trainer"] = row["session"].trainer.get_full_name()
    return render(
        request,
        "sessions/client_home.html",
        {"company": request.user.company, "page": page, "rows": rows},
    )


@private_page
@role_required(Role.CLIENT)
def client_session_detail(request, pk):
    session = selectors.session_get_for(user=request.user, pk=pk)
    return render(
        request,
        "sessions/client_session_detail.html",
        {"session": session, "next_action": next_step(session, viewer=CLIENT),
         "total_minutes": services.total_minutes(session.days.all()),
         "documents": [d for d in current_documents(session) if d.status == "ready"]},
    )  # fmt: skip


# --- Public catalogue (Qualiopi indicator 1) -----------------------------------------------------


@public_page
def catalogue(request):
    query = request.GET.get("q", "").strip()[:100]
    programmes = selectors.published_programmes(query).order_by("title", "pk")
    page = Paginator(programmes, CATALOGUE_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "sessions/catalogue.html",
        {"programmes": page.object_list, "page": page, "query": query},
    )


@public_page
def programme_public(request, pk):
    from .quality import programme_indicators

    programme = get_object_or_404(selectors.published_programmes(), pk=pk)
    return render(
        request,
        "sessions/programme_public.html",
        {"programme": programme, "organisation": organisation_for_pages(),
         "indicators": programme_indicators(programme)},
    )  # fmt: skip


# --- Running the session ----------------------------------------------------------------------


@role_required(Role.TRAINER)
@require_POST
def session_start(request, pk):
    return _action(
        request,
        pk,
        lambda s: services.session_start(session=s, actor=request.user),
        "Session démarrée : la feuille d'émargement est générée. Saisissez les présences "
        "à chaque demi-journée.",
    )


def _half_day_from(value: str | None, halves) -> tuple[int, str] | None:
    """A half-day of the session from "<day id>-<am|pm>", or None."""
    by_key = {f"{day.pk}-{half}": (day.pk, half) for day, half in halves}
    return by_key.get(value or "")


@role_required(Role.TRAINER)
@require_http_methods(["GET", "POST"])
def session_attendance(request, pk):
    """Present/absent per trainee, one half-day at a time (a bounded form whatever the size of
    the session), the grid of what was recorded, and the signed sheets scanned as PDF."""
    session = _trainer_session(request, pk)
    halves = services._half_days(session)
    trainees = list(session.trainees.all())
    if request.method == "POST":
        try:
            if "scan" in request.FILES:
                services.attendance_scan_upload(
                    session=session, actor=request.user, upload=request.FILES["scan"]
                )
                messages.success(request, "Feuille signée déposée.")
            else:
                half_day = _half_day_from(request.POST.get("half_day"), halves)
                if half_day is None:
                    raise DomainError("Choisissez la demi-journée à enregistrer.")
                ids = {t.pk for t in trainees}
                present = {(int(v), *half_day) for v in request.POST.getlist("present")
                           if v.isdigit() and int(v) in ids}  # fmt: skip
                services.attendance_record(
                    session=session, actor=request.user, present=present, half_days={half_day}
                )
                messages.success(request, "Émargement de la demi-journée enregistré.")
        except DomainError as exc:
            messages.error(request, exc.message)
        target = reverse("session_attendance", args=[session.pk])
        if request.POST.get("half_day"):
            target += f"?demi-journee={request.POST['half_day']}"
        return redirect(target)
    recorded = {
        (a.trainee_id, a.day_id, a.half): a.present
        for a in Attendance.objects.filter(session=session)
    }
    current = _half_day_from(request.GET.get("demi-journee"), halves) or next(
        ((d.pk, h) for d, h in halves if any((t.pk, d.pk, h) not in recorded for t in trainees)),
        (halves[0][0].pk, halves[0][1]) if halves else None,
    )
    minutes = {(d.pk, h): d.half_minutes(h) for d, h in halves}
    rows = [
        {
            "trainee": t,
            "present": recorded.get((t.pk, *current), True) if current else True,
            "cells": [recorded.get((t.pk, d.pk, h)) for d, h in halves],
            "minutes": sum(m for (d, h), m in minutes.items() if recorded.get((t.pk, d, h))),
        }
        for t in trainees
    ]  # fmt: skip
    return render(
        request,
        "sessions/session_attendance.html",
        {"session": session, "rows": rows, "recorded": bool(recorded),
         "halves": [{"key": f"{d.pk}-{h}", "day": d, "half": h, "label": HALF_LABELS[h],
                     "done": all((t.pk, d.pk, h) in recorded for t in trainees),
                     "current": current == (d.pk, h)} for d, h in halves],
         "scans": session.attendance_scans.all()},
    )  # fmt: skip


@role_required(Role.TRAINER)
@require_http_methods(["GET", "POST"])
def session_complete(request, pk):
    session = _trainer_session(request, pk)
    trainees = list(session.trainees.all())
    objectives = objectives_of(session)
    error = None
    if request.method == "POST":
        results = {}
        for t in trainees:
            choice = request.POST.get(f"acquired-{t.pk}")
            if choice in ("yes", "no"):
                results[t.pk] = (choice == "yes", request.POST.get(f"result-{t.pk}", ""))
        assessments = {
            (t.pk, i): request.POST[f"obj-{t.pk}-{i}"]
            for t in trainees
            for i in range(len(objectives))
            if request.POST.get(f"obj-{t.pk}-{i}")
        }
        try:
            services.session_complete(
                session=session, actor=request.user, results=results, assessments=assessments
            )
        except DomainError as exc:
            # Shown on the page itself, which keeps everything typed (nothing is recorded).
            error = exc.message
        else:
            messages.success(
                request, "Session terminée : certificats et attestations sont générés."
            )
            return redirect("session_detail", pk=session.pk)
    realised = selectors.realised_minutes(session)
    recorded = {
        (a.trainee_id, a.position): a.result
        for a in ObjectiveAssessment.objects.filter(trainee__in=trainees)
    }
    posted = request.POST
    rows = [
        {
            "trainee": t,
            "minutes": realised.get(t.pk, 0),
            "acquired": posted.get(f"acquired-{t.pk}", ""),
            "result": posted.get(f"result-{t.pk}", t.assessment_result),
            "objectives": [
                {"position": i, "label": label,
                 "value": posted.get(f"obj-{t.pk}-{i}") or recorded.get((t.pk, i), "")}
                for i, label in enumerate(objectives)
            ],
        }
        for t in trainees
    ]  # fmt: skip
    return render(
        request,
        "sessions/session_complete.html",
        {"session": session, "rows": rows, "error": error, "choices": ObjectiveResult.choices},
        status=400 if error else 200,
    )


# --- Documents of a session (the rights are those of the session) ------------------------------


@role_required(Role.TRAINER, Role.CLIENT, Role.STAFF)
def document_download(request, pk):
    document = selectors.session_document_get_for(user=request.user, pk=pk)
    return file_response(document.file.name, filename=document.filename,
                         content_type="application/pdf")  # fmt: skip


@role_required(Role.TRAINER)
def document_preview(request, pk, kind):
    """The trainer checks a document before validating: same template, as a web page."""
    if kind not in session_documents.LABELS:
        raise Http404("Document inconnu.")
    session = selectors.session_get_for(user=request.user, pk=pk)
    trainee = session.trainees.first() if kind in session_documents.PER_TRAINEE else None
    if kind in session_documents.PER_TRAINEE and trainee is None:
        return HttpResponse(
            "Ce document est individuel : ajoutez d'abord un stagiaire.", status=404,
            content_type="text/plain; charset=utf-8",
        )  # fmt: skip
    from documents.registry import build_context, get

    try:
        context = build_context(kind, session, subject=trainee)
    except DomainError as exc:
        return HttpResponse(exc.message, status=409, content_type="text/plain; charset=utf-8")
    context.update(preview=True, back_url=reverse("session_detail", args=[session.pk]))
    return HttpResponse(pdf.render_html(get(kind).template, context))
