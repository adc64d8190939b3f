"""Qualiopi evidence (issue 15): convocation, needs analysis, satisfaction hot and cold, one
reminder, assessment per objective, complaints, published figures, the auditor's export.

Personas: Julien the trainer, Marie the client contact, two trainees (Stagiaire0/1 Martin),
the staff, an anonymous visitor. Expectations are written from the issue, not from the code.
"""

import csv
import datetime as dt
import io
import re
import zipfile
from decimal import Decimal

import pytest
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from ganapati.errors import DomainError
from ganapati.models import OutgoingEmail
from sessions import quality
from sessions import services as sessions
from sessions import signing as attendance
from sessions.models import (
    Complaint,
    ObjectiveAssessment,
    Programme,
    Questionnaire,
    QuestionnaireResponse,
    TrainingSession,
)
from tests import clock

from .conftest import login
from .factories import TrainingSessionFactory, assessed, attach_client
from .test_billing import completed_session
from .test_signing import running as running  # fixture: a started session, three trainees

LINK = re.compile(r"https?://[^\s\"<]+/questionnaire/[^\s\"<]+/")


def validated_session(trainer, client_user):
    session = attach_client(TrainingSessionFactory(trainer=trainer), client_user)
    sessions.session_validate(session=session, actor=trainer)
    session.refresh_from_db()
    return session


def run_to_completion(session, trainer, *, before_complete=None, complete=True):
    """A validated session funded, started, attended in full and completed at its dates (every
    objective acquired, unless `before_complete` assessed them; `complete=False` stops just
    before)."""
    from funding.models import FundingRequest

    from .factories import invoicing_funder

    invoicing_funder(session.funder)
    FundingRequest.objects.create(
        session=session, funder=session.funder, status="validated", decision="total",
        amount_granted=Decimal("2800"), minutes_granted=840, subrogation=True,
        uploaded_at=timezone.now(), file_number="OPCOEP-42",
    )  # fmt: skip
    sessions.session_fund(session=session, actor=None)
    clock.after(session)
    sessions.session_start(session=session, actor=trainer)
    present = {(t.pk, d.pk, h) for t in session.trainees.all() for d in session.days.all()
               for h in ("am", "pm")}  # fmt: skip
    sessions.attendance_record(session=session, actor=trainer, present=present)
    if before_complete:
        before_complete()
    if not complete:
        return
    results = {t.pk: (True, "") for t in session.trainees.all()}
    assessments = None if before_complete else assessed(session)  # else assessed by the hook
    sessions.session_complete(session=session, actor=trainer, results=results,
                              assessments=assessments)  # fmt: skip


def emails(template):
    return list(OutgoingEmail.objects.filter(template=template).order_by("pk"))


def path_of(email) -> str:
    url = LINK.search(email.body_text).group(0)
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


# --- Convocation ---------------------------------------------------------------------------------


def test_the_convocation_leaves_seven_days_before_the_first_day_once_per_trainee_with_a_copy(
    trainer, client_user, organisation
):
    session = validated_session(trainer, client_user)
    first = min(d.date for d in session.days.all())
    clock.at(dt.datetime.combine(first - dt.timedelta(days=8), dt.time(7, 30)))
    assert quality.quality_daily()["convocations"] == 0
    assert emails("quality_convocation") == []
    clock.back()
    clock.at(dt.datetime.combine(first - dt.timedelta(days=7), dt.time(7, 30)))
    assert quality.quality_daily()["convocations"] == 2
    quality.quality_daily()  # the next beat, or a second worker: nothing more
    sent = emails("quality_convocation")
    assert sorted(m.to[0] for m in sent) == sorted(
        ["stagiaire0@exemple.fr", "stagiaire1@exemple.fr", client_user.email]
    )
    to_trainee = next(m for m in sent if m.to == ["stagiaire0@exemple.fr"])
    body = to_trainee.body_text
    assert "Salle Bellecour, 10 rue de la Barre" in body  # place
    assert "09:00–12:30" in body and "13:30–17:00" in body  # times
    assert "Encadrer au moins une personne." in body  # prerequisites
    assert "Julien Moreau, 06 12 34 56 78" in body  # disability contact
    assert "Règlement intérieur" in body and "L6352-3" in body
    assert LINK.search(body)  # the needs analysis, personal
    copy = next(m for m in sent if m.to == [client_user.email])
    assert "Stagiaire0 Martin" in copy.body_text and not LINK.search(copy.body_text)


def test_a_draft_session_gets_no_convocation(trainer, organisation):
    session = TrainingSessionFactory(trainer=trainer)
    with pytest.raises(DomainError, match="validée"):
        quality.convocation_send(session=session)
    assert emails("quality_convocation") == []


# --- Needs analysis by personal link -----------------------------------------------------------


