"""The legal documents: same values everywhere, versions, rendering in a task, rights."""

import io
import re

import pytest
from django.urls import reverse
from pypdf import PdfReader

from documents import services
from documents.models import Document
from documents.pdf import html_to_pdf, render_html
from documents.registry import build_context, get
from sessions.documents import LABELS
from sessions.models import Trainee

from .conftest import login
from .factories import TrainingSessionFactory, attach_client


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return re.sub(r"\s+", " ", text)


@pytest.fixture
def validated(trainer, client_user, organisation, django_capture_on_commit_callbacks, client):
    from sessions.services import session_validate

    session = attach_client(TrainingSessionFactory(trainer=trainer), client_user)
    with django_capture_on_commit_callbacks(execute=True):
        session_validate(session=session, actor=trainer)
    session.refresh_from_db()
    return session


def test_every_document_of_a_session_says_the_same_title_hours_dates_names_and_amounts(
    trainer, client_user, organisation
):
    session = attach_client(TrainingSessionFactory(trainer=trainer), client_user)
    trainee = session.trainees.first()
    texts = {}
    for kind in LABELS:
        context = build_context(
            kind, session, version=1, subject=trainee if kind in ("certificat", "attestation")
            else None,
        )  # fmt: skip
        texts[kind] = pdf_text(html_to_pdf(render_html(get(kind).template, context)))
    days = [d.date.strftime("%d/%m/%Y") for d in session.days.all()]
    for kind, text in texts.items():
        assert session.title in text, kind
        assert organisation.siret in text and organisation.nda in text, kind
        assert "page 1/" in text, kind
        assert days[0] in text, kind
    for kind in ["devis", "convention", "programme", "attestation", "certificat"]:
        assert "14 h" in texts[kind], kind
    for kind in ["devis", "convention", "emargement"]:
        for t in session.trainees.all():
            assert t.last_name.upper() in texts[kind].upper() and t.first_name in texts[kind]
    for kind in ["devis", "convention"]:
        assert "2 800,00 €" in texts[kind].replace("\u202f", " "), kind
        assert "Exonération de TVA – article 261-4-4° a du CGI" in texts[kind]
        assert "40 €" in texts[kind]
        assert client_user.company.siret in texts[kind]
    assert "D6353-1" in texts["devis"] and "Bon pour accord" in texts["devis"]
    assert "L6353-1" in texts["convention"] and "dédit" in texts["convention"]
    assert "subrogation" in texts["convention"].lower()
    for mention in ["Prérequis", "Objectifs", "Modalités d'évaluation", "Modalités et délais",
                    "Accessibilité", "Tarif", "Contacts"]:  # fmt: skip
        assert mention in texts["programme"], mention
    certificate = texts["certificat"]
    assert "représentant légal du dispensateur de l'action" in certificate
    assert f"{trainee.first_name} {trainee.last_name}" in certificate
    assert "Bilan de compétences" in certificate and "3 ans" in certificate
    assert days[-1] in certificate
    # One signature cell per half-day: 2 days × 2 half-days, for each trainee and the trainer.
    assert texts["emargement"].count("Matin 09h00–12h30") == 2


def test_validation_renders_the_pack_once_even_if_the_task_runs_again(validated, mailoutbox):
    from sessions.tasks import send_validation_pack

    documents = Document.objects.for_owner(validated)
    assert sorted(d.kind for d in documents) == ["convention", "devis", "programme"]
    assert all(d.status == "ready" and len(d.sha256) == 64 and d.version == 1 for d in documents)
    sent = len(mailoutbox)
    assert send_validation_pack.apply(args=[validated.pk]).get() == "skipped-sent"
    assert Document.objects.for_owner(validated).count() == 3
    assert len(mailoutbox) == sent  # same email keys: nothing sent twice


