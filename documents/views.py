from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponse
from django.urls import reverse

from ganapati.errors import DomainError
from ganapati.models import Role
from ganapati.permissions import role_required
from sessions.selectors import session_get_for

from . import pdf
from .context import PER_TRAINEE, TEMPLATES, document_context
from .models import DocumentKind
from .selectors import document_get_for_download


@role_required(Role.TRAINER, Role.CLIENT, Role.STAFF)
def document_download(request, pk):
    document = document_get_for_download(user=request.user, pk=pk)
    try:
        handle = default_storage.open(document.file.name, "rb")
    except OSError as exc:
        raise Http404("Fichier introuvable.") from exc
    return FileResponse(
        handle, as_attachment=True, filename=document.filename, content_type="application/pdf"
    )


@role_required(Role.TRAINER)
def document_preview(request, pk, kind):
    """The trainer checks a document before validating: same template, as a web page."""
    if kind not in DocumentKind.values:
        raise Http404("Document inconnu.")
    session = session_get_for(user=request.user, pk=pk)
    trainee = session.trainees.first() if kind in PER_TRAINEE else None
    if kind in PER_TRAINEE and trainee is None:
        return HttpResponse(
            "Ce document est individuel : ajoutez d'abord un stagiaire.", status=404,
            content_type="text/plain; charset=utf-8",
        )  # fmt: skip
    try:
        context = document_context(session, kind, trainee=trainee)
    except DomainError as exc:
        return HttpResponse(exc.message, status=409, content_type="text/plain; charset=utf-8")
    context.update(preview=True, back_url=reverse("session_detail", args=[session.pk]))
    return HttpResponse(pdf.render_html(TEMPLATES[kind], context))
