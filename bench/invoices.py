"""Benchmark: issue N invoices from P concurrent processes on PostgreSQL; report throughput,
gaps and duplicates in the numbering (both must be 0), beside a raw psycopg loop doing the same
locked-counter increment and update in the same run (the floor the service is compared with).

    .venv/bin/python bench/invoices.py [N=200] [P=8]
    .venv/bin/python bench/invoices.py --profile [N=50]   # one process: CPU and statements

Uses a scratch database on the local PostgreSQL (127.0.0.1:5432, user postgres), dropped and
created again: "ganapati_bench", or the one BENCH_DATABASE_URL names. Only the numbering is
measured: rendering the PDF is a separate task, switched off here.
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


def build_drafts(n: int) -> list:
    """n draft invoices the service will really issue (the pre-invoicing check and the
    e-invoicing rules pass): n completed sessions built through the services as the tests do
    (tests/test_billing.py::completed_session), invoices prepared by `invoices_prepare`. PDF
    rendering is replaced by a fixed PDF while building: it is not what is measured."""
    from unittest import mock

    from billing import services
    from ganapati.funders import load_funders
    from ganapati.models import Funder
    from tests import clock
    from tests.factories import ClientFactory, OrganisationFactory, StaffFactory, TrainerFactory
    from tests.pdf_corpus import plain
    from tests.test_billing import completed_session

    load_funders(Funder)
    OrganisationFactory()
    StaffFactory(email="staff@bench.test")
    fixed = plain()
    drafts = []
    with mock.patch("documents.pdf.render_pdf", lambda *a, **k: (None, None, fixed)):
        for i in range(n):
            trainer = TrainerFactory(email=f"trainer{i}@bench.test")
            client = ClientFactory(email=f"client{i}@bench.test")
            session = completed_session(trainer, client)
            clock.back()
            drafts.extend(services.invoices_prepare(session=session, actor=trainer))
    return drafts


def worker(ids: list[int]) -> None:
    setup_django()
    from billing import services
    from billing.models import Invoice
    from ganapati.models import User

    services._queue_render = lambda invoice, **kwargs: None  # numbering only
    actor = User.objects.get(email="staff@bench.test")
    # Compiled once per process (the XSD and the two schematrons, a few seconds): done before
    # "go", as a long-running web or Celery process has it done after its first invoice.
    from billing.einvoice import _compile

    _compile()
    # A long-running process has issued invoices before: its first issue (≈ 0.4 s here, the ORM's
    # and Saxon's first calls) is made and rolled back before "go" (no number is kept).
    from django.db import transaction

    class Warm(Exception):
        pass

    try:
        with transaction.atomic():
            services.invoice_issue(invoice=Invoice(pk=ids[0]), actor=actor)
            raise Warm
    except Warm:
        pass
    wait_for_go()
    started = time.process_time()
    for pk in ids:
        services.invoice_issue(invoice=Invoice(pk=pk), actor=actor)
    report_done(time.process_time() - started)


def raw_worker(ids: list[int]) -> None:
    """The floor: per invoice, one transaction locking the counter row, incrementing it and
    writing the number on the invoice; no Django, no checks."""
    import psycopg

    with psycopg.connect(DB_URL.replace("postgres://", "postgresql://")) as conn:
        wait_for_go()
        started = time.process_time()
        for pk in ids:
            with conn.transaction():
                (number,) = conn.execute(
                    "UPDATE billing_numbersequence SET last_number = last_number + 1 "
                    "WHERE series = 'RAW' RETURNING last_number"
                ).fetchone()
                conn.execute("UPDATE bench_raw SET number = %s WHERE id = %s", (number, pk))
        report_done(time.process_time() - started)


def run_processes(flag: str, ids: list[int], processes: int) -> tuple[float, list[int], float]:
    """Start the processes, wait until each is connected and ready, then time from "go" to the
    last one's "done", written when its last transaction has committed (interpreter start-up,
    Django set-up, each worker's warm-up issue, rolled back, and the processes' exit are not
    counted: with 8 processes the exit of the interpreters, Saxon's included, took ≈ 1 s after
    the last commit and was counted before). Returns the time, the exit codes and the
    processes' own processor time (client side: the database server's is not in it)."""
    chunks = [ids[i::processes] for i in range(processes)]
    procs = [
        subprocess.Popen(
            [sys.executable, __file__, flag, ",".join(map(str, chunk))],  # noqa: S603
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        for chunk in chunks
    ]
    for p in procs:
        assert p.stdout.readline().strip() == "ready"
    start = time.perf_counter()
    for p in procs:
        p.stdin.write("go\n")
        p.stdin.flush()
    cpu = 0.0
    for p in procs:
        line = p.stdout.readline().split()
        if not line or line[0] != "done":
            raise SystemExit(f"a worker stopped before its last issue (exit code {p.wait()})")
        cpu += float(line[1])
    elapsed = time.perf_counter() - start
    codes = [p.wait() for p in procs]
    return elapsed, codes, cpu


def report_done(cpu_seconds: float) -> None:
    print(f"done {cpu_seconds:.6f}", flush=True)


def wait_for_go() -> None:
    print("ready", flush=True)
    sys.stdin.readline()


def _admin(statement: str, *names: str, params: tuple = ()) -> list:
    """One statement on the server's "postgres" database; `names` quoted as identifiers."""
    import psycopg
    from psycopg import sql

    admin = DB_URL.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin.replace("postgres://", "postgresql://"), autocommit=True) as conn:
        cursor = conn.execute(sql.SQL(statement).format(*map(sql.Identifier, names)), params)
        return cursor.fetchall() if cursor.description else []