def test_a_new_change_makes_a_new_version_and_the_old_one_stays(validated, trainer):
    from django.db import transaction

    with transaction.atomic():
        again = services.document_request(
            owner=validated, kind="devis", source="session.validated", actor=trainer
        )
        newer = services.document_request(
            owner=validated, kind="devis", source="funding.partial", actor=trainer
        )
    assert again.version == 1
    assert newer.version == 2
    assert services.document_render(document_id=newer.pk) == "ready"
    assert Document.objects.for_owner(validated).filter(kind="devis").count() == 2


def test_an_error_inside_weasyprint_reaches_the_worker_that_records_it(validated, monkeypatch):
    """WeasyPrint runs in a thread of its own (documents/pdf.py): what it raises there is
    raised in the worker, which marks the version failed with the message."""
    import threading

    from django.db import transaction
    from weasyprint import HTML

    with transaction.atomic():
        document = services.document_request(owner=validated, kind="devis", source="t.thread")
    caller = threading.current_thread()
    threads = []

    def broken(self, *args, **kwargs):
        threads.append(threading.current_thread())
        raise ValueError("glyphe introuvable")

    monkeypatch.setattr(HTML, "write_pdf", broken)
    assert services.document_render(document_id=document.pk) == "failed"
    document.refresh_from_db()
    assert document.status == "failed"
    assert document.last_error == "ValueError: glyphe introuvable"
    assert threads and threads[0] is not caller


def test_two_renderings_in_one_process_never_overlap(monkeypatch):
    """Two threads asking for a PDF at once (the development server's threads, or a rendering
    left running by a worker whose caller was interrupted): WeasyPrint, whose fonts are shared
    in the process, works on one at a time."""
    import threading
    import time

    from weasyprint import HTML

    running, most = [0], [0]
    guard = threading.Lock()

    def slow(self, *args, **kwargs):
        with guard:
            running[0] += 1
            most[0] = max(most[0], running[0])
        time.sleep(0.2)
        with guard:
            running[0] -= 1
        return b"%PDF-"

    monkeypatch.setattr(HTML, "write_pdf", slow)
    start = threading.Barrier(2)
    results = []

    def ask():
        start.wait()
        results.append(html_to_pdf("<p>Devis</p>"))

    threads = [threading.Thread(target=ask) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [b"%PDF-", b"%PDF-"]
    assert most[0] == 1


def test_a_failing_render_is_visible_on_the_session_page_and_retried_by_staff(
    client, trainer, client_user, organisation, staff, monkeypatch,
    django_capture_on_commit_callbacks, mailoutbox,
):  # fmt: skip
    from sessions.services import session_validate

    session = attach_client(TrainingSessionFactory(trainer=trainer), client_user)
    monkeypatch.setattr(
        "documents.pdf.html_to_pdf", lambda html: (_ for _ in ()).throw(RuntimeError("police"))
    )
    with django_capture_on_commit_callbacks(execute=True):
        session_validate(session=session, actor=trainer)
    documents = Document.objects.for_owner(session)
    assert {d.status for d in documents} == {"failed"}
    assert "police" in documents[0].last_error
    assert not any(m.to == [client_user.email] for m in mailoutbox)
    page = login(client, trainer).get(reverse("session_detail", args=[session.pk]))
    assert "la génération a échoué" in page.content.decode()

    monkeypatch.undo()
    login(client, staff)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/admin/documents/document/",
            {"action": "retry", "_selected_action": [d.pk for d in documents]},
        )
    assert {d.status for d in Document.objects.for_owner(session)} == {"ready"}
    assert any(m.to == [client_user.email] and len(m.attachments) == 3 for m in mailoutbox)