def test_a_trainee_answers_the_needs_analysis_once_and_the_trainer_sees_it_and_adapts(
    client, trainer, client_user, organisation
):
    session = validated_session(trainer, client_user)
    quality.convocation_send(session=session)
    mail = next(m for m in emails("quality_convocation") if m.to == ["stagiaire0@exemple.fr"])
    url = path_of(mail)
    page = client.get(url)
    assert page.status_code == 200 and "Votre niveau actuel" in page.content.decode()
    missing = client.post(url, {"level": "Notions"})
    assert missing.status_code == 400 and "Répondez à la question" in missing.content.decode()
    bad = client.post(url, {"level": "Expert mondial", "expectations": "x"})
    assert bad.status_code == 400 and "une des réponses proposées" in bad.content.decode()
    done = client.post(
        url,
        {"level": "Notions", "expectations": "Mener mes entretiens annuels",
         "disability": "Malentendant : sous-titres"},
    )  # fmt: skip
    assert done.status_code == 302
    again = client.get(url)
    assert "Merci pour vos réponses" in again.content.decode()
    assert client.post(url, {"level": "Confirmé", "expectations": "autre"}).status_code == 200
    response = QuestionnaireResponse.objects.get(trainee__email="stagiaire0@exemple.fr")
    assert response.answers["level"] == "Notions"  # the second post changed nothing

    login(client, trainer)
    page = client.get(reverse("session_quality", args=[session.pk])).content.decode()
    assert "Mener mes entretiens annuels" in page and "Malentendant : sous-titres" in page
    client.post(
        reverse("session_quality", args=[session.pk]),
        {"action": "adaptation", "response": response.pk, "adaptation": "Support sous-titré"},
    )
    response.refresh_from_db()
    assert response.trainer_adaptation == "Support sous-titré"


def test_another_trainer_cannot_see_the_quality_page_of_my_session(
    client, trainer, other_trainer, client_user, organisation
):
    session = validated_session(trainer, client_user)
    login(client, other_trainer)
    assert client.get(reverse("session_quality", args=[session.pk])).status_code == 404


def test_a_forged_or_expired_link_is_refused_in_french(client, trainer, client_user, organisation):
    session = validated_session(trainer, client_user)
    quality.convocation_send(session=session)
    response = QuestionnaireResponse.objects.first()
    other = QuestionnaireResponse.objects.exclude(pk=response.pk).first()
    forged = signing.dumps({"r": other.pk, "k": "needs"}, salt="autre-chose")
    page = client.get(reverse("quality_questionnaire", args=[forged]))
    assert page.status_code == 404 and "pas valide" in page.content.decode()
    # A client link's token does not open a questionnaire (one purpose per link).
    from sessions import links

    page = client.get(reverse("quality_questionnaire", args=[links.make_token(session)]))
    assert page.status_code == 404
    url = reverse("quality_questionnaire", args=[quality.make_token(response)])
    clock.at(timezone.now() + dt.timedelta(days=61))
    page = client.get(url)
    assert page.status_code == 404 and "expiré" in page.content.decode()


# --- Satisfaction: hot at completion, cold 90 days later, one reminder --------------------------


def test_hot_at_completion_cold_after_ninety_days_and_one_reminder_each(
    trainer, client_user, organisation, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):  # the completion event, after commit
        session = completed_session(trainer, client_user)
    sent = emails("quality_questionnaire")
    hot = [m for m in sent if "Satisfaction à chaud" in m.subject]
    assert sorted(m.to[0] for m in hot) == ["stagiaire0@exemple.fr", "stagiaire1@exemple.fr"]
    # The client company's satisfaction to its contact, the trainer's own feedback to Julien.
    (to_client,) = [m for m in sent if "Satisfaction de l'entreprise cliente" in m.subject]
    (to_trainer,) = [m for m in sent if "Retour du formateur" in m.subject]
    assert to_client.to == [client_user.email] and to_trainer.to == [trainer.email]
    assert len(sent) == 4
    quality.quality_daily()
    assert len(emails("quality_questionnaire")) == 4  # not twice
    # Stagiaire0 answers the hot one, and so do the client and the trainer; Stagiaire1 does
    # not and is reminded once.
    response = QuestionnaireResponse.objects.get(trainee__email="stagiaire0@exemple.fr", kind="hot")
    quality.response_submit(response=response, data={"satisfaction": "5", "objectives": "4"})
    client_response = QuestionnaireResponse.objects.get(session=session, kind="client")
    quality.response_submit(response=client_response,
                            data={"satisfaction": "4", "organisation": "5"})  # fmt: skip
    trainer_response = QuestionnaireResponse.objects.get(session=session, kind="trainer")
    with pytest.raises(DomainError, match="Répondez"):
        quality.response_submit(response=trainer_response, data={"satisfaction": "4"})
    quality.response_submit(response=trainer_response,
                            data={"satisfaction": "4", "group": "Groupe motivé"})  # fmt: skip
    session.refresh_from_db()
    completed_at = session.completed_at
    clock.at(completed_at + dt.timedelta(days=6))
    counts = quality.quality_daily()
    assert counts["reminders"] == 1 and counts["cold"] == 0
    reminders = [m for m in emails("quality_questionnaire") if m.subject.startswith("Rappel")]
    assert [m.to for m in reminders] == [["stagiaire1@exemple.fr"]]
    assert quality.quality_daily()["reminders"] == 0
    clock.at(completed_at + dt.timedelta(days=91))
    assert quality.quality_daily()["cold"] == 2
    assert quality.quality_daily()["cold"] == 0
    cold = [m for m in emails("quality_questionnaire") if "à froid" in m.subject]
    assert sorted(m.to[0] for m in cold) == ["stagiaire0@exemple.fr", "stagiaire1@exemple.fr"]


