"""Every state machine has one table, and every service refuses the states it must refuse.

The expectations below are written out by hand from the product's rules, not read from the
tables: a table that drifts from the rules makes these tests fail.
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.forms.models import model_to_dict
from django.utils import timezone

from billing import services as billing
from billing.models import AuditExportJob, Invoice, Payment, Payout, PayoutBatch
from billing.states import (
    BPF_STATES,
    EXPORT_STATES,
    INVOICE_STATES,
    PAYOUT_STATES,
    TRANSMISSION_STATES,
)
from documents import services as documents
from documents.models import Document
from documents.states import DOCUMENT_STATES
from funding import services as funding
from funding.models import ClientCommitment, FundingRequest, PecUpload
from funding.states import FUNDING_STATES
from ganapati import services as core
from ganapati.errors import DomainError
from ganapati.models import AuditEvent, OutgoingEmail
from ganapati.outbox_states import OUTBOX_STATES
from sessions import services as sessions
from sessions.models import Attendance, AttendanceScan, SessionDay, Trainee, TrainingSession
from sessions.quality import COMPLAINT_STATES
from sessions.states import SESSION_STATES, SLOT_STATES

from .factories import TrainingSessionFactory, attach_client

# --- The tables, against rules written by hand --------------------------------------------------

SESSION_ALLOWED = {
    ("draft", "awaiting_client"), ("draft", "ready"), ("draft", "cancelled"),
    ("awaiting_client", "draft"), ("awaiting_client", "ready"), ("awaiting_client", "cancelled"),
    ("ready", "validated"), ("ready", "cancelled"),
    ("validated", "funded"), ("validated", "cancelled"),
    ("funded", "running"), ("funded", "cancelled"),
    ("running", "completed"),
}  # fmt: skip
FUNDING_ALLOWED = {
    ("uploaded", "validated"), ("uploaded", "rejected"), ("uploaded", "uploaded"),
    ("rejected", "uploaded"),
}  # fmt: skip
INVOICE_ALLOWED = {
    ("draft", "issued"), ("issued", "paid"), ("issued", "cancelled"), ("paid", "cancelled"),
}  # fmt: skip
# A credit note suspends a payout not yet batched; it is ready again once everything is paid.
PAYOUT_ALLOWED = {("ready", "batched"), ("batched", "paid"), ("ready", "on_hold"),
                  ("on_hold", "ready")}  # fmt: skip
TRANSMISSION_ALLOWED = {
    ("", "pending"), ("pending", "emailed"), ("pending", "to_deposit"), ("to_deposit", "deposited"),
}  # fmt: skip
DOCUMENT_ALLOWED = {("pending", "ready"), ("pending", "failed"), ("failed", "pending")}
EXPORT_ALLOWED = {
    ("pending", "running"), ("running", "done"), ("running", "failed"), ("running", "pending"),
    ("failed", "pending"),
}  # fmt: skip
OUTBOX_ALLOWED = {
    ("queued", "sending"), ("sending", "sent"), ("sending", "failed"), ("sending", "queued"),
    ("failed", "queued"), ("sent", "queued"),
}  # fmt: skip
# A complaint is analysed, then answered, then closed with its improvement action: no step skipped.
COMPLAINT_ALLOWED = {("received", "analysed"), ("analysed", "answered"), ("answered", "closed")}
# A BPF is locked once filed, for good.
BPF_ALLOWED = {("draft", "locked")}
# A half-day slot: signed or marked absent; a mark is corrected (with a reason) before closing.
SLOT_ALLOWED = {("open", "signed"), ("open", "absent"), ("signed", "absent"), ("absent", "open")}

MACHINES = [
    ("session", SESSION_STATES, SESSION_ALLOWED,
     {"draft", "awaiting_client", "ready", "validated", "funded", "running", "completed",
      "cancelled"}),
    ("pec", FUNDING_STATES, FUNDING_ALLOWED, {"uploaded", "validated", "rejected"}),
    ("invoice", INVOICE_STATES, INVOICE_ALLOWED, {"draft", "issued", "paid", "cancelled"}),
    ("payout", PAYOUT_STATES, PAYOUT_ALLOWED, {"ready", "on_hold", "batched", "paid"}),
    ("transmission", TRANSMISSION_STATES, TRANSMISSION_ALLOWED,
     {"", "pending", "emailed", "to_deposit", "deposited"}),
    ("document", DOCUMENT_STATES, DOCUMENT_ALLOWED, {"pending", "ready", "failed"}),
    ("export", EXPORT_STATES, EXPORT_ALLOWED, {"pending", "running", "done", "failed"}),
    ("email", OUTBOX_STATES, OUTBOX_ALLOWED, {"queued", "sending", "sent", "failed"}),
    ("complaint", COMPLAINT_STATES, COMPLAINT_ALLOWED,
     {"received", "analysed", "answered", "closed"}),
    ("bpf", BPF_STATES, BPF_ALLOWED, {"draft", "locked"}),
    ("slot", SLOT_STATES, SLOT_ALLOWED, {"open", "signed", "absent"}),
]  # fmt: skip


@pytest.mark.parametrize("name,machine,allowed,states", MACHINES, ids=[m[0] for m in MACHINES])
def test_each_table_allows_exactly_the_transitions_of_the_rules(name, machine, allowed, states):
    assert set(machine.states) == states
    table = {(a, b) for a in machine.states for b in machine.states if machine.can(a, b)}
    assert table == allowed


def test_a_refused_transition_is_a_french_error_and_changes_nothing_in_memory():
    session = TrainingSession(status="completed")
    with pytest.raises(DomainError, match="la session est « Terminée » et ne peut pas passer à"):
        SESSION_STATES.advance(session, "running")
    assert session.status == "completed"


# --- Every service refuses the states it must refuse -------------------------------------------

WATCHED = [
    AuditEvent, OutgoingEmail, Document, TrainingSession, SessionDay, Trainee, Attendance,
    AttendanceScan, FundingRequest, PecUpload, ClientCommitment, Invoice, Payment, Payout,
    PayoutBatch, AuditExportJob,
]  # fmt: skip


def database_state():
    return {
        model.__name__: sorted(
            (
                sorted((k, str(v)) for k, v in model_to_dict(obj).items())
                for obj in model.objects.all()
            ),
            key=str,
        )
        for model in WATCHED
    }  # fmt: skip


def assert_refused(call):
    before = database_state()
    with pytest.raises(DomainError) as info:
        call()
    assert info.value.message and info.value.message[0].isupper()  # a French sentence
    assert database_state() == before


def pdf_upload(name="piece.pdf"):
    import io

    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return SimpleUploadedFile(name, out.getvalue(), "application/pdf")


def session_in(status, trainer, client_user):
    session = attach_client(TrainingSessionFactory(trainer=trainer), client_user)
    stamps = {"validated_at": timezone.now()} if status in (
        "validated", "funded", "running", "completed") else {}  # fmt: skip
    if status in ("draft", "awaiting_client"):
        stamps.update(company=None, contact=None)
    TrainingSession.objects.filter(pk=session.pk).update(status=status, **stamps)
    session.refresh_from_db()
    return session


ALL_SESSION_STATES = [
    "draft", "awaiting_client", "ready", "validated", "funded", "running", "completed",
    "cancelled",
]  # fmt: skip
NOT_EDITABLE = ["validated", "funded", "running", "completed", "cancelled"]


def _client_values(session):
    return {
        "company": {"siret": session.company.siret if session.company else "73282932000074",
                    "legal_name": "X", "address": "1 rue", "postal_code": "75001",
                    "city": "Paris"},
        "contact": {"email": "nouveau@exemple.fr", "first_name": "A", "last_name": "B"},
        "trainees": [{"first_name": "C", "last_name": "D", "email": "c@d.fr"}],
        "funding_mode": "company",
        "funder": None,
    }  # fmt: skip


SESSION_SERVICES = {
    # service: (call, the states it must refuse — written by hand)
    "session_update": (
        lambda s, u: sessions.session_update(session=s, actor=u, values={"title": "Autre"}),
        NOT_EDITABLE,
    ),
    "session_set_schedule": (
        lambda s, u: sessions.session_set_schedule(
            session=s,
            actor=u,
            days=[
                {
                    "date": timezone.localdate() + dt.timedelta(days=30),
                    "morning_start": dt.time(9),
                    "morning_end": dt.time(12),
                }
            ],
        ),
        NOT_EDITABLE,
    ),  # fmt: skip
    "session_link_issue": (
        lambda s, u: sessions.session_link_issue(session=s, actor=u),
        NOT_EDITABLE,
    ),
    "session_client_submit": (
        lambda s, u: sessions.session_client_submit(session=s, actor=u, **_client_values(s)),
        NOT_EDITABLE,
    ),
    "session_validate": (
        lambda s, u: sessions.session_validate(session=s, actor=u),
        ["draft", "awaiting_client", "validated", "funded", "running", "completed", "cancelled"],
    ),
    "session_cancel": (
        lambda s, u: sessions.session_cancel(session=s, actor=u, reason="Motif"),
        ["running", "completed", "cancelled"],
    ),
    "session_fund": (
        lambda s, u: sessions.session_fund(session=s, actor=u),
        ["draft", "awaiting_client", "ready", "funded", "running", "completed", "cancelled"],
    ),
    "session_start": (
        lambda s, u: sessions.session_start(session=s, actor=u),
        ["draft", "awaiting_client", "ready", "validated", "running", "completed", "cancelled"],
    ),
    "attendance_record": (
        lambda s, u: sessions.attendance_record(session=s, actor=u, present=set()),
        ["draft", "awaiting_client", "ready", "validated", "funded", "completed", "cancelled"],
    ),
    "attendance_scan_upload": (
        lambda s, u: sessions.attendance_scan_upload(session=s, actor=u, upload=pdf_upload()),
        ["draft", "awaiting_client", "ready", "validated", "funded", "cancelled"],
    ),
    "session_complete": (
        lambda s, u: sessions.session_complete(session=s, actor=u, results={}),
        ["draft", "awaiting_client", "ready", "validated", "funded", "completed", "cancelled"],
    ),
    "funding_request_upload": (
        lambda s, u: funding.funding_request_upload(
            session=s,
            actor=s.contact or u,
            upload=pdf_upload(),
            values={
                "decision": "total",
                "amount_granted": Decimal("2800"),
                "minutes_granted": 840,
                "subrogation": True,
            },
        ),
        ["draft", "awaiting_client", "ready", "funded", "running", "completed", "cancelled"],
    ),  # fmt: skip
    "client_commit_to_pay": (
        lambda s, u: funding.client_commit_to_pay(session=s, actor=s.contact or u, ip=None),
        ["draft", "awaiting_client", "ready", "funded", "running", "completed", "cancelled"],
    ),
    "invoices_prepare": (
        lambda s, u: billing.invoices_prepare(session=s, actor=u),
        ["draft", "awaiting_client", "ready", "validated", "funded", "running", "cancelled"],
    ),
}
SESSION_CASES = [
    (service, state) for service, (_, refused) in SESSION_SERVICES.items() for state in refused
]


@pytest.mark.parametrize("service,state", SESSION_CASES, ids=[f"{a}-{b}" for a, b in SESSION_CASES])
def test_a_session_service_refuses_a_wrong_state_and_changes_nothing(
    service, state, trainer, client_user, organisation, funders
):
    session = session_in(state, trainer, client_user)
    call, _ = SESSION_SERVICES[service]
    assert_refused(lambda: call(session, trainer))


# --- The PEC ----------------------------------------------------------------------------------


def pec_in(status, trainer, client_user):
    session = session_in("validated", trainer, client_user)
    return FundingRequest.objects.create(
        session=session, funder=session.funder, status=status, decision="total",
        amount_granted=Decimal("2800"), minutes_granted=840, subrogation=True,
        uploaded_at=timezone.now(),
        rejection_reason="Illisible" if status == "rejected" else "",
    )  # fmt: skip


PEC_SERVICES = {
    "funding_request_validate": (
        lambda r, u: funding.funding_request_validate(request=r, actor=u),
        ["validated", "rejected"],
    ),
    "funding_request_reject": (
        lambda r, u: funding.funding_request_reject(request=r, actor=u, reason="Illisible"),
        ["validated", "rejected"],
    ),
    "funding_request_upload (déjà validée)": (
        lambda r, u: funding.funding_request_upload(
            session=r.session,
            actor=r.session.contact,
            upload=pdf_upload(),
            values={
                "decision": "total",
                "amount_granted": Decimal("2800"),
                "minutes_granted": 840,
                "subrogation": True,
            },
        ),
        ["validated"],
    ),  # fmt: skip
}
PEC_CASES = [(s, state) for s, (_, refused) in PEC_SERVICES.items() for state in refused]


@pytest.mark.parametrize("service,state", PEC_CASES, ids=[f"{a}-{b}" for a, b in PEC_CASES])
def test_a_pec_service_refuses_a_wrong_state_and_changes_nothing(
    service, state, trainer, client_user, staff, organisation, funders
):
    request = pec_in(state, trainer, client_user)
    call, _ = PEC_SERVICES[service]
    assert_refused(lambda: call(request, staff))


# --- Invoices, payouts, exports -----------------------------------------------------------------


def invoice_in(status, trainer, client_user, kind="invoice"):
    session = session_in("completed", trainer, client_user)
    issued = status != "draft"
    return Invoice.objects.create(
        session=session, kind=kind, status=status, payer_kind="company", buyer_name="X",
        buyer_address="Y", description="Formation",
        total_excl_tax=Decimal("100"), vat_amount=Decimal("0"), total_incl_tax=Decimal("100"),
        service_start=timezone.localdate(), service_end=timezone.localdate(),
        number=f"T-{status}" if issued else None,
        issue_date=timezone.localdate() if issued else None,
        due_date=timezone.localdate() if issued else None,
        credited_invoice=Invoice.objects.create(
            session=session, status="cancelled", payer_kind="company", buyer_name="X",
            buyer_address="Y", description="F", total_excl_tax=1,
            total_incl_tax=1, service_start=timezone.localdate(),
            service_end=timezone.localdate(), number="T-origin",
            issue_date=timezone.localdate(),
        ) if kind == "credit_note" else None,
    )  # fmt: skip


INVOICE_SERVICES = {
    "invoice_issue": (
        lambda i, u: billing.invoice_issue(invoice=i, actor=u),
        ["issued", "paid", "cancelled"],
    ),
    "credit_note_issue": (
        lambda i, u: billing.credit_note_issue(invoice=i, actor=u, reason="Erreur"),
        ["draft", "cancelled"],
    ),
    "payment_record": (
        lambda i, u: billing.payment_record(
            invoice=i, actor=u, amount=Decimal("10"), paid_on=timezone.localdate(), payer="X"
        ),
        ["draft", "cancelled"],
    ),  # fmt: skip
}
INVOICE_CASES = [(s, state) for s, (_, refused) in INVOICE_SERVICES.items() for state in refused]


@pytest.mark.parametrize("service,state", INVOICE_CASES, ids=[f"{a}-{b}" for a, b in INVOICE_CASES])
def test_an_invoice_service_refuses_a_wrong_state_and_changes_nothing(
    service, state, trainer, client_user, staff, organisation, funders
):
    invoice = invoice_in(state, trainer, client_user)
    call, _ = INVOICE_SERVICES[service]
    assert_refused(lambda: call(invoice, staff))


@pytest.mark.parametrize("service", ["credit_note_issue", "payment_record"])
def test_a_credit_note_itself_can_be_neither_credited_nor_paid(
    service, trainer, client_user, staff, organisation, funders
):
    credit = invoice_in("issued", trainer, client_user, kind="credit_note")
    call, _ = INVOICE_SERVICES[service]
    assert_refused(lambda: call(credit, staff))


def payout_in(status, trainer, client_user, staff):
    session = session_in("completed", trainer, client_user)
    batch = None
    if status != "ready":
        batch = PayoutBatch.objects.create(created_by=staff, total=Decimal("85"))
    return Payout.objects.create(
        session=session, trainer=trainer, collected=Decimal("100"),
        commission_rate=Decimal("15"), commission=Decimal("15"), amount=Decimal("85"),
        status=status, batch=batch, paid_at=timezone.now() if status == "paid" else None,
        trainer_invoice="factures-formateurs/x.pdf",
    )  # fmt: skip


@pytest.mark.parametrize("state", ["batched", "paid"])
def test_a_trainer_invoice_cannot_change_once_the_payout_is_batched_or_paid(
    state, trainer, client_user, staff, organisation, funders
):
    payout = payout_in(state, trainer, client_user, staff)
    assert_refused(lambda: billing.payout_invoice_upload(
        payout=payout, actor=trainer, upload=pdf_upload(), amount=Decimal("85")))  # fmt: skip


@pytest.mark.parametrize("state", ["batched", "paid"])
def test_a_payout_is_never_put_in_two_sepa_batches(
    state, trainer, client_user, staff, organisation, funders
):
    payout = payout_in(state, trainer, client_user, staff)
    assert_refused(lambda: billing.payout_batch_create(payout_ids=[payout.pk], actor=staff))


def test_a_batch_is_marked_sent_once(trainer, client_user, staff, organisation, funders):
    payout = payout_in("paid", trainer, client_user, staff)
    PayoutBatch.objects.filter(pk=payout.batch_id).update(sent_at=timezone.now())
    assert_refused(lambda: billing.payout_batch_mark_sent(batch=payout.batch, actor=staff))


@pytest.mark.parametrize("state", ["pending", "running", "done"])
def test_only_a_failed_export_is_retried(state, staff, organisation):
    job = AuditExportJob.objects.create(requested_by=staff, session_ids=[1], status=state)
    assert_refused(lambda: billing.audit_export_retry(job=job, actor=staff))


@pytest.mark.parametrize("state", ["pending", "ready"])
def test_only_a_failed_document_is_retried(state, trainer, client_user, staff, organisation,
                                           funders):  # fmt: skip
    from django.contrib.contenttypes.models import ContentType

    session = session_in("validated", trainer, client_user)
    document = Document.objects.create(
        owner_type=ContentType.objects.get_for_model(session), owner_id=session.pk, kind="devis",
        title="Devis", version=1, source="test", status=state,
        sha256="0" * 64 if state == "ready" else "",
    )  # fmt: skip
    assert_refused(lambda: documents.document_retry(document=document, actor=staff))


@pytest.mark.parametrize("state", ["queued", "sending"])
def test_an_email_queued_or_being_sent_is_not_resent(state, staff):
    email = OutgoingEmail.objects.create(
        key=f"test:{state}", template="password_changed", to=["a@b.fr"], from_email="x@y.fr",
        subject="S", body_text="B", status=state,
    )  # fmt: skip
    assert_refused(lambda: core.outbox_resend(email_ids=[email.pk], actor=staff))


def test_a_locked_bpf_can_be_neither_locked_again_nor_recomputed(staff, organisation):
    import datetime as dt

    from billing.models import BpfReport
    from billing.services import bpf_compute, bpf_lock

    report = BpfReport.objects.create(
        year=2025, period_start=dt.date(2025, 1, 1), period_end=dt.date(2025, 12, 31),
        form_version="10443*17", status="locked", figures={"lines": []}, sha256="0" * 64,
        locked_at=dt.datetime(2026, 4, 1, tzinfo=dt.UTC),
    )  # fmt: skip
    with pytest.raises(DomainError):
        bpf_lock(report=report, actor=staff)
    with pytest.raises(DomainError):
        bpf_compute(year=2025, actor=staff)
    report.refresh_from_db()
    assert (report.status, report.figures, report.sha256) == ("locked", {"lines": []}, "0" * 64)
