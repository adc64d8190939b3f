"""Lists cost the same number of queries whatever their length: no query per row (issue 17).

Each list is read with a few rows, then with many more; the second reading may not run more
queries than a fixed bound, and not more than the first one."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from billing.models import Invoice, Payment
from sessions.models import Programme, Trainee

from .conftest import login
from .factories import TRAINING, TrainingSessionFactory, next_monday

pytestmark = pytest.mark.django_db


def make_sessions(trainer, contact, staff, n, start=0):
    today = timezone.localdate()
    for i in range(start, start + n):
        monday = next_monday() + dt.timedelta(days=7 * i)
        programme = Programme.objects.create(trainer=trainer, **{**TRAINING, "title": f"P{i}"})
        session = TrainingSessionFactory(
            trainer=trainer, programme=programme, company=contact.company, contact=contact,
            days=[monday, monday + dt.timedelta(days=1)],
        )  # fmt: skip
        for k in range(3):
            Trainee.objects.create(session=session, first_name=f"S{k}", last_name="Martin",
                                   email=f"s{k}.{i}@exemple.fr", position=k)  # fmt: skip
        invoice = issued_invoice(session, f"Client {i}", f"F-2026-{i + 1:06d}", today)
        Payment.objects.create(invoice=invoice, amount=Decimal("100"), paid_on=today,
                               payer="Acompte", recorded_by=staff)  # fmt: skip


def issued_invoice(session, buyer: str, number: str, day) -> Invoice:
    """An issued invoice of 1 000 € dated `day` (setup: written directly, not issued)."""
    return Invoice.objects.create(
        session=session, payer_kind="company", buyer_name=buyer, buyer_address="-",
        description="Formation", status="issued", number=number, issue_date=day, due_date=day,
        total_excl_tax=Decimal("1000.00"), vat_amount=Decimal("0"),
        total_incl_tax=Decimal("1000.00"), service_start=day, service_end=day,
    )  # fmt: skip


def queries_for(client, url, django_assert_max_num_queries, bound):
    with django_assert_max_num_queries(bound) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return response, len(captured)


PAGES = [
    # (who, url, bound)
    # The page's rows, their dates and trainee counts in one query (was 10 and 9, issue 17).
    ("trainer", "/formateur/", 8),
    ("client", "/client/", 7),
    (None, "/programmes/", 6),
    ("staff", "/admin/billing/invoice/", 14),
    ("staff", "/admin/training_sessions/trainingsession/", 14),
    ("staff", "/admin/training_sessions/programme/", 12),
    ("staff", "/admin/ganapati/user/", 12),
    ("staff", "/admin/ganapati/auditevent/", 12),
]


@pytest.mark.parametrize(("who", "url", "bound"), PAGES)
def test_a_list_runs_the_same_queries_for_3_rows_and_for_25(
    client, who, url, bound, trainer, client_user, staff, organisation, funders,
    django_assert_max_num_queries,
):  # fmt: skip
    if who:
        login(client, {"trainer": trainer, "client": client_user, "staff": staff}[who])
    make_sessions(trainer, client_user, staff, 3)
    _, few = queries_for(client, url, django_assert_max_num_queries, bound)
    make_sessions(trainer, client_user, staff, 22, start=3)
    response, many = queries_for(client, url, django_assert_max_num_queries, bound)
    assert many <= few, f"{url}: {few} queries for 3 rows, {many} for 25"
    assert response.content  # rendered


def test_the_admin_invoice_list_shows_each_balance(client, trainer, client_user, staff, funders):
    login(client, staff)
    make_sessions(trainer, client_user, staff, 2)
    page = client.get("/admin/billing/invoice/").content.decode()
    # 1 000,00 € invoiced, 100 € paid on each: a balance of 900.
    assert page.count("900,00") + page.count("900.00") == 2


def test_the_dashboard_shows_dates_and_trainee_counts_of_its_page(client, trainer, client_user,
                                                                  staff, funders):  # fmt: skip
    login(client, trainer)
    make_sessions(trainer, client_user, staff, 1)
    page = client.get("/formateur/").content.decode()
    monday = next_monday()
    expected = f"{monday:%d/%m/%Y} → {monday + dt.timedelta(days=1):%d/%m/%Y}"
    assert expected in page
    assert "<dt>Stagiaires</dt><dd>3</dd>" in page


def test_the_catalogue_is_paginated(client, trainer, client_user, staff, funders):
    make_sessions(trainer, client_user, staff, 31)
    first = client.get("/programmes/").content.decode()
    assert first.count('class="session-item"') == 30
    assert "Page 1 sur 2" in first
    second = client.get("/programmes/?page=2").content.decode()
    assert second.count('class="session-item"') == 1
    assert client.get("/programmes/?page=zzz").status_code == 200


def test_pages_read_the_organisation_once_and_see_its_change(
    client, organisation, django_assert_max_num_queries
):
    from ganapati.selectors import organisation_for_pages

    client.get("/programmes/")  # the process reads the identity once...
    with django_assert_max_num_queries(0):
        assert organisation_for_pages().legal_name == organisation.legal_name
    organisation.legal_name = "Nouvelle Raison Sociale SAS"
    organisation.save()  # ...and forgets it when it changes
    assert "Nouvelle Raison Sociale SAS" in client.get("/programmes/").content.decode()


def test_the_audit_export_fetches_its_sessions_pieces_in_bulk(
    trainer, client_user, staff, organisation, django_capture_on_commit_callbacks
):
    """One query per session and per piece before (7 003 for 1 000 sessions): now the same
    number of queries for one paid session as for three."""
    import io
    import zipfile

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from billing.exports import AuditExport
    from sessions.models import TrainingSession

    from .test_billing import paid_session

    def export(ids):
        sessions = TrainingSession.objects.filter(pk__in=ids).order_by("pk").iterator(50)
        with CaptureQueriesContext(connection) as captured:
            data = b"".join(AuditExport(sessions, user=staff).render())
        return zipfile.ZipFile(io.BytesIO(data)).namelist(), len(captured)

    ids = [paid_session(trainer, client_user, staff, django_capture_on_commit_callbacks).pk
           for _ in range(3)]  # fmt: skip
    names_one, queries_one = export(ids[:1])
    names_three, queries_three = export(ids)
    assert queries_three <= queries_one, (queries_one, queries_three)
    # Every piece is still there: three sessions' folders, each with what one had.
    assert len(names_three) - 1 == 3 * (len(names_one) - 1)


def test_templates_are_compiled_once_per_process():
    """Django's cached loader (on whenever TEMPLATES sets no "loaders"): a template is parsed
    once per process, not at every request."""
    from django.template import engines
    from django.template.loaders.cached import Loader

    engine = engines["django"].engine
    assert isinstance(engine.template_loaders[0], Loader)
    first = engine.get_template("sessions/catalogue.html")
    assert engine.get_template("sessions/catalogue.html") is first  # compiled once, kept


def running_session(trainer, client_user, trainees, days):
    """A running session of `trainees` × `days` (two half-days each), the clock on its last
    evening."""
    from sessions.models import TrainingSession
    from tests import clock

    from .factories import attach_client

    start = next_monday()
    session = attach_client(
        TrainingSessionFactory(
            trainer=trainer, trainees_max=trainees, duration_minutes=days * 7 * 60,
            days=[start + dt.timedelta(days=i) for i in range(days)],
        ),
        client_user, trainees=trainees,
    )  # fmt: skip
    TrainingSession.objects.filter(pk=session.pk).update(
        status="running", validated_at=session.created_at
    )
    clock.after(session)
    return session


def attendance_queries(client, session, django_assert_max_num_queries, bound):
    """Queries to save one half-day of the grid, to show the page, and the completion page."""
    from django.urls import reverse

    login(client, session.trainer)  # after the clock moved to the session's end
    url = reverse("session_attendance", args=[session.pk])
    trainees = list(session.trainees.all())
    day = session.days.order_by("date").last()
    present = [str(t.pk) for t in trainees[1:]]  # the first trainee is absent
    with django_assert_max_num_queries(bound) as saved:
        response = client.post(url, {"half_day": f"{day.pk}-pm", "present": present})
    assert response.status_code == 302 and response.url.startswith(url)
    with django_assert_max_num_queries(bound) as shown:
        shown_page = client.get(url)
    assert shown_page.status_code == 200, shown_page
    assert shown_page.content.decode().count("— enregistrée") == 1
    with django_assert_max_num_queries(bound) as completion:
        done = client.get(reverse("session_complete", args=[session.pk]))
    assert done.status_code == 200
    # 3 h 30 attended by every trainee but the first.
    assert done.content.decode().count("3 h 30") == len(trainees) - 1
    return len(saved), len(shown), len(completion)


def complete_queries(client, session, django_assert_max_num_queries, bound):
    """Queries to declare the end (every half-day recorded): results and documents asked."""
    from django.urls import reverse

    from documents.models import Document
    from sessions import services

    trainees = list(session.trainees.all())
    present = {(t.pk, d.pk, h) for t in trainees[1:] for d in session.days.all()
               for h in ("am", "pm")}  # fmt: skip
    services.attendance_record(session=session, actor=session.trainer, present=present)
    from sessions.quality import objectives_of

    data = {f"acquired-{t.pk}": "yes" for t in trainees}
    data.update({f"obj-{t.pk}-{i}": "acquired" for t in trainees
                 for i in range(len(objectives_of(session)))})  # fmt: skip
    with django_assert_max_num_queries(bound) as captured:
        response = client.post(reverse("session_complete", args=[session.pk]), data)
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.status == "completed"
    # The first trainee, absent throughout, gets no certificate; each other one gets two papers.
    documents = Document.objects.for_owner(session).filter(kind__in=["certificat", "attestation"])
    assert documents.count() == 2 * (len(trainees) - 1)
    assert not documents.filter(subject_id=trainees[0].pk).exists()
    assert set(documents.values_list("version", flat=True)) == {1}
    return len(captured.captured_queries)


def test_attendance_and_completion_cost_the_same_queries_for_3x2_and_12x5(
    client, trainer, client_user, organisation, funders, django_assert_max_num_queries
):
    small = running_session(trainer, client_user, trainees=3, days=2)
    few = attendance_queries(client, small, django_assert_max_num_queries, 25)
    large = running_session(trainer, client_user, trainees=12, days=5)
    many = attendance_queries(client, large, django_assert_max_num_queries, 25)
    assert many <= few, f"save, page, completion: {few} for 3 × 2, {many} for 12 × 5"


def test_declaring_the_end_costs_the_same_queries_for_3_trainees_and_12(
    client, trainer, client_user, organisation, funders, django_assert_max_num_queries
):
    """One UPDATE per trainee and two or three queries per document before (certificate and
    attestation for each trainee): now a fixed number."""
    small = running_session(trainer, client_user, trainees=3, days=2)
    login(client, trainer)
    few = complete_queries(client, small, django_assert_max_num_queries, 60)
    large = running_session(trainer, client_user, trainees=12, days=5)
    login(client, trainer)
    many = complete_queries(client, large, django_assert_max_num_queries, 60)
    assert many <= few, f"{few} queries for 3 trainees, {many} for 12"


def test_issuing_an_invoice_writes_three_rows_and_reads_the_same_for_2_or_4_trainees(
    trainer, client_user, organisation, staff, django_capture_on_commit_callbacks
):
    """Issue 17: 11 statements to number and issue an invoice (a savepoint, get_or_create and
    a locked read of the counter, its update, the invoice's update, another for its queueing
    time...). Now, once the year's counter exists: one UPDATE … RETURNING of the counter, the
    invoice's update (with its queueing time), the audit event; and the checks before the
    issue read the same number of rows whatever the number of trainees."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from billing import services

    from .test_billing import completed_session

    drafts = []
    for trainees in (2, 4):
        session = completed_session(trainer, client_user, trainees=trainees)
        drafts += services.invoices_prepare(session=session, actor=staff)
    counts, numbers = [], []
    for invoice in drafts:  # issued the same day: one series
        with CaptureQueriesContext(connection) as captured:
            issued = services.invoice_issue(invoice=invoice, actor=staff)
        sql = [q["sql"] for q in captured.captured_queries]
        writes = [s for s in sql if s.split()[0].upper() in ("INSERT", "UPDATE", "DELETE")]
        counter = [s for s in writes if "billing_numbersequence" in s]
        others = [s.split()[0].upper() for s in writes if "billing_numbersequence" not in s]
        assert others == ["UPDATE", "INSERT"], sql  # the invoice, the audit event
        counts.append(len(sql))
        numbers.append(issued.number)
        issued.refresh_from_db()
        assert issued.status == "issued" and issued.queued_at is not None
    assert len(counter) == 1, counter  # the second one: the counter exists, one write
    assert counts[1] <= counts[0], counts
    # The check computed the funding split three times and read the trainees and days 5-6
    # times each: 48 statements for the second invoice; then 24 (the savepoint and its
    # release, 19 reads, 3 writes); now 21: the realised minutes read the days and trainees the
    # issue has prefetched, the certificates are read without their trainees.
    assert counts[1] <= 21, sql
    year = timezone.localdate().year
    assert numbers == [f"F-{year}-000001", f"F-{year}-000002"]


