"""Hours and money agree on every paper (issue 11): generated cases (hypothesis) over the rules
of funding/money.py and over whole sessions built, invoiced, paid and paid out through the
services. The worked examples written out by hand are in test_money_examples.py."""

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
from ganapati.fields import parse_minutes
from sessions import services as sessions
from sessions.models import SessionDay, Trainee
from sessions.selectors import realised_minutes
from tests import clock

from .factories import TrainingSessionFactory, assessed, invoicing_funder, next_monday

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
        session=session, actor=trainer, results={t.pk: (True, "") for t in session.trainees.all()},
        assessments=assessed(session),
    )  # fmt: skip
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
