"""Billing's documents: the BPF (cerfa 10443) laid out like the form, registered with the
documents service. Its values come from the report's stored figures only (frozen once locked),
never recomputed in the template."""

from __future__ import annotations

from django.utils import timezone

from documents import pdf
from documents.registry import DocumentType, get, register
from ganapati.selectors import organisation_get_or_none

from . import bpf
from .models import BpfReport

KIND = "bpf"


def bpf_context(report: BpfReport, *, subject=None, version=None, issued_at=None) -> dict:
    figures = report.figures or {"lines": []}
    return {
        "report": report,
        "organisation": organisation_get_or_none(),
        "sections": bpf.sections(figures),
        "checks": figures.get("checks", []),
        "issued_on": timezone.localdate(issued_at) if issued_at else timezone.localdate(),
    }


def bpf_title(report: BpfReport, subject=None) -> str:
    return f"BPF {report.year}"


register(DocumentType(kind=KIND, label="Bilan pédagogique et financier (cerfa 10443)",
                      template="documents/bpf.html", context=bpf_context, title=bpf_title,
                      order=900))  # fmt: skip


def render(report: BpfReport) -> tuple[str, str, bytes]:
    """The BPF as a PDF/A-3b, (filename, mimetype, bytes): rendered on demand from the stored
    figures (a two-page form; no worker needed)."""
    document_type = get(KIND)
    context = document_type.context(report)
    context.update(kind=KIND, kind_label=document_type.label)
    return pdf.render_pdf(document_type.template, context, f"bpf-{report.year}.pdf")