def _queue_rows(trainer, contact, i: int) -> list[str]:
    """One row in each queue of the staff home (PEC to check, session to invoice, overdue
    invoice, payout to make, failed e-mail); returns the lines the home must show for them."""
    from billing.models import Payout
    from funding.models import FundingRequest
    from ganapati.models import OutgoingEmail
    from sessions.models import TrainingSession

    from .factories import attach_client

    now, yesterday = timezone.now(), timezone.localdate() - dt.timedelta(days=1)
    pec, done, billed, paid = (
        attach_client(TrainingSessionFactory(trainer=trainer, title=f"Q{i}-{k}"), contact)
        for k in range(4)
    )
    TrainingSession.objects.filter(pk=pec.pk).update(status="validated", validated_at=now)
    TrainingSession.objects.filter(pk=done.pk).update(  # setup only
        status="completed", validated_at=now, completed_at=now
    )
    FundingRequest.objects.create(session=pec, funder=pec.funder, status="uploaded",
                                  decision="total", amount_granted=Decimal("2800"),
                                  uploaded_at=now)  # fmt: skip
    invoice = issued_invoice(billed, f"Acheteur {i}", f"F-2026-{900 + i:06d}", yesterday)
    Payout.objects.create(session=paid, trainer=trainer, collected=Decimal("1000.00"),
                          commission_rate=Decimal("20"), commission=Decimal("200.00"),
                          amount=Decimal("800.00"))  # fmt: skip
    OutgoingEmail.objects.create(key=f"q{i}", subject=f"Sujet {i}", to=[f"q{i}@exemple.fr"],
                                 status="failed", template="billing_invoice",
                                 from_email="n@exemple.fr", body_text="…")  # fmt: skip
    company = contact.company.legal_name
    return [
        f"{pec.reference} — {company} — {pec.funder.name}",
        f"{done.reference} — {done.title} — {company}",
        f"{invoice.number} — Acheteur {i} — échue le {yesterday:%d/%m/%Y}",
        f"{paid.reference} — {trainer.get_full_name()}",
        f"Sujet {i} → q{i}@exemple.fr",
    ]


