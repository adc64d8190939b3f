"""The Django admin as staff use it: organisation identity, accounts, audit log."""

import re

import pytest
from django.core import checks as django_checks

from ganapati import services
from ganapati.models import AuditEvent, Organisation, OutgoingEmail, User
from ganapati.selectors import audit_timeline

from .conftest import login
from .factories import CompanyFactory

ORGANISATION_FORM = {
    "legal_name": "Formations du Rhône",
    "legal_form": "SARL",
    "address": "5 quai Saint-Antoine",
    "postal_code": "69002",
    "city": "Lyon",
    "siret": "732 829 320 00074",
    "nda": "84 69 12345 69",
    "nda_region": "Auvergne-Rhône-Alpes",
    "qualiopi_number": "QUA-1",
    "qualiopi_certifier": "Bureau Veritas",
    "legal_representative": "Paul Girard",
    "legal_representative_title": "Gérant",
    "vat_exempt": "on",
    "einvoice_scheme": "0225",  # preselected in the form (the only scheme)
    "iban": "FR76 3000 6000 0112 3456 7890 189",
    "bic": "AGRIFRPP",
    "contact_email": "contact@rhone.example",
    "contact_phone": "04 00 00 00 00",
    "commission_rate": "12,50",
}


def test_staff_fill_in_the_organisation_once_and_every_page_shows_it(client, staff):
    login(client, staff)
    # No identity yet: the list goes straight to the creation form.
    assert client.get("/admin/ganapati/organisation/")["Location"].endswith(
        "/admin/ganapati/organisation/add/"
    )
    response = client.post("/admin/ganapati/organisation/add/", ORGANISATION_FORM)
    assert response.status_code == 302, response.content.decode()[:3000]
    organisation = Organisation.objects.get()
    assert (organisation.pk, organisation.siret, organisation.nda) == (
        1,
        "73282932000074",
        "84691234569",
    )
    assert str(organisation.commission_rate) == "12.50"
    assert AuditEvent.objects.filter(action="organisation.updated", actor=staff).exists()
    # A second one cannot be added; the list now opens the existing row.
    assert client.get("/admin/ganapati/organisation/add/").status_code == 403
    assert client.get("/admin/ganapati/organisation/")["Location"].endswith("/1/change/")
    # Pages read it from the database.
    client.logout()
    page = client.get("/compte/connexion/").content.decode()
    assert "Formations du Rhône" in page
    assert "84691234569" in page and "Auvergne-Rhône-Alpes" in page


def test_the_organisation_refuses_a_vat_rate_when_exempt_in_french(client, staff):
    login(client, staff)
    response = client.post(
        "/admin/ganapati/organisation/add/", {**ORGANISATION_FORM, "vat_rate": "20"}
    )
    assert response.status_code == 200
    assert "Un organisme exonéré de TVA n&#x27;a pas de taux de TVA" in response.content.decode()
    assert not Organisation.objects.exists()


def test_vat_mention_follows_the_organisation_status(organisation):
    assert organisation.vat_mention == "Exonération de TVA – article 261-4-4° a du CGI"
    organisation.vat_exempt = False
    organisation.vat_rate = "20.00"
    organisation.save()
    organisation.refresh_from_db()
    assert organisation.vat_mention == "TVA 20 %"


def test_staff_create_a_trainer_account_and_an_invitation_is_emailed(
    client, staff, organisation, mailoutbox, django_capture_on_commit_callbacks
):
    login(client, staff)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/ganapati/user/add/",
            {
                "email": "Nouvelle.Formatrice@Exemple.fr",
                "first_name": "Léa",
                "last_name": "Petit",
                "phone": "",
                "role": "trainer",
                "company": "",
            },
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    user = User.objects.get(email="nouvelle.formatrice@exemple.fr")
    assert user.role == "trainer" and not user.has_usable_password()
    assert len(mailoutbox) == 1
    assert "choisissez votre mot de passe" in mailoutbox[0].subject
    link = re.search(r"http://\S+/compte/nouveau-mot-de-passe/\S+/", mailoutbox[0].body).group(0)
    client.logout()
    page = client.get(link.replace("http://127.0.0.1:8000", ""), follow=True)
    assert "Choisissez votre mot de passe" in page.content.decode()