def test_an_answer_keeps_the_questions_it_answered_after_staff_edit_them(
    trainer, client_user, organisation, staff
):
    session = validated_session(trainer, client_user)
    quality.convocation_send(session=session)
    response = QuestionnaireResponse.objects.first()
    quality.response_submit(
        response=response, data={"level": "Débutant", "expectations": "Tout apprendre"}
    )
    quality.questionnaire_publish(
        kind="needs",
        questions=[{"key": "goal", "label": "Votre objectif principal", "type": "text"}],
        actor=staff,
    )
    response.refresh_from_db()
    assert response.questionnaire.version == 1
    assert response.questionnaire.questions[0]["label"] == "Votre niveau actuel sur le sujet"
    assert quality.questionnaire_current("needs").version == 2
    with pytest.raises(DomainError, match="Type de question inconnu"):
        quality.questionnaire_publish(
            kind="hot", questions=[{"key": "a", "label": "b", "type": "etoiles"}], actor=staff
        )
    assert Questionnaire.objects.filter(kind="hot").count() <= 1


# --- Assessment per objective ------------------------------------------------------------------


def test_the_trainer_assesses_each_objective_and_none_is_assumed(
    client, trainer, client_user, organisation
):
    session = validated_session(trainer, client_user)
    results = {}
    with pytest.raises(DomainError, match="pendant ou à la fin"):
        quality.assessment_record(session=session, actor=trainer, results=results)
    session = completed_session(trainer, client_user)
    assert quality.objectives_of(session) == [
        "Conduire un entretien individuel",
        "fixer des objectifs SMART",
    ]
    t0, t1 = session.trainees.all()
    partial = {(t0.pk, 0): "acquired", (t0.pk, 1): "partly", (t1.pk, 0): "acquired"}
    before = set(ObjectiveAssessment.objects.values_list("trainee", "position", "result"))
    with pytest.raises(DomainError, match="Stagiaire1 Martin"):
        quality.assessment_record(session=session, actor=trainer, results=partial)
    after = set(ObjectiveAssessment.objects.values_list("trainee", "position", "result"))
    assert after == before  # a refused record changes nothing
    login(client, trainer)
    url = reverse("session_quality", args=[session.pk])
    client.post(url, {"action": "assessment", f"obj-{t0.pk}-0": "acquired",
                      f"obj-{t0.pk}-1": "partly", f"obj-{t1.pk}-0": "not_acquired",
                      f"obj-{t1.pk}-1": "acquired"})  # fmt: skip
    got = {(a.trainee_id, a.objective, a.get_result_display())
           for a in ObjectiveAssessment.objects.all()}  # fmt: skip
    assert got == {
        (t0.pk, "Conduire un entretien individuel", "Acquis"),
        (t0.pk, "fixer des objectifs SMART", "Partiellement acquis"),
        (t1.pk, "Conduire un entretien individuel", "Non acquis"),
        (t1.pk, "fixer des objectifs SMART", "Acquis"),
    }


# --- Complaints ----------------------------------------------------------------------------------


