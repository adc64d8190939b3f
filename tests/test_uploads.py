"""Uploaded PDFs are read by a real parser, in a child process with a fixed budget: active content,
damaged files and files built to exhaust the parser are refused with one French message per cause,
and a refused file leaves nothing behind. The PDFs are written by `tests/pdf_corpus.py`."""

import io
import time
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from billing.models import Payout
from funding import services as funding
from funding.models import FundingRequest, PecUpload
from ganapati import uploads
from ganapati.errors import DomainError
from ganapati.models import AuditEvent
from sessions.models import AttendanceScan

from . import pdf_corpus as corpus
from .factories import TrainingSessionFactory, attach_client

NOT_A_PDF = "n'est pas un PDF"
DAMAGED = "incomplet ou endommagé"
ENCRYPTED = "protégé par un mot de passe"
ACTIVE = "contient du code, des actions automatiques ou des fichiers joints"
TOO_COMPLEX = "trop complexe ou trop volumineux"
# Every hostile file of the budget tests is refused well within this, on any CI machine; the
# budget itself (CPU seconds, memory, wall clock) is what the child runs under.
GENEROUS_SECONDS = 30


def session_in(status: str, trainer, client_user):
    """A session with its client, put straight in `status` (the way there is tested elsewhere)."""
    session = attach_client(TrainingSessionFactory(trainer=trainer), client_user)
    type(session).objects.filter(pk=session.pk).update(status=status, validated_at=timezone.now())
    return session


@pytest.fixture
def pec_session(trainer, client_user):
    return session_in("validated", trainer, client_user)


def stored_files(settings) -> list[Path]:
    root = Path(settings.STORAGES["default"]["OPTIONS"]["location"])
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