def drafts_database(n: int) -> list[int]:
    """A fresh database holding n draft invoices; their ids. Building them takes ~1-2 s each:
    with BENCH_REUSE=1 the database is copied from the one a previous run kept (a template
    "<name>_drafts<n>", made after each build), so that only the issuing is run again."""
    from django.db import connections

    name = DB_URL.rsplit("/", 1)[1]
    template = f"{name}_drafts{n}"
    reuse = os.environ.get("BENCH_REUSE") == "1" and _admin(
        "SELECT 1 FROM pg_database WHERE datname = %s", params=(template,)
    )
    _admin("DROP DATABASE IF EXISTS {}", name)
    if reuse:
        _admin("CREATE DATABASE {} TEMPLATE {}", name, template)
    else:
        _admin("CREATE DATABASE {}", name)
    setup_django()
    from django.core.management import call_command

    from billing.models import Invoice

    if not reuse:
        call_command("migrate", verbosity=0)
        started = time.perf_counter()
        built = build_drafts(n)
        print(f"{len(built)} draft invoices of {len(built)} completed sessions built "
              f"through the services in {time.perf_counter() - started:.0f} s")  # fmt: skip
        connections.close_all()
        _admin("DROP DATABASE IF EXISTS {}", template)
        _admin("CREATE DATABASE {} TEMPLATE {}", template, name)
    ids = list(Invoice.objects.filter(status=Invoice.Status.DRAFT).order_by("pk")
               .values_list("pk", flat=True))  # fmt: skip
    print(f"{len(ids)} draft invoices" + (f" (copied from {template})" if reuse else ""))
    # As the nightly task leaves them (billing.drafts_precheck): e-invoices checked for today's
    # date, so that a template built on another day measures the same issue.
    from billing.services import drafts_precheck

    print(f"drafts' e-invoices checked for today: {drafts_precheck()}")
    connections.close_all()
    return ids