def test_a_visitor_files_a_complaint_and_staff_treat_it_step_by_step(client, staff, organisation):
    page = client.post(reverse("complaint_new"), {
        "origin": "trainee", "name": "Lucie Petit", "email": "lucie@exemple.fr",
        "reference": "", "text": "La salle était trop froide.",
    })  # fmt: skip
    assert page.status_code == 200 and "Réclamation reçue" in page.content.decode()
    complaint = Complaint.objects.get()
    (ack,) = emails("quality_complaint_received")
    assert ack.to == ["lucie@exemple.fr"] and f"n° {complaint.pk}" in ack.body_text
    with pytest.raises(DomainError):
        quality.complaint_advance(complaint=complaint, target="closed", text="x", actor=staff)
    with pytest.raises(DomainError, match="Décrivez"):
        quality.complaint_advance(complaint=complaint, target="analysed", text=" ", actor=staff)
    for target, text in [
        ("analysed", "Chauffage en panne ce jour-là"),
        ("answered", "Excuses, chauffage réparé"),
        ("closed", "Contrôle du chauffage la veille de chaque session"),
    ]:
        quality.complaint_advance(complaint=complaint, target=target, text=text, actor=staff)
    complaint.refresh_from_db()
    assert complaint.status == "closed" and complaint.closed_at and complaint.analysed_at
    login(client, staff)
    export = client.post(reverse("admin:training_sessions_complaint_changelist"),
                         {"action": "export_csv", "_selected_action": [complaint.pk]})  # fmt: skip
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[1][3] == "Lucie Petit" and rows[1][11].startswith("Contrôle du chauffage")


def test_a_complaint_with_no_text_is_a_french_error_not_a_500(client, organisation):
    page = client.post(reverse("complaint_new"), {"origin": "other", "name": "X",
                                                  "email": "pas-un-email", "text": ""})  # fmt: skip
    assert page.status_code == 400 and Complaint.objects.count() == 0


# --- Published figures -------------------------------------------------------------------------


def _answer_hot(session, scores):
    quality.quality_daily()  # the beat invites whoever the completion event did not
    for trainee, score in zip(session.trainees.all(), scores, strict=True):
        response = QuestionnaireResponse.objects.get(trainee=trainee, kind="hot")
        quality.response_submit(response=response, data={"satisfaction": str(score),
                                                         "objectives": "4"})  # fmt: skip


def test_the_programme_page_shows_figures_only_from_the_minimum_count(
    client, trainer, client_user, organisation, settings
):
    settings.QUALITY_MIN_COUNT = 3
    programme = Programme.objects.create(trainer=trainer, **{
        f: getattr(TrainingSessionFactory.build(trainer=trainer), f)
        for f in Programme.CONTENT_FIELDS})  # fmt: skip
    first = completed_session(trainer, client_user)
    TrainingSession.objects.filter(pk=first.pk).update(programme=programme)
    _answer_hot(first, [5, 4])
    page = client.get(reverse("programme_public", args=[programme.pk])).content.decode()
    assert "Stagiaires formés</dt><dd>moins de 3" in page
    assert "Satisfaction à chaud</dt><dd>pas encore assez de réponses (au moins 3)" in page
    clock.back()
    second = completed_session(trainer, client_user)
    TrainingSession.objects.filter(pk=second.pk).update(programme=programme)
    _answer_hot(second, [3, 4])
    page = client.get(reverse("programme_public", args=[programme.pk])).content.decode()
    assert "Stagiaires formés</dt><dd>4</dd>" in page
    assert "Taux d&#x27;achèvement</dt><dd>100 %" in page or "achèvement</dt><dd>100 %" in page
    assert "4,0 / 5 (4 réponses)" in page  # (5 + 4 + 3 + 4) / 4
    assert "Calculé le" in page
    assert "Stagiaire0" not in page  # anonymous


# --- Organisation documents and the auditor's export -------------------------------------------


def test_staff_publish_a_new_version_of_the_rules_and_the_public_page_shows_the_latest(
    client, staff, organisation
):
    login(client, staff)
    add = reverse("admin:ganapati_organisationdocument_add")
    for text in ["Article 1 : ponctualité.", "Article 1 : ponctualité. Article 2 : sécurité."]:
        client.post(add, {"kind": "reglement", "text": text, "valid_from": "01/01/2026"})
    client.logout()
    page = client.get(reverse("organisation_document", args=["reglement"])).content.decode()
    assert "Version 2" in page and "Article 2 : sécurité." in page
    assert client.get(reverse("organisation_document", args=["cgv"])).status_code == 404


def test_the_auditor_export_is_for_staff_and_holds_each_sessions_evidence_and_a_summary(
    client, staff, trainer, client_user, organisation
):
    session = completed_session(trainer, client_user)
    _answer_hot(session, [5, 2])
    clock.back()
    first = min(d.date for d in session.days.all())
    url = reverse("quality_auditor_export") + f"?du={first:%Y-%m-%d}&au={first:%Y-%m-%d}"
    login(client, trainer)
    assert client.get(url).status_code == 403
    login(client, staff)
    response = client.get(url)
    assert response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    names = set(archive.namelist())
    assert f"{session.reference}/hot.csv" in names and "synthese.csv" in names
    assert "reclamations.csv" in names
    summary = list(csv.reader(io.StringIO(archive.read("synthese.csv").decode("utf-8-sig")),
                              delimiter=";"))  # fmt: skip
    assert summary[1][0] == session.reference and summary[1][7] == "2"  # two hot answers
    bad = client.get(reverse("quality_auditor_export") + "?du=2026-05-01&au=2026-01-01")
    assert bad.status_code == 400 and "précéder" in bad.content.decode()