def pdf_upload(content: bytes, name: str = "accord.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def upload_pec(session, actor, content: bytes, name: str = "accord.pdf"):
    return funding.funding_request_upload(
        session=session,
        actor=actor,
        upload=pdf_upload(content, name),
        values={"decision": "total", "file_number": "OPCO-2026-42", "subrogation": True,
                "amount_granted": Decimal("2800"), "minutes_granted": 840},
    )  # fmt: skip


@pytest.fixture
def refused(pec_session, client_user, settings):
    """Upload as the client's PEC; return the French message, having checked nothing stayed."""

    def check(content: bytes) -> str:
        with pytest.raises(DomainError) as refusal:
            upload_pec(pec_session, client_user, content)
        assert refusal.value.field == "file"
        assert not FundingRequest.objects.exists() and not PecUpload.objects.exists()
        assert not AuditEvent.objects.exists()
        assert stored_files(settings) == []
        return refusal.value.message

    return check


# --- Not a PDF, damaged, protected -------------------------------------------------------------


def test_an_empty_file_is_refused(refused):
    assert "Le fichier est vide." in refused(b"")


def test_a_file_over_10_mb_is_refused(refused):
    assert "dépasse 10 Mo" in refused(corpus.plain() + b"0" * (10 * 1024 * 1024))


@pytest.mark.parametrize(
    "content",
    [
        b"<html><body><script>alert(1)</script></body></html>",
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 200,
        "zip",
    ],
    ids=["html", "png", "zip"],
)
def test_files_renamed_to_pdf_are_refused(refused, content):
    if content == "zip":
        archive = io.BytesIO()
        with zipfile.ZipFile(archive, "w") as zipped:
            zipped.writestr("accord.pdf", corpus.plain())
        content = archive.getvalue()
    assert NOT_A_PDF in refused(content)


def test_an_html_pdf_polyglot_is_refused_as_not_a_pdf(refused):
    assert NOT_A_PDF in refused(corpus.html_polyglot())


def test_html_hidden_right_after_the_pdf_header_is_refused_as_not_a_pdf(refused):
    assert NOT_A_PDF in refused(corpus.html_after_the_header())


def test_a_truncated_pdf_is_refused_as_damaged(refused):
    assert DAMAGED in refused(corpus.plain()[:300])


def test_a_file_with_nothing_readable_between_header_and_end_is_refused_as_damaged(refused):
    assert DAMAGED in refused(corpus.garbled())


def test_a_password_protected_pdf_is_refused(refused):
    assert ENCRYPTED in refused(corpus.encrypted())


def test_a_pdf_without_pages_is_refused(refused):
    assert "ne contient aucune page" in refused(corpus.without_pages())


# --- Active content, wherever it hides ---------------------------------------------------------


@pytest.mark.parametrize(
    "build",
    [
        corpus.indirect_javascript_open_action,
        corpus.direct_javascript_open_action,
        corpus.javascript_in_a_stream,
    ],
    ids=["indirect", "direct-dictionary", "script-in-a-stream"],
)
def test_javascript_run_on_opening_is_refused_however_it_is_written(refused, build):
    message = refused(build())
    assert ACTIVE in message and "Imprimez-le en PDF" in message


def test_javascript_in_a_link_annotation_is_refused(refused):
    assert ACTIVE in refused(corpus.javascript_in_a_link())


@pytest.mark.parametrize("level", ["document", "page", "annotation"])
def test_javascript_in_additional_actions_is_refused_at_every_level(refused, level):
    assert ACTIVE in refused(corpus.additional_action(level))


def test_a_launch_action_written_directly_is_refused(refused):
    assert ACTIVE in refused(corpus.direct_launch())


def test_a_launch_action_whose_type_is_an_indirect_reference_is_refused(refused):
    assert ACTIVE in refused(corpus.launch_behind_an_indirect_action_type())


def test_an_action_with_a_repeated_key_is_refused_as_damaged(refused):
    """Readers disagree on which of two /S keys wins: such a file is not read leniently."""
    assert DAMAGED in refused(corpus.javascript_behind_a_repeated_key())


@pytest.mark.parametrize("kind", ["SubmitForm", "ImportData", "GoToR", "GoToE"])
def test_actions_that_send_data_out_or_open_another_file_are_refused(refused, kind):
    assert ACTIVE in refused(corpus.outside_action(kind))


def test_a_javascript_link_is_refused(refused):
    assert ACTIVE in refused(corpus.javascript_link_uri())


def test_rich_media_is_refused(refused):
    assert ACTIVE in refused(corpus.rich_media())


def test_an_xfa_form_is_refused(refused):
    assert ACTIVE in refused(corpus.xfa_form())


def test_document_scripts_in_the_javascript_name_tree_are_refused(refused):
    assert ACTIVE in refused(corpus.javascript_name_tree())


def test_javascript_at_the_end_of_a_long_next_chain_is_refused(refused):
    assert ACTIVE in refused(corpus.javascript_at_the_end_of_a_next_chain())


def test_javascript_in_an_object_of_generation_1_is_refused(refused):
    assert ACTIVE in refused(corpus.javascript_in_generation_one())


def test_javascript_behind_an_escaped_name_is_refused(refused):
    assert ACTIVE in refused(corpus.javascript_with_an_escaped_name())


def test_javascript_megabytes_past_the_start_of_the_file_is_refused(refused):
    assert ACTIVE in refused(corpus.javascript_after_megabytes())


def test_javascript_packed_in_a_compressed_object_stream_is_refused(refused):
    assert ACTIVE in refused(corpus.javascript_in_an_object_stream())


def test_javascript_left_in_an_earlier_revision_is_refused(refused):
    assert ACTIVE in refused(corpus.javascript_in_an_earlier_revision())


def test_javascript_left_out_of_the_cross_reference_is_refused(refused):
    assert ACTIVE in refused(corpus.javascript_missing_from_the_cross_reference())


def test_an_attached_file_is_refused_and_the_message_says_so_even_for_factur_x(refused):
    """A Factur-X invoice is a PDF/A-3 carrying its XML as an embedded file: refused too."""
    message = refused(corpus.with_attachment())
    assert ACTIVE in message and "Factur-X" in message


# --- Files built to exhaust the parser: refused within the budget ------------------------------


def refused_quickly(refused, content: bytes) -> str:
    started = time.monotonic()
    message = refused(content)
    assert time.monotonic() - started < GENEROUS_SECONDS
    return message


def test_a_flate_bomb_is_refused_quickly(refused):
    bomb = corpus.flate_bomb()
    assert len(bomb) < 300_000  # 200 MB once inflated
    assert TOO_COMPLEX in refused_quickly(refused, bomb)


@pytest.mark.parametrize(
    "build",
    [corpus.nested_arrays, corpus.nested_dictionaries_hiding_javascript, corpus.nested_page_tree],
    ids=["arrays", "dictionaries-hiding-javascript", "page-tree"],
)
def test_pdfs_nested_thousands_of_levels_deep_are_refused_quickly(refused, build):
    assert TOO_COMPLEX in refused_quickly(refused, build())


def test_a_9_mb_pdf_claiming_ten_million_objects_is_refused_quickly(refused):
    content = corpus.claims_ten_million_objects()
    assert 9 * 1024 * 1024 < len(content) < uploads.MAX_BYTES
    assert TOO_COMPLEX in refused_quickly(refused, content)


def test_a_pdf_with_more_objects_than_the_limit_is_refused(refused):
    assert TOO_COMPLEX in refused_quickly(refused, corpus.too_many_objects())


def test_a_file_that_keeps_the_parser_busy_is_stopped_by_the_cpu_limit(refused, monkeypatch):
    # 1.8 million numbers: several seconds of parsing, stopped after one by RLIMIT_CPU.
    monkeypatch.setattr(uploads, "CHECK_CPU_SECONDS", 1)
    busy = corpus.document(objects={5 + i: b"[" + b"0 " * 90_000 + b"]" for i in range(20)})
    assert TOO_COMPLEX in refused_quickly(refused, busy)


def test_a_file_that_needs_more_memory_than_the_budget_is_refused(refused, monkeypatch):
    monkeypatch.setattr(uploads, "CHECK_MEMORY_BYTES", 4 * 1024 * 1024)
    assert TOO_COMPLEX in refused_quickly(refused, corpus.javascript_after_megabytes(megabytes=8))


def test_a_check_past_its_wall_clock_is_killed_and_the_file_refused(refused, monkeypatch):
    monkeypatch.setattr(uploads, "CHECK_WALL_SECONDS", 0.01)
    assert TOO_COMPLEX in refused_quickly(refused, corpus.plain())


def test_a_check_that_cannot_run_says_so_rather_than_failing(refused, monkeypatch):
    monkeypatch.setattr(uploads.sys, "executable", "/nonexistent/python3")
    assert "raison technique" in refused(corpus.plain())


# --- Good PDFs pass ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "build",
    [
        corpus.plain,
        corpus.weasyprint_made,
        corpus.scanned,
        corpus.form_with_link_and_opening_view,
    ],
    ids=["plain", "weasyprint", "scanned-images", "form-link-bookmark"],
)
def test_good_pdfs_are_accepted(pec_session, client_user, build):
    content = build()
    upload_pec(pec_session, client_user, content)
    stored = PecUpload.objects.get()
    assert stored.file.read() == content and stored.size == len(content)


