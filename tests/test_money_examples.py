"""Hours and money agree on every paper (issue 11): worked examples written out by hand (each
funding case of the README's rules), the refusals of the database and the services, and one
partial-PEC session with an absence whose papers are read back as PDF text. The generated cases
(hypothesis) are in test_money_properties.py."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.db import transaction
from django.utils import timezone

from billing import services as billing
from billing.models import Invoice, Payout
from funding.money import Terms, split
from ganapati.errors import DomainError
from sessions import services as sessions
from sessions.models import SessionDay
from tests import clock

from .factories import TrainingSessionFactory, assessed, invoicing_funder
from .test_money_properties import run_case

CENT = Decimal("0.01")


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
        session=session, actor=trainer, results={t.pk: (True, "") for t in (absent, present)},
        assessments={k: v for k, v in assessed(session).items() if k[0] == present.pk},
    )  # fmt: skip
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
            session=session, actor=trainer, results={t.pk: (True, "") for t in (absent, other)},
            assessments=assessed(session),
        )  # fmt: skip
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


# --- Minutes shown the French way -----------------------------------------------------------------


@pytest.mark.parametrize(
    "minutes,shown",
    [(200, "3 h 20"), (420, "7 h"), (45, "0 h 45"), (0, "0 h"), (870, "14 h 30"), (None, "—")],
)
def test_minutes_are_shown_as_hours_and_minutes_by_the_one_template_filter(minutes, shown):
    from django.template import Context, Template

    rendered = Template("{% load ganapati %}{{ value|minutes }}").render(
        Context({"value": minutes})
    )
    assert rendered == shown


@pytest.mark.parametrize(
    "typed,minutes",
    [("3 h 20", 200), ("3h20", 200), ("3,5", 210), ("3.5 h", 210), ("14", 840), ("7,25 h", 435),
     ("3 heures 20", 200), ("3 h 75", None), ("3,33", None), ("trois heures", None), ("", None)],
)  # fmt: skip
def test_a_duration_typed_in_a_form_is_read_in_minutes_or_refused_in_french(typed, minutes):
    from django import forms as django_forms

    from ganapati.fields import DurationMinutesFormField

    field = DurationMinutesFormField(required=True)
    if minutes is None:
        with pytest.raises(django_forms.ValidationError) as refused:
            field.clean(typed)
        assert any("durée" in message.lower() or "obligatoire" in message.lower()
                   for message in refused.value.messages)  # fmt: skip
    else:
        assert field.clean(typed) == minutes


# --- Payout, credit notes and re-invoicing --------------------------------------------------------


def _pay(invoice, staff):
    return billing.payment_record(
        invoice=invoice,
        actor=staff,
        amount=invoice.total_incl_tax,
        paid_on=timezone.localdate(),
        payer="X",
    )


def test_a_draft_invoice_blocks_the_payout_and_a_credit_note_suspends_it_until_re_invoiced(
    trainer, client_user, staff, organisation, funders
):
    """2 800 € HT for one trainee over 7 h (3 h 30 + 3 h 30), partial PEC of 2 000 € with
    subrogation, the afternoon missed: done 1 400 €; OPCO 2 000 × 1/2 = 1 000 €; company
    400 € + dédit 30 % × 1 400 = 420 € → 820 €. Collected 1 820 €; commission 10 % = 182 €."""
    organisation.commission_rate = Decimal("10")
    organisation.save()
    case = {"days": [("3h30", "3h30")], "trainees": 1, "absences": {1},
            "basis": "per_session", "unit": Decimal("2800"), "decision": "partial",
            "granted": Decimal("2000"), "subrogation": True, "rate": "10"}  # fmt: skip
    session = run_case(case, trainer, client_user, staff)
    drafts = {i.payer_kind: i for i in billing.invoices_prepare(session=session, actor=staff)}
    assert drafts["funder"].total_excl_tax == Decimal("1000.00")
    assert drafts["company"].total_excl_tax == Decimal("820.00")
    opco = billing.invoice_issue(invoice=drafts["funder"], actor=staff)
    _pay(opco, staff)
    # The company's invoice is still a draft: nothing is paid out yet.
    assert not Payout.objects.filter(session=session).exists()
    company = billing.invoice_issue(invoice=drafts["company"], actor=staff)
    _pay(company, staff)
    payout = Payout.objects.get(session=session)
    assert (payout.status, payout.collected, payout.amount) == (
        "ready", Decimal("1820.00"), Decimal("1638.00"))  # fmt: skip

    # A credit note on the paid company invoice: the payout is suspended, not left "ready".
    billing.credit_note_issue(invoice=company, actor=staff, reason="Erreur d'adresse")
    payout.refresh_from_db()
    assert payout.status == "on_hold"
    # It reopens invoicing for what it cancelled, and only that.
    (again,) = billing.invoices_prepare(session=session, actor=staff)
    assert (again.payer_kind, again.total_excl_tax) == ("company", Decimal("820.00"))
    with pytest.raises(DomainError, match="déjà préparées"):
        billing.invoices_prepare(session=session, actor=staff)
    again = billing.invoice_issue(invoice=again, actor=staff)
    payout.refresh_from_db()
    assert payout.status == "on_hold"  # issued, not yet paid
    _pay(again, staff)
    payout.refresh_from_db()
    assert (payout.status, payout.collected, payout.amount) == (
        "ready", Decimal("1820.00"), Decimal("1638.00"))  # fmt: skip


def test_no_invoice_to_the_opco_when_its_prorated_share_rounds_to_zero(
    trainer, client_user, staff, organisation, funders
):
    """A PEC of 0,01 € on 100 € and 1 h 20 done out of 4 h 20: the OPCO's share is
    0,01 × 80/260 = 0,003 € → 0,00 €: no 0,00 € invoice; the company pays the 30,77 € done and
    the dédit 30 % × 69,23 € = 20,77 €."""
    case = {"days": [("3h", "1h20")], "trainees": 1, "absences": {0},
            "basis": "per_session", "unit": Decimal("100"), "decision": "partial",
            "granted": Decimal("0.01"), "subrogation": True, "rate": "0"}  # fmt: skip
    session = run_case(case, trainer, client_user, staff)
    invoices = billing.invoices_prepare(session=session, actor=staff)
    assert [i.payer_kind for i in invoices] == ["company"]
    lines = [(line.kind, line.amount) for line in invoices[0].lines.all()]
    assert lines == [("training", Decimal("30.77")), ("dedit", Decimal("20.77"))]


# --- The PEC: never above the price, a validity in order ---------------------------------


def _validated_session(trainer, client_user):
    from .factories import attach_client

    session = attach_client(TrainingSessionFactory(trainer=trainer), client_user)
    sessions.session_validate(session=session, actor=trainer)
    return session


def test_the_database_refuses_a_pec_above_the_price_it_was_recorded_against(
    trainer, client_user, organisation, funders
):
    from django.db import IntegrityError

    from funding.models import FundingRequest
    from funding.services import funding_request_upload

    from .test_pec import pdf_bytes, upload

    session = _validated_session(trainer, client_user)
    request = funding_request_upload(
        session=session, actor=client_user, upload=upload(pdf_bytes(), "accord.pdf"),
        values={"decision": "partial", "file_number": "EP-1", "amount_granted": Decimal("2000"),
                "minutes_granted": 840, "subrogation": True},
    )  # fmt: skip
    request.refresh_from_db()
    assert request.session_price == Decimal("2800.00")  # the factory's session: 2 800 € HT
    with pytest.raises(IntegrityError), transaction.atomic():
        FundingRequest.objects.filter(pk=request.pk).update(amount_granted=Decimal("2800.01"))
    with pytest.raises(IntegrityError), transaction.atomic():
        FundingRequest.objects.filter(pk=request.pk).update(
            valid_from=dt.date(2027, 3, 1), valid_until=dt.date(2027, 2, 28)
        )


def test_a_pec_whose_validity_ends_before_it_starts_is_refused_in_french(
    trainer, client_user, organisation, funders
):
    from funding.models import FundingRequest
    from funding.services import funding_request_upload

    from .test_pec import pdf_bytes, upload

    session = _validated_session(trainer, client_user)
    with pytest.raises(DomainError, match="La fin de validité de l'accord .* précède son début"):
        funding_request_upload(
            session=session, actor=client_user, upload=upload(pdf_bytes(), "accord.pdf"),
            values={"decision": "total", "file_number": "EP-1", "amount_granted": Decimal("2800"),
                    "minutes_granted": 840, "subrogation": True,
                    "valid_from": dt.date(2027, 3, 1), "valid_until": dt.date(2027, 2, 1)},
        )  # fmt: skip
    assert not FundingRequest.objects.filter(session=session).exists()


# --- The pre-invoicing check (staff) --------------------------------------------------------------


def test_staff_see_the_pre_invoicing_check_and_no_invoice_is_issued_while_it_blocks(
    client, trainer, client_user, staff, organisation, funders
):
    from funding.models import FundingRequest

    from .conftest import login

    case = {"days": [("3h30", "3h30")], "trainees": 2, "absences": {1},
            "basis": "per_session", "unit": Decimal("2800"), "decision": "partial",
            "granted": Decimal("2000"), "subrogation": True, "rate": "0"}  # fmt: skip
    session = run_case(case, trainer, client_user, staff)
    drafts = {i.payer_kind: i for i in billing.invoices_prepare(session=session, actor=staff)}
    FundingRequest.objects.filter(session=session).update(file_number="")
    login(client, staff)
    url = f"/admin/training_sessions/trainingsession/{session.pk}/controle-facturation/"
    page = client.get(url).content.decode()
    assert "1 différence bloque l'émission des factures" in page
    assert "n° de dossier du financeur : manquant" in page
    # Prénom0 missed the afternoon: 3 h 30 of 7 h, on the record and on the OPCO's invoice.
    assert "Prénom0 Nom : 3 h 30 réalisées sur 7 h, certificat de réalisation prêt" in page
    assert "heures des stagiaires identiques à l&#x27;émargement" in page
    with pytest.raises(DomainError, match="contrôle avant facturation.*n° de dossier"):
        billing.invoice_issue(invoice=drafts["funder"], actor=staff)
    assert not Invoice.objects.filter(session=session, number__isnull=False).exists()

    FundingRequest.objects.filter(session=session).update(file_number="EP-7")
    page = client.get(url).content.decode()
    assert "Aucune différence bloquante" in page
    billing.invoice_issue(invoice=drafts["funder"], actor=staff)


def test_an_attendance_corrected_after_the_invoice_was_drawn_up_blocks_its_issue(
    client, trainer, client_user, staff, organisation, funders
):
    """The afternoon Prénom0 missed is corrected to present after the drafts: the OPCO's draft
    still states 3 h 30 and the certificate was drawn up before the correction."""
    from sessions.models import Attendance

    from .conftest import login

    case = {"days": [("3h30", "3h30")], "trainees": 1, "absences": {1},
            "basis": "per_session", "unit": Decimal("2800"), "decision": "partial",
            "granted": Decimal("2000"), "subrogation": True, "rate": "0"}  # fmt: skip
    session = run_case(case, trainer, client_user, staff)
    drafts = {i.payer_kind: i for i in billing.invoices_prepare(session=session, actor=staff)}
    Attendance.objects.filter(session=session, half="pm").update(
        present=True, recorded_at=timezone.now() + dt.timedelta(minutes=5)
    )
    login(client, staff)
    page = client.get(
        f"/admin/training_sessions/trainingsession/{session.pk}/controle-facturation/"
    ).content.decode()
    assert "établi avant la dernière correction de l&#x27;émargement" in page
    assert "différence : Prénom0 Nom 3 h 30 (émargement : 7 h)" in page
    with pytest.raises(DomainError, match="contrôle avant facturation"):
        billing.invoice_issue(invoice=drafts["funder"], actor=staff)
