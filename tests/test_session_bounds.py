"""Bad input on the session pages gets a French message (or a 4xx), never a 500, and the
largest session the forms allow can be run to its end."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from sessions.models import (
    MAX_DAYS,
    MAX_PRICE,
    MAX_TRAINEES,
    Attendance,
    SessionDay,
    TrainingSession,
)
from tests import clock

from .conftest import login
from .factories import TrainingSessionFactory, attach_client, next_monday
from .test_sessions import client_post, day_post, link_path


def test_a_tampered_row_count_with_add_a_day_or_a_trainee_is_not_a_500(client, trainer, funders):
    session = TrainingSessionFactory(trainer=trainer)
    login(client, trainer)
    url = reverse("session_schedule", args=[session.pk])
    for extra in ({"add_day": "1"}, {}):
        data = {**day_post([(next_monday(), "09:00", "12:00", "", "")]), **extra}
        data["jours-TOTAL_FORMS"] = "abc"
        response = client.post(url, data)
        assert response.status_code == 200, extra
    assert SessionDay.objects.filter(session=session).count() == 2  # unchanged

    client.post(reverse("session_link_issue", args=[session.pk]))
    link = link_path(session)
    client.logout()
    for extra in ({"add_trainee": "1"}, {}):
        data = {**client_post(session), **extra, "stagiaires-TOTAL_FORMS": "abc"}
        assert client.post(link, data).status_code == 200, extra
    session.refresh_from_db()
    assert session.company is None


def test_more_days_than_the_maximum_are_refused_in_french(client, trainer):
    session = TrainingSessionFactory(trainer=trainer)
    login(client, trainer)
    start = next_monday()
    days = [(start + dt.timedelta(days=i), "09:00", "12:00", "", "") for i in range(70)]
    response = client.post(reverse("session_schedule", args=[session.pk]), day_post(days))
    assert response.status_code == 200
    assert f"{MAX_DAYS} formulaires" in response.content.decode()
    # 200 days are more fields than Django reads from a form: a French 400 page.
    days = [(start + dt.timedelta(days=i), "09:00", "12:00", "", "") for i in range(200)]
    response = client.post(reverse("session_schedule", args=[session.pk]), day_post(days))
    assert response.status_code == 400
    assert "trop de champs" in response.content.decode()
    assert SessionDay.objects.filter(session=session).count() == 2  # unchanged


def test_an_absurd_price_or_number_of_places_is_refused_by_the_form_and_the_database(
    client, trainer
):
    session = TrainingSessionFactory(trainer=trainer)
    login(client, trainer)
    response = client.post(reverse("session_price", args=[session.pk]), {
        "price_excl_tax": "99 999 999,99", "price_basis": "per_trainee",
        "trainees_min": "1", "trainees_max": "170"})  # fmt: skip
    assert response.status_code == 200
    page = response.content.decode()
    assert "inférieure ou égale" in page
    session.refresh_from_db()
    assert session.price_excl_tax == Decimal("2800.00") and session.trainees_max == 4
    for values in ({"price_excl_tax": MAX_PRICE + 1}, {"trainees_max": MAX_TRAINEES + 1}):
        with pytest.raises(IntegrityError), transaction.atomic():
            TrainingSession.objects.filter(pk=session.pk).update(**values)


def test_the_largest_session_records_its_attendance_half_day_by_half_day(
    client, trainer, client_user, organisation, funders, django_capture_on_commit_callbacks
):
    """100 trainees × 3 days: each half-day posts 100 boxes (Django refuses forms of more
    than 1 000 fields; the former single grid had 600 here)."""
    start = next_monday()
    session = attach_client(
        TrainingSessionFactory(
            trainer=trainer, trainees_max=MAX_TRAINEES, duration_minutes=21 * 60,
            days=[start + dt.timedelta(days=i) for i in range(3)],
        ),
        client_user, trainees=MAX_TRAINEES,
    )  # fmt: skip
    TrainingSession.objects.filter(pk=session.pk).update(
        status="running", validated_at=session.created_at
    )
    clock.after(session)
    login(client, trainer)
    url = reverse("session_attendance", args=[session.pk])
    trainees = list(session.trainees.all())
    halves = [(d.pk, h) for d in session.days.all() for h in ("am", "pm")]
    for day_id, half in halves:
        present = [str(t.pk) for t in trainees[1:]]  # the first one is absent all along
        response = client.post(url, {"half_day": f"{day_id}-{half}", "present": present})
        assert response.status_code == 302
    assert Attendance.objects.filter(session=session).count() == MAX_TRAINEES * len(halves)
    assert not Attendance.objects.filter(trainee=trainees[0], present=True).exists()
    page = client.get(url).content.decode()
    assert page.count("— enregistrée") == len(halves)
    assert "21 h" in page and "0 h" in page


def test_an_unknown_half_day_is_refused_in_french(client, trainer, client_user, funders):
    session = attach_client(TrainingSessionFactory(trainer=trainer), client_user)
    TrainingSession.objects.filter(pk=session.pk).update(
        status="running", validated_at=session.created_at
    )
    clock.after(session)
    login(client, trainer)
    url = reverse("session_attendance", args=[session.pk])
    response = client.post(url, {"half_day": "999999-am", "present": ["1"]}, follow=True)
    assert "Choisissez la demi-journée" in response.content.decode()
    assert not Attendance.objects.exists()


def test_the_new_session_form_sent_twice_creates_one_draft(client, trainer):
    from .conftest import form_token_in
    from .test_sessions import TRAINING_POST

    login(client, trainer)
    token = form_token_in(client.get(reverse("session_new")))
    first = client.post(reverse("session_new"), {**TRAINING_POST, "form_token": token})
    again = client.post(reverse("session_new"), {**TRAINING_POST, "form_token": token})
    assert first.status_code == 302 and again.status_code == 200
    assert "déjà été envoyé" in again.content.decode()
    assert TrainingSession.objects.filter(trainer=trainer).count() == 1


def test_a_pec_upload_sent_twice_records_one_upload(
    client, trainer, client_user, organisation, funders, django_capture_on_commit_callbacks
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from funding.models import PecUpload
    from sessions.services import session_validate

    from .conftest import form_token_in
    from .test_pec import pdf_bytes

    session = attach_client(TrainingSessionFactory(trainer=trainer), client_user)
    with django_capture_on_commit_callbacks(execute=True):
        session_validate(session=session, actor=trainer)
    login(client, client_user)
    url = reverse("client_funding", args=[session.pk])
    token = form_token_in(client.get(url))
    data = {"decision": "total", "amount_granted": "2800", "minutes_granted": "14 h",
            "file_number": "X-1", "subrogation": "on", "form_token": token}  # fmt: skip
    responses = [
        client.post(url, {**data, "file": SimpleUploadedFile("a.pdf", pdf_bytes())})
        for _ in range(2)
    ]
    assert responses[0].status_code == 302, responses[0].content.decode()[-2000:]
    assert "déjà été envoyé" in responses[1].content.decode()
    assert PecUpload.objects.filter(request__session=session).count() == 1
