"""In a real Chromium: the main pages of each role pass axe-core (no violation of impact serious or
critical); the staff work queue, the PEC auto-check on the review page (1 280 px wide) and the
trainer's dates step round trip work as a user sees them."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from .conftest import require
from .pec_layouts import Pec, pec_pdf
from .test_browser import browser, log_in  # noqa: F401  (the Chromium fixture)

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def serious_violations(tab) -> list[dict]:
    try:
        from axe_playwright_python.sync_playwright import Axe
    except ImportError:  # pragma: no cover
        require(False, "axe-playwright-python absent (pip install -e '.[dev]')")
    results = Axe().run(tab)
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:3]}
        for v in results.response["violations"]
        if v.get("impact") in ("serious", "critical")
    ]


def _tab(browser, viewport):  # noqa: F811
    return browser.new_context(locale="fr-FR", viewport=viewport).new_page()


def _validated_session(trainer, client_user):
    from sessions import services as sessions

    from .factories import TrainingSessionFactory, attach_client

    session = attach_client(TrainingSessionFactory(trainer=trainer), client_user)
    sessions.session_validate(session=session, actor=trainer)  # tasks run in process
    session.refresh_from_db()
    return session


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_staff_see_the_work_queue_open_a_pec_whose_auto_check_finds_a_mismatch_and_validate_it(
    browser,  # noqa: F811
    live_server, staff, trainer, client_user, password, organisation, funders,
):  # fmt: skip
    from funding import services as funding
    from funding.models import FundingRequest

    session = _validated_session(trainer, client_user)
    days = sorted(d.date for d in session.days.all())
    pdf = pec_pdf(Pec(
        opco="OPCO EP", file_number="EP-2027-777", amount=session.price_excl_tax, hours="14 h",
        date_from=days[0], date_to=days[-1], company=session.company.legal_name,
        siret=session.company.siret, subrogation=False,  # the session is "avec subrogation"
        trainees=[f"{t.first_name} {t.last_name}" for t in session.trainees.all()],
    ), "tableau")  # fmt: skip
    funding.funding_request_upload(
        session=session, actor=client_user,
        upload=SimpleUploadedFile("accord.pdf", pdf, content_type="application/pdf"),
        values={"decision": "total", "file_number": "EP-2027-777",
                "amount_granted": session.price_excl_tax, "minutes_granted": 840,
                "subrogation": True},
    )  # fmt: skip
    request = FundingRequest.objects.get(session=session)

    tab = _tab(browser, DESKTOP)
    log_in(tab, live_server, staff.email, password)
    tab.goto(f"{live_server.url}/admin/")
    queue = tab.locator("#queue-pec_to_check").locator("xpath=..")
    assert "1" in queue.locator(".queue-count").inner_text()
    assert serious_violations(tab) == []
    queue.get_by_role("link").first.click()
    tab.wait_for_url(f"**/admin/funding/fundingrequest/{request.pk}/change/")
    assert "Vérification automatique : 1 écart" in tab.content()
    row = tab.locator("tr.pec-mismatch")
    assert "Subrogation de paiement" in row.inner_text() and "non" in row.inner_text()
    # The preview is framed and sized (the CSP used to shrink it to 300×150), the page fits.
    box = tab.locator("iframe.pec-frame").bounding_box()
    assert box["width"] > 450 and box["height"] > 400
    assert tab.evaluate("document.documentElement.scrollWidth") <= DESKTOP["width"]
    assert tab.locator("[name=file_number]").input_value() == "EP-2027-777"
    assert not tab.locator("[name=subrogation]").is_checked()  # prefilled with what was read
    assert serious_violations(tab) == []
    tab.locator("[name=subrogation]").check()  # staff decide: the OPCO does pay us
    tab.get_by_role("button", name="Valider l'accord").click()
    tab.wait_for_load_state()
    assert "Accord validé" in tab.content()
    request.refresh_from_db()
    assert request.status == "validated" and request.subrogation is True
    tab.context.close()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_trainer_comes_back_to_the_dates_step_and_saves_it_again(
    browser,  # noqa: F811
    live_server,
    trainer,
    password,
    organisation,
    funders,  # noqa: F811
):
    from .factories import TrainingSessionFactory

    session = TrainingSessionFactory(trainer=trainer)
    first = min(d.date for d in session.days.all())
    tab = _tab(browser, PHONE)
    log_in(tab, live_server, trainer.email, password)
    tab.goto(f"{live_server.url}/formateur/sessions/{session.pk}/dates/")
    assert tab.locator("[name=jours-0-date]").input_value() == first.isoformat()
    assert tab.locator("[name=jours-0-morning_start]").input_value() == "09:00"
    assert serious_violations(tab) == []
    tab.get_by_role("button", name="Enregistrer et passer au prix").click()
    tab.wait_for_load_state()
    assert "/prix/" in tab.url
    assert session.days.count() == 2
    tab.context.close()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("persona", "paths"),
    [
        ("trainer", ["/formateur/", "/programmes/"]),
        ("client_user", ["/client/", "/trouver-mon-opco/?q=metallurgie"]),
        ("staff", ["/admin/", "/admin/funding/fundingrequest/?all=1"]),
    ],
)
def test_the_main_pages_of_each_role_have_no_serious_accessibility_violation(
    browser,  # noqa: F811
    live_server,
    request,
    password,
    organisation,
    funders,
    persona,
    paths,  # noqa: F811
):
    user = request.getfixturevalue(persona)
    tab = _tab(browser, PHONE if persona != "staff" else DESKTOP)
    log_in(tab, live_server, user.email, password)
    for path in paths:
        tab.goto(f"{live_server.url}{path}")
        assert tab.locator("h1").count() >= 1, path
        assert serious_violations(tab) == [], path
    tab.context.close()