def test_a_trainer_attached_to_a_company_is_refused_with_a_french_message(client, staff):
    """A client may be without a company (a contact not yet accepted, a removed member): they
    see only the sessions they are the contact of. Only clients belong to a company."""
    from .factories import CompanyFactory

    company = CompanyFactory()
    login(client, staff)
    response = client.post(
        "/admin/ganapati/user/add/",
        {"email": "c@exemple.fr", "first_name": "A", "last_name": "B", "role": "trainer",
         "company": company.pk},
    )  # fmt: skip
    assert response.status_code == 200
    assert "Seul un client est rattaché à une entreprise." in response.content.decode()


def test_a_trainer_cannot_be_given_back_office_access(client, staff, trainer):
    login(client, staff)
    response = client.post(
        f"/admin/ganapati/user/{trainer.pk}/change/",
        {
            "email": trainer.email,
            "first_name": "J",
            "last_name": "M",
            "role": "trainer",
            "is_active": "on",
            "is_staff": "on",
            "date_joined_0": "01/01/2026",
            "date_joined_1": "10:00:00",
        },
    )
    assert response.status_code == 200
    assert (
        "Seuls les membres de l&#x27;équipe ont accès au back-office." in response.content.decode()
    )
    trainer.refresh_from_db()
    assert not trainer.is_staff


def test_the_company_admin_lists_its_client_contacts(client, staff, client_user):
    login(client, staff)
    page = client.get(f"/admin/ganapati/company/{client_user.company_id}/change/").content.decode()
    assert client_user.email in page


def test_log_action_records_who_did_what_and_builds_a_timeline(trainer, staff):
    company = CompanyFactory()
    services.log_action(company, "company.created", actor=trainer, data={"siret": company.siret})
    services.log_action(company, "company.checked", actor=None)
    services.log_action(staff, "user.invited", actor=staff)
    events = list(audit_timeline(company))
    assert [(e.action, e.actor_repr) for e in events] == [
        ("company.created", trainer.email),
        ("company.checked", "Ganapati (automatique)"),
    ]
    assert events[0].data == {"siret": company.siret}
    assert events[0].target == company


def test_the_audit_log_is_read_only_in_the_admin(client, staff):
    services.log_action(staff, "user.invited", actor=staff)
    login(client, staff)
    assert client.get("/admin/ganapati/auditevent/").status_code == 200
    event = AuditEvent.objects.get()
    assert client.post(f"/admin/ganapati/auditevent/{event.pk}/delete/").status_code == 403


def test_outbox_rows_cannot_be_edited_by_staff(client, staff):
    email = services.mail_queue(
        key="k", template="password_changed", to=[staff.email], context={"user": staff}
    )
    login(client, staff)
    response = client.post(
        f"/admin/ganapati/outgoingemail/{email.pk}/change/", {"subject": "autre"}
    )
    assert response.status_code == 403
    assert OutgoingEmail.objects.get().subject != "autre"


@pytest.mark.parametrize("available", [True, False])
def test_a_missing_harfbuzz_subset_library_is_reported_at_startup(monkeypatch, available):
    monkeypatch.setattr("ganapati.checks.harfbuzz_subset_available", lambda: available)
    ids = [m.id for m in django_checks.run_checks()]
    assert ("ganapati.W001" in ids) is not available


def test_an_unknown_page_gets_a_french_404(client, db):
    response = client.get("/nulle-part/")
    assert response.status_code == 404
    assert "Page introuvable" in response.content.decode()


def test_pages_carry_a_strict_content_security_policy(client, db):
    policy = client.get("/compte/connexion/")["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy


def test_a_server_error_gets_a_french_page_that_needs_no_database(rf):
    from ganapati.views import error_500

    response = error_500(rf.get("/"))
    assert response.status_code == 500
    page = response.content.decode()
    assert "Une erreur est survenue" in page
    assert "Ce que vous aviez déjà enregistré est conservé." in page