def test_a_pending_document_says_since_when_and_where_it_will_appear(
    client, trainer, client_user, organisation
):
    """A large document (an attendance sheet of 100 trainees x 60 days) takes up to a minute in
    the worker: the trainer sees when it was asked for and where it will be, not a bare
    "en cours"."""
    import datetime as dt

    from sessions.services import session_validate

    session = attach_client(TrainingSessionFactory(trainer=trainer), client_user)
    session_validate(session=session, actor=trainer)  # no commit in the test: no worker ran
    documents = Document.objects.for_owner(session)
    assert {d.status for d in documents} == {"pending"}
    documents.update(created_at=dt.datetime(2026, 11, 23, 13, 5, tzinfo=dt.UTC))

    page = login(client, trainer).get(reverse("session_detail", args=[session.pk]))
    text = re.sub(r"\s+", " ", page.content.decode())
    expected = (
        "— en cours de génération (demande du 23/11/2026 à 14:05) : le lien de téléchargement "
        "apparaîtra ici à la fin de la génération (environ une minute pour un grand "
        "document), rechargez la page."
    )
    assert text.count(expected) == documents.count() == 3
    assert not any(reverse("document_download", args=[d.pk]) in text for d in documents)


def test_downloads_follow_the_rights(client, validated, other_trainer, other_client, staff,
                                     client_user, trainer):  # fmt: skip
    devis = Document.objects.for_owner(validated).get(kind="devis")
    url = reverse("document_download", args=[devis.pk])
    for user in (trainer, client_user, staff):
        response = login(client, user).get(url)
        assert response.status_code == 200, user
        assert response["Content-Type"] == "application/pdf"
        assert b"".join(response.streaming_content).startswith(b"%PDF")
    for user in (other_trainer, other_client):
        assert login(client, user).get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302


def test_only_staff_download_an_older_version(client, validated, trainer, client_user, staff):
    from django.db import transaction

    with transaction.atomic():
        v2 = services.document_request(owner=validated, kind="devis", source="test.v2")
    services.document_render(document_id=v2.pk)
    v1 = Document.objects.for_owner(validated).get(kind="devis", version=1)
    for user in (trainer, client_user):
        login(client, user)
        assert client.get(reverse("document_download", args=[v1.pk])).status_code == 404
        assert client.get(reverse("document_download", args=[v2.pk])).status_code == 200
    assert login(client, staff).get(reverse("document_download", args=[v1.pk])).status_code == 200


def test_the_client_space_lists_the_documents(client, validated, client_user):
    page = (
        login(client, client_user)
        .get(reverse("client_session_detail", args=[validated.pk]))
        .content.decode()
    )
    for label in ["Devis", "Convention de formation", "Programme de formation"]:
        assert label in page


def test_the_trainer_previews_documents_before_validating(client, trainer, other_trainer,
                                                          organisation):  # fmt: skip
    session = TrainingSessionFactory(trainer=trainer)
    Trainee.objects.create(session=session, first_name="Ana", last_name="Lopez", email="a@b.fr")
    login(client, trainer)
    for kind in LABELS:
        response = client.get(reverse("document_preview", args=[session.pk, kind]))
        assert response.status_code == 200, kind
        assert "Aperçu" in response.content.decode()
        assert session.title.replace("'", "&#x27;") in response.content.decode()
    login(client, other_trainer)
    assert client.get(reverse("document_preview", args=[session.pk, "devis"])).status_code == 404


def test_the_logo_is_read_once_and_a_new_logo_shows_at_once(client, trainer, organisation,
                                                            monkeypatch):  # fmt: skip
    """Every document carries the organisation's logo: it is read from storage (an S3 GET in
    production) once per process, and a new logo saved by staff is on the very next document."""
    import base64

    from django.core.files.base import ContentFile
    from django.core.files.storage import storages

    session = TrainingSessionFactory(trainer=trainer)
    login(client, trainer)
    url = reverse("document_preview", args=[session.pk, "devis"])
    read = []
    storage_class = type(storages["default"])
    real_open = storage_class.open

    def counted_open(self, name, mode="rb"):
        read.append(name)
        return real_open(self, name, mode)

    monkeypatch.setattr(storage_class, "open", counted_open)
    organisation.logo.save("logo.png", ContentFile(b"\x89PNG premier logo"), save=True)
    first = base64.b64encode(b"\x89PNG premier logo").decode()
    for _ in range(3):
        assert first in client.get(url).content.decode()
    assert read.count(organisation.logo.name) == 1

    organisation.logo.save("logo.png", ContentFile(b"\x89PNG second logo"), save=True)
    page = client.get(url).content.decode()
    assert base64.b64encode(b"\x89PNG second logo").decode() in page
    assert first not in page


