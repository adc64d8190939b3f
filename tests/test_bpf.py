"""The BPF (cerfa 10443) of a realistic year, with every expected figure worked out by hand."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from billing import bpf, services
from billing.models import BpfReport, Invoice, InvoiceLine, Payout
from ganapati.errors import DomainError
from ganapati.models import Funder
from sessions.models import Attendance, SessionDay, Trainee
from sessions.selectors import realised_minutes

from .factories import TrainerFactory, TrainingSessionFactory

D = dt.date
_numbers = iter(range(1, 10_000))


def make_session(trainer, *, title, dates, trainees, nsf=(), objective="other", level="",
                 format="on_site", absent=()):  # fmt: skip
    """A session of full days (9:00–12:30, 13:30–17:00: 3 h 30 per half-day), its trainees
    (name, status), each present at every half-day but those listed in `absent`
    ((trainee index, date, "am"/"pm"))."""
    session = TrainingSessionFactory(
        trainer=trainer, title=title, days=dates, nsf_codes=list(nsf), bpf_objective=objective,
        rncp_level=level, format=format,
    )  # fmt: skip
    people = [
        Trainee.objects.create(session=session, first_name=name, last_name="Test",
                               email=f"{name.lower()}@exemple.fr", status=status, position=i)
        for i, (name, status) in enumerate(trainees)
    ]  # fmt: skip
    for day in session.days.all():
        for i, trainee in enumerate(people):
            for half in ("am", "pm"):
                Attendance.objects.create(session=session, trainee=trainee, day=day, half=half,
                                          present=(i, day.date, half) not in absent)  # fmt: skip
    return session


def issue(session, *, on, amount, payer="company", funder=None, credit_of=None, kind="training"):
    """An issued invoice (or credit note) of one line, as the billing services leave it."""
    invoice = Invoice.objects.create(
        kind="credit_note" if credit_of else "invoice", credited_invoice=credit_of,
        number=f"{'A' if credit_of else 'F'}-{on.year}-{next(_numbers):06d}",
        status="issued", session=session, payer_kind=payer, funder=funder,
        buyer_name="Client", buyer_address="1 rue, 69001 Lyon", description="Formation",
        total_excl_tax=Decimal(amount), total_incl_tax=Decimal(amount), issue_date=on,
        service_start=on, service_end=on,
    )  # fmt: skip
    InvoiceLine.objects.create(
        invoice=invoice, position=1, kind=kind, label="Formation", quantity=1,
        unit_price=Decimal(amount), amount=Decimal(amount),
    )  # fmt: skip
    return invoice


def payout(session, *, on, amount):
    collected, amount = Decimal(amount) / Decimal("0.85"), Decimal(amount)
    collected = collected.quantize(Decimal("0.01"))
    p = Payout.objects.create(session=session, trainer=session.trainer, collected=collected,
                              commission_rate=Decimal(15), commission=collected - amount,
                              amount=amount)  # fmt: skip
    Payout.objects.filter(pk=p.pk).update(
        created_at=timezone.make_aware(dt.datetime.combine(on, dt.time(12)))
    )
    return p


@pytest.fixture
def year_2025(db, organisation, funders):
    """The organisation's 2025 (closing 31/12), built by hand:

    S1 Comptabilité (NSF 314, other training), 10–11 March, 3 employees, Chloé absent on the
       11th afternoon; invoiced 2 800,00 to its OPCO under subrogation; a dédit of 100,00 to the
       company; trainer Julien, paid 2 380,00 on 1 April.
    S2 Paie (NSF 315, RS certification), 16 June, 2 employees; invoiced 1 500,00 to the company
       on 2 May, cancelled by a credit note on 9 May, invoiced again 1 500,00 on 10 May; Julien,
       paid 1 275,00 on 20 June.
    S3 Python (NSF 326, RNCP level 6, remote) over two years: 22 December 2025 and 5 January
       2026, 2 self-employed company heads (other); AGEFICE invoice 1 200,50 on 23 December
       2025, another 999,00 on 10 January 2026; trainer Inès, paid on 15 January 2026.
    S4 Comptabilité (NSF 314) for one private person at her own expense, 1 September morning
       only; invoiced 350,40 to her on 1 September; Julien.
    An S1 invoice of 2024 and everything of 2026 must stay out of 2025.
    """
    julien = TrainerFactory(email="julien@exemple.fr")
    ines = TrainerFactory(email="ines@exemple.fr")
    opco = Funder.objects.get(code="opcoep")
    agefice = Funder.objects.get(code="agefice")
    employees = [("Alice", "employee"), ("Bruno", "employee"), ("Chloe", "employee")]
    s1 = make_session(
        julien, title="Comptabilité", dates=[D(2025, 3, 10), D(2025, 3, 11)],
        trainees=employees, nsf=["314"], absent={(2, D(2025, 3, 11), "pm")},
    )  # fmt: skip
    s2 = make_session(
        julien, title="Paie", dates=[D(2025, 6, 16)], nsf=["315", "314"], objective="rs",
        trainees=[("Denis", "employee"), ("Emma", "employee")],
    )  # fmt: skip
    s3 = make_session(ines, title="Python", dates=[D(2025, 12, 22), D(2026, 1, 5)],
                      nsf=["326"], objective="rncp", level="6-8", format="remote",
                      trainees=[("Farid", "other"), ("Gina", "other")])  # fmt: skip
    s4 = make_session(julien, title="Comptabilité", dates=[D(2025, 9, 1)], nsf=["314"],
                      trainees=[("Hugo", "individual")])  # fmt: skip
    # S4 is a morning only: no afternoon slot, no afternoon signature.
    SessionDay.objects.filter(session=s4).update(afternoon_start=None, afternoon_end=None)
    Attendance.objects.filter(session=s4, half="pm").delete()

    issue(s1, on=D(2024, 12, 30), amount="10.00")  # previous year: out
    issue(s1, on=D(2025, 3, 20), amount="2800.00", payer="funder", funder=opco)
    issue(s1, on=D(2025, 3, 25), amount="100.00", kind="dedit")
    first = issue(s2, on=D(2025, 5, 2), amount="1500.00")
    issue(s2, on=D(2025, 5, 9), amount="1500.00", credit_of=first)
    issue(s2, on=D(2025, 5, 10), amount="1500.00")
    issue(s3, on=D(2025, 12, 23), amount="1200.50", payer="funder", funder=agefice)
    issue(s3, on=D(2026, 1, 10), amount="999.00", payer="funder", funder=agefice)
    issue(s4, on=D(2025, 9, 1), amount="350.40")
    payout(s1, on=D(2025, 4, 1), amount="2380.00")
    payout(s2, on=D(2025, 6, 20), amount="1275.00")
    payout(s3, on=D(2026, 1, 15), amount="1020.00")
    return {"s1": s1, "s2": s2, "s3": s3, "s4": s4}


def boxes(figures):
    return {box["code"]: box for box in figures["lines"]}


def test_the_2025_bpf_matches_the_figures_worked_out_by_hand(year_2025):
    figures = bpf.as_json(bpf.compute(2025))
    b = boxes(figures)
    assert figures["form"] == "10443*17"
    assert figures["period"] == ["2025-01-01", "2025-12-31"]

    # C — revenue by issue date, to the euro.
    assert b["C-h"]["amount"] == 2800  # S1, OPCO under subrogation (plan)
    assert b["C-g"]["amount"] == 1201  # S3, AGEFICE: 1 200,50 rounded half up
    assert b["C-1"]["amount"] == 1500  # S2: 1 500 − 1 500 (credit note) + 1 500
    assert b["C-9"]["amount"] == 350  # S4, a private person: 350,40
    assert b["C-2"]["amount"] == 1201 + 2800  # lines a to h = 4 001
    assert b["C-TOTAL"]["amount"] == 1500 + 4001 + 350  # = 5 851
    for code in ["C-a", "C-b", "C-c", "C-d", "C-e", "C-f", "C-3", "C-7", "C-10", "C-11"]:
        assert b[code]["amount"] == 0
    # The 100,00 dédit and the 2024 and 2026 invoices are not 2025 training revenue.
    assert [row["amount"] for row in figures["excluded"]] == ["100.00"]

    # D — payouts of 2025: 2 380 + 1 275 (S3's is of 2026).
    assert b["D-ACH"]["amount"] == 3655
    assert b["D-TOTAL"]["amount"] == 3655

    # E — 2 independent trainers; half-days delivered in 2025:
    # S1 4 × 3 h 30 + S2 2 × 3 h 30 + S3 2 × 3 h 30 (22/12 only) + S4 3 h 30
    # = 14 + 7 + 7 + 3,5 = 31,5 h → 32 h
    assert (b["E-EXT"]["headcount"], b["E-EXT"]["hours"]) == (2, 32)
    assert (b["E-INT"]["headcount"], b["E-INT"]["hours"]) == (0, 0)

    # F-1 — by status, signed half-days of 2025:
    # employees: S1 7 h + 7 h + 3 h 30 (Chloé absent one afternoon) + S2 2 × 7 h = 52 h 30
    # individual: S4 3 h 30; other: S3 2 × 7 h (22/12 only) = 14 h; total 70 h.
    # 52,5 + 3,5 + 14 = 70: the two halves cannot both round up; the first line does.
    assert (b["F1-a"]["headcount"], b["F1-a"]["hours"]) == (5, 53)
    assert (b["F1-d"]["headcount"], b["F1-d"]["hours"]) == (1, 3)
    assert (b["F1-e"]["headcount"], b["F1-e"]["hours"]) == (2, 14)
    assert (b["F1-b"]["headcount"], b["F1-c"]["headcount"]) == (0, 0)
    assert (b["F1-TOTAL"]["headcount"], b["F1-TOTAL"]["hours"]) == (8, 70)
    assert b["F1-DIST"]["answer"] is True  # form *17: a yes/no question; S3 is remote

    # F-3 — by objective: RNCP level 6 (S3) 14 h; RS (S2) 14 h; other (S1 + S4) 38 h 30 + 3 h 30
    assert (b["F3-a"]["headcount"], b["F3-a"]["hours"]) == (2, 14)
    assert (b["F3-a68"]["headcount"], b["F3-a68"]["hours"]) == (2, 14)
    assert (b["F3-b"]["headcount"], b["F3-b"]["hours"]) == (2, 14)
    assert (b["F3-d"]["headcount"], b["F3-d"]["hours"]) == (4, 42)
    assert (b["F3-TOTAL"]["headcount"], b["F3-TOTAL"]["hours"]) == (8, 70)

    # F-4 — by main speciality, the largest first: 314 (S1 + S4) 42 h, then 315 and 326 tied
    # at 14 h, by code.
    assert [b[c]["label"] for c in ("F4-1", "F4-2", "F4-3")] == ["314", "315", "326"]
    assert (b["F4-1"]["headcount"], b["F4-1"]["hours"]) == (4, 42)
    assert (b["F4-2"]["headcount"], b["F4-2"]["hours"]) == (2, 14)
    assert (b["F4-3"]["headcount"], b["F4-3"]["hours"]) == (2, 14)
    assert (b["F4-TOTAL"]["headcount"], b["F4-TOTAL"]["hours"]) == (8, 70)

    assert [c["ok"] for c in figures["checks"]] == [True]


def test_a_session_across_two_years_counts_its_hours_in_each(year_2025):
    s3 = year_2025["s3"]
    b = boxes(bpf.as_json(bpf.compute(2026)))
    # 2026: S3's 5 January only (2 × 7 h), its 999,00 AGEFICE invoice and Inès's payout.
    assert (b["F1-e"]["headcount"], b["F1-e"]["hours"]) == (2, 14)
    assert (b["F1-TOTAL"]["headcount"], b["F1-TOTAL"]["hours"]) == (2, 14)
    assert b["C-g"]["amount"] == 999
    assert b["C-TOTAL"]["amount"] == 999
    assert b["D-ACH"]["amount"] == 1020
    assert (b["E-EXT"]["headcount"], b["E-EXT"]["hours"]) == (1, 7)
    # Both years together give what the one source of realised time gives for the session.
    in_2025 = boxes(bpf.as_json(bpf.compute(2025)))["F1-e"]["sessions"][str(s3.pk)][1]
    in_2026 = b["F1-e"]["sessions"][str(s3.pk)][1]
    assert in_2025 + in_2026 == sum(realised_minutes(s3).values()) == 4 * 420


def test_an_earlier_year_uses_form_16_with_the_distance_headcount(year_2025):
    figures = bpf.as_json(bpf.compute(2022))
    b = boxes(figures)
    assert figures["form"] == "10443*16"
    assert b["C-7"]["label"].endswith("Pôle emploi")
    assert "headcount" in b["F1-DIST"] and "answer" not in b["F1-DIST"]
    assert b["C-TOTAL"]["amount"] == 0


def test_a_closing_date_other_than_31_december_moves_the_year(year_2025, organisation):
    organisation.financial_year_end_day, organisation.financial_year_end_month = 30, 6
    organisation.save()
    figures = bpf.as_json(bpf.compute(2025))
    assert figures["period"] == ["2024-07-01", "2025-06-30"]
    b = boxes(figures)
    # 1 July 2024 – 30 June 2025: the 2024-12-30 invoice (10,00), S1 2 800 (OPCO) and S2.
    assert b["C-1"]["amount"] == 10 + 1500
    assert b["C-h"]["amount"] == 2800
    # S1 38 h 30 + S2 14 h, all employees.
    assert (b["F1-TOTAL"]["headcount"], b["F1-TOTAL"]["hours"]) == (5, 53)


def test_a_session_without_speciality_breaks_the_totals_and_is_named(year_2025):
    s2 = year_2025["s2"]
    s2.nsf_codes = []
    s2.save()
    figures = bpf.as_json(bpf.compute(2025))
    b = boxes(figures)
    assert (b["F4-TOTAL"]["headcount"], b["F4-TOTAL"]["hours"]) == (6, 56)  # 70 h − 14 h
    messages = [c["message"] for c in figures["checks"]]
    assert "Sessions sans spécialité (code NSF) : non comptées en F-4." in messages
    assert any(m.startswith("Le total F-4 (6 stagiaires, 56 h) diffère du total F-1 "
                            "(8 stagiaires, 70 h)") for m in messages)  # fmt: skip
    named = {pk for c in figures["checks"] for pk, *_ in c["sessions"]}
    assert named == {s2.pk}


def test_the_csv_has_one_row_per_form_line(year_2025):
    figures = bpf.as_json(bpf.compute(2025))
    rows = bpf.csv_rows(figures)
    assert len(rows) == 1 + len(bpf.form_lines(2025))
    by_code = {row[0]: row for row in rows[1:]}
    assert by_code["C-TOTAL"][2] == 5851
    assert by_code["F1-TOTAL"][3:] == [8, 70]
    assert by_code["F1-DIST"][3] == "oui"


def test_locking_freezes_the_year_and_later_changes_are_flagged(year_2025, staff):
    report = services.bpf_compute(year=2025, actor=staff)
    report = services.bpf_lock(report=report, actor=staff)
    assert report.status == "locked" and len(report.sha256) == 64
    with pytest.raises(DomainError, match="verrouillé"):
        services.bpf_compute(year=2025, actor=staff)
    with pytest.raises(DomainError):
        services.bpf_lock(report=report, actor=staff)

    assert services.bpf_check_changes(report=report).changed_after_lock is False
    # A late credit note dated in 2025 changes line 9: flagged, the frozen figures unchanged.
    s4_invoice = Invoice.objects.get(session=year_2025["s4"])
    issue(year_2025["s4"], on=D(2025, 12, 31), amount="350.40", credit_of=s4_invoice)
    report = services.bpf_check_changes(report=report)
    assert report.changed_after_lock is True
    assert {(c["code"], c["frozen"], c["now"]) for c in report.changes} == {
        ("C-9", 350, 0), ("C-TOTAL", 5851, 5501)
    }  # fmt: skip
    report.refresh_from_db()
    assert boxes(report.figures)["C-9"]["amount"] == 350


def test_a_draft_or_empty_report_refuses_what_its_state_forbids(db, staff, organisation):
    report = BpfReport.objects.create(
        year=2024, period_start=D(2024, 1, 1), period_end=D(2024, 12, 31), form_version="10443*17"
    )
    with pytest.raises(DomainError, match="Calculez"):
        services.bpf_lock(report=report, actor=staff)
    with pytest.raises(DomainError, match="verrouillé"):
        services.bpf_check_changes(report=report)
    with pytest.raises(DomainError, match="année"):
        services.bpf_compute(year=25, actor=staff)
    report.refresh_from_db()
    assert report.status == "draft"


def test_the_year_is_computed_in_a_bounded_number_of_queries(
    year_2025, django_assert_max_num_queries
):
    with django_assert_max_num_queries(8):
        bpf.compute(2025)


@pytest.mark.parametrize(
    ("minutes", "expected"),
    [([3150, 210, 840], [53, 3, 14]), ([30, 30, 30], [1, 1, 0]), ([0, 0], [0, 0]),
     ([89, 31], [1, 1])],
)  # fmt: skip
def test_apportioned_hours_add_up_to_the_rounded_total(minutes, expected):
    assert bpf.apportion_hours(minutes) == expected
    assert sum(expected) == bpf.round_hours(sum(minutes))


def _csv(text):
    return list(csv.reader(io.StringIO(text), delimiter=";"))


def test_staff_compute_review_drill_down_export_and_lock_from_the_admin(
    client, staff, trainer, year_2025
):
    from .conftest import login
    from .test_documents import pdf_text

    login(client, staff)
    page = client.get("/admin/billing/bpfreport/")
    assert page.status_code == 200 and "Calculer le BPF" in page.content.decode()
    bad = client.post("/admin/billing/bpfreport/calculer/", {"year": "deux mille"}, follow=True)
    assert "Indiquez l&#x27;année de clôture" in bad.content.decode()

    review = client.post("/admin/billing/bpfreport/calculer/", {"year": "2025"}, follow=True)
    html = review.content.decode()
    report = BpfReport.objects.get(year=2025)
    assert review.status_code == 200 and "BPF 2025 calculé." in html
    assert "Les totaux F-1, F-3 et F-4 concordent." in html
    assert "dédit, pas un produit de formation" in html

    # Drill-down: line 1 is S2's two invoices and its credit note, with their signed amounts.
    detail = client.get(f"/admin/billing/bpfreport/{report.pk}/ligne/C-1/").content.decode()
    for invoice in Invoice.objects.filter(session=year_2025["s2"]):
        assert invoice.number in detail
    assert "<td>-1500.00</td>" in detail and "exactement 1500.00 €" in detail
    detail = client.get(f"/admin/billing/bpfreport/{report.pk}/ligne/F1-e/").content.decode()
    assert year_2025["s3"].reference in detail and "14 h" in detail
    assert client.get(f"/admin/billing/bpfreport/{report.pk}/ligne/Z-9/").status_code == 404

    export = client.get(f"/admin/billing/bpfreport/{report.pk}/csv/")
    rows = _csv(export.content.decode("utf-8-sig"))
    assert rows[0] == ["ligne", "libellé", "montant (€)", "nombre", "heures"]
    assert ["C-TOTAL", "Total des produits réalisés au titre de la formation professionnelle",
            "5851", "", ""] in rows  # fmt: skip
    assert ["F3-TOTAL", "Total F-3 (a + b + c + d + e + f)", "", "8", "70"] in rows

    document = client.get(f"/admin/billing/bpfreport/{report.pk}/pdf/")
    assert document["Content-Type"] == "application/pdf"
    text = pdf_text(document.content)
    assert "Bilan pédagogique et financier" in text and "10443*17" in text
    assert "01/01/2025 au 31/12/2025" in text and "5851" in text

    locked = client.post(f"/admin/billing/bpfreport/{report.pk}/verrouiller/", follow=True)
    assert "ses chiffres sont figés" in locked.content.decode()
    report.refresh_from_db()
    assert report.status == "locked" and report.locked_by == staff
    again = client.post("/admin/billing/bpfreport/calculer/", {"year": "2025"}, follow=True)
    assert "est verrouillé" in again.content.decode()

    # Nobody but staff reaches the figures.
    login(client, trainer)
    assert client.get(f"/admin/billing/bpfreport/{report.pk}/csv/").status_code in (302, 403)


def test_the_client_form_asks_each_trainees_status_employee_by_default(
    client, trainer, organisation, django_capture_on_commit_callbacks
):
    from django.urls import reverse

    from .conftest import login
    from .test_sessions import client_post, link_path

    session = TrainingSessionFactory(trainer=trainer)
    login(client, trainer)
    client.post(reverse("session_link_issue", args=[session.pk]))
    url = link_path(session)
    client.logout()
    page = client.get(url).content.decode()
    assert "Statut" in page and "Particulier à ses propres frais" in page
    # Paul0 keeps the default, Paul1 is a job seeker; the empty rows, status preselected,
    # are still ignored.
    data = client_post(session, **{"stagiaires-1-status": "job_seeker",
                                    "stagiaires-2-status": "employee",
                                    "stagiaires-3-status": "employee"})  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, data)
    assert "Merci, vos informations sont enregistrées" in response.content.decode()
    statuses = dict(Trainee.objects.filter(session=session).values_list("first_name", "status"))
    assert statuses == {"Paul0": "employee", "Paul1": "job_seeker"}


@given(st.lists(st.integers(min_value=0, max_value=100_000), min_size=1, max_size=6))
def test_apportioned_hours_always_add_up_and_stay_within_an_hour_of_each_line(minutes):
    hours = bpf.apportion_hours(minutes)
    assert sum(hours) == bpf.round_hours(sum(minutes))
    for m, h in zip(minutes, hours, strict=True):
        assert m // 60 <= h <= m // 60 + 1
