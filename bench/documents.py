"""Benchmark: render the document pack (quote, agreement, programme) of one session N times.

Reports the time per pack through our machinery (context from the database, Django templates,
WeasyPrint with the shared fonts and CSS, storage, the versioned record), and the ratio against
WeasyPrint alone rendering the same HTML with the same stylesheet. Target: ratio <= 1.15.

    .venv/bin/python bench/documents.py [N]      (default N = 10; SQLite in a temporary folder)
"""

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TMP = tempfile.mkdtemp(prefix="ganapati-bench-")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ganapati.settings")
os.environ.update(
    DEBUG="1", GANAPATI_VAR_DIR=TMP, DATABASE_URL=f"sqlite:///{TMP}/bench.sqlite3",
    LOG_LEVEL="WARNING",
)  # fmt: skip
# Tasks in-process: the benchmark measures rendering, not a broker.
os.environ.pop("CELERY_BROKER_URL", None)

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import transaction  # noqa: E402


def main(n: int) -> None:
    call_command("migrate", verbosity=0)
    call_command("demo", stdout=open(os.devnull, "w"))  # noqa: SIM115

    from documents import pdf, services
    from documents.context import TEMPLATES, document_context
    from documents.models import Document
    from documents.services import VALIDATION_PACK
    from sessions.models import TrainingSession

    session = TrainingSession.objects.filter(status="validated").first()
    trainer = session.trainer

    # Warm-up: fonts and CSS are loaded once per process, as in a worker.
    pdf.html_to_pdf(pdf.render_html(TEMPLATES["devis"], document_context(session, "devis")))

    htmls = [
        pdf.render_html(TEMPLATES[kind], document_context(session, kind, version=1))
        for kind in VALIDATION_PACK
    ]
    from weasyprint import HTML

    fonts, css, fetcher = pdf._resources()
    ours, alone = [], []
    # Interleaved, so that a slower moment of the machine weighs on both sides alike.
    for i in range(n):
        start = time.perf_counter()
        with transaction.atomic():
            documents = [
                services.document_request(session=session, kind=kind, source=f"bench.{i}",
                                          actor=trainer)
                for kind in VALIDATION_PACK
            ]  # fmt: skip
        for document in documents:
            assert services.document_render(document_id=document.pk) == "ready"
        ours.append(time.perf_counter() - start)

        start = time.perf_counter()
        for html in htmls:
            HTML(string=html, url_fetcher=fetcher).write_pdf(stylesheets=[css], font_config=fonts)
        alone.append(time.perf_counter() - start)

    pages = sum(
        len(__import__("pypdf").PdfReader(d.file.open("rb")).pages)
        for d in Document.objects.filter(source="bench.0")
    )
    ours_median, alone_median = statistics.median(ours), statistics.median(alone)
    print(f"packs rendered: {n} (3 documents, {pages} pages per pack)")
    print(f"ours (db + templates + WeasyPrint + storage): {ours_median * 1000:.0f} ms per pack")
    print(f"WeasyPrint alone on the same HTML:            {alone_median * 1000:.0f} ms per pack")
    print(f"overhead ratio: {ours_median / alone_median:.3f} (target <= 1.15)")
    from ganapati.checks import harfbuzz_subset_available

    print(f"libharfbuzz-subset available: {harfbuzz_subset_available()}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10)
