"""Benchmark: issue N invoices from P concurrent processes on PostgreSQL; report throughput,
gaps and duplicates in the numbering (both must be 0).

    .venv/bin/python bench/invoices.py [N=1000] [P=8]

Uses a scratch database "ganapati_bench" on the local PostgreSQL (127.0.0.1:5432, user
postgres), dropped and created again. Only the numbering is measured: rendering the PDF is a
separate task, switched off here.
"""

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DB_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/ganapati_bench")


def setup_django():
    os.environ.update(DJANGO_SETTINGS_MODULE="ganapati.settings", DEBUG="1", DATABASE_URL=DB_URL,
                      LOG_LEVEL="WARNING", CONN_MAX_AGE="0")  # fmt: skip
    os.environ.pop("CELERY_BROKER_URL", None)
    import django

    django.setup()


def worker(ids: list[int]) -> None:
    setup_django()
    from billing import services
    from billing.models import Invoice
    from ganapati.models import User

    services._queue_render = lambda invoice: None  # numbering only
    actor = User.objects.get(email="staff@demo.ganapati.fr")
    for pk in ids:
        services.invoice_issue(invoice=Invoice(pk=pk), actor=actor)


def main(n: int, processes: int) -> None:
    import psycopg

    admin = DB_URL.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin.replace("postgres://", "postgresql://"), autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS ganapati_bench")
        conn.execute("CREATE DATABASE ganapati_bench")
    setup_django()
    from decimal import Decimal

    from django.core.management import call_command
    from django.utils import timezone

    from billing.models import Invoice
    from sessions.models import TrainingSession

    call_command("migrate", verbosity=0)
    call_command("demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    session = TrainingSession.objects.first()
    today = timezone.localdate()
    drafts = Invoice.objects.bulk_create(
        Invoice(session=session, payer_kind="company", buyer_name="Bench", buyer_address="-",
                description="Formation",
                total_excl_tax=Decimal("100"), vat_amount=Decimal("0"),
                total_incl_tax=Decimal("100"), service_start=today, service_end=today)
        for _ in range(n)
    )  # fmt: skip
    ids = [d.pk for d in drafts]
    chunks = [ids[i::processes] for i in range(processes)]
    start = time.perf_counter()
    procs = [
        subprocess.Popen([sys.executable, __file__, "--worker", ",".join(map(str, chunk))])  # noqa: S603
        for chunk in chunks
    ]
    codes = [p.wait() for p in procs]
    elapsed = time.perf_counter() - start
    numbers = list(Invoice.objects.exclude(number=None).values_list("number", flat=True))
    values = sorted(int(x.rsplit("-", 1)[1]) for x in numbers)
    duplicates = len(values) - len(set(values))
    gaps = (values[-1] - len(set(values))) if values else 0
    print(f"processes: {processes}, exit codes: {codes}")
    print(f"invoices issued: {len(numbers)} / {n} in {elapsed:.2f} s "
          f"({len(numbers) / elapsed:.0f} per second)")  # fmt: skip
    print(f"numbers from {values[0]} to {values[-1]}: gaps {gaps}, duplicates {duplicates}")


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--worker":
        worker([int(x) for x in sys.argv[2].split(",") if x])
    else:
        main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000,
             int(sys.argv[2]) if len(sys.argv) > 2 else 8)  # fmt: skip
