"""Benchmark: the document pipeline against WeasyPrint alone, per kind of document.

For each kind (quote, agreement, programme, attendance sheet, certificate, attestation) of one
demo session, N times, interleaved:
- ours: ask for a version (a Document row, in a transaction), render it as the worker does
  (context from the database, Django template, WeasyPrint with the shared fonts and CSS,
  storage, the record marked ready);
- alone: WeasyPrint rendering the very HTML that this version rendered (its number, reference
  and date included), with the same stylesheet, fonts and PDF variant.
The order alternates (ours first, then alone first) so that neither always runs right after
the other's WeasyPrint work. Both make the same WeasyPrint call (pdf._resources(), base_url,
PDF/A-3b; the session kinds pass no other option); "alone" from the top of this script, the
pipeline from a thread of its own (documents/pdf.py): on CPython 3.11 WeasyPrint's time depends
on the Python stack depth it starts from (up to +50 %, CPython gh-142183), so both start near the
bottom of a stack. The third column of the first table is WeasyPrint's part inside the pipeline
(processor time of `pdf.html_to_pdf`), to compare with "alone" directly.
Prints the medians of the elapsed time and the ratio per kind (target <= 1.10), and the same
ratio in processor time of this process (what another tenant of a shared machine does not move;
it leaves out the waits for the disk, which the elapsed time keeps), then renders one kind R
more times in the same process and reports the growth of the resident memory (target < 20 MiB).

    .venv/bin/python bench/documents.py [N=10] [R=500]   (SQLite in a temporary folder)
"""

import os
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from benchdb import sqlite_in_process  # noqa: E402

# Tasks in-process: the benchmark measures rendering, not a broker.
TMP = sqlite_in_process("ganapati-bench-")

import django  # noqa: E402

django.setup()


def rss_mib() -> float:
    """The process's resident memory now, from /proc (Linux)."""
    with open("/proc/self/statm") as handle:
        pages = int(handle.read().split()[1])
    return pages * resource.getpagesize() / 1024 / 1024