def test_the_attestation_states_the_result_of_each_objective(trainer, client_user, organisation):
    from documents.models import Document
    from documents.services import document_render

    from .test_documents import pdf_text

    session = validated_session(trainer, client_user)
    t0, t1 = session.trainees.all()

    def assess():
        quality.assessment_record(session=session, actor=trainer, results={
            (t0.pk, 0): "acquired", (t0.pk, 1): "partly",
            (t1.pk, 0): "not_acquired", (t1.pk, 1): "acquired",
        })  # fmt: skip

    run_to_completion(session, trainer, before_complete=assess)
    attestation = Document.objects.for_owner(session).for_subject(t0).get(kind="attestation")
    document_render(document_id=attestation.pk)
    attestation.refresh_from_db()
    with attestation.file.open("rb") as handle:
        text = pdf_text(handle.read())
    assert "Conduire un entretien individuel : acquis" in text
    assert "fixer des objectifs SMART : partiellement acquis" in text
    assert "Compétences acquises" not in text


def test_a_trainer_is_reminded_once_thirty_days_before_a_certification_expires(
    trainer, organisation
):
    from ganapati.models import TrainerQualification
    from ganapati.qualifications import qualification_reminders

    today = timezone.localdate()
    TrainerQualification.objects.create(
        trainer=trainer, kind="certification", title="Habilitation SST",
        obtained_on=today - dt.timedelta(days=700), expires_on=today + dt.timedelta(days=31),
    )  # fmt: skip
    TrainerQualification.objects.create(trainer=trainer, kind="diploma", title="Master RH")
    assert qualification_reminders() == 0
    clock.at(timezone.now() + dt.timedelta(days=1))
    qualification_reminders()
    qualification_reminders()
    (mail,) = emails("quality_qualification_expiry")
    assert mail.to == [trainer.email] and "Habilitation SST" in mail.subject


def test_the_programme_figures_cost_a_fixed_number_of_queries(
    client, trainer, organisation, django_assert_max_num_queries
):
    from .factories import TrainingSessionFactory as Sessions

    model = Sessions.build(trainer=trainer)
    content = {f: getattr(model, f) for f in Programme.CONTENT_FIELDS}
    programme = Programme.objects.create(trainer=trainer, **content)
    for _ in range(6):
        Sessions(trainer=trainer, programme=programme, days=0)
    url = reverse("programme_public", args=[programme.pk])
    with django_assert_max_num_queries(12):
        assert client.get(url).status_code == 200


# --- No completion before the assessment of what was learnt -------------------------------------


def test_completion_is_refused_while_a_present_trainee_has_an_objective_not_assessed(
    trainer, client_user, organisation
):
    session = validated_session(trainer, client_user)
    t0, t1 = session.trainees.all()
    only_first = {(t0.pk, 0): "acquired", (t0.pk, 1): "partly", (t1.pk, 0): "acquired"}
    run_to_completion(session, trainer, complete=False)
    with pytest.raises(DomainError, match=r"avant de terminer : Stagiaire1 Martin\.$"):
        sessions.session_complete(
            session=session, actor=trainer, results={t.pk: (True, "") for t in (t0, t1)},
            assessments=only_first,
        )  # fmt: skip
    session.refresh_from_db()
    assert session.status == "running"
    assert ObjectiveAssessment.objects.count() == 0  # nothing recorded, nothing assumed
    sessions.session_complete(
        session=session, actor=trainer, results={t.pk: (True, "") for t in (t0, t1)},
        assessments={**only_first, (t1.pk, 1): "not_acquired"},
    )  # fmt: skip
    session.refresh_from_db()
    assert session.status == "completed"
    got = {(a.trainee_id, a.position): a.result for a in ObjectiveAssessment.objects.all()}
    assert got == {(t0.pk, 0): "acquired", (t0.pk, 1): "partly", (t1.pk, 0): "acquired",
                   (t1.pk, 1): "not_acquired"}  # fmt: skip


