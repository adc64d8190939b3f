"""At completion (issue 15): each trainee receives their own attestation de fin de formation by
e-mail, the client contact the certificates of completion; never twice, never someone else's.

Personas: Julien the trainer, Marie the client contact, Stagiaire0 and Stagiaire1 Martin (no
account), the staff.
"""

from documents.models import Document
from documents.services import document_render
from ganapati.models import OutgoingEmail
from sessions import services as sessions
from sessions.completion import completion_papers_send, completion_papers_sweep

from .test_billing import completed_session
from .test_documents import pdf_text


def _attestation_mails(mailoutbox) -> dict:
    return {m.to[0]: m for m in mailoutbox if "attestation de fin de formation" in m.subject}


def test_each_trainee_receives_their_own_attestation_and_the_client_the_certificates(
    trainer, client_user, organisation, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):  # workers render, then e-mails go
        session = completed_session(trainer, client_user)
    to_trainees = _attestation_mails(mailoutbox)
    assert sorted(to_trainees) == ["stagiaire0@exemple.fr", "stagiaire1@exemple.fr"]
    for address, name, other in [
        ("stagiaire0@exemple.fr", "Stagiaire0 Martin", "Stagiaire1"),
        ("stagiaire1@exemple.fr", "Stagiaire1 Martin", "Stagiaire0"),
    ]:
        mail = to_trainees[address]
        assert mail.subject.startswith("Votre attestation de fin de formation")
        assert "Bonjour " + name.split()[0] in mail.body
        ((filename, content, mimetype),) = mail.attachments
        assert mimetype == "application/pdf" and filename.startswith("Attestation")
        text = pdf_text(content)
        assert "Attestation de fin de formation" in text and name in text
        assert other not in text  # their own, never the other trainee's
    (to_client,) = [m for m in mailoutbox if "certificats de réalisation" in m.subject]
    assert to_client.to == [client_user.email]
    assert len(to_client.attachments) == 2
    texts = [pdf_text(content) for _, content, _ in to_client.attachments]
    assert all("Certificat de réalisation" in t for t in texts)
    assert any("Stagiaire0 Martin" in t for t in texts)
    assert any("Stagiaire1 Martin" in t for t in texts)
    # Neither trainee gets a certificate, nor the client an attestation.
    assert not any(a[0].startswith("Attestation") for a in to_client.attachments)
    assert all(len(m.attachments) == 1 for m in to_trainees.values())

    # The event delivered again, the sweeper, a second worker: nothing more.
    before = OutgoingEmail.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        completion_papers_send(session_id=session.pk)
        sessions.sessions_sweep()
    assert OutgoingEmail.objects.count() == before
    assert len(_attestation_mails(mailoutbox)) == 2


def test_a_lost_event_is_caught_up_by_the_sweeper(
    trainer, client_user, organisation, django_assert_max_num_queries
):
    # No on-commit callback runs here: the renders' events are lost, as when a worker dies.
    session = completed_session(trainer, client_user)
    for document in Document.objects.for_owner(session).filter(kind="attestation"):
        document_render(document_id=document.pk)
    assert not OutgoingEmail.objects.filter(template="session_attestation").exists()
    sessions.sessions_sweep()
    sent = OutgoingEmail.objects.filter(template="session_attestation")
    assert sorted(m.to[0] for m in sent) == ["stagiaire0@exemple.fr", "stagiaire1@exemple.fr"]
    for mail in sent:
        (attachment,) = mail.attachments
        trainee = session.trainees.get(email=mail.to[0])
        document = Document.objects.for_owner(session).for_subject(trainee).get(kind="attestation")
        assert attachment["name"] == document.file.name
    (certificates,) = OutgoingEmail.objects.filter(template="session_certificates")
    assert certificates.to == [client_user.email] and len(certificates.attachments) == 2
    # Once everything went, the sweep costs a few queries and locks nothing.
    with django_assert_max_num_queries(4):
        assert completion_papers_sweep() == 0
    assert OutgoingEmail.objects.filter(template="session_attestation").count() == 2


