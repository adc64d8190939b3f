"""Issue 15 in a real browser on a phone (390 px): a trainee answers the needs analysis from
their convocation, then the hot questionnaire at the end; the public programme page shows the
updated figures. Every page is checked with axe-core and must fit the screen."""

import re

import pytest
from django.utils import timezone

from ganapati.models import OutgoingEmail
from sessions import quality
from sessions import services as sessions
from sessions.models import Programme, QuestionnaireResponse, TrainingSession

from .factories import TrainingSessionFactory, attach_client
from .test_browser import browser, page  # noqa: F401  (the fixtures: Chromium, a 390 px page)
from .test_browser_help import assert_accessible, assert_fits_the_phone
from .test_quality import run_to_completion

LINK = re.compile(r"https?://[^\s\"<]+(/questionnaire/[^\s\"<]+/)")


def link_for(email: str, template: str, subject_part: str) -> str:
    mail = OutgoingEmail.objects.get(template=template, to=[email], subject__contains=subject_part)
    return LINK.search(mail.body_text).group(1)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_trainee_answers_the_needs_analysis_and_the_hot_questionnaire_on_a_phone(
    page,  # noqa: F811
    live_server, trainer, client_user, organisation, funders, settings,
):  # fmt: skip
    settings.QUALITY_MIN_COUNT = 1
    content = {f: getattr(TrainingSessionFactory.build(trainer=trainer), f)
               for f in Programme.CONTENT_FIELDS}  # fmt: skip
    programme = Programme.objects.create(trainer=trainer, **content)
    session = attach_client(TrainingSessionFactory(trainer=trainer), client_user)
    TrainingSession.objects.filter(pk=session.pk).update(programme=programme)
    sessions.session_validate(session=session, actor=trainer)
    session.refresh_from_db()
    quality.convocation_send(session=session)

    # The convocation's personal link: the needs analysis.
    page.goto(live_server.url + link_for("stagiaire0@exemple.fr", "quality_convocation", ""))
    assert page.get_by_role("heading", level=1).inner_text() == (
        "Analyse du besoin et positionnement"
    )
    assert_fits_the_phone(page)
    assert_accessible(page)
    page.get_by_label("Notions").check()
    page.get_by_label("Ce que vous attendez de la formation").fill("Mener mes entretiens")
    page.get_by_label("Une adaptation liée à un handicap").fill("Malentendant")
    page.get_by_role("button", name="Envoyer mes réponses").click()
    page.wait_for_load_state()
    assert "Merci pour vos réponses" in page.content()
    needs = QuestionnaireResponse.objects.get(trainee__email="stagiaire0@exemple.fr", kind="needs")
    assert needs.answers == {"level": "Notions", "expectations": "Mener mes entretiens",
                             "disability": "Malentendant"}  # fmt: skip

    # Before: nothing to publish yet.
    page.goto(f"{live_server.url}/programmes/{programme.pk}/")
    assert "Satisfaction à chaud pas encore assez de réponses" in " ".join(
        page.locator("dl.facts").last.inner_text().split()
    )

    run_to_completion(session, trainer)  # the completion event invites to the hot one
    page.goto(live_server.url + link_for("stagiaire0@exemple.fr", "quality_questionnaire",
                                         "à chaud"))  # fmt: skip
    assert page.get_by_role("heading", level=1).inner_text() == "Satisfaction à chaud"
    assert_fits_the_phone(page)
    assert_accessible(page)
    page.get_by_role("group", name="Votre satisfaction globale").get_by_label(
        "Satisfait (4/5)"
    ).check()
    page.get_by_role("group", name="Les objectifs annoncés").get_by_label(
        "Très satisfait (5/5)"
    ).check()
    page.get_by_role("button", name="Envoyer mes réponses").click()
    page.wait_for_load_state()
    assert "Merci pour vos réponses" in page.content()

    page.goto(f"{live_server.url}/programmes/{programme.pk}/")
    figures = " ".join(page.locator("dl.facts").last.inner_text().split())
    assert "Stagiaires formés 2" in figures
    assert "Taux d'achèvement 100 %" in figures
    assert "Satisfaction à chaud 4,0 / 5 (1 réponse)" in figures
    assert f"Calculé le {timezone.localdate():%d/%m/%Y}" in page.content()
    assert_fits_the_phone(page)
    assert_accessible(page)