def test_the_staff_work_queue_runs_the_same_queries_for_one_row_per_queue_and_five(
    client, trainer, client_user, staff, organisation, funders, django_assert_max_num_queries
):
    from django.utils.html import escape

    login(client, staff)
    # Empty queues are counted, their rows not read: 6 queries fewer than with a row in each.
    queries_for(client, "/admin/", django_assert_max_num_queries, 15)
    lines = _queue_rows(trainer, client_user, 0)
    response, few = queries_for(client, "/admin/", django_assert_max_num_queries, 21)
    page = response.content.decode()
    assert [line for line in lines if escape(line) not in page] == []
    for i in range(1, 5):
        lines += _queue_rows(trainer, client_user, i)
    response, many = queries_for(client, "/admin/", django_assert_max_num_queries, 21)
    page = response.content.decode()
    assert many <= few, f"{few} queries for one row per queue, {many} for five"
    assert [line for line in lines if escape(line) not in page] == []


def test_a_certificate_is_rendered_with_its_trainee_taken_from_the_sessions_trainees(
    trainer, client_user, organisation
):
    """The worker reads the session with its days and trainees and finds the certificate's
    trainee among them: no query for the trainee alone, the same count for 2 trainees and 4."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from documents.models import Document
    from documents.services import document_render, document_request

    from .test_billing import completed_session

    counts = []
    for trainees in (2, 4):
        session = completed_session(trainer, client_user, trainees=trainees)
        certificate = document_request(  # a new version, pending (no worker runs in the test)
            owner=session, kind="certificat", subject=session.trainees.last(), source="test"
        )
        assert certificate.status == Document.Status.PENDING
        with CaptureQueriesContext(connection) as captured:
            assert document_render(document_id=certificate.pk) == "ready"
        by_id = [q["sql"] for q in captured.captured_queries
                 if 'FROM "training_sessions_trainee" WHERE "training_sessions_trainee"."id" ='
                 in q["sql"]]  # fmt: skip
        assert by_id == [], by_id
        counts.append(len(captured))
    assert counts[1] == counts[0], counts
