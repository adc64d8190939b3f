"""Electronic attendance in a real Chromium at 390 px (issue 13, "Done when"): the trainer starts
the session and shows the QR code; two trainees sign through it with their one-time codes, one
through the e-mailed link, one is marked absent; the trainer countersigns and closes the
half-day; the session cannot be completed while another half-day is open; the signed sheet PDF
holds the signatures and the evidence appendix; a slot edited in the database breaks the chain."""

import datetime as dt
import random
import re
import subprocess

import pytest
from django.core.management import CommandError, call_command

from tests import clock

from .test_browser import browser, log_in, page  # noqa: F401  (fixtures: Chromium, 390 px page)
from .test_browser_help import PHONE, assert_accessible, assert_fits_the_phone


def draw(tab, testid: str, seed: int) -> None:
    """A stroke on the signature pad, as a finger would draw it."""
    pad = tab.get_by_test_id(testid)
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    x, y = box["x"] + 15, box["y"] + box["height"] / 2
    tab.mouse.move(x, y)
    tab.mouse.down()
    rng = random.Random(seed)
    for step in range(1, 12):
        tab.mouse.move(x + step * 22, y + rng.randint(-30, 30), steps=3)
    tab.mouse.up()


def phone(browser):  # noqa: F811
    return browser.new_context(locale="fr-FR", viewport=PHONE).new_page()