def profile(n: int) -> None:
    """Where one issue's time goes, in one process, warm (the schemas compiled first): CPU ms
    per issue (whole, pre-invoicing check, e-invoice XML and validation) and SQL statements
    per issue (reads, writes), then the cProfile top functions."""
    import cProfile
    import pstats
    from collections import Counter

    ids = drafts_database(n)
    from django.db import connection

    from billing import einvoice, services
    from billing.models import Invoice
    from ganapati.models import User

    services._queue_render = lambda invoice, **kwargs: None  # numbering only
    actor = User.objects.get(email="staff@bench.test")
    einvoice._compile()
    statements: Counter = Counter()
    spent: Counter = Counter()

    def count(execute, sql, params, many, context):
        statements["write" if sql.split()[0].upper() in ("INSERT", "UPDATE", "DELETE")
                   else "read"] += 1  # fmt: skip
        return execute(sql, params, many, context)

    def timed(name, function):
        def wrapper(*args, **kwargs):
            started = time.process_time()
            try:
                return function(*args, **kwargs)
            finally:
                spent[name] += time.process_time() - started

        return wrapper

    services.pre_invoicing_check = timed("pre-invoicing check", services.pre_invoicing_check)
    services._check_einvoice = timed("e-invoice XML + validation", services._check_einvoice)
    einvoice.validate = timed("  of which validate (XSD + schematrons)", einvoice.validate)
    # 5 to warm up, half of the rest timed (no profiler), the other half under cProfile.
    warm, measured, profiled = ids[:5], ids[5 : 5 + (n - 5) // 2], ids[5 + (n - 5) // 2 :]
    for pk in warm:
        services.invoice_issue(invoice=Invoice(pk=pk), actor=actor)
    spent.clear()
    with connection.execute_wrapper(count):
        started = time.process_time()
        for pk in measured:
            services.invoice_issue(invoice=Invoice(pk=pk), actor=actor)
        total = time.process_time() - started
    k = len(measured)
    print(f"{k} issues, one process: {total / k * 1000:.1f} ms CPU per issue; "
          f"statements per issue: {statements['read'] / k:.1f} reads, "
          f"{statements['write'] / k:.1f} writes")  # fmt: skip
    for name, seconds in spent.items():
        print(f"  {name}: {seconds / k * 1000:.1f} ms")
    profiler = cProfile.Profile()
    profiler.enable()
    for pk in profiled:
        services.invoice_issue(invoice=Invoice(pk=pk), actor=actor)
    profiler.disable()
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)


def main(n: int, processes: int) -> None:
    ids = drafts_database(n)
    from django.db import connection

    from billing.models import Invoice

    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO billing_numbersequence (series, last_number) VALUES ('RAW', 0)")
        cursor.execute("CREATE TABLE bench_raw (id integer PRIMARY KEY, number integer)")
        cursor.execute("INSERT INTO bench_raw SELECT g, NULL FROM generate_series(1, %s) g", [n])
    raw_elapsed, raw_codes, _ = run_processes("--raw", list(range(1, n + 1)), processes)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(number), count(DISTINCT number), max(number) FROM bench_raw")
        raw_count, raw_distinct, raw_max = cursor.fetchone()
    print(f"raw psycopg loop: {raw_count} numbers in {raw_elapsed:.2f} s "
          f"({raw_count / raw_elapsed:.0f} per second), distinct {raw_distinct}, max {raw_max}, "
          f"exit codes {raw_codes}")  # fmt: skip
    elapsed, codes, cpu = run_processes("--worker", ids, processes)
    numbers = list(Invoice.objects.filter(pk__in=ids).exclude(number=None)
                   .values_list("number", flat=True))  # fmt: skip
    values = sorted(int(x.rsplit("-", 1)[1]) for x in numbers)
    duplicates = len(values) - len(set(values))
    gaps = (values[-1] - len(set(values))) if values else 0
    print(f"processes: {processes}, exit codes: {codes}")
    print(f"invoices issued: {len(numbers)} / {n} in {elapsed:.2f} s "
          f"({len(numbers) / elapsed:.0f} per second); processor time of the issuing "
          f"processes: {cpu / max(len(numbers), 1) * 1000:.1f} ms per invoice "
          f"(the database server's not included)")  # fmt: skip
    print(f"numbers from {values[0]} to {values[-1]}: gaps {gaps}, duplicates {duplicates}")
    print(f"ratio to the raw loop: {(len(numbers) / elapsed) / (raw_count / raw_elapsed):.2f}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--profile":
        profile(int(sys.argv[2]) if len(sys.argv) > 2 else 50)
    elif len(sys.argv) > 2 and sys.argv[1] == "--worker":
        worker([int(x) for x in sys.argv[2].split(",") if x])
    elif len(sys.argv) > 2 and sys.argv[1] == "--raw":
        raw_worker([int(x) for x in sys.argv[2].split(",") if x])
    else:
        main(int(sys.argv[1]) if len(sys.argv) > 1 else 200,
             int(sys.argv[2]) if len(sys.argv) > 2 else 8)  # fmt: skip
