"""Benchmark: stream the audit ZIP of N sessions; report time, ZIP size and peak memory.

    .venv/bin/python bench/audit_export.py [N=1000]

Builds N completed-looking sessions in a scratch SQLite database, each with 6 documents
pointing at real PDFs in storage (rendered once, shared, as the export reads by name), then
streams the ZIP into a byte counter. Memory must not grow with N: run with N=100 and N=1000.
"""

import os
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
    model = TrainingSession.objects.get(status="completed")
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
                         subject_type_id=d.subject_type_id,
                         subject_id=mapping[d.subject_id].pk if d.subject_id else None)
                for d in docs
            )  # fmt: skip
    sessions = TrainingSession.objects.filter(status="completed").order_by("pk").iterator(50)
    tracemalloc.start()
    start = time.perf_counter()
    size = 0
    from ganapati.models import User

    staff = User.objects.filter(role="staff").first()
    for chunk in AuditExport(sessions, user=staff).render():
        size += len(chunk)
    elapsed = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    if os.environ.get("BENCH_TOP"):
        for stat in tracemalloc.take_snapshot().statistics("lineno")[:8]:
            print(stat)
    per_session = size / n
    print(f"sessions: {n}, ZIP: {size / 1024 / 1024:.1f} MiB ({per_session / 1024:.0f} KiB each)")
    print(f"time: {elapsed:.1f} s ({n / elapsed:.0f} sessions per second)")
    print(f"peak Python memory while streaming: {peak / 1024 / 1024:.1f} MiB")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
