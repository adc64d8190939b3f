from django.core.files.storage import default_storage
from django.http import FileResponse, Http404

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
    if invoice is None or (
        request.user.role == Role.CLIENT and invoice.payer_kind != Invoice.PayerKind.COMPANY
    ):
        raise Http404("Facture introuvable.")
    try:
        handle = default_storage.open(invoice.pdf.name, "rb")
    except OSError as exc:
        raise Http404("Fichier introuvable.") from exc
    return FileResponse(handle, as_attachment=True, filename=f"{invoice.number}.pdf",
                        content_type="application/pdf")  # fmt: skip
