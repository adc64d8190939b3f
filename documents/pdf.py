"""The one PDF helper: a Django template rendered by WeasyPrint.

Fonts and the shared stylesheet are loaded once per process (WeasyPrint leaks memory and
wastes time when given a new FontConfiguration per document). The URL fetcher only accepts
data: URIs: a document never reaches the network or the disk through its HTML.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from django.conf import settings
from django.template.loader import render_to_string

_lock = threading.Lock()
_shared: dict = {}

STYLESHEET = Path(settings.BASE_DIR) / "static" / "documents" / "document.css"


def _resources():
    """(FontConfiguration, CSS, URLFetcher), made once per process."""
    if not _shared:
        with _lock:
            if not _shared:
                from weasyprint import CSS, URLFetcher
                from weasyprint.text.fonts import FontConfiguration

                fonts = FontConfiguration()
                fetcher = URLFetcher(allowed_protocols={"data"})
                _shared["fonts"] = fonts
                _shared["fetcher"] = fetcher
                _shared["css"] = CSS(
                    string=STYLESHEET.read_text(encoding="utf-8"),
                    font_config=fonts,
                    url_fetcher=fetcher,
                )
    return _shared["fonts"], _shared["css"], _shared["fetcher"]


def render_html(template: str, context: dict) -> str:
    return render_to_string(template, context)


# Every document is archived (invoices 10 years, certificates and proofs 3 to 10): PDF/A-3b, the
# archival PDF that may also carry attachments (an invoice's factur-x.xml).
PDF_VARIANT = "pdf/a-3b"


# One WeasyPrint rendering at a time in a process: the shared fonts are not made to be used by
# two threads at once, and a rendering whose caller was interrupted (see html_to_pdf) may still
# be running when the worker takes its next document.
_rendering = threading.Lock()


def _write_pdf(html: str, options: dict) -> bytes:
    from weasyprint import HTML

    fonts, css, fetcher = _resources()
    with _rendering:
        return HTML(string=html, url_fetcher=fetcher, base_url="data:,").write_pdf(
            stylesheets=[css], font_config=fonts, **options
        )


def html_to_pdf(html: str, **options) -> bytes:
    """`options` go to WeasyPrint; the variant is PDF/A-3b unless one is given.

    WeasyPrint runs at the bottom of a thread of its own, whatever the depth of the caller (a
    Celery worker, a task run at a commit, a view). CPython 3.11 and 3.12 keep Python frames in
    16 KiB chunks and free a chunk as soon as the stack returns below it; WeasyPrint's layout
    recurses back and forth, so from some starting depths it crosses a chunk's edge thousands of
    times per document, each time an mmap and a munmap (CPython gh-142183, fixed in 3.13 and
    3.14 in March 2026). Measured here: the same quote 4,000 mmap/munmap pairs and up to 50 %
    slower by the caller's depth alone (bench/results/documents-2026-11-23.md); from a new
    thread it always starts at the same, cheap place (≈ 0.1 ms of processor per document, to
    start the thread). Nothing else runs in that thread: the caller rendered the template,
    WeasyPrint reads no database."""
    options.setdefault("pdf_variant", PDF_VARIANT)
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="weasyprint")
    try:
        return executor.submit(_write_pdf, html, options).result()
    finally:
        # Not waiting: an exception raised in the caller while it waits (Celery's soft time
        # limit) is not held back until the rendering ends; the thread finishes on its own.
        executor.shutdown(wait=False)


def render_pdf(template: str, context: dict, filename: str, **options) -> tuple[str, str, bytes]:
    """Render a document template to PDF: (filename, mimetype, bytes)."""
    return filename, "application/pdf", html_to_pdf(render_html(template, context), **options)
