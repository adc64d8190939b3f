"""The back-office home is the staff work queue: what waits, oldest first, each linked to its
action, with server-side charts; and one staff e-mail a day while PECs wait."""

import datetime as dt
from decimal import Decimal

from django.core import mail
from django.urls import reverse
from django.utils import timezone

from funding import services as funding
from funding.models import FundingRequest
from ganapati.models import OutgoingEmail
from sessions.models import TrainingSession

from .conftest import login
from .factories import TrainingSessionFactory, attach_client


def _validated(trainer, client_user):
    session = attach_client(TrainingSessionFactory(trainer=trainer), client_user)
    TrainingSession.objects.filter(pk=session.pk).update(  # setup only
        status="validated", validated_at=timezone.now()
    )
    session.refresh_from_db()
    return session


def _uploaded(session, days_ago: int) -> FundingRequest:
    return FundingRequest.objects.create(
        session=session, funder=session.funder, status="uploaded", decision="total",
        amount_granted=Decimal("2800"),
        uploaded_at=timezone.now() - dt.timedelta(days=days_ago),
    )  # fmt: skip


def test_the_admin_home_lists_pecs_to_check_oldest_first_each_linking_to_its_review(
    client, staff, trainer, client_user, django_assert_max_num_queries
):
    recent = _validated(trainer, client_user)
    old = _validated(trainer, client_user)
    new_pec, old_pec = _uploaded(recent, 1), _uploaded(old, 5)
    OutgoingEmail.objects.create(key="x", subject="Facture", to=["a@exemple.fr"], status="failed",
                                 template="billing_invoice", from_email="n@exemple.fr",
                                 body_text="…")  # fmt: skip
    login(client, staff)
    with django_assert_max_num_queries(40):
        page = client.get(reverse("admin:index")).content.decode()
    assert "PEC à vérifier" in page and "Sessions terminées à facturer" in page
    first = page.index(reverse("admin:funding_fundingrequest_change", args=[old_pec.pk]))
    second = page.index(reverse("admin:funding_fundingrequest_change", args=[new_pec.pk]))
    assert first < second  # oldest first
    assert '<span class="queue-count">2</span> PEC à vérifier' in page
    assert '<span class="queue-count">1</span> E-mails en échec' in page
    # Charts drawn on the server, as SVG with a text alternative.
    assert page.count("<svg") >= 4 and 'role="img"' in page
    assert "Sessions par état" in page and "Validée 2" in page.replace("\u202f", " ")


def test_the_admin_home_is_for_staff_only(client, trainer):
    login(client, trainer)
    assert client.get(reverse("admin:index")).status_code in (302, 403)


def test_staff_get_one_email_a_day_while_pecs_wait_oldest_first(
    staff, trainer, client_user, django_capture_on_commit_callbacks
):
    session = _validated(trainer, client_user)
    pec = _uploaded(session, 0)  # uploaded today: staff hear of it the same day
    today = timezone.localdate()
    with django_capture_on_commit_callbacks(execute=True):
        assert funding.funding_send_reminders(today=today)["staff"] == 1
    with django_capture_on_commit_callbacks(execute=True):
        funding.funding_send_reminders(today=today)  # a second run the same day: nothing more
    to_staff = [m for m in mail.outbox if staff.email in m.to]
    assert len(to_staff) == 1
    assert to_staff[0].subject == "1 accord de prise en charge à vérifier"
    assert f"/admin/funding/fundingrequest/{pec.pk}/change/" in to_staff[0].body
    with django_capture_on_commit_callbacks(execute=True):
        funding.funding_send_reminders(today=today + dt.timedelta(days=1))
    assert len([m for m in mail.outbox if staff.email in m.to]) == 2


def test_favicon_is_served_on_every_page(client, db):
    response = client.get("/favicon.ico", follow=True)
    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert b"<svg" in body