def url_path(url: str) -> str:
    return url[url.index("/emargement/") :]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_half_day_signed_by_qr_code_link_and_marked_absent_then_countersigned_and_closed(
    browser, page, live_server, trainer, client_user, password, organisation, funders,  # noqa: F811
    tmp_path,
):  # fmt: skip
    from documents.models import Document
    from ganapati.models import OutgoingEmail
    from sessions import services
    from sessions.models import HalfDayClosure, SigningSlot

    from .factories import TrainingSessionFactory, attach_client
    from .test_signing import _pdf_text, sign_all_and_close

    session = attach_client(TrainingSessionFactory(trainer=trainer), client_user, trainees=4)
    services.session_validate(session=session, actor=trainer)
    services.session_fund(session=session, actor=None)
    first = min(d.date for d in session.days.all())
    clock.at(dt.datetime.combine(first, dt.time(9, 10)))
    trainees = list(session.trainees.order_by("position"))

    # The trainer, on a phone, starts the session and shows the QR code.
    log_in(page, live_server, trainer.email, password)
    page.goto(f"{live_server.url}/formateur/sessions/{session.pk}/")
    page.get_by_role("button", name="Démarrer la session").click()
    page.wait_for_load_state()
    signing_url = f"{live_server.url}/formateur/sessions/{session.pk}/emargement/signatures/"
    page.goto(signing_url)
    assert "Émargement électronique" in page.content()
    assert_accessible(page)
    assert_fits_the_phone(page)
    page.get_by_role("link", name="Afficher le QR code").click()
    page.wait_for_load_state()
    assert page.get_by_test_id("qr").locator("svg").count() == 1
    qr_url = page.get_by_test_id("qr-url").get_attribute("href")
    assert_accessible(page)

    # Two trainees scan it, receive a one-time code by e-mail and sign with their finger.
    for n, trainee in enumerate(trainees[:2]):
        tab = phone(browser)
        tab.goto(f"{live_server.url}{url_path(qr_url)}")
        tab.get_by_label("Votre adresse e-mail").fill(trainee.email)
        tab.get_by_role("button", name="Recevoir mon code").click()
        tab.wait_for_load_state()
        email = OutgoingEmail.objects.get(template="signing_code", to=[trainee.email])
        code = re.search(r"\b(\d{6})\b", email.subject).group(1)
        tab.get_by_label("Code reçu par e-mail (6 chiffres)").fill(code)
        draw(tab, "signature", seed=n + 2)
        assert_accessible(tab)
        assert_fits_the_phone(tab)
        tab.get_by_role("button", name="Signer").click()
        tab.wait_for_load_state()
        assert "votre signature est enregistrée" in tab.content()
        tab.context.close()

    # The third signs through the personal link the trainer sends.
    page.goto(signing_url)
    page.get_by_role("button", name="Envoyer les liens personnels").click()
    page.wait_for_load_state()
    assert "lien(s) personnel(s) envoyé(s)" in page.content()
    email = OutgoingEmail.objects.get(template="signing_link", to=[trainees[2].email])
    link = re.search(r"https?://\S+/emargement/lien/\S+/", email.body_text).group(0)
    tab = phone(browser)
    tab.goto(f"{live_server.url}{url_path(link)}")
    assert "J'atteste" in tab.content() or "J&#x27;atteste" in tab.content()
    draw(tab, "signature", seed=7)
    tab.get_by_role("button", name="Signer").click()
    tab.wait_for_load_state()
    assert "votre signature est enregistrée" in tab.content()
    tab.context.close()

    # The fourth did not come: marked absent; the trainer countersigns and closes.
    page.goto(signing_url)
    absent = trainees[3]
    page.get_by_test_id(f"slot-{absent.pk}").get_by_role("button", name="Marquer absent").click()
    page.wait_for_load_state()
    assert page.get_by_test_id(f"state-{absent.pk}").inner_text() == "Absent"
    for trainee in trainees[:3]:
        assert "Signé" in page.get_by_test_id(f"state-{trainee.pk}").inner_text()
    draw(page, "contreseing", seed=3)
    page.get_by_role("button", name="Contresigner et clore").click()
    page.wait_for_load_state()
    assert "Demi-journée contresignée et close." in page.content(), page.locator(
        "main"
    ).inner_text()
    assert "Demi-journée close" in page.content()
    assert HalfDayClosure.objects.filter(session=session).count() == 1
    channels = dict(
        SigningSlot.objects.filter(session=session, half="am", day__date=first).values_list(
            "trainee_id", "channel"
        )
    )
    assert [channels[t.pk] for t in trainees[:3]] == ["qr", "qr", "link"]

    # After the last day, with the other half-days still open, completion is refused (the
    # trainer logs in again: the idle session has expired by then).
    clock.after(session)
    page = phone(browser)
    log_in(page, live_server, trainer.email, password)
    page.goto(f"{live_server.url}/formateur/sessions/{session.pk}/terminer/")
    for radio in page.get_by_label("Compétences acquises", exact=True).all():
        radio.check()
    for radio in page.get_by_label("Acquis", exact=True).all():  # each objective (issue 15)
        radio.check()
    page.get_by_role("button", name="Déclarer la session terminée").click()
    page.wait_for_load_state()
    assert "n'est pas close" in page.content() or "n&#x27;est pas close" in page.content()
    session.refresh_from_db()
    assert session.status == "running"

    # The other half-days are signed on the trainer's device; then the session completes.
    days = list(session.days.order_by("date"))
    for index, day in enumerate(days):
        for half, start in (("am", dt.time(9, 10)), ("pm", dt.time(13, 40))):
            if index == 0 and half == "am":
                continue
            clock.at(dt.datetime.combine(day.date, start))
            sign_all_and_close(session, trainer, index, half)
    clock.after(session)
    page.goto(f"{live_server.url}/formateur/sessions/{session.pk}/terminer/")
    for radio in page.get_by_label("Compétences acquises", exact=True).all():
        radio.check()
    for radio in page.get_by_label("Acquis", exact=True).all():  # each objective (issue 15)
        radio.check()
    page.get_by_role("button", name="Déclarer la session terminée").click()
    page.wait_for_load_state()
    assert "Session terminée" in page.content(), page.locator("main").inner_text()

    sheet = Document.objects.for_owner(session).get(kind="emargement_signe")
    data, text = _pdf_text(sheet)
    assert "journal de preuve" in text
    (tmp_path / "sheet.pdf").write_bytes(data)
    images = subprocess.run(["pdfimages", "-list", str(tmp_path / "sheet.pdf")],
                            capture_output=True, check=True, text=True).stdout  # fmt: skip
    rows = [line for line in images.splitlines()[2:] if " image " in line]
    # First morning: 3 signatures + countersignature; three more half-days: 4 + 1 each.
    assert len(rows) >= 3 + 1 + 3 * (4 + 1)

    # A slot row edited directly in the database: the chain no longer verifies.
    call_command("verify_attendance_chain", str(session.pk))
    slot = SigningSlot.objects.get(session=session, trainee=absent, day=days[0], half="am")
    SigningSlot.objects.filter(pk=slot.pk).update(state="signed")
    with pytest.raises(CommandError, match="NON intègre"):
        call_command("verify_attendance_chain", str(session.pk))