def test_a_9_mb_scan_is_accepted_within_the_budget(pec_session, client_user):
    content = corpus.scanned(pages=6, width=1654, height=2339, quality=90)  # 200 dpi A4
    assert 5 * 1024 * 1024 < len(content) < uploads.MAX_BYTES
    started = time.monotonic()
    upload_pec(pec_session, client_user, content)
    assert time.monotonic() - started < GENEROUS_SECONDS
    assert PecUpload.objects.get().size == len(content)


# --- The three services that take PDFs ---------------------------------------------------------


@pytest.fixture
def service(request, trainer, client_user, pec_session):
    """Each service that stores an uploaded PDF: (upload function, what it stored)."""
    from billing import services as billing
    from sessions import services as sessions

    if request.param == "pec":
        return (
            lambda upload: funding.funding_request_upload(
                session=pec_session,
                actor=client_user,
                upload=upload,
                values={
                    "decision": "total",
                    "amount_granted": Decimal("2800"),
                    "minutes_granted": 840,
                },
            ),  # fmt: skip
            lambda: [(u.file.name, u.original_name) for u in PecUpload.objects.all()],
        )
    if request.param == "attendance-scan":
        session = session_in("running", trainer, client_user)
        return (
            lambda upload: sessions.attendance_scan_upload(
                session=session, actor=trainer, upload=upload
            ),
            lambda: [(s.file.name, s.original_name) for s in AttendanceScan.objects.all()],
        )
    payout = Payout.objects.create(
        session=TrainingSessionFactory(trainer=trainer), trainer=trainer,
        collected=Decimal("2800"), commission_rate=Decimal("15"), commission=Decimal("420"),
        amount=Decimal("2380"),
    )  # fmt: skip
    return (
        lambda upload: billing.payout_invoice_upload(
            payout=payout, actor=trainer, upload=upload, amount=Decimal("2380.00"), number="F-1"
        ),
        lambda: [
            (p.trainer_invoice.name, p.trainer_invoice_name)
            for p in Payout.objects.exclude(trainer_invoice="")
        ],
    )


SERVICES = ["pec", "attendance-scan", "trainer-invoice"]


@pytest.mark.parametrize("service", SERVICES, indirect=True)
@pytest.mark.parametrize(
    ("build", "message"),
    [(corpus.indirect_javascript_open_action, ACTIVE), (corpus.flate_bomb, TOO_COMPLEX)],
    ids=["javascript", "flate-bomb"],
)
def test_a_refused_file_leaves_nothing_behind_in_each_service(service, settings, build, message):
    upload, stored = service
    with pytest.raises(DomainError, match=message):
        upload(pdf_upload(build()))
    assert stored() == []
    assert not AuditEvent.objects.exists()
    assert stored_files(settings) == []


@pytest.mark.parametrize("service", SERVICES, indirect=True)
def test_a_stored_file_never_carries_the_uploaded_name(service):
    upload, stored = service
    upload(pdf_upload(corpus.plain(), name="..\\..\\<img src=x onerror=alert(1)>.pdf"))
    [(file_name, original_name)] = stored()
    assert original_name == "<img src=x onerror=alert(1)>.pdf"  # displayed, escaped by templates
    stored_name = file_name.split("/")[-1]
    assert "img" not in file_name and ".." not in file_name
    assert len(stored_name) == len("0123456789abcdef0123456789abcdef.pdf")
