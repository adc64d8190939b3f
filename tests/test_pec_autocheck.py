"""PEC auto-check: what an OPCO agreement states, read from the PDF in the layouts OPCOs use, set
beside the session's values on the staff review page, and the decision form prefilled with it."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from funding import services as funding
from funding.models import CollectiveAgreement, FundingRequest
from funding.pec_check import extract, pdf_text
from ganapati.models import Funder
from sessions import services as sessions

from .conftest import login
from .pec_layouts import LAYOUTS, Pec, pec_pdf
from .test_pec import post_pec


@pytest.fixture
def validated(trainer, client_user, organisation, django_capture_on_commit_callbacks):
    from .factories import TrainingSessionFactory, attach_client

    session = attach_client(TrainingSessionFactory(trainer=trainer), client_user)
    with django_capture_on_commit_callbacks(execute=True):
        sessions.session_validate(session=session, actor=trainer)
    session.refresh_from_db()
    return session


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_each_layout_gives_the_dossier_amount_hours_dates_company_siret_trainees_and_subrogation(
    layout,
):
    pec = Pec(amount=Decimal("1785.00"), hours="10 h 30", subrogation=False)
    facts = extract(pdf_text(pec_pdf(pec, layout)),
                    trainee_names=["Alice Martin", "Bruno Petit", "Zoé Durand"])  # fmt: skip
    assert facts.file_number == "ATL-2027-004512"
    assert facts.amount == Decimal("1785.00")
    assert facts.minutes == 10 * 60 + 30
    assert (facts.date_from, facts.date_to) == (dt.date(2027, 2, 15), dt.date(2027, 2, 16))
    assert facts.siret == "73282932000074"
    assert facts.company_name == "Acme Formation SAS"
    assert facts.trainees == ["Alice Martin", "Bruno Petit"]  # Zoé is not in this agreement
    assert facts.subrogation is False
    assert facts.opco_name == "atlas"


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_subrogation_is_read_as_yes_when_the_opco_pays_the_training_body(layout):
    facts = extract(pdf_text(pec_pdf(Pec(subrogation=True), layout)))
    assert facts.subrogation is True


def test_a_pdf_without_text_finds_nothing_rather_than_guessing():
    facts = extract("")
    assert (facts.file_number, facts.amount, facts.minutes, facts.siret) == (None,) * 4
    assert facts.subrogation is None


def _session_pec(session, **overrides) -> Pec:
    days = sorted(d.date for d in session.days.all())
    values = {
        "opco": "OPCO EP", "file_number": "OPCO-2026-42", "amount": Decimal("2800.00"),
        "hours": "14 heures", "date_from": days[0], "date_to": days[-1],
        "company": session.company.legal_name, "siret": session.company.siret,
        "trainees": [f"{t.first_name} {t.last_name}" for t in session.trainees.all()],
        "subrogation": True,
    }  # fmt: skip
    return Pec(**{**values, **overrides})


def test_staff_see_each_value_beside_the_session_and_the_form_prefilled_with_what_was_read(
    client,
    validated,
    staff,
    client_user,
    django_capture_on_commit_callbacks,
):
    session = validated
    pec = _session_pec(session, amount=Decimal("2500.00"), subrogation=False)
    login(client, client_user)
    with django_capture_on_commit_callbacks(execute=True):
        post_pec(client, session, content=pec_pdf(pec, "tableau"))
    funding_request = FundingRequest.objects.get(session=session)
    upload = funding_request.uploads.get()
    assert upload.facts["amount"] == "2500.00" and upload.facts["subrogation"] is False
    login(client, staff)
    page = client.get(
        reverse("admin:funding_fundingrequest_change", args=[funding_request.pk])
    ).content.decode()
    assert "Vérification automatique : 2 écarts" in page  # amount and subrogation
    assert "2\u202f500,00 €" in page and "oui (session « avec subrogation »)" in page
    assert page.count("Conforme") >= 5
    assert 'name="amount_granted" value="2500,00"' in page or 'value="2500.00"' in page
    assert 'name="subrogation"' in page and 'name="subrogation" checked' not in page


def test_staff_validate_with_the_values_they_retained(
    client,
    validated,
    staff,
    client_user,
    django_capture_on_commit_callbacks,
):
    session = validated
    login(client, client_user)
    with django_capture_on_commit_callbacks(execute=True):
        post_pec(client, session, content=pec_pdf(_session_pec(session), "lettre"),
                 file_number="faute-de-frappe")  # fmt: skip
    funding_request = FundingRequest.objects.get(session=session)
    login(client, staff)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:funding_fundingrequest_validate", args=[funding_request.pk]),
            {
                "file_number": "OPCO-2026-42",
                "amount_granted": "2800,00",
                "minutes_granted": "14 h",
                "subrogation": "on",
                "valid_from": "",
                "valid_until": "",
            },  # fmt: skip
        )
    assert response.status_code == 302
    funding_request.refresh_from_db()
    assert funding_request.status == "validated"
    assert funding_request.file_number == "OPCO-2026-42"


def test_validation_refuses_a_retained_amount_above_the_session_price(
    validated,
    staff,
):
    request = FundingRequest.objects.create(
        session=validated, funder=validated.funder, status="uploaded", decision="total",
        amount_granted=Decimal("2800"), uploaded_at=validated.validated_at,
    )  # fmt: skip
    from ganapati.errors import DomainError

    with pytest.raises(DomainError, match="ne pas dépasser le prix"):
        funding.funding_request_validate(
            request=request, actor=staff, values={"amount_granted": Decimal("9000")}
        )
    request.refresh_from_db()
    assert (request.status, request.amount_granted) == ("uploaded", Decimal("2800.00"))


def test_the_opco_chosen_is_compared_with_the_one_of_the_companys_collective_agreement(
    client,
    validated,
    staff,
    client_user,
    django_capture_on_commit_callbacks,
):
    session = validated  # funder: OPCO EP
    session.company.idcc = "0018"  # textile industries: OPCO 2i
    session.company.save()
    assert CollectiveAgreement.objects.get(idcc="18").opco == Funder.objects.get(code="opco2i")
    login(client, client_user)
    with django_capture_on_commit_callbacks(execute=True):
        post_pec(client, session, content=pec_pdf(_session_pec(session), "liste"))
    login(client, staff)
    funding_request = FundingRequest.objects.get(session=session)
    page = client.get(
        reverse("admin:funding_fundingrequest_change", args=[funding_request.pk])
    ).content.decode()
    assert "IDCC 0018 → OPCO 2i" in page
    assert "Vérification automatique : 1 écart" in page
