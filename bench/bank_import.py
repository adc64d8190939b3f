"""Benchmark: match a bank statement of N lines against N open invoices; report the time of
`billing.services.bank_statement_parse` (it must grow linearly, not with lines × invoices).

    .venv/bin/python bench/bank_import.py [SIZES=1000,4000] [REPEAT=3]

Uses a scratch database "ganapati_bench_bank" on the local PostgreSQL (127.0.0.1:5432, user
postgres), dropped and created again. Each size gets N issued invoices (a third of them partly
paid) and a statement of N credits: a third naming an invoice in the label, a third paying
the exact balance of one invoice, a third matching nothing. The best of REPEAT runs is shown.
"""

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DB_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/ganapati_bench_bank"
)


def setup_django():
    os.environ.update(DJANGO_SETTINGS_MODULE="ganapati.settings", DEBUG="1", DATABASE_URL=DB_URL,
                      LOG_LEVEL="WARNING", CONN_MAX_AGE="0")  # fmt: skip
    os.environ.pop("CELERY_BROKER_URL", None)
    import django

    django.setup()


def make_invoices(n: int, session, staff) -> list:
    from decimal import Decimal

    from django.utils import timezone

    from billing.models import Invoice, Payment

    Payment.objects.all().delete()
    # Credit notes first: they protect the invoice they credit (the demo makes one).
    Invoice.objects.filter(credited_invoice__isnull=False).delete()
    Invoice.objects.all().delete()
    today = timezone.localdate()
    invoices = Invoice.objects.bulk_create(
        Invoice(session=session, payer_kind="company", buyer_name=f"Client {i}", buyer_address="-",
                description="Formation", status="issued",
                number=f"F-2026-{i:06d}", issue_date=today, due_date=today,
                total_excl_tax=Decimal(1000 + i) + Decimal("0.50"), vat_amount=Decimal("0"),
                total_incl_tax=Decimal(1000 + i) + Decimal("0.50"),
                service_start=today, service_end=today)
        for i in range(1, n + 1)
    )  # fmt: skip
    Payment.objects.bulk_create(
        Payment(invoice=inv, amount=Decimal("100"), paid_on=today, payer="Acompte",
                recorded_by=staff)
        for inv in invoices[::3]
    )  # fmt: skip
    return invoices


def statement(invoices) -> list[str]:
    lines = ["date;montant;libellé;payeur\n"]
    for i, inv in enumerate(invoices):
        paid = 100 if i % 3 == 0 else 0
        balance = f"{inv.total_incl_tax - paid}".replace(".", ",")
        if i % 3 == 0:
            lines.append(f"02/12/2026;{balance};VIR SEPA REF {inv.number} CLIENT {i};Client {i}\n")
        elif i % 3 == 1:
            lines.append(f"02/12/2026;{balance};VIREMENT CLIENT {i};Client {i}\n")
        else:
            lines.append(f"02/12/2026;12,34;PRLV INCONNU {i};Inconnu\n")
    return lines


def main(sizes: list[int], repeat: int) -> None:
    import psycopg

    admin = DB_URL.rsplit("/", 1)[0] + "/postgres"
    name = DB_URL.rsplit("/", 1)[1]
    with psycopg.connect(admin.replace("postgres://", "postgresql://"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    setup_django()
    from django.core.management import call_command

    from billing.services import bank_statement_parse
    from ganapati.models import User
    from sessions.models import TrainingSession

    call_command("migrate", verbosity=0)
    call_command("demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    session = TrainingSession.objects.first()
    staff = User.objects.get(email="staff@demo.ganapati.fr")
    print(f"{'lines':>6} × {'invoices':<8} {'best (s)':>9} {'matched':>8}")
    for n in sizes:
        invoices = make_invoices(n, session, staff)
        lines = statement(invoices)
        best, matched = float("inf"), 0
        for _ in range(repeat):
            start = time.perf_counter()
            proposals, errors = bank_statement_parse(lines)
            best = min(best, time.perf_counter() - start)
            matched = sum(1 for p in proposals if p["invoice"] is not None)
        assert not errors, errors[:3]
        print(f"{n:>6} × {n:<8} {best:>9.3f} {matched:>8}")


if __name__ == "__main__":
    main([int(x) for x in (sys.argv[1] if len(sys.argv) > 1 else "1000,4000").split(",")],
         int(sys.argv[2]) if len(sys.argv) > 2 else 3)  # fmt: skip