def test_the_completion_page_says_what_is_missing_and_keeps_what_was_typed(
    client, trainer, client_user, organisation
):
    session = validated_session(trainer, client_user)
    t0, t1 = session.trainees.all()
    url = reverse("session_complete", args=[session.pk])
    run_to_completion(session, trainer, complete=False)
    login(client, trainer)
    page = client.get(url).content.decode()
    # Nothing is ticked by default: neither an objective nor the overall result.
    assert "checked" not in page
    assert page.count('value="acquired"') == 4  # two trainees × two objectives
    data = {
        f"acquired-{t0.pk}": "yes", f"acquired-{t1.pk}": "no",
        f"result-{t1.pk}": "Doit revoir la méthode SMART.",
        f"obj-{t0.pk}-0": "acquired", f"obj-{t0.pk}-1": "partly",
        f"obj-{t1.pk}-0": "not_acquired",
    }  # fmt: skip
    refused = client.post(url, data)
    assert refused.status_code == 400
    text = refused.content.decode()
    assert "Évaluez les acquis de chaque stagiaire présent" in text and "Stagiaire1 Martin" in text
    # What was typed is still there: the ticked results and the comment.
    assert f'name="obj-{t0.pk}-1" value="partly" checked' in text
    assert f'name="obj-{t1.pk}-0" value="not_acquired" checked' in text
    assert f'name="acquired-{t1.pk}" value="no" checked' in text
    assert "Doit revoir la méthode SMART." in text
    assert ObjectiveAssessment.objects.count() == 0
    session.refresh_from_db()
    assert session.status == "running"
    done = client.post(url, {**data, f"obj-{t1.pk}-1": "acquired"})
    assert done.status_code == 302
    session.refresh_from_db()
    assert session.status == "completed" and ObjectiveAssessment.objects.count() == 4


# --- The règlement intérieur and the CGV, attached ------------------------------------------------


def _pdf_attachments(message) -> dict[str, str]:
    from .test_documents import pdf_text

    return {name: pdf_text(content) for name, content, mimetype in message.attachments
            if mimetype == "application/pdf"}  # fmt: skip


def test_the_convocation_attaches_the_current_rules_to_each_trainee_and_the_contact(
    trainer, client_user, organisation, staff, mailoutbox, django_capture_on_commit_callbacks
):
    from ganapati.orgdocs import organisation_document_publish

    with django_capture_on_commit_callbacks(execute=True):
        for text in ["Article 1 : ponctualité.", "Article 1 : ponctualité. Article 2 : sécurité."]:
            organisation_document_publish(kind="reglement", text=text,
                                          valid_from=dt.date(2026, 1, 1), actor=staff)  # fmt: skip
        session = validated_session(trainer, client_user)
    from documents.models import Document

    # The current version had its PDF rendered by a worker on publication, ready for e-mails.
    (rules,) = Document.objects.filter(kind="reglement", status="ready")
    assert rules.title == "Règlement intérieur version 2"
    mailoutbox.clear()
    first = min(d.date for d in session.days.all())
    clock.at(dt.datetime.combine(first - dt.timedelta(days=7), dt.time(7, 30)))
    with django_capture_on_commit_callbacks(execute=True):
        quality.quality_daily()
    convocations = [m for m in mailoutbox if m.subject.startswith(("Convocation", "Copie"))]
    assert sorted(m.to[0] for m in convocations) == sorted(
        ["stagiaire0@exemple.fr", "stagiaire1@exemple.fr", client_user.email]
    )
    for message in convocations:
        ((name, text),) = _pdf_attachments(message).items()
        assert name.startswith("Règlement intérieur version 2")
        assert "Article 2 : sécurité." in text and "Règlement intérieur" in text
        assert "en pièce jointe" in message.body


def test_without_published_rules_the_convocation_leaves_with_the_link_only(
    trainer, client_user, organisation
):
    session = validated_session(trainer, client_user)
    quality.convocation_send(session=session)
    for mail in emails("quality_convocation"):
        assert mail.attachments == [] and "/organisme/reglement/" in mail.body_text


def test_the_quote_and_agreement_e_mail_attaches_the_current_terms_of_sale(
    trainer, client_user, organisation, staff, mailoutbox, django_capture_on_commit_callbacks
):
    from ganapati.orgdocs import organisation_document_publish

    with django_capture_on_commit_callbacks(execute=True):
        organisation_document_publish(kind="cgv", text="Article 1 : les prix sont nets de TVA.",
                                      valid_from=dt.date(2026, 1, 1), actor=staff)  # fmt: skip
        validated_session(trainer, client_user)
    packs = [m for m in mailoutbox if "devis, convention et programme" in m.subject]
    assert sorted(m.to[0] for m in packs) == sorted([client_user.email, trainer.email])
    for message in packs:
        attached = _pdf_attachments(message)
        assert len(attached) == 4
        (terms,) = [text for name, text in attached.items()
                    if name.startswith("Conditions générales de vente")]  # fmt: skip
        assert "Article 1 : les prix sont nets de TVA." in terms
        assert "conditions générales de vente" in message.body


# --- The hot questionnaire on the last half-day's signing page ----------------------------------


