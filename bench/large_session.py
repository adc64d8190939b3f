"""Benchmark: the largest session the forms allow (MAX_TRAINEES × MAX_DAYS), step by step.

    .venv/bin/python bench/large_session.py [trainees=100] [days=60] [--all-certificates]

Creates the session through the services (create, schedule, client details, validation,
funding, start, attendance, completion) in a scratch SQLite database, the clock moved to each
step's date, and times each step a trainer or a worker waits for:
- the web part of each service (what the page waits for: tasks are queued, not run);
- the worker part: each document rendered (validation pack, attendance sheet of trainees ×
  half-days, signed sheet, certificates: one of each kind, all of them with --all-certificates);
- the pages: attendance (GET, one half-day POST), completion (GET, POST).
Prints a table; the figures of a run go to bench/results/.
"""

import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TMP = tempfile.mkdtemp(prefix="ganapati-bench-large-")
os.environ.update(DJANGO_SETTINGS_MODULE="ganapati.settings", DEBUG="0", SECRET_KEY="bench-" * 10,
                  ALLOWED_HOSTS="localhost,testserver", GANAPATI_VAR_DIR=TMP,
                  DATABASE_URL=f"sqlite:///{TMP}/bench.sqlite3", LOG_LEVEL="WARNING")  # fmt: skip
os.environ.pop("CELERY_BROKER_URL", None)

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402