def test_the_client_waits_for_every_certificate_and_a_trainee_absent_throughout_gets_nothing(
    trainer, client_user, organisation
):
    # Stagiaire0 missed every half-day (two days, four half-days): no paper for them.
    session = completed_session(trainer, client_user, absent_half_days=4)
    papers = Document.objects.for_owner(session)
    (certificate,) = papers.filter(kind="certificat")  # rendered by the helper
    attestation = papers.get(kind="attestation")
    assert certificate.subject_id == attestation.subject_id
    assert completion_papers_send(session_id=session.pk) == {"attestations": 0, "certificates": 1}
    document_render(document_id=attestation.pk)
    assert completion_papers_send(session_id=session.pk) == {"attestations": 1, "certificates": 0}
    (mail,) = OutgoingEmail.objects.filter(template="session_attestation")
    assert mail.to == ["stagiaire1@exemple.fr"]


def test_a_contact_removed_from_the_company_gets_nothing_its_members_get_the_certificates(
    trainer, client_user, staff, organisation, mailoutbox, django_capture_on_commit_callbacks
):
    """Marie is removed from her company's space while the session runs: she no longer sees
    it, so its certificates go to Paul, the member left, not to her."""
    from ganapati.services import company_member_remove

    from .factories import ClientFactory

    ClientFactory(email="paul@exemple.fr", company=client_user.company)  # Paul
    with django_capture_on_commit_callbacks() as pending:  # rendered and sent below
        session = completed_session(trainer, client_user)
    company_member_remove(company=client_user.company, user=client_user, actor=staff)
    queued_before = set(OutgoingEmail.objects.values_list("pk", flat=True))
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        for callback in pending:
            callback()
        completion_papers_send(session_id=session.pk)
    session.refresh_from_db()
    assert session.contact_id == client_user.pk  # still named, but no longer a member
    certificates = [m for m in mailoutbox if "certificats de réalisation" in m.subject]
    assert [m.to for m in certificates] == [["paul@exemple.fr"]]
    # Nothing queued after her removal is addressed to her (the client questionnaire included).
    after = OutgoingEmail.objects.exclude(pk__in=queued_before)
    assert after.filter(template="session_certificates").exists()
    assert [e.template for e in after if client_user.email in [*e.to, *e.cc]] == []
    # The sweeper finds nothing left to send.
    with django_capture_on_commit_callbacks(execute=True):
        assert completion_papers_sweep() == 0


def test_results_corrected_after_the_end_send_the_trainee_a_new_attestation(
    trainer, client_user, organisation, mailoutbox, django_capture_on_commit_callbacks
):
    from sessions.quality import assessment_record, objectives_of

    with django_capture_on_commit_callbacks(execute=True):
        session = completed_session(trainer, client_user)
    first, second = session.trainees.order_by("position")
    objectives = objectives_of(session)
    results = {(t.pk, i): "acquired" for t in (first, second) for i in range(len(objectives))}
    results[(first.pk, 0)] = "not_acquired"
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assessment_record(session=session, actor=trainer, results=results)
    mails = _attestation_mails(mailoutbox)
    assert list(mails) == [first.email]  # only the trainee whose results changed
    ((_, content, _),) = mails[first.email].attachments
    text = " ".join(pdf_text(content).split())
    assert "Conduire un entretien individuel : non acquis" in text, text
    assert "version 2" in text
    # Saving the same results again sends nothing.
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assessment_record(session=session, actor=trainer, results=results)
    assert _attestation_mails(mailoutbox) == {}


def test_each_ready_paper_costs_the_same_queries_for_2_trainees_and_4(
    trainer, client_user, organisation, django_capture_on_commit_callbacks
):
    """Every ready attestation or certificate calls completion_papers_send: it read the
    e-mails already queued one attestation at a time (100 trainees: 200 calls of up to 100
    queries each). Once all were sent, a call costs the same for 2 trainees and 4."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for trainees in (2, 4):
        with django_capture_on_commit_callbacks(execute=True):  # rendered, sent
            session = completed_session(trainer, client_user, trainees=trainees)
        with CaptureQueriesContext(connection) as captured:
            queued = completion_papers_send(session_id=session.pk)
        assert queued == {"attestations": 0, "certificates": 0}
        counts.append(len(captured))
    assert counts[1] == counts[0], counts
    assert OutgoingEmail.objects.filter(template="session_attestation").count() == 6