def test_after_signing_the_last_half_day_a_trainee_is_offered_their_own_hot_questionnaire(
    running,
    client,  # noqa: F811  (the fixture imported above)
):
    from .test_signing import data_url, drawn, slots_of

    def sign_by_link(day_index, half, position):
        day = running.days.order_by("date")[day_index]
        attendance.halfday_links_send(session=running, day_id=day.pk, half=half)
        trainee = slots_of(running, day_index, half)[position].trainee
        mail = OutgoingEmail.objects.filter(template="signing_link", to=[trainee.email]).latest(
            "pk"
        )
        url = re.search(r"https?://\S+/emargement/lien/\S+/", mail.body_text).group(0)
        page = client.post(url[url.index("/emargement/") :], {"signature": data_url(drawn(5))})
        assert "votre signature est enregistrée" in page.content.decode()
        return trainee, page.content.decode()

    _, first_morning = sign_by_link(0, "am", 0)
    assert "questionnaire de satisfaction" not in first_morning  # not the last half-day
    last = max(d.date for d in running.days.all())
    clock.at(dt.datetime.combine(last, dt.time(13, 40)))
    trainee, page = sign_by_link(1, "pm", 1)
    assert "Répondre au questionnaire de satisfaction" in page
    link = re.search(r'href="(/questionnaire/[^"]+/)"', page).group(1)
    questionnaire = client.get(link).content.decode()
    assert "Votre satisfaction globale" in questionnaire
    assert client.post(link, {"satisfaction": "5", "objectives": "4"}).status_code == 302
    (answer,) = QuestionnaireResponse.objects.filter(kind="hot", submitted_at__isnull=False)
    assert answer.trainee == trainee and answer.satisfaction == 5  # their own
    # Answered: at completion nobody asks them again.
    quality.hot_invites(session_id=running.pk)
    asked = [m.to[0] for m in emails("quality_questionnaire")]
    assert trainee.email not in asked


# --- A complaint from every page of the people concerned ----------------------------------------

COMPLAINT_LINK = re.compile(r'<a href="(/reclamation/[^"]*)">Déposer une réclamation</a>')


def test_a_complaint_link_on_each_persons_pages_opens_the_form_for_that_session(
    client, trainer, client_user, organisation
):
    session = validated_session(trainer, client_user)
    quality.convocation_send(session=session)
    mail = next(m for m in emails("quality_convocation") if m.to == ["stagiaire0@exemple.fr"])
    ref = session.reference
    pages = {"trainee": [path_of(mail)]}
    pages["client"] = [reverse("client_home"), reverse("client_session_detail", args=[session.pk])]
    pages["trainer"] = [reverse("trainer_home"), reverse("session_detail", args=[session.pk])]
    for origin, urls in pages.items():
        if origin != "trainee":
            login(client, client_user if origin == "client" else trainer)
        for url in urls:
            page = client.get(url)
            assert page.status_code == 200, url
            link = COMPLAINT_LINK.search(page.content.decode())
            assert link, (origin, url)
            href = link.group(1).replace("&amp;", "&")
            assert f"origine={origin}" in href
            assert (f"session={ref}" in href) == (url not in (reverse("client_home"),
                                                              reverse("trainer_home")))  # fmt: skip
        client.logout()

    # The trainee follows it from their questionnaire: the form knows the session.
    form = client.get(f"/reclamation/?session={ref}&origine=trainee").content.decode()
    assert f'value="{ref}"' in form and '<option value="trainee" selected>' in form
    done = client.post("/reclamation/", {
        "origin": "trainee", "name": "Stagiaire0 Martin", "email": "stagiaire0@exemple.fr",
        "reference": ref, "text": "Le support n'a pas été envoyé.",
    })  # fmt: skip
    assert done.status_code == 200 and "Réclamation reçue" in done.content.decode()
    complaint = Complaint.objects.get()
    assert (complaint.session, complaint.origin) == (session, "trainee")
    assert client.get("/reclamation/?session=<script>&origine=pirate").status_code == 200


def test_staff_download_the_auditor_export_from_the_admin_and_nobody_else_can(
    client, staff, trainer, client_user, organisation
):
    session = completed_session(trainer, client_user)
    _answer_hot(session, [5, 2])
    clock.back()
    first = min(d.date for d in session.days.all())
    export = reverse("admin:training_sessions_complaint_auditor_export")
    period = f"{export}?du={first:%d/%m/%Y}&au={first:%d/%m/%Y}"
    for outsider in (None, trainer, client_user):
        client.logout()
        if outsider is not None:
            login(client, outsider)
        for url in (export, period):
            response = client.get(url)
            assert response.status_code in (302, 403), (outsider, url)
            assert response.get("Content-Type") != "application/zip"
    client.logout()
    login(client, staff)
    changelist = client.get(reverse("admin:training_sessions_complaint_changelist"))
    assert f'href="{export}"' in changelist.content.decode()
    assert "Export Qualiopi pour l'auditeur (ZIP)" in changelist.content.decode()
    form = client.get(export)
    assert form.status_code == 200 and "Télécharger le ZIP" in form.content.decode()
    response = client.get(period)
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert f"{session.reference}/hot.csv" in archive.namelist()
    assert "synthese.csv" in archive.namelist()
    bad = client.get(f"{export}?du=01/05/2026&au=01/01/2026")
    assert bad.status_code == 400 and "précéder" in bad.content.decode()


