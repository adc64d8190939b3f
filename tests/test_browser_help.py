"""In a real Chromium on a phone: a visitor of "Trouver mon OPCO" books a call with an advisor,
the invitation leaves by email, the slot is gone for the next visitor; the help centre is
searched without accents. Every page is checked with axe-core."""

import datetime as dt
import re

import pytest
from icalendar import Calendar

from .conftest import require
from .factories import StaffFactory
from .test_browser import browser, page  # noqa: F401  (the fixtures: Chromium, a 390 px page)

PHONE = {"width": 390, "height": 844}


def assert_accessible(tab):
    try:
        from axe_playwright_python.sync_playwright import Axe
    except ImportError:  # pragma: no cover
        require(False, "axe-playwright-python absent (pip install -e '.[dev]')")
    results = Axe().run(tab)
    assert results.violations_count == 0, results.generate_report()


def assert_fits_the_phone(tab):
    width = tab.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"la page déborde : {width} px"


@pytest.fixture
def advisor(db):
    from ganapati.models import AdvisorAvailability

    user = StaffFactory(email="conseillere@exemple.fr", first_name="Sophie", last_name="Bernard")
    for weekday in range(7):
        AdvisorAvailability.objects.create(
            advisor=user, weekday=weekday, start=dt.time(9), end=dt.time(12)
        )
    return user


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_visitor_of_find_my_opco_books_a_call_on_a_phone_and_the_slot_is_gone_for_the_next(
    browser,  # noqa: F811
    page,  # noqa: F811
    live_server,
    organisation,
    advisor,
    mailoutbox,
):
    from ganapati.models import Appointment

    page.goto(f"{live_server.url}/trouver-mon-opco/")
    page.get_by_role("link", name="Prendre rendez-vous avec un conseiller").first.click()
    page.wait_for_url(re.compile(r"/rendez-vous/\?depuis=trouver-mon-opco$"))
    assert page.get_by_role("heading", level=1).inner_text() == (
        "Prendre rendez-vous avec un conseiller"
    )
    assert_accessible(page)
    assert_fits_the_phone(page)

    first = page.locator("details[open] .slot input[type=radio]").first
    value = first.get_attribute("value")
    page.locator("details[open] .slot").first.click()
    assert first.is_checked()
    page.get_by_label("Nom et prénom").fill("Léa Martin")
    page.get_by_label("Adresse e-mail").fill("lea@boulangerie.fr")
    page.get_by_label("Téléphone").fill("06 11 22 33 44")
    page.get_by_label("Sujet").select_option(label="Financement par un OPCO (PEC, subrogation)")
    page.get_by_label("J'accepte que l'organisme me contacte pour ce rendez-vous.").check()
    page.get_by_role("button", name="Réserver ce rendez-vous").click()
    page.wait_for_url(re.compile(r"/rendez-vous/gerer/"))
    assert "Rendez-vous confirmé" in page.get_by_role("status").first.inner_text()
    assert "Sophie Bernard" in page.content()
    assert_accessible(page)
    assert_fits_the_phone(page)

    appointment = Appointment.objects.get()
    assert appointment.source == "trouver-mon-opco"
    confirmation = next(m for m in mailoutbox if m.to == ["lea@boulangerie.fr"])
    ((filename, content, mimetype),) = confirmation.attachments
    assert filename == "invitation.ics" and mimetype == "text/calendar"
    event = Calendar.from_ical(content).walk("VEVENT")[0]
    assert event.decoded("dtstart") == appointment.start
    assert any(m.to == [advisor.email] for m in mailoutbox)

    # The next visitor, on another phone, no longer sees that slot.
    other = browser.new_context(locale="fr-FR", viewport=PHONE).new_page()
    other.goto(f"{live_server.url}/rendez-vous/")
    assert other.locator(f"input[name=slot][value='{value}']").count() == 0
    assert other.locator("input[name=slot]").count() > 0
    other.context.close()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_visitor_searches_the_help_centre_without_accents_and_reads_an_article(
    page,  # noqa: F811
    live_server,
    organisation,
):
    from ganapati.help.demo import load_help_articles

    load_help_articles()
    page.goto(f"{live_server.url}/aide/")
    assert_accessible(page)
    page.get_by_label("Chercher dans l'aide").fill("feuilles d'emargement")
    page.get_by_role("button", name="Chercher").click()
    page.get_by_role("link", name="Feuilles d'émargement : les règles à respecter").click()
    page.wait_for_url(re.compile(r"/aide/emargement/$"))
    assert page.get_by_role("heading", level=1).inner_text() == (
        "Feuilles d'émargement : les règles à respecter"
    )
    assert_accessible(page)
    assert_fits_the_phone(page)