def test_a_document_never_fetches_anything_from_outside():
    from documents.pdf import _resources

    _, _, fetcher = _resources()
    for url in ["http://example.com/x.png", "https://example.com/x.css", "file:///etc/passwd"]:
        with pytest.raises(ValueError, match="disallowed protocol"):
            fetcher.fetch(url)
    # An image given as a data: URI (the organisation's logo) is accepted.
    pixel = "data:image/gif;base64,R0lGODlhAQABAAAAACw="
    assert fetcher.fetch(pixel) is not None


def test_later_documents_are_requested_and_rendered_by_the_same_machinery(
    trainer, client_user, organisation, django_capture_on_commit_callbacks
):
    from django.db import transaction

    session = attach_client(TrainingSessionFactory(trainer=trainer), client_user)
    trainee = session.trainees.first()
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        sheet = services.document_request(owner=session, kind="emargement", source="start")
        certificate = services.document_request(
            owner=session, kind="certificat", source="end", subject=trainee
        )
    for document in (sheet, certificate):
        document.refresh_from_db()
        assert document.status == "ready"
    with certificate.file.open("rb") as handle:
        assert f"{trainee.first_name} {trainee.last_name}" in pdf_text(handle.read())
    with pytest.raises(Exception, match="individuel"):
        services.document_request(owner=session, kind="certificat", source="x")


def test_a_render_reads_the_session_with_its_people_in_one_query(validated):
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    with transaction.atomic():
        document = services.document_request(owner=validated, kind="convention", source="t.q")
    assert validated.company_id and validated.contact_id and validated.trainer_id
    with CaptureQueriesContext(connection) as queries:
        assert services.document_render(document_id=document.pk) == "ready"
    sql = [q["sql"] for q in queries.captured_queries]
    # Trainer, company, contact and funder come with the session (a JOIN), not one query each.
    assert [s for s in sql if 'FROM "ganapati_company"' in s] == []
    assert [s for s in sql if 'FROM "ganapati_user"' in s] == []
    assert len([s for s in sql if 'FROM "training_sessions_trainingsession"' in s]) == 1
    document.refresh_from_db()
    assert "Convention" in pdf_text(document.file.read())


def test_a_version_another_worker_finished_first_keeps_its_file(validated, monkeypatch):
    """Two workers render the same version (a message delivered twice): the second to finish
    leaves the first's file, hash and size as they are and deletes its own."""
    from django.core.files.storage import default_storage
    from django.db import transaction

    from documents import pdf

    with transaction.atomic():
        document = services.document_request(owner=validated, kind="devis", source="t.twice")
    real = pdf.html_to_pdf

    def first_worker_finishes_meanwhile(html, **options):
        Document.objects.filter(pk=document.pk).update(
            status="ready", file="documents/first.pdf", sha256="f" * 64, size=1
        )
        return real(html, **options)

    monkeypatch.setattr(pdf, "html_to_pdf", first_worker_finishes_meanwhile)
    saved = []

    class Storage:  # the real storage, noting what the render writes
        def save(self, name, content):
            saved.append(default_storage.save(name, content))
            return saved[-1]

        def delete(self, name):
            default_storage.delete(name)

    monkeypatch.setattr(services, "default_storage", Storage())
    assert services.document_render(document_id=document.pk) == "skipped-ready"
    document.refresh_from_db()
    assert (document.file.name, document.sha256, document.size) == (
        "documents/first.pdf",
        "f" * 64,
        1,
    )
    assert len(saved) == 1 and not default_storage.exists(saved[0])
