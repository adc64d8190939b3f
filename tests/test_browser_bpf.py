"""In a real Chromium: staff compute the 2025 BPF, review it, open a box's detail, download
the CSV and the PDF, and lock the year. The review page is checked with axe-core."""

import re
from pathlib import Path

import pytest

from billing.models import BpfReport

from .test_bpf import year_2025  # noqa: F401  (the realistic year, figures worked by hand)
from .test_browser import browser, log_in, page  # noqa: F401
from .test_browser_help import assert_accessible


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_staff_compute_review_export_and_lock_the_bpf_in_a_browser(
    browser,  # noqa: F811
    page,  # noqa: F811
    live_server,
    staff,
    password,
    year_2025,  # noqa: F811
):
    log_in(page, live_server, staff.email, password)
    page.goto(f"{live_server.url}/admin/billing/bpfreport/")
    page.get_by_label("Exercice clos en").fill("2025")
    page.get_by_role("button", name="Calculer le BPF").click()
    page.wait_for_load_state()
    assert "BPF 2025 calculé." in page.content()
    assert page.get_by_text("Les totaux F-1, F-3 et F-4 concordent.").count() == 1
    assert_accessible(page)

    page.get_by_role("link", name="Voir le détail de C-h").click()
    page.wait_for_load_state()
    assert re.search(r"2800 € \(exactement 2800\.00 €\)", page.content())
    page.get_by_role("link", name="Retour au BPF 2025").click()
    page.wait_for_load_state()

    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("Télécharger le CSV")).click()
    csv_text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert "C-TOTAL;" in csv_text and ";5851;" in csv_text
    with page.expect_download() as download:
        page.get_by_role("link", name="Télécharger le PDF du formulaire").click()
    assert Path(download.value.path()).read_bytes()[:5] == b"%PDF-"

    page.get_by_role("button", name="Verrouiller (BPF déposé)").click()
    page.wait_for_load_state()
    assert "ses chiffres sont figés" in page.content()
    assert BpfReport.objects.get(year=2025).status == "locked"
    assert page.get_by_role("button", name="Verrouiller (BPF déposé)").count() == 0