# Pages render without a collectstatic run (the deployed manifest storage needs one).
settings.STORAGES = {**settings.STORAGES, "staticfiles": {
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # fmt: skip

ROWS: list[tuple[str, float, str]] = []


def timed(label: str, fn, note: str = ""):
    start = time.perf_counter()
    result = fn()
    ROWS.append((label, time.perf_counter() - start, note))
    print(f"{label}: {ROWS[-1][1]:.2f} s {note}", flush=True)
    return result


def web_part(fn):
    """Run a service as a page does, its tasks collected instead of run (a worker's part)."""
    from django.db import connection, transaction

    with transaction.atomic():
        result = fn()
        # Drop the on-commit callbacks (task sends): the worker's part is timed on its own.
        connection.run_on_commit = []
    return result


def render_pending(owner, kinds=None, limit=None) -> dict[str, list[float]]:
    from documents.models import Document
    from documents.services import document_render

    times: dict[str, list[float]] = {}
    pending = Document.objects.for_owner(owner).filter(status="pending").order_by("pk")
    if kinds:
        pending = pending.filter(kind__in=kinds)
    done: dict[str, int] = {}
    for document in pending:
        if limit is not None and done.get(document.kind, 0) >= limit:
            continue
        start = time.perf_counter()
        assert document_render(document_id=document.pk) == "ready", document.kind
        times.setdefault(document.kind, []).append(time.perf_counter() - start)
        done[document.kind] = done.get(document.kind, 0) + 1
    return times


def main(n_trainees: int, n_days: int, all_certificates: bool) -> None:
    import time_machine
    from django.core.management import call_command
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone

    from documents.models import Document
    from funding.models import FundingRequest
    from ganapati.models import Funder, User
    from sessions import services
    from sessions.models import Attendance, TrainingSession

    call_command("migrate", verbosity=0)
    call_command("demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    trainer = User.objects.filter(role="trainer").first()
    funder = Funder.objects.get(code="opcoep")
    for field, value in {"legal_name": "OPCO EP", "siren": "123456782",
                         "siret": "12345678200010", "billing_address": "1 rue, 75001 Paris",
                         "invoicing_email": "factures@opco.test"}.items():  # fmt: skip
        setattr(funder, field, value)
    funder.save()
    start = timezone.localdate() + dt.timedelta(days=14)
    dates = [start + dt.timedelta(days=i) for i in range(n_days)]
    session = services.session_create(trainer=trainer, values={
        "title": "Session de bench", "objectives": "Objectifs", "audience": "Managers",
        "prerequisites": "Aucun", "modules": [{"title": "Module", "details": "Détails"}],
        "methods": "Apports", "assessment": "Quiz", "accessibility_contact": "Contact",
        "duration_minutes": n_days * 7 * 60, "format": "on_site", "location": "Lyon",
        "price_excl_tax": "2800.00", "price_basis": "per_session", "trainees_max": n_trainees,
    })  # fmt: skip
    services.session_set_schedule(session=session, actor=trainer, days=[
        {"date": d, "morning_start": dt.time(9), "morning_end": dt.time(12, 30),
         "afternoon_start": dt.time(13, 30), "afternoon_end": dt.time(17)} for d in dates
    ])  # fmt: skip
    timed("client details (web part)", lambda: web_part(lambda: services.session_client_submit(
        session=session, actor=None,
        company={"siret": "73282932000074", "legal_name": "Client SA", "address": "1 rue",
                 "postal_code": "75001", "city": "Paris"},
        contact={"email": "contact@client.test", "first_name": "Anne", "last_name": "Client"},
        trainees=[{"first_name": f"Prénom{i}", "last_name": f"Nom{i}",
                   "email": f"stagiaire{i}@client.test"} for i in range(n_trainees)],
        funding_mode="opco_subrogation", funder=funder,
    )), f"{n_trainees} trainees")  # fmt: skip
    session = TrainingSession.objects.get(pk=session.pk)
    timed(
        "validate (web part)",
        lambda: web_part(lambda: services.session_validate(session=session, actor=trainer)),
    )
    times = timed("validation documents (worker)", lambda: render_pending(session))
    for kind, values in times.items():
        ROWS.append((f"  render {kind}", sum(values), ""))
    FundingRequest.objects.create(
        session=session, funder=funder, status="validated", decision="total",
        amount_granted="2800", minutes_granted=n_days * 7 * 60, subrogation=True,
        uploaded_at=timezone.now(), file_number="OPCOEP-42",
    )  # fmt: skip
    web_part(lambda: services.session_fund(session=session, actor=None))
    last = dt.datetime.combine(dates[-1], dt.time(18, 30), tzinfo=timezone.get_current_timezone())
    with time_machine.travel(last, tick=True):
        session = TrainingSession.objects.get(pk=session.pk)
        timed(
            "start (web part)",
            lambda: web_part(lambda: services.session_start(session=session, actor=trainer)),
        )
        times = timed("attendance sheet (worker)", lambda: render_pending(session))
        for kind, values in times.items():
            ROWS.append((f"  render {kind}", sum(values), f"{n_trainees} × {2 * n_days} cells"))
        client = Client()
        client.force_login(trainer)
        url = reverse("session_attendance", args=[session.pk])
        trainees = list(session.trainees.all())
        day = session.days.order_by("date").first()
        present = [str(t.pk) for t in trainees[1:]]
        response = timed("attendance: save one half-day (page POST)", lambda: client.post(
            url, {"half_day": f"{day.pk}-am", "present": present}, secure=True),
            f"{n_trainees} boxes")  # fmt: skip
        assert response.status_code == 302, response.status_code
        cells = {(t.pk, d.pk, h) for t in trainees[1:] for d in session.days.all()
                 for h in ("am", "pm")}  # fmt: skip
        timed("attendance: whole grid (service)", lambda: web_part(
            lambda: services.attendance_record(session=session, actor=trainer, present=cells)),
            f"{n_trainees * 2 * n_days} cells")  # fmt: skip
        assert Attendance.objects.filter(session=session).count() == n_trainees * 2 * n_days
        pages = [timed("attendance page (GET)", lambda: client.get(url, secure=True))
                 for _ in range(3)]  # fmt: skip
        assert pages[-1].status_code == 200
        complete = reverse("session_complete", args=[session.pk])
        assert (
            timed("completion page (GET)", lambda: client.get(complete, secure=True)).status_code
            == 200
        )
        # Every present trainee assessed objective by objective (the page refuses otherwise).
        from sessions.quality import objectives_of

        data = {f"acquired-{t.pk}": "yes" for t in trainees}
        data.update({f"obj-{t.pk}-{i}": "acquired" for t in trainees
                     for i in range(len(objectives_of(session)))})  # fmt: skip
        response = timed("completion (page POST, web part)", lambda: web_part(
            lambda: client.post(complete, data, secure=True)))  # fmt: skip
        assert response.status_code == 302, (
            response.status_code,
            response.content.decode().split('class="message error">')[-1][:300],
        )
        session.refresh_from_db()
        assert session.status == "completed"
        documents = Document.objects.for_owner(session).filter(
            kind__in=["certificat", "attestation"]
        )
        count = documents.count()
        if Document.objects.for_owner(session).filter(kind="emargement_signe").exists():
            timed("signed attendance sheet (worker)",
                  lambda: render_pending(session, ["emargement_signe"]),
                  f"{n_trainees} × {2 * n_days} slots, before the certificates that print "
                  "its hash")  # fmt: skip
        times = timed("certificates (worker)", lambda: render_pending(
            session, ["certificat", "attestation"], None if all_certificates else 2),
            f"{count} documents")  # fmt: skip
        for kind, values in times.items():
            each = statistics.median(values)
            ROWS.append((f"  render {kind} (median)", each,
                         f"× {count // 2} = {each * count / 2:.0f} s of worker time"))  # fmt: skip
    print()
    print(f"| step ({n_trainees} trainees × {n_days} days) | seconds | note |")
    print("|---|---|---|")
    for label, seconds, note in ROWS:
        print(f"| {label} | {seconds:.2f} | {note} |")


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    main(int(args[0]) if args else 100, int(args[1]) if len(args) > 1 else 60,
         "--all-certificates" in sys.argv)  # fmt: skip
