"""Benchmark: what the garbage collector costs a document worker, with and without the freeze
of start-up objects that each Celery worker process makes (ganapati.celery.
freeze_startup_objects, issue 17).

Each mode runs in a process of its own, twice, alternated (plain, frozen, plain, frozen): a
fresh SQLite database in a temporary folder, the demo data, Django set up as in a worker; the
frozen mode calls the worker's own function before any rendering. Then N documents of one kind
go through the whole pipeline (a version asked for in a transaction, rendered by the task at
the commit, as bench/documents.py does), after 3 to warm up. Prints, per document, the
processor time and the time spent in collections of each generation (gc.callbacks).

    .venv/bin/python bench/gc_worker.py [N=60] [KIND=emargement]
"""

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(mode: str, n: int, kind: str) -> None:
    import gc

    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "bench"))
    from benchdb import sqlite_in_process

    sqlite_in_process("ganapati-bench-gc-")  # tasks in process, at the commit
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import transaction

    call_command("migrate", verbosity=0)
    call_command("demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    from documents import services
    from sessions.documents import PER_TRAINEE
    from sessions.models import TrainingSession

    if mode == "frozen":
        from ganapati.celery import freeze_startup_objects

        freeze_startup_objects()
    session = TrainingSession.objects.filter(trainees__isnull=False).order_by("pk").first()
    subject = session.trainees.first() if kind in PER_TRAINEE else None
    spent: dict = {}
    started: list[float] = []

    def callback(phase, info):
        if phase == "start":
            started.append(time.perf_counter())
        elif started:
            generation = info["generation"]
            spent[generation] = spent.get(generation, 0.0) + time.perf_counter() - started.pop()

    def document(i):
        with transaction.atomic():
            services.document_request(owner=session, kind=kind, subject=subject,
                                      source=f"bench.gc.{i}")  # fmt: skip

    for i in range(3):
        document(f"warm-{i}")
    gc.callbacks.append(callback)
    start = time.process_time()
    for i in range(n):
        document(i)
    cpu = (time.process_time() - start) / n * 1000
    gc.callbacks.remove(callback)
    collections = "  ".join(f"gen{g} {spent.get(g, 0.0) / n * 1000:5.2f} ms" for g in (0, 1, 2))
    print(f"{mode:<7} {cpu:7.1f} ms of processor per document; in collections: {collections}; "
          f"frozen objects {gc.get_freeze_count()}", flush=True)  # fmt: skip


def main(n: int, kind: str) -> None:
    print(f"{n} documents « {kind} » per run, each run a fresh process")
    for mode in ("plain", "frozen", "plain", "frozen"):
        subprocess.run([sys.executable, __file__, "--run", mode, str(n), kind], check=True)  # noqa: S603


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--run":
        run(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    else:
        main(int(sys.argv[1]) if len(sys.argv) > 1 else 60,
             sys.argv[2] if len(sys.argv) > 2 else "emargement")  # fmt: skip
