"""The next step follows the funding, not only the session's state, and the client sees only
what the client must do."""

from decimal import Decimal

import pytest
from django.urls import reverse

from funding import services as funding
from funding.models import FundingRequest
from sessions import services as sessions

from .conftest import login
from .factories import TrainingSessionFactory, attach_client
from .test_pec import post_pec


@pytest.fixture
def validated(trainer, client_user, organisation, django_capture_on_commit_callbacks):
    session = attach_client(TrainingSessionFactory(trainer=trainer), client_user)
    with django_capture_on_commit_callbacks(execute=True):
        sessions.session_validate(session=session, actor=trainer)
    session.refresh_from_db()
    return session


def _pages(client, trainer, client_user, session):
    login(client, trainer)
    trainer_home = client.get(reverse("trainer_home")).content.decode()
    trainer_detail = client.get(reverse("session_detail", args=[session.pk])).content.decode()
    login(client, client_user)
    client_home = client.get(reverse("client_home")).content.decode()
    client_detail = client.get(reverse("client_session_detail", args=[session.pk])).content.decode()
    return trainer_home, trainer_detail, client_home, client_detail


def test_before_the_pec_the_client_is_asked_for_it(client, trainer, client_user, validated):
    pages = _pages(client, trainer, client_user, validated)
    for page in pages:
        assert "Le client demande la prise en charge et dépose l&#x27;accord (PEC)" in page


def test_once_the_pec_is_uploaded_staff_check_it_and_the_client_has_nothing_to_do(
    client, trainer, client_user, validated, django_capture_on_commit_callbacks
):
    login(client, client_user)
    with django_capture_on_commit_callbacks(execute=True):
        post_pec(client, validated)
    trainer_home, trainer_detail, client_home, client_detail = _pages(
        client, trainer, client_user, validated
    )
    for page in (trainer_home, trainer_detail):
        assert "L&#x27;équipe vérifie l&#x27;accord de prise en charge déposé" in page
        assert "Le client demande la prise en charge" not in page
    for page in (client_home, client_detail):
        assert "Rien à faire de votre côté pour l&#x27;instant." in page
        assert "vérifie l&#x27;accord" not in page


def test_a_partial_pec_waits_for_the_clients_commitment_on_both_sides(
    client, trainer, client_user, staff, validated, django_capture_on_commit_callbacks
):
    login(client, client_user)
    with django_capture_on_commit_callbacks(execute=True):
        post_pec(client, validated, decision="partial", amount_granted="2000")
        funding.funding_request_validate(
            request=FundingRequest.objects.get(session=validated), actor=staff
        )
    assert FundingRequest.objects.get(session=validated).amount_granted == Decimal("2000")
    for page in _pages(client, trainer, client_user, validated):
        assert "Le client accepte le reste à charge après la PEC partielle" in page