# --- Questions edited in the admin, row by row ----------------------------------------------------


def _rows(questions, extra=3) -> dict:
    """The admin form's fields for these questions, plus empty rows, as a browser posts them."""
    data = {"kind": "hot", "_save": "Enregistrer"}
    for i in range(len(questions) + extra):
        q = questions[i] if i < len(questions) else {}
        data.update(
            {
                f"q{i}_label": q.get("label", ""),
                f"q{i}_type": q.get("type", "scale"),
                f"q{i}_choices": q.get("choices", ""),
                f"q{i}_key": q.get("key", ""),
            }
        )
        if q.get("optional"):
            data[f"q{i}_optional"] = "on"
    return data


def test_staff_edit_the_questions_in_a_form_and_a_new_version_is_published(
    client, staff, organisation
):
    login(client, staff)
    current = quality.questionnaire_current("hot")
    url = reverse("admin:training_sessions_questionnaire_change", args=[current.pk])
    page = client.get(url).content.decode()
    # The questions are fields to fill in, not JSON.
    assert 'value="Votre satisfaction globale"' in page and "Réponse facultative" in page
    assert "Liste JSON" not in page
    posted = _rows([
        {"label": "Votre satisfaction globale", "type": "scale", "key": "satisfaction"},
        {"label": "", "type": "scale", "key": "objectives"},  # emptied: removed
        {"label": "Un commentaire, une suggestion", "type": "text", "key": "comment",
         "optional": True},
        {"label": "Le rythme était-il adapté ?", "type": "choice",
         "choices": "Trop lent\nAdapté\nTrop rapide"},
    ])  # fmt: skip
    assert client.post(url, posted).status_code == 302
    latest = quality.questionnaire_current("hot")
    assert latest.version == 2
    assert latest.questions == [
        {"key": "satisfaction", "label": "Votre satisfaction globale", "type": "scale"},
        {"key": "comment", "label": "Un commentaire, une suggestion", "type": "text",
         "optional": True},
        {"key": "le_rythme_etait_il_adapte", "label": "Le rythme était-il adapté ?",
         "type": "choice", "choices": ["Trop lent", "Adapté", "Trop rapide"]},
    ]  # fmt: skip
    current.refresh_from_db()
    assert len(current.questions) == 3  # version 1 unchanged: its answers keep their questions


def test_a_list_question_without_choices_is_refused_in_french_and_nothing_is_published(
    client, staff, organisation
):
    login(client, staff)
    add = reverse("admin:training_sessions_questionnaire_add") + "?kind=hot"
    page = client.get(add).content.decode()
    assert 'value="Les objectifs annoncés ont-ils été atteints ?"' in page  # from the current
    before = Questionnaire.objects.count()
    page = client.post(add, _rows([{"label": "Votre niveau", "type": "choice", "choices": ""}]))
    assert page.status_code == 200
    assert "La question « Votre niveau » n&#x27;a pas de choix." in page.content.decode()
    empty = client.post(add, _rows([])).content.decode()  # no question at all
    assert "Indiquez au moins une question." in empty
    assert Questionnaire.objects.count() == before


def test_a_hot_questionnaire_opened_on_the_signing_page_is_e_mailed_when_its_invitation_was_lost(
    trainer, client_user, organisation, mailoutbox, django_capture_on_commit_callbacks
):
    """The trainee opened their questionnaire from the last half-day's signing page without
    answering; the completion's invitations were lost with their task: the daily job sends it."""
    from sessions.quality import _response_for, quality_daily

    from .test_billing import completed_session

    with django_capture_on_commit_callbacks(execute=False):  # the completion's tasks never run
        session = completed_session(trainer, client_user)
    first, second = session.trainees.order_by("position")
    _response_for(first, "hot")  # opened from the signing page, not answered
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        quality_daily()
    hot = [m for m in mailoutbox if m.subject.startswith("Satisfaction à chaud")]
    assert sorted(m.to[0] for m in hot) == sorted([first.email, second.email])
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        quality_daily()
    assert not [m for m in mailoutbox if m.subject.startswith("Satisfaction à chaud")]
