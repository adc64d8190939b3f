from django.http import Http404
from django.views.decorators.http import require_POST

from ganapati import files
from ganapati.downloads import file_response, stored_file_response
from ganapati.models import Role
from ganapati.permissions import role_required
from sessions.selectors import sessions_visible_to

from .models import Invoice


@role_required(Role.CLIENT, Role.TRAINER, Role.STAFF)
def invoice_download(request, pk):
    """An issued invoice's PDF: the paying company's contact, the trainer, staff."""
    invoice = (
        Invoice.objects.exclude(pdf="")
        .filter(pk=pk, session__in=sessions_visible_to(request.user))
        .first()
    )
    if invoice is None or not files.user_may_see(request.user, invoice.file_kind):
        raise Http404("Facture introuvable.")
    return file_response(invoice.pdf.name, filename=f"{invoice.number}.pdf",
                         content_type="application/pdf")  # fmt: skip


@role_required(Role.STAFF)
def sepa_download(request, pk):
    from .models import PayoutBatch

    batch = PayoutBatch.objects.filter(pk=pk).first()
    if batch is None or not files.user_may_see(request.user, "sepa"):
        raise Http404("Lot introuvable.")
    return file_response(batch.sepa_file.name, filename=batch.sepa_file.name.split("/")[-1],
                         content_type="application/xml")  # fmt: skip


@role_required(Role.TRAINER)
def payout_invoice_upload(request, pk):
    from django.contrib import messages
    from django.shortcuts import redirect

    from ganapati.errors import DomainError
    from sessions.selectors import session_get_for

    from . import services
    from .models import MAX_PAYMENT, Payout

    session = session_get_for(user=request.user, pk=pk)
    payout = Payout.objects.filter(session=session).first()
    if request.method != "POST" or payout is None or "file" not in request.FILES:
        messages.error(request, "Choisissez le PDF de votre facture.")
        return redirect("session_detail", pk=session.pk)
    from decimal import Decimal, InvalidOperation

    raw = request.POST.get("amount", "").replace("\u202f", "").replace(" ", "").replace(",", ".")
    try:
        if len(raw) > 30:
            raise InvalidOperation
        amount = Decimal(raw.replace("€", ""))
        if not amount.is_finite() or abs(amount) > MAX_PAYMENT:
            raise InvalidOperation
    except InvalidOperation:
        messages.error(request, "Indiquez le montant total de votre facture (ex. 2 380,00).")
        return redirect("session_detail", pk=session.pk)
    try:
        services.payout_invoice_upload(payout=payout, actor=request.user,
                                       upload=request.FILES["file"], amount=amount,
                                       number=request.POST.get("number", ""))  # fmt: skip
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Facture déposée : le virement sera préparé par l'équipe.")
    return redirect("session_detail", pk=session.pk)


def _zip_response(export, filename: str):
    from django.http import StreamingHttpResponse

    response = StreamingHttpResponse(export.render(), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@role_required(Role.CLIENT, Role.TRAINER, Role.STAFF)
def session_audit_export(request, pk):
    """Every piece of one session's file, for an OPCO auditor (streamed ZIP)."""
    from sessions.selectors import session_get_for

    from .exports import AuditExport

    session = session_get_for(user=request.user, pk=pk)
    return _zip_response(
        AuditExport([session], user=request.user), f"audit-{session.reference}.zip"
    )


@role_required(Role.CLIENT)
def reimbursement_pack(request, pk):
    """Without subrogation: what the company sends its OPCO to be reimbursed, in one click."""
    from sessions.selectors import session_get_for

    from .exports import ReimbursementPack

    session = session_get_for(user=request.user, pk=pk)
    if not session.invoices.filter(payer_kind="company", status="paid").exists():
        raise Http404("Aucune facture payée pour cette session.")
    return _zip_response(
        ReimbursementPack([session], user=request.user), f"remboursement-{session.reference}.zip"
    )


@role_required(Role.STAFF)
def audit_export_download(request, pk):
    from .models import AuditExportJob

    job = AuditExportJob.objects.filter(pk=pk, status="done").first()
    if job is None or not files.user_may_see(request.user, "audit_export"):
        raise Http404("Export introuvable ou pas encore prêt.")
    # Hundreds of MB: sent by the bucket (signed URL) or nginx when configured, else streamed
    # by a threaded worker that a slow client cannot get killed (ganapati/downloads.py).
    return stored_file_response(job.file.name, filename=f"audit-{job.pk}.zip",
                                content_type="application/zip")  # fmt: skip


@role_required(Role.TRAINER)
@require_POST
def trainer_self_billing(request):
    from django.contrib import messages
    from django.shortcuts import redirect

    from ganapati.errors import DomainError

    from .services import trainer_self_billing_accept

    accept = request.POST.get("accept") == "1"
    try:
        trainer_self_billing_accept(trainer=request.user, accept=accept)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, "Mandat d'autofacturation " + ("accepté." if accept else "révoqué.")
        )
    return redirect("trainer_profile")
