"""Hours and money agree on every paper (issue 11): generated cases (hypothesis) over the rules
of funding/money.py and over whole sessions invoiced and paid, plus worked examples written out
by hand."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing import services as billing
from billing.models import Payout
from funding.models import FundingRequest
from funding.money import Terms, split
from ganapati.errors import DomainError
from ganapati.fields import parse_minutes
from sessions import services as sessions
from sessions.models import SessionDay, Trainee
from sessions.selectors import realised_minutes
from tests import clock

from .factories import TrainingSessionFactory, invoicing_funder, next_monday

CENT = Decimal("0.01")
money = st.integers(min_value=0, max_value=5_000_000).map(lambda c: Decimal(c) / 100)

# --- The rules alone ----------------------------------------------------------------------------


@st.composite
def terms(draw):
    price = draw(money)
    granted = draw(
        st.integers(min_value=0, max_value=int(price * 100)).map(lambda c: Decimal(c) / 100)
    )
    slots = draw(st.lists(st.sampled_from([80, 180, 210, 240, 45]), min_size=1, max_size=10))
    trainees = draw(st.integers(min_value=1, max_value=12))
    planned = sum(slots) * trainees
    realised = draw(st.integers(min_value=0, max_value=planned))
    return Terms(
        price=price,
        planned_minutes=planned,
        realised_minutes=realised,
        granted=granted,
        subrogation=draw(st.booleans()),
    )


@given(terms())
@settings(max_examples=500)
def test_the_split_never_gives_the_funder_more_than_granted_and_adds_up_to_the_cent(t):
    s = split(t)
    for amount in (s.done, s.funder, s.company_training, s.dedit):
        assert amount >= 0 and amount == amount.quantize(CENT)
    assert s.funder <= t.granted
    assert s.funder + s.company_training == s.done <= t.price
    # The company is never invoiced more than it signed for, plus the dédit line.
    assert s.company_training <= s.commitment
    assert s.company <= s.commitment + s.dedit
    if not t.subrogation:
        assert s.funder == 0 and s.commitment == t.price
    if t.realised_minutes == t.planned_minutes:
        assert (s.done, s.dedit) == (t.price, 0)
        assert s.funder == (t.granted if t.subrogation else 0)
    if t.realised_minutes == 0:
        assert s.done == 0 and s.dedit == (t.price * Decimal("0.3")).quantize(CENT, ROUND_HALF_UP)


@given(st.integers(min_value=0, max_value=9999), st.integers(min_value=0, max_value=59))
def test_a_duration_typed_the_french_way_is_read_back_to_the_minute(hours, minutes):
    assert parse_minutes(f"{hours} h {minutes:02d}") == hours * 60 + minutes
    assert parse_minutes(f"{hours}h{minutes}") == hours * 60 + minutes
    if minutes == 0:
        assert parse_minutes(f"{hours}") == parse_minutes(f"{hours} h") == hours * 60


def test_three_slots_of_1_h_20_make_4_h_not_3_h_59():
    day = SessionDay(
        date=dt.date(2027, 2, 15), morning_start=dt.time(9), morning_end=dt.time(10, 20)
    )
    assert day.minutes * 3 == 240


# --- Worked examples (written out by hand) ------------------------------------------------------


@pytest.mark.parametrize(
    "case,price,granted,subrogation,planned,realised,expected",
    [
        # Partial PEC 2 000 € on 2 800 €, 2 trainees × 14 h, one misses 7 h (7/28 of the
        # trainee-hours): done 2 800 × 21/28 = 2 100; OPCO 2 000 × 21/28 = 1 500; company 600;
        # dédit 30 % × 700 = 210.
        (
            "partial, absence",
            "2800",
            "2000",
            True,
            28 * 60,
            21 * 60,
            ("2100.00", "1500.00", "600.00", "210.00"),
        ),
        # Half-days of 3 h and 4 h, 10 h done out of 14 (1 trainee): OPCO 1 400 × 10/14 = 1 000.
        (
            "uneven half-days",
            "1400",
            "1400",
            True,
            14 * 60,
            10 * 60,
            ("1000.00", "1000.00", "0.00", "120.00"),
        ),
        # Total PEC, nobody absent: the company owes nothing at all.
        (
            "total, no absence",
            "2800",
            "2800",
            True,
            28 * 60,
            28 * 60,
            ("2800.00", "2800.00", "0.00", "0.00"),
        ),
        # Refused PEC: the company pays what was done, and the dédit.
        ("refused", "2800", "0", False, 28 * 60, 21 * 60, ("2100.00", "0.00", "2100.00", "210.00")),
        # Without subrogation (company asks its OPCO, AGEFICE or FIFPL to reimburse it): the
        # company is invoiced; the funder's amount does not change the invoice.
        (
            "no subrogation",
            "2800",
            "2000",
            False,
            28 * 60,
            28 * 60,
            ("2800.00", "0.00", "2800.00", "0.00"),
        ),
        # AGEFICE (a self-employed manager's fund) reimburses the company after payment: no
        # subrogation, so the company is invoiced for what was done — 7 h of 7 h: 980 €.
        ("AGEFICE", "980", "700", False, 7 * 60, 7 * 60, ("980.00", "0.00", "980.00", "0.00")),
        # FIFPL (liberal professions), half the day missed (3 h 30 of 7 h): 490 € done, dédit
        # 30 % × 490 = 147 €; the FIFPL's 500 € is its business with the professional.
        ("FIFPL", "980", "500", False, 7 * 60, 210, ("490.00", "0.00", "490.00", "147.00")),
        # Per-trainee price 3 × 450 €, company-funded, 1 h 20 slots × 3, all present.
        (
            "per trainee",
            "1350",
            "0",
            False,
            3 * 240,
            3 * 240,
            ("1350.00", "0.00", "1350.00", "0.00"),
        ),
        # Rounding: 1 000,01 € over 3 trainees, one absent throughout: 666,67 done;
        # OPCO 1 000,01 × 2/3 = 666,673… → 666,67.
        (
            "thirds",
            "1000.01",
            "1000.01",
            True,
            3 * 60,
            2 * 60,
            ("666.67", "666.67", "0.00", "100.00"),
        ),
    ],
)
def test_worked_examples(case, price, granted, subrogation, planned, realised, expected):
    s = split(
        Terms(
            price=Decimal(price),
            granted=Decimal(granted),
            subrogation=subrogation,
            planned_minutes=planned,
            realised_minutes=realised,
        )
    )
    assert (str(s.done), str(s.funder), str(s.company_training), str(s.dedit)) == expected, case


# --- Whole sessions, through the services --------------------------------------------------------


SLOTS = {  # half-day shapes a trainer really plans
    "3h30": (dt.time(9), dt.time(12, 30)),
    "3h": (dt.time(9), dt.time(12)),
    "4h": (dt.time(13), dt.time(17)),
    "1h20": (dt.time(14), dt.time(15, 20)),
}


@st.composite
def session_cases(draw):
    days = draw(
        st.lists(
            st.tuples(
                st.sampled_from([None, "3h30", "3h"]), st.sampled_from([None, "4h", "1h20", "3h30"])
            ).filter(any),
            min_size=1,
            max_size=5,
        )
    )
    trainees = draw(st.integers(min_value=1, max_value=12))
    halves = sum(bool(am) + bool(pm) for am, pm in days)
    absences = draw(st.sets(st.integers(min_value=0, max_value=trainees * halves - 1)))
    basis = draw(st.sampled_from(["per_session", "per_trainee"]))
    unit = draw(st.integers(min_value=100, max_value=500_000).map(lambda c: Decimal(c) / 100))
    total = unit * (trainees if basis == "per_trainee" else 1)
    decision = draw(st.sampled_from(["total", "partial", "refused", "none"]))
    if decision == "total":
        granted = total
    elif decision == "partial":
        granted = draw(
            st.integers(min_value=1, max_value=max(1, int(total * 100) - 1)).map(
                lambda c: Decimal(c) / 100
            )
        )
    else:
        granted = Decimal("0")
    return {
        "days": days,
        "trainees": trainees,
        "absences": absences,
        "basis": basis,
        "unit": unit,
        "decision": decision,
        "granted": granted,
        "subrogation": draw(st.booleans()),
        "rate": draw(st.sampled_from(["0", "15", "33.33"])),
    }


class Rollback(Exception):
    pass


def run_case(case, trainer, client_user, staff):
    """Builds, completes, invoices and pays one generated session; returns what was seen."""
    from ganapati.models import Funder

    start = next_monday(weeks=3)
    session = TrainingSessionFactory(
        trainer=trainer,
        days=0,
        price_excl_tax=case["unit"],
        price_basis=case["basis"],
        trainees_max=12,
        company=client_user.company,
        contact=client_user,
        status="ready",
        funding_mode="opco_subrogation" if case["subrogation"] else "opco_direct",
        funder=Funder.objects.get(code="opcoep"),
    )
    minutes = 0
    for index, (am, pm) in enumerate(case["days"]):
        am_slot, pm_slot = SLOTS.get(am, (None, None)), SLOTS.get(pm, (None, None))
        day = SessionDay.objects.create(
            session=session,
            date=start + dt.timedelta(days=index),
            morning_start=am_slot[0],
            morning_end=am_slot[1],
            afternoon_start=pm_slot[0],
            afternoon_end=pm_slot[1],
        )
        minutes += day.minutes
    session.duration_minutes = minutes
    session.save()
    Trainee.objects.bulk_create(
        Trainee(session=session, first_name=f"Prénom{i}", last_name="Nom", email=f"t{i}@ex.fr")
        for i in range(case["trainees"])
    )
    invoicing_funder(session.funder)
    sessions.session_validate(session=session, actor=trainer)
    if case["decision"] != "none":
        FundingRequest.objects.create(
            session=session,
            funder=session.funder,
            status="validated",
            decision=case["decision"] if case["decision"] != "none" else "refused",
            amount_granted=case["granted"],
            minutes_granted=minutes,
            subrogation=case["subrogation"],
            uploaded_at=timezone.now(),
            file_number="N-1",
        )
    sessions.session_fund(session=session, actor=None)
    clock.after(session)
    sessions.session_start(session=session, actor=trainer)
    cells = [
        (t.pk, d.pk, h)
        for t in session.trainees.all()
        for d in session.days.all()
        for h in ("am", "pm")
        if d.half_minutes(h)
    ]
    present = {cell for i, cell in enumerate(cells) if i not in case["absences"]}
    sessions.attendance_record(session=session, actor=trainer, present=present)
    sessions.session_complete(
        session=session, actor=trainer, results={t.pk: (True, "") for t in session.trainees.all()}
    )
    from .test_billing import render_certificates

    render_certificates(session)
    return session


@pytest.mark.django_db(transaction=False)
@given(case=session_cases())
@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_generated_sessions_are_invoiced_and_paid_out_consistently(
    case, trainer, client_user, staff, organisation, funders
):
    from funding.money import session_split

    organisation.commission_rate = Decimal(case["rate"])
    organisation.save()
    try:
        with transaction.atomic():
            session = run_case(case, trainer, client_user, staff)
            realised = realised_minutes(session)
            present_minutes = sum(realised.values())
            s = session_split(session)
            assert s.terms.realised_minutes == present_minutes
            invoices = billing.invoices_prepare(session=session, actor=staff)
            assert all(i.total_excl_tax > 0 for i in invoices)  # never a 0 € invoice
            by_payer = {i.payer_kind: i for i in invoices}
            total = sum((i.total_excl_tax for i in invoices), Decimal("0"))
            assert total == s.total
            for invoice in invoices:
                lines = list(invoice.lines.all())
                assert sum(line.amount for line in lines) == invoice.total_excl_tax
                for line in lines:
                    assert line.quantity * line.unit_price == line.amount
            if "funder" in by_payer:
                assert by_payer["funder"].total_excl_tax <= case["granted"]
                assert all(line.kind == "training" for line in by_payer["funder"].lines.all())
            if "company" in by_payer:
                dedit = sum(
                    line.amount for line in by_payer["company"].lines.all() if line.kind == "dedit"
                )
                assert by_payer["company"].total_excl_tax <= s.commitment + dedit
            issued = [billing.invoice_issue(invoice=i, actor=staff) for i in invoices]
            for invoice in issued:
                assert not Payout.objects.filter(session=session).exists()
                billing.payment_record(
                    invoice=invoice,
                    actor=staff,
                    amount=invoice.total_incl_tax,
                    paid_on=timezone.localdate(),
                    payer="X",
                )
            payout = Payout.objects.get(session=session)
            commission = (total * Decimal(case["rate"]) / 100).quantize(CENT, ROUND_HALF_UP)
            assert payout.collected == total
            assert payout.amount == total - commission >= 0
            raise Rollback
    except Rollback:
        pass
    finally:
        clock.back()


# --- The database and the services refuse nonsense ----------------------------------------------


def test_a_commission_rate_over_100_is_refused_by_the_database(trainer, organisation):
    from django.db import IntegrityError

    from .factories import TrainerProfileFactory

    profile = TrainerProfileFactory(user=trainer)
    profile.commission_rate = Decimal("150")
    with pytest.raises(IntegrityError), transaction.atomic():
        profile.save()


def test_a_session_cannot_start_before_its_first_day(trainer, client_user, organisation, funders):
    from .factories import attach_client

    session = attach_client(TrainingSessionFactory(trainer=trainer), client_user)
    sessions.session_validate(session=session, actor=trainer)
    sessions.session_fund(session=session, actor=None)
    with pytest.raises(DomainError, match="elle se démarre ce jour-là"):
        sessions.session_start(session=session, actor=trainer)
    session.refresh_from_db()
    assert session.status == "funded"
    clock.during(session, day=0, hour=8)  # the first day, before the first half-day
    sessions.session_start(session=session, actor=trainer)
    # The morning has not begun: its attendance cannot be recorded yet.
    morning = session.days.first()
    with pytest.raises(DomainError, match="n'a pas encore commencé"):
        sessions.attendance_record(
            session=session, actor=trainer, present=set(), half_days={(morning.pk, "am")}
        )
    clock.back()
    clock.during(session, day=1, hour=10)
    everyone = {
        (t.pk, d.pk, h)
        for t in session.trainees.all()
        for d in session.days.all()
        for h in ("am", "pm")
    }
    with pytest.raises(DomainError, match="n'a pas encore commencé"):
        sessions.attendance_record(session=session, actor=trainer, present=everyone)
    clock.back()
    clock.during(session, day=1, hour=16)  # the last afternoon has begun, not ended
    sessions.attendance_record(session=session, actor=trainer, present=everyone)
    with pytest.raises(DomainError, match="après son dernier créneau"):
        sessions.session_complete(
            session=session,
            actor=trainer,
            results={t.pk: (True, "") for t in session.trainees.all()},
        )
    with pytest.raises(DomainError, match="terminée"):
        billing.invoices_prepare(session=session, actor=trainer)


def test_no_certificate_for_a_trainee_absent_throughout(
    trainer, client_user, organisation, funders
):
    from documents.models import Document

    from .factories import attach_client

    session = attach_client(TrainingSessionFactory(trainer=trainer), client_user)
    sessions.session_validate(session=session, actor=trainer)
    sessions.session_fund(session=session, actor=None)
    clock.after(session)
    sessions.session_start(session=session, actor=trainer)
    absent, present = list(session.trainees.all())
    sessions.attendance_record(
        session=session,
        actor=trainer,
        present={(present.pk, d.pk, h) for d in session.days.all() for h in ("am", "pm")},
    )
    sessions.session_complete(
        session=session, actor=trainer, results={t.pk: (True, "") for t in (absent, present)}
    )
    subjects = set(
        Document.objects.for_owner(session)
        .filter(kind="certificat")
        .values_list("subject_id", flat=True)
    )
    assert subjects == {present.pk}


def test_split_invoices_carry_the_quotes_vat_to_the_cent(trainer, client_user, staff,
                                                         organisation, funders):  # fmt: skip
    """20,06 € HT at 20 %: the quote's VAT is 4,01 €. Split 10,03 € + 10,03 € between the OPCO
    and the company, each rounded alone would carry 2,01 € (4,02 € in all, a cent too many)."""
    from sessions.pricing import session_amounts

    organisation.vat_exempt, organisation.vat_rate = False, Decimal("20.00")
    organisation.save()
    case = {"days": [("3h30", "3h30")], "trainees": 1, "absences": set(),
            "basis": "per_session", "unit": Decimal("20.06"), "decision": "partial",
            "granted": Decimal("10.03"), "subrogation": True, "rate": "0"}  # fmt: skip
    session = run_case(case, trainer, client_user, staff)
    quote = session_amounts(session, organisation)
    assert (quote.vat_amount, quote.total_incl_tax) == (Decimal("4.01"), Decimal("24.07"))
    invoices = [billing.invoice_issue(invoice=i, actor=staff)
                for i in billing.invoices_prepare(session=session, actor=staff)]  # fmt: skip
    assert sorted(i.vat_amount for i in invoices) == [Decimal("2.00"), Decimal("2.01")]
    assert sum(i.total_incl_tax for i in invoices) == Decimal("24.07")


def test_one_partial_pec_session_with_an_absence_shows_the_same_minutes_and_amounts_everywhere(
    client, trainer, client_user, staff, organisation, funders,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    """2 800 € HT, 2 trainees × 2 days of 3 h 30 + 3 h 30; the OPCO grants 2 000 € under
    subrogation; Stagiaire0 misses the first morning (3 h 30 of 28 h of trainee-hours, 1/8).
    Written out by hand: the company signed for 800 €; the OPCO pays 2 000 × 7/8 = 1 750 €; the
    company 800 × 7/8 = 700 €, plus the dédit of 30 % × 350 € = 105 €; Stagiaire0 did 10 h 30,
    Stagiaire1 14 h; collected 2 555 €, and the commission (organisation's rate) on all of it."""
    from documents.models import Document
    from funding.services import (
        client_commit_to_pay,
        funding_request_upload,
        funding_request_validate,
    )

    from .conftest import login
    from .factories import attach_client
    from .test_billing import render_certificates
    from .test_documents import pdf_text
    from .test_pec import pdf_bytes, upload

    def text(document_or_invoice) -> str:
        field = getattr(document_or_invoice, "file", None) or document_or_invoice.pdf
        with field.open("rb") as handle:
            return pdf_text(handle.read()).replace("\u202f", " ").replace("\u00a0", " ")

    capture = django_capture_on_commit_callbacks
    session = attach_client(TrainingSessionFactory(trainer=trainer), client_user)
    invoicing_funder(session.funder)
    with capture(execute=True):
        sessions.session_validate(session=session, actor=trainer)
    with capture(execute=True):
        request = funding_request_upload(
            session=session, actor=client_user, upload=upload(pdf_bytes(), "accord.pdf"),
            values={"decision": "partial", "file_number": "EP-1", "amount_granted": Decimal("2000"),
                    "minutes_granted": 840, "subrogation": True},
        )  # fmt: skip
        funding_request_validate(request=request, actor=staff)
    login(client, client_user)
    page = client.get(f"/client/sessions/{session.pk}/financement/").content.decode()
    assert "800,00" in page and "Dédit et abandon" not in page and "30 % du prix" in page
    client.logout()
    with capture(execute=True):
        client_commit_to_pay(session=session, actor=client_user, ip=None)
    convention = Document.objects.for_owner(session).filter(kind="convention").order_by("-version")
    assert "montant facturé au client : 800,00 € HT" in text(convention.first())

    clock.after(session)
    with capture(execute=True):
        sessions.session_start(session=session, actor=trainer)
    absent, other = list(session.trainees.all())
    first = session.days.first()
    present = {
        (t.pk, d.pk, h)
        for t in (absent, other)
        for d in session.days.all()
        for h in ("am", "pm")
        if not (t == absent and d == first and h == "am")
    }
    with capture(execute=True):
        sessions.attendance_record(session=session, actor=trainer, present=present)
        sessions.session_complete(
            session=session, actor=trainer, results={t.pk: (True, "") for t in (absent, other)}
        )
    render_certificates(session)
    certificate = Document.objects.for_owner(session).for_subject(absent).get(kind="certificat")
    assert "10 h 30" in text(certificate)

    with capture(execute=True):
        drafts = billing.invoices_prepare(session=session, actor=staff)
        invoices = {i.payer_kind: billing.invoice_issue(invoice=i, actor=staff) for i in drafts}
    for invoice in invoices.values():
        invoice.refresh_from_db()
    opco, company = text(invoices["funder"]), text(invoices["company"])
    assert "1 750,00 €" in opco and "10 h 30" in opco and "14 h" in opco and "EP-1" in opco
    assert "24 h 30 sur 28 h" in opco
    assert "700,00 €" in company and "105,00 €" in company and "Dédit" in company
    assert "ni pris en charge par un OPCO" in company
    with capture(execute=True):
        for invoice in invoices.values():
            billing.payment_record(
                invoice=invoice,
                actor=staff,
                amount=invoice.total_incl_tax,
                paid_on=timezone.localdate(),
                payer="X",
            )
    payout = Payout.objects.get(session=session)
    rate = organisation.commission_rate
    commission = (Decimal("2555.00") * rate / 100).quantize(CENT, ROUND_HALF_UP)
    assert (payout.collected, payout.amount) == (
        Decimal("2555.00"),
        Decimal("2555.00") - commission,
    )
    login(client, trainer)
    page = client.get(f"/formateur/sessions/{session.pk}/").content.decode()
    amount = f"{payout.amount:,.2f}".replace(",", "\u202f").replace(".", ",")
    assert amount in page
