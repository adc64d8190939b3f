"""A real headless Chromium, driven by Playwright, logs in as each role."""

import os
import shutil

import pytest

from .conftest import require

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser():
    require(CHROMIUM is not None, "Chromium absent (apt-get install chromium)")
    # Playwright's sync API runs an event loop in this thread while the browser is open; the
    # ORM calls of these tests (creating personas) are still synchronous and safe. Only for
    # this module, and not left behind for the processes that later tests start.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover
        require(False, "Playwright absent (pip install playwright)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()
    if previous is None:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="fr-FR", viewport={"width": 390, "height": 844})
    page = context.new_page()
    yield page
    context.close()


def log_in(page, live_server, email, password):
    page.goto(f"{live_server.url}/")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("persona", "path", "heading"),
    [
        ("trainer", "/formateur/", "Bonjour Julien"),
        ("client_user", "/client/", "Espace client"),
        ("staff", "/admin/", "Tableau de bord"),
    ],
)
def test_each_role_logs_in_in_a_real_browser_and_sees_its_home(
    page, live_server, request, password, organisation, persona, path, heading
):
    user = request.getfixturevalue(persona)
    log_in(page, live_server, user.email, password)
    page.wait_for_url(f"{live_server.url}{path}")
    assert heading in page.content()
    assert page.locator("html").get_attribute("lang").startswith("fr")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_wrong_password_shows_a_french_message_in_the_browser(page, live_server, trainer):
    log_in(page, live_server, trainer.email, "pas-le-bon")
    alert = page.get_by_role("alert")
    assert "Adresse e-mail ou mot de passe incorrect." in alert.inner_text()
    # The page keeps its stylesheet (whitenoise serves it, the CSP allows it).
    color = page.evaluate(
        "getComputedStyle(document.querySelector('.site-header')).backgroundColor"
    )
    assert color == "rgb(29, 58, 138)"
