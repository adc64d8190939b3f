"""Benchmark: stream the audit ZIP of N sessions; report time, ZIP size, queries and peak
memory, against Python's stdlib `zipfile` writing the same files STORED in the same run.

    .venv/bin/python bench/audit_export.py [N=1000]

Builds N completed-looking sessions in a scratch SQLite database, each with 6 documents
pointing at real PDFs in storage (rendered once, shared, as the export reads by name), then
streams the ZIP into a byte counter, three ways, alternated over 5 rounds (BENCH_ROUNDS=n), medians:
- "stdlib": `zipfile.ZipFile(..., ZIP_STORED)` writing the same members (reads each file once);
- "ours": the export as it runs for rows whose size and CRC-32 were stored when written;
- "ours, legacy rows": the same with the stored CRC-32 cleared (rows written before it was kept:
  the export reads such files twice — once for size, CRC and SHA-256, once to stream them).
Memory must not grow with N: run with N=100 and N=1000.
"""

import os
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TMP = tempfile.mkdtemp(prefix="ganapati-bench-zip-")
# DEBUG off: with DEBUG on, Django keeps every SQL query in memory, which a memory
# measurement must not count.
os.environ.update(DJANGO_SETTINGS_MODULE="ganapati.settings", DEBUG="0", SECRET_KEY="bench-" * 10,
                  ALLOWED_HOSTS="localhost", GANAPATI_VAR_DIR=TMP,
                  DATABASE_URL=f"sqlite:///{TMP}/bench.sqlite3", LOG_LEVEL="WARNING")  # fmt: skip
os.environ.pop("CELERY_BROKER_URL", None)

import django  # noqa: E402

django.setup()


