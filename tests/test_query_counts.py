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
        invoice = Invoice.objects.create(
            session=session, payer_kind="company", buyer_name=f"Client {i}", buyer_address="-",
            description="Formation", status="issued", number=f"F-2026-{i + 1:06d}",
            issue_date=today, due_date=today, total_excl_tax=Decimal("1000.00"),
            vat_amount=Decimal("0"), total_incl_tax=Decimal("1000.00"),
            service_start=today, service_end=today,
        )  # fmt: skip
        Payment.objects.create(invoice=invoice, amount=Decimal("100"), paid_on=today,
                               payer="Acompte", recorded_by=staff)  # fmt: skip


def queries_for(client, url, django_assert_max_num_queries, bound):
    with django_assert_max_num_queries(bound) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return response, len(captured)


PAGES = [
    # (who, url, bound)
    ("trainer", "/formateur/", 14),
    ("client", "/client/", 14),
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
