from csp.decorators import csp_replace
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_http_methods, require_POST

from ganapati import files, legal, ratelimit
from ganapati.downloads import file_response
from ganapati.errors import DomainError
from ganapati.idempotency import form_token_from, form_token_issue
from ganapati.models import Role
from ganapati.pagecache import public_page
from ganapati.permissions import role_required
from sessions.models import FundingMode, TrainingSession
from sessions.selectors import session_get_for, sessions_visible_to

from . import services
from .forms import ClientCancelForm, PecUploadForm
from .models import FundingRequest, PecUpload
from .selectors import agreements_search


@public_page
def find_my_opco(request):
    """Public: a company finds its OPCO from its collective agreement (IDCC or title)."""
    query = request.GET.get("q", "")[:100]
    results = list(agreements_search(query)) if query else []
    return render(request, "funding/find_my_opco.html", {"query": query, "results": results})


def _client_ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


# PEC uploads (each one a PDF parsed and stored): attempts per training session and per address.
PEC_UPLOAD_LIMITS = {"session": (10, 3600), "ip": (30, 3600)}


@role_required(Role.CLIENT)
@require_http_methods(["GET", "POST"])
def client_funding(request, pk):
    """The client deposits the funder's decision, or commits to pay what is not funded."""
    session = session_get_for(user=request.user, pk=pk)
    funding = FundingRequest.objects.filter(session=session).first()
    form = PecUploadForm(request.POST or None, request.FILES or None)
    limited = None
    if request.method == "POST":
        try:
            ratelimit.check(
                request, "funding.pec_upload",
                keys={"session": str(session.pk), "ip": ratelimit.client_ip(request)},
                limits=PEC_UPLOAD_LIMITS,
            )  # fmt: skip
        except DomainError as exc:
            limited = exc.message
            form.is_valid()  # add_error needs a cleaned form (its own errors show too)
            form.add_error(None, limited)
    if request.method == "POST" and limited is None and form.is_valid():
        try:
            services.funding_request_upload(
                session=session, actor=request.user, upload=form.cleaned_data["file"],
                values=form.cleaned_data, form_token=form_token_from(request),
            )  # fmt: skip
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(
                request, "Accord déposé : l'équipe le vérifie, vous serez prévenu(e) par e-mail."
            )
            return redirect("client_session_detail", pk=session.pk)
    return render(
        request,
        "funding/client_funding.html",
        {
            "session": session,
            "funding": funding,
            "uploads": funding.uploads.all() if funding else [],
            "form": form,
            "can_upload": session.status == TrainingSession.Status.VALIDATED
            and session.funder_id is not None
            and not (funding and funding.status == FundingRequest.Status.VALIDATED),
            "remainder": services.remainder_of(session),
            "dedit_clause": legal.CANCELLATION_CLAUSE,
            "needs_commitment": _needs_commitment(session, funding),
            "cancel_form": ClientCancelForm(),
            "form_token": form_token_issue(
                scope=services.pec_upload_scope(session), user=request.user
            ),
        },
        status=429 if limited else 200,
    )


def _needs_commitment(session, funding) -> bool:
    if session.status != TrainingSession.Status.VALIDATED:
        return False
    if session.funding_mode == FundingMode.COMPANY:
        return True
    return bool(
        funding
        and funding.status == FundingRequest.Status.VALIDATED
        and funding.decision != FundingRequest.Decision.TOTAL
    )


@role_required(Role.CLIENT)
@require_POST
def client_commit(request, pk):
    session = session_get_for(user=request.user, pk=pk)
    if request.POST.get("accept") != "1":
        messages.error(request, "Cochez la case pour confirmer votre engagement de paiement.")
        return redirect("client_funding", pk=session.pk)
    try:
        services.client_commit_to_pay(session=session, actor=request.user, ip=_client_ip(request))
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("client_funding", pk=session.pk)
    messages.success(request, "Engagement enregistré : la session peut démarrer.")
    return redirect("client_session_detail", pk=session.pk)


@role_required(Role.CLIENT)
@require_POST
def client_cancel(request, pk):
    """After a refused PEC, the client may cancel instead of paying."""
    from sessions.services import session_cancel

    session = session_get_for(user=request.user, pk=pk)
    funding = FundingRequest.objects.filter(session=session).first()
    refused = (
        funding
        and funding.status == FundingRequest.Status.VALIDATED
        and funding.decision == FundingRequest.Decision.REFUSED
    )
    if not refused or session.status != TrainingSession.Status.VALIDATED:
        messages.error(request, "L'annulation par le client n'est possible qu'après un refus de "
                       "prise en charge ; sinon, contactez le formateur.")  # fmt: skip
        return redirect("client_funding", pk=session.pk)
    try:
        session_cancel(session=session, actor=request.user, reason=request.POST.get("reason", ""))
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("client_funding", pk=session.pk)
    messages.success(request, "Session annulée ; le formateur est prévenu.")
    return redirect("client_session_detail", pk=session.pk)


@role_required(Role.CLIENT, Role.TRAINER, Role.STAFF)
@xframe_options_sameorigin
# Framed by the back-office; Chromium's PDF viewer counts as a plugin: object-src must allow it.
@csp_replace({"frame-ancestors": ["'self'"], "object-src": ["'self'"]})
def pec_file(request, pk):
    """A deposited PEC, shown inline (the back-office frames it next to the review form)."""
    upload = (
        PecUpload.objects.select_related("request__session")
        .filter(pk=pk, request__session__in=sessions_visible_to(request.user))
        .first()
    )
    if upload is None or not files.user_may_see(request.user, "pec"):
        raise Http404("Document introuvable.")
    return file_response(upload.file.name, filename=upload.original_name,
                         content_type="application/pdf", as_attachment=False)  # fmt: skip