def main(n: int, repeat: int) -> None:
    from django.core.management import call_command
    from django.db import transaction
    from django.db.models import Max
    from weasyprint import HTML

    from documents import pdf, registry, services
    from documents.models import Document
    from sessions.documents import KINDS
    from sessions.models import TrainingSession

    call_command("migrate", verbosity=0)
    call_command("demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    # As each worker process does once loaded (ganapati.celery): both sides gain from it.
    from ganapati.celery import freeze_startup_objects

    freeze_startup_objects()
    session = TrainingSession.objects.filter(trainees__isnull=False).order_by("pk").first()
    trainee = session.trainees.first()
    fonts, css, fetcher = pdf._resources()

    def alone(html):
        HTML(string=html, url_fetcher=fetcher, base_url="data:,").write_pdf(
            stylesheets=[css], font_config=fonts, pdf_variant=pdf.PDF_VARIANT
        )

    rendered = []  # the HTML of each version the pipeline renders, for `alone` to render too
    render_html = pdf.render_html

    def keep_html(template, context):
        html = render_html(template, context)
        rendered.append(html)
        return html

    pdf.render_html = keep_html

    def clock():
        return time.perf_counter(), time.process_time()

    def since(start):
        return time.perf_counter() - start[0], time.process_time() - start[1]

    inside = []  # processor time of WeasyPrint's part of each pipeline run
    html_to_pdf = pdf.html_to_pdf

    def timed_html_to_pdf(html, **options):
        start = time.process_time()
        try:
            return html_to_pdf(html, **options)
        finally:
            inside.append(time.process_time() - start)

    def ours(kind, subject, i):
        with transaction.atomic():
            document = services.document_request(
                owner=session, kind=kind, subject=subject, source=f"bench.{kind}.{i}"
            )
        # Without a broker the task runs at the commit, as a worker would right after it.
        return document

    def check(document):  # outside the timed part: the bench's reading, not the pipeline's
        document.refresh_from_db()
        assert document.status == "ready", document.last_error

    print(f"{'document':<34} {'ours':>8} {'alone':>8} {'ratio':>7} {'cpu ratio':>10} "
          f"{'WeasyPrint inside / alone (cpu)':>32}")  # fmt: skip
    ratios = {}
    pdf.html_to_pdf = timed_html_to_pdf
    for kind, label, per_trainee in KINDS:
        subject = trainee if per_trainee else None
        check(
            ours(kind, subject, "warm-up")
        )  # fonts and CSS are loaded once per process, as in a worker
        alone(rendered[-1])
        ours_times, alone_times = [], []
        inside.clear()
        for i in range(n):  # interleaved: a slow moment of the machine weighs on both alike
            if i % 2 == 0:
                start = clock()
                document = ours(kind, subject, i)
                ours_times.append(since(start))
                check(document)
                start = clock()
                alone(rendered[-1])
                alone_times.append(since(start))
            else:
                version = (
                    Document.objects.for_owner(session)
                    .for_subject(subject)
                    .filter(kind=kind)
                    .aggregate(Max("version"))["version__max"]
                    + 1
                )
                html = render_html(  # the next version's HTML, as the pipeline will render it
                    registry.get(kind).template,
                    registry.build_context(kind, session, subject=subject, version=version),
                )
                start = clock()
                alone(html)
                alone_times.append(since(start))
                start = clock()
                document = ours(kind, subject, i)
                ours_times.append(since(start))
                check(document)
                assert rendered[-1] == html, "alone must render the very HTML of the version"
        ours_median = statistics.median(t for t, _ in ours_times)
        alone_median = statistics.median(t for t, _ in alone_times)
        cpu_ratio = statistics.median(c for _, c in ours_times) / statistics.median(
            c for _, c in alone_times
        )
        inside_ratio = statistics.median(inside) / statistics.median(c for _, c in alone_times)
        ratios[kind] = ours_median / alone_median
        print(f"{label:<34} {ours_median * 1000:>6.0f}ms {alone_median * 1000:>6.0f}ms "
              f"{ratios[kind]:>7.3f} {cpu_ratio:>10.3f} {inside_ratio:>32.3f}")  # fmt: skip
    pdf.html_to_pdf = html_to_pdf
    print(f"worst ratio: {max(ratios.values()):.3f} (target <= 1.10)")

    # The same pipeline with WeasyPrint's part replaced by the bytes it made (everything else
    # runs: version, context, template, storage, hashes, record, audit): its own cost, in
    # processor time, beside WeasyPrint's — less exposed to the machine's swings than the ratio
    # of two elapsed medians; then in elapsed time, which adds the waits for the disk at its
    # three commits (the request, the attempt, the ready record) and for the processor.
    # Split in two: the request (the version's row and its audit event, written in the
    # caller's transaction: in the product a web request or a service) and the worker's task
    # (context, template, storage, the record marked ready, its event delivered).
    print(f"\n{'document':<34} {'pipeline without WeasyPrint (cpu)':>34} {'alone (cpu)':>12} "
          f"{'(alone + pipeline) / alone':>27} {'same, elapsed':>22} "
          f"{'worker task (cpu)':>18} {'(alone + task) / alone':>23}")  # fmt: skip
    task_cpu = []
    document_render = services.document_render

    def timed_render(**kwargs):
        start = time.process_time()
        try:
            return document_render(**kwargs)
        finally:
            task_cpu.append(time.process_time() - start)

    services.document_render = timed_render
    try:
        for kind, label, per_trainee in KINDS:
            subject = trainee if per_trainee else None
            check(ours(kind, subject, "bytes"))
            made = html_to_pdf(rendered[-1])
            alone_cpu = []
            for _ in range(n):
                start = clock()
                alone(rendered[-1])
                alone_cpu.append(since(start)[1])
            pdf.html_to_pdf = lambda html, made=made, **options: made
            task_cpu.clear()
            try:
                pipeline_cpu, pipeline_elapsed = [], []
                for i in range(n):
                    start = clock()
                    document = ours(kind, subject, f"bytes.{i}")
                    elapsed, cpu = since(start)
                    pipeline_cpu.append(cpu)
                    pipeline_elapsed.append(elapsed)
                    check(document)
            finally:
                pdf.html_to_pdf = html_to_pdf
            own, weasy = statistics.median(pipeline_cpu), statistics.median(alone_cpu)
            print(f"{label:<34} {own * 1000:>32.1f}ms {weasy * 1000:>10.1f}ms "
                  f"{(weasy + own) / weasy:>27.3f} "
                  f"{statistics.median(pipeline_elapsed) * 1000:>20.1f}ms "
                  f"{statistics.median(task_cpu) * 1000:>16.1f}ms "
                  f"{(weasy + statistics.median(task_cpu)) / weasy:>23.3f}")  # fmt: skip
    finally:
        services.document_render = document_render
    rendered.clear()
    pdf.render_html = render_html

    before = rss_mib()
    for i in range(repeat):
        with transaction.atomic():
            services.document_request(owner=session, kind="devis",
                                                  source=f"bench.memory.{i}")  # fmt: skip
    after = rss_mib()
    print(f"memory over {repeat} renders: {before:.0f} MiB -> {after:.0f} MiB "
          f"(+{after - before:.1f} MiB, target < 20)")  # fmt: skip
    from ganapati.checks import harfbuzz_subset_available

    print(f"libharfbuzz-subset available: {harfbuzz_subset_available()}")


if __name__ == "__main__":
    main(
        int(sys.argv[1]) if len(sys.argv) > 1 else 10,
        int(sys.argv[2]) if len(sys.argv) > 2 else 500,
    )
