"""One lock order for the PEC: the session's row first, then the PEC's, in every service —
checked on PostgreSQL with real row locks held by other connections."""

import threading
import time
from decimal import Decimal

import pytest
from django.db import OperationalError, connections, transaction

from funding import services as funding
from funding.models import FundingRequest
from sessions.models import TrainingSession

from .conftest import require
from .factories import TrainingSessionFactory, attach_client
from .test_pec import pdf_bytes, upload

pytestmark = pytest.mark.django_db(transaction=True)

VALUES = {"decision": "total", "amount_granted": Decimal("2800"), "minutes_granted": 840,
          "subrogation": True}  # fmt: skip


def _uploaded_pec(trainer, client_user):
    session = attach_client(TrainingSessionFactory(trainer=trainer), client_user)
    TrainingSession.objects.filter(pk=session.pk).update(
        status="validated", validated_at=session.created_at
    )
    session.refresh_from_db()
    return funding.funding_request_upload(
        session=session, actor=client_user, upload=upload(pdf_bytes()), values=VALUES
    )


def _in_thread(func, errors):
    def run():
        try:
            func()
        except Exception as exc:  # reported by the test
            errors.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


@pytest.mark.parametrize("service", ["validate", "reject", "upload"])
def test_each_pec_service_waits_for_the_session_before_touching_the_pec(
    service, trainer, client_user, staff, organisation, funders
):
    from django.db import connection

    require(connection.vendor == "postgresql", "PostgreSQL requis (DATABASE_URL)")
    request = _uploaded_pec(trainer, client_user)
    calls = {
        "validate": lambda: funding.funding_request_validate(request=request, actor=staff),
        "reject": lambda: funding.funding_request_reject(request=request, actor=staff,
                                                         reason="Illisible"),
        "upload": lambda: funding.funding_request_upload(
            session=request.session, actor=client_user, upload=upload(pdf_bytes()),
            values=VALUES),
    }  # fmt: skip
    holding, release, errors = threading.Event(), threading.Event(), []

    def hold_the_session():
        with transaction.atomic():
            TrainingSession.objects.select_for_update().get(pk=request.session_id)
            holding.set()
            release.wait(20)

    holder = _in_thread(hold_the_session, errors)
    assert holding.wait(10)
    worker = _in_thread(calls[service], errors)
    time.sleep(0.5)  # the service is now waiting for the session's lock...
    # ...and has not locked the PEC: another connection takes it at once (NOWAIT).
    with transaction.atomic():
        FundingRequest.objects.select_for_update(nowait=True).get(pk=request.pk)
    release.set()
    holder.join(20)
    worker.join(20)
    assert errors == []


def test_upload_and_validation_at_the_same_time_never_deadlock(
    trainer, client_user, staff, organisation, funders
):
    from django.db import connection

    require(connection.vendor == "postgresql", "PostgreSQL requis (DATABASE_URL)")
    for _ in range(5):
        request = _uploaded_pec(trainer, client_user)
        barrier, errors = threading.Barrier(2), []

        def validate(request=request, barrier=barrier):
            barrier.wait()
            funding.funding_request_validate(request=request, actor=staff)

        def upload_again(request=request, barrier=barrier):
            barrier.wait()
            funding.funding_request_upload(
                session=request.session, actor=client_user, upload=upload(pdf_bytes()),
                values=VALUES,
            )  # fmt: skip

        threads = [_in_thread(validate, errors), _in_thread(upload_again, errors)]
        for thread in threads:
            thread.join(30)
        assert not [e for e in errors if isinstance(e, OperationalError)], errors
        # One of them went first; the other either followed or was refused in French.
        request.refresh_from_db()
        assert request.status in ("validated", "uploaded")
