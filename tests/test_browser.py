"""A real headless Chromium, driven by Playwright, logs in as each role."""

import datetime as dt
import os
import re
import shutil

import pytest

from tests import clock

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
    page.wait_for_load_state()


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


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_trainer_creates_shares_and_validates_a_session_the_client_completes_it(
    browser, live_server, trainer, password, organisation, funders, mailoutbox
):

    from sessions.models import TrainingSession

    from .factories import next_monday

    trainer_ctx = browser.new_context(locale="fr-FR")
    page = trainer_ctx.new_page()
    log_in(page, live_server, trainer.email, password)
    page.get_by_role("link", name="Créer une session").first.click()
    page.wait_for_load_state()
    fields = {
        "title": "Prise de parole en public",
        "objectives": "Structurer une intervention de 10 minutes et la présenter.",
        "audience": "Tout salarié amené à présenter.",
        "modules_text": "Préparer son message\nPlan, objectif\n\nLa voix et le corps\nExercices",
        "methods": "Exercices filmés et débriefés.",
        "assessment": "Présentation finale évaluée par grille.",
        "duration_minutes": "14",
        "location": "10 rue de la Barre, 69002 Lyon",
        "accessibility_contact": "Julien, 06 00 00 00 00",
    }
    for name, value in fields.items():
        page.fill(f"[name={name}]", value)
    page.select_option("[name=format]", "on_site")
    page.get_by_role("button", name="Enregistrer et passer aux dates").click()
    page.wait_for_load_state()

    monday = next_monday()
    page.fill("[name=jours-0-date]", monday.isoformat())
    page.get_by_role("button", name="Ajouter une journée").click()
    page.wait_for_load_state()
    page.fill("[name=jours-1-date]", (monday + dt.timedelta(days=1)).isoformat())
    for slot, value in [("morning_start", "09:00"), ("morning_end", "12:30"),
                        ("afternoon_start", "13:30"), ("afternoon_end", "17:00")]:  # fmt: skip
        page.fill(f"[name=jours-1-{slot}]", value)
    page.get_by_role("button", name="Enregistrer et passer au prix").click()
    page.wait_for_load_state()
    assert "Dates enregistrées." in page.content()

    page.fill("[name=price_excl_tax]", "2 800")
    page.fill("[name=trainees_max]", "4")
    page.get_by_role("button", name="Enregistrer et passer au client").click()
    page.wait_for_load_state()
    page.get_by_role("button", name="Créer le lien").click()
    page.wait_for_load_state()
    link = page.get_by_label(re.compile("Lien à transmettre au client")).input_value()
    assert link.startswith("http")
    session = TrainingSession.objects.get()
    assert session.status == "awaiting_client" and session.days.count() == 2

    client_ctx = browser.new_context(locale="fr-FR", viewport={"width": 390, "height": 844})
    client_page = client_ctx.new_page()
    client_page.goto(live_server.url + link[link.index("/session/") :])
    for name, value in {
        "legal_name": "Boulangerie Dupont", "siret": "732 829 320 00074",
        "address": "3 place du Marché", "postal_code": "69002", "city": "Lyon",
        "contact_first_name": "Marie", "contact_last_name": "Dupont",
        "contact_email": "marie@boulangerie.fr", "contact_phone": "06 00 00 00 01",
        "contact_job_title": "Gérante",
        "stagiaires-0-first_name": "Paul", "stagiaires-0-last_name": "Martin",
        "stagiaires-0-email": "paul@boulangerie.fr",
    }.items():  # fmt: skip
        client_page.fill(f"[name='{name}']", value)
    client_page.get_by_label("OPCO, avec subrogation de paiement").check()
    client_page.get_by_label("OPCO de l'entreprise").select_option(
        label="OPCO EP (entreprises de proximité)"
    )
    # A second trainee: one more row, and what was typed stays.
    client_page.get_by_role("button", name="Ajouter un stagiaire").click()
    client_page.wait_for_load_state()
    assert client_page.input_value("[name=legal_name]") == "Boulangerie Dupont"
    client_page.fill("[name='stagiaires-1-first_name']", "Léa")
    client_page.fill("[name='stagiaires-1-last_name']", "Bernard")
    client_page.fill("[name='stagiaires-1-email']", "lea@boulangerie.fr")
    client_page.get_by_role("button", name="Envoyer mes informations").click()
    client_page.wait_for_load_state()
    assert "Merci, vos informations sont enregistrées" in client_page.content()

    page.goto(f"{live_server.url}/formateur/sessions/{session.pk}/")
    assert "Boulangerie Dupont" in page.content()
    page.get_by_role("button", name="Valider la session").click()
    page.wait_for_load_state()
    assert "Session validée" in page.content()
    session.refresh_from_db()
    assert session.status == "validated"
    assert [t.last_name for t in session.trainees.all()] == ["Martin", "Bernard"]

    # The client's email carries the three PDFs, with the session's real values inside.
    pack = next(m for m in mailoutbox if m.to == ["marie@boulangerie.fr"] and m.attachments)
    assert [name.split(" S-")[0] for name, _, _ in pack.attachments] == [
        "Devis", "Convention de formation", "Programme de formation",
    ]  # fmt: skip
    from .test_documents import pdf_text

    texts = [pdf_text(content) for _, content, _ in pack.attachments]
    for text in texts:
        assert "Prise de parole en public" in text
        assert monday.strftime("%d/%m/%Y") in text
        assert organisation.nda in text
    assert "Boulangerie Dupont" in texts[0] and "73282932000074" in texts[0]
    assert "MARTIN" in texts[1].upper() and "Bernard" in texts[1]
    assert "2 800,00 €" in texts[0].replace("\u202f", " ")
    assert any(m.to == [trainer.email] and m.subject.startswith("[Copie]") for m in mailoutbox)

    invitation = next(m for m in mailoutbox if "choisissez votre mot de passe" in m.subject)
    set_password = re.search(r"http://\S+/compte/nouveau-mot-de-passe/\S+/", invitation.body)
    client_page.goto(
        live_server.url + set_password.group(0)[set_password.group(0).index("/compte") :]
    )
    client_page.fill("[name=new_password1]", "Boulangerie-2026-solide")
    client_page.fill("[name=new_password2]", "Boulangerie-2026-solide")
    client_page.get_by_role("button", name="Enregistrer le mot de passe").click()
    client_page.wait_for_load_state()
    log_in(client_page, live_server, "marie@boulangerie.fr", "Boulangerie-2026-solide")
    client_page.wait_for_url(f"{live_server.url}/client/")
    assert "Prise de parole en public" in client_page.content()
    assert "Validée" in client_page.content()
    trainer_ctx.close()
    client_ctx.close()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_pec_upload_staff_validation_green_light_attendance_and_certificates(
    browser, live_server, trainer, client_user, staff, password, organisation, funders,
    mailoutbox,
):  # fmt: skip
    from documents.models import Document
    from sessions.services import session_validate

    from .factories import TrainingSessionFactory, attach_client
    from .test_documents import pdf_text
    from .test_pec import pdf_bytes

    session = attach_client(TrainingSessionFactory(trainer=trainer), client_user)
    session_validate(session=session, actor=trainer)  # documents rendered and sent on commit

    client_page = browser.new_context(locale="fr-FR").new_page()
    log_in(client_page, live_server, client_user.email, password)
    client_page.get_by_role("link", name=session.title).click()
    client_page.wait_for_load_state()
    client_page.get_by_role("link", name="Financement : déposer l'accord ou s'engager").click()
    client_page.wait_for_load_state()
    client_page.set_input_files(
        "[name=file]",
        files=[{"name": "accord.pdf", "mimeType": "application/pdf", "buffer": pdf_bytes()}],
    )
    client_page.get_by_label("Prise en charge totale").check()
    client_page.fill("[name=file_number]", "OPCOEP-2026-77")
    client_page.fill("[name=amount_granted]", "2 800")
    client_page.fill("[name=minutes_granted]", "14")
    client_page.get_by_role("button", name="Déposer").click()
    client_page.wait_for_load_state()
    assert "Accord déposé" in client_page.content()

    staff_page = browser.new_context(locale="fr-FR").new_page()
    log_in(staff_page, live_server, staff.email, password)
    staff_page.goto(f"{live_server.url}/admin/funding/fundingrequest/")
    staff_page.get_by_role("link", name=session.reference).click()
    staff_page.wait_for_load_state()
    assert staff_page.locator("iframe[title='Accord de prise en charge déposé']").count() == 1
    staff_page.get_by_role("button", name="Valider l'accord").click()
    staff_page.wait_for_load_state()
    assert "Accord validé" in staff_page.content()
    assert any(m.to == [trainer.email] and "vous pouvez démarrer" in m.subject for m in mailoutbox)

    # The evening of the last day: the session is started, attended and completed at once.
    clock.after(session)
    page = browser.new_context(locale="fr-FR").new_page()
    log_in(page, live_server, trainer.email, password)
    page.goto(f"{live_server.url}/formateur/sessions/{session.pk}/")
    page.get_by_role("button", name="Démarrer la session").click()
    page.wait_for_load_state()
    page.get_by_role("link", name="Relevé des présences", exact=True).click()
    page.wait_for_load_state()
    first = session.trainees.order_by("position").first()
    # One half-day at a time: the first trainee misses the first morning.
    halves = page.locator("ul.half-days a").count()
    for index in range(halves):
        page.locator("ul.half-days a").nth(index).click()
        page.wait_for_load_state()
        if index == 0:
            page.get_by_label(f"{first.first_name} {first.last_name}", exact=True).uncheck()
        page.get_by_role("button", name="Enregistrer cette demi-journée").click()
        page.wait_for_load_state()
        assert "Émargement de la demi-journée enregistré." in page.content()
    assert page.locator("ul.half-days").inner_text().count("enregistrée") == halves
    page.goto(f"{live_server.url}/formateur/sessions/{session.pk}/terminer/")
    for radio in page.get_by_label("Compétences acquises", exact=True).all():
        radio.check()
    for radio in page.get_by_label("Acquis", exact=True).all():  # each objective (issue 15)
        radio.check()
    page.get_by_role("button", name="Déclarer la session terminée").click()
    page.wait_for_load_state()
    assert "Session terminée" in page.content()

    certificate = Document.objects.for_owner(session).for_subject(first).get(kind="certificat")
    with certificate.file.open("rb") as handle:
        assert "10 h 30" in pdf_text(handle.read())


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_invoice_paid_in_the_admin_trainer_paid_by_sepa_and_audit_zip_downloaded(
    browser, live_server, trainer, client_user, staff, password, organisation, funders,
    mailoutbox, tmp_path,
):  # fmt: skip
    import csv
    import io
    import zipfile

    from billing.models import Invoice, PayoutBatch
    from billing.services import invoice_issue, invoices_prepare
    from ganapati.models import TrainerProfile

    from .test_billing import completed_session
    from .test_pec import pdf_bytes

    TrainerProfile.objects.create(user=trainer, iban="FR1420041010050500013M02606",
                                  bic="PSSTFRPPLYO")  # fmt: skip
    # A partial PEC: the OPCO's share and the company's remainder.
    session = completed_session(trainer, client_user, decision="partial", granted="2000")
    invoices = [invoice_issue(invoice=i, actor=staff)
                for i in invoices_prepare(session=session, actor=staff)]  # fmt: skip
    assert [i.total_incl_tax for i in invoices] == [2000, 800]
    invoice = invoices[0]

    admin = browser.new_context(locale="fr-FR").new_page()
    log_in(admin, live_server, staff.email, password)
    for inv in invoices:
        admin.goto(f"{live_server.url}/admin/billing/invoice/{inv.pk}/change/")
        admin.get_by_role("link", name="Enregistrer un paiement").click()
        admin.wait_for_load_state()
        admin.fill("[name=amount]", str(inv.total_incl_tax).replace(".", ","))
        admin.fill("[name=paid_on]", "2026-12-15")
        admin.fill("[name=payer]", inv.buyer_name)
        admin.fill("[name=bank_reference]", f"VIR {inv.number}")
        admin.get_by_role("button", name="Enregistrer").click()
        admin.wait_for_load_state()
        assert Invoice.objects.get(pk=inv.pk).status == "paid"
    assert any(m.to == [trainer.email] and "paiement reçu" in m.subject for m in mailoutbox)

    page = browser.new_context(locale="fr-FR").new_page()
    log_in(page, live_server, trainer.email, password)
    page.goto(f"{live_server.url}/formateur/sessions/{session.pk}/")
    assert "2\u202f380,00 €" in page.content()
    page.set_input_files("#id_payout_file", files=[{"name": "facture.pdf",
                         "mimeType": "application/pdf", "buffer": pdf_bytes()}])  # fmt: skip
    page.fill("#id_payout_number", "JM-2026-12")
    page.fill("#id_payout_amount", "2 380,00")
    page.get_by_role("button", name="Déposer ma facture").click()
    page.wait_for_load_state()
    assert "Facture déposée" in page.content()

    admin.goto(f"{live_server.url}/admin/billing/payout/")
    admin.locator("input[name=_selected_action]").first.check()
    admin.select_option("select[name=action]", "make_batch")
    admin.get_by_role("button", name="Envoyer").click()
    admin.wait_for_load_state()
    batch = PayoutBatch.objects.get()
    assert b"2380.00" in batch.sepa_file.open("rb").read()

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Dossier complet pour un contrôle (ZIP)").click()
    path = tmp_path / "audit.zip"
    download_info.value.save_as(path)
    archive = zipfile.ZipFile(path)
    manifest = list(csv.reader(io.StringIO(archive.read("manifest.csv").decode()), delimiter=";"))
    files = {row[0] for row in manifest[1:]}
    assert f"{session.reference}/factures/{invoice.number}.pdf" in files
    assert any("Certificat de réalisation" in f for f in files)