def main(n: int) -> None:
    from django.core.management import call_command
    from django.db import transaction

    from billing.exports import AuditExport
    from documents.models import Document
    from sessions.models import TrainingSession

    call_command("migrate", verbosity=0)
    call_command("demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    # The demo's completed session with the most documents, and N - 1 copies of it.
    model = max(
        TrainingSession.objects.filter(status="completed"),
        key=lambda s: Document.objects.for_owner(s).filter(status="ready").count(),
    )
    last_before = TrainingSession.objects.order_by("-pk").values_list("pk", flat=True).first()
    docs = list(Document.objects.for_owner(model).filter(status="ready"))
    trainees = list(model.trainees.all())
    with transaction.atomic():
        for _ in range(n - 1):
            clone = TrainingSession.objects.get(pk=model.pk)
            clone.pk = None
            clone.save()
            new_trainees = []
            for t in trainees:
                t2 = type(t).objects.get(pk=t.pk)
                t2.pk, t2.session = None, clone
                t2.save()
                new_trainees.append(t2)
            mapping = {old.pk: new for old, new in zip(trainees, new_trainees, strict=True)}
            Document.objects.bulk_create(
                Document(owner_type_id=d.owner_type_id, owner_id=clone.pk, kind=d.kind,
                         title=d.title, version=d.version, source=d.source, status="ready",
                         file=d.file.name, sha256=d.sha256, size=d.size,
                         **({"crc32": d.crc32} if hasattr(d, "crc32") else {}),
                         subject_type_id=d.subject_type_id,
                         subject_id=mapping[d.subject_id].pk if d.subject_id else None)
                for d in docs
            )  # fmt: skip
    from django.db import connection
    from django.db.models import Q

    from ganapati.models import User

    staff = User.objects.filter(role="staff").first()
    rows = _stored_rows()
    print(f"rows with a stored CRC-32: {rows['stored']} of {rows['total']} files")

    def sessions():
        return (TrainingSession.objects.filter(Q(pk=model.pk) | Q(pk__gt=last_before))
                .order_by("pk").iterator(50))  # fmt: skip

    def ours():
        return sum(len(c) for c in AuditExport(sessions(), user=staff).render())

    def stdlib():
        import zipfile

        from django.core.files.storage import default_storage

        export = AuditExport(sessions(), user=staff)
        sink = _Counter()
        with zipfile.ZipFile(sink, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
            for session in export._sessions():
                for m in export.members_for(session):
                    if m.content is not None:
                        archive.writestr(m.path, m.content)
                    else:
                        archive.write(default_storage.path(m.storage_name), m.path)
        return sink.size

    def measure(fn, memory=False):
        """Seconds, bytes and queries; with `memory`, the peak of Python allocations instead of
        the time (tracemalloc slows every allocation down: never both in one run)."""
        queries = 0

        def count(execute, sql, params, many, context):
            nonlocal queries
            queries += 1
            return execute(sql, params, many, context)

        if memory:
            tracemalloc.start()
        start = time.perf_counter()
        with connection.execute_wrapper(count):
            size = fn()
        elapsed = time.perf_counter() - start
        peak = 0
        if memory:
            peak = tracemalloc.get_traced_memory()[1]
            if os.environ.get("BENCH_TOP"):  # what is still allocated at the end
                for stat in tracemalloc.take_snapshot().statistics("lineno")[:6]:
                    print(stat)
            tracemalloc.stop()
        return elapsed, size, queries, peak

    if os.environ.get("BENCH_PROFILE"):  # BENCH_PROFILE=ours, legacy or stdlib
        import cProfile
        import pstats

        if os.environ["BENCH_PROFILE"] == "legacy":
            _clear_crc()
        profile = cProfile.Profile()
        profile.runcall(stdlib if os.environ["BENCH_PROFILE"] == "stdlib" else ours)
        pstats.Stats(profile).sort_stats(os.environ.get("BENCH_SORT", "tottime")).print_stats(40)
        return
    writers = {"stdlib": stdlib, "ours": ours, "ours, legacy rows": ours}
    results: dict[str, list] = {name: [] for name in writers}
    peaks: dict[str, int] = {}
    for round_ in range(ROUNDS + 1):  # the last round measures memory, not time
        for name, fn in writers.items():
            if name.endswith("legacy rows"):
                _clear_crc()
            if round_ < ROUNDS:
                results[name].append(measure(fn))
            else:
                peaks[name] = measure(fn, memory=True)[3]
            if name.endswith("legacy rows"):
                _restore_crc()
    base = statistics.median(r[0] for r in results["stdlib"])
    print(f"sessions: {n}")
    print(f"| writer | seconds (median of {ROUNDS}) | MiB | queries | peak Python MiB "
          "| speed vs stdlib |")  # fmt: skip
    print("|---|---|---|---|---|---|")
    for name, runs in results.items():
        elapsed = statistics.median(r[0] for r in runs)
        size, queries = runs[0][1], runs[0][2]
        print(f"| {name} | {elapsed:.2f} | {size / 1024 / 1024:.1f} | {queries} | "
              f"{peaks[name] / 1024 / 1024:.1f} | {base / elapsed:.2f}× |")  # fmt: skip


class _Counter:
    """A write-only, unseekable sink that counts bytes (as an HTTP response is)."""

    def __init__(self):
        self.size = 0

    def write(self, data) -> int:
        self.size += len(data)
        return len(data)

    def flush(self) -> None:
        pass


_SAVED: dict = {}
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))


def _file_models():
    from billing.models import Invoice
    from documents.models import Document
    from funding.models import PecUpload
    from sessions.models import AttendanceScan

    return [Document, AttendanceScan, PecUpload, Invoice]


def _stored_rows() -> dict:
    total = stored = 0
    for model in _file_models():
        if not hasattr(model, "crc32"):
            total += model.objects.count()
            continue
        total += model.objects.count()
        stored += model.objects.filter(crc32__isnull=False).count()
    return {"total": total, "stored": stored}


def _clear_crc() -> None:
    for model in _file_models():
        if hasattr(model, "crc32"):
            _SAVED[model] = dict(model.objects.values_list("pk", "crc32"))
            model.objects.update(crc32=None)


def _restore_crc() -> None:
    for model, saved in _SAVED.items():
        by_crc: dict = {}
        for pk, crc in saved.items():
            by_crc.setdefault(crc, []).append(pk)
        for crc, pks in by_crc.items():
            model.objects.filter(pk__in=pks).update(crc32=crc)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
