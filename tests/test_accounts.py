import re
from datetime import timedelta

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.urls import reverse

from ganapati.models import AuditEvent, TrainerProfile

from .conftest import login

LOGIN_URL = "/compte/connexion/"


def post_login(client, email, password, ip="10.0.0.1"):
    return client.post(LOGIN_URL, {"username": email, "password": password}, REMOTE_ADDR=ip)


@pytest.mark.parametrize(
    ("persona", "home"),
    [("trainer", "/formateur/"), ("client_user", "/client/"), ("staff", "/admin/")],
)
def test_each_role_lands_on_its_own_home_after_login(client, request, password, persona, home):
    user = request.getfixturevalue(persona)
    response = post_login(client, user.email, password)
    assert response.status_code == 302
    response = client.get(response["Location"])
    assert response.status_code == 302
    assert response["Location"] == home
    assert client.get(home).status_code == 200


def test_trainer_home_greets_and_asks_for_missing_payout_details(client, trainer):
    response = login(client, trainer).get("/formateur/")
    page = response.content.decode()
    assert "Bonjour Julien" in page
    assert "Complétez votre profil" in page
    assert "IBAN" in page


def test_client_home_shows_their_company(client, client_user):
    page = login(client, client_user).get("/client/").content.decode()
    assert client_user.company.legal_name in page
    assert client_user.company.siret in page


def test_staff_home_is_the_french_back_office(client, staff):
    page = login(client, staff).get("/admin/").content.decode()
    assert "Ganapati — back-office" in page


@pytest.mark.parametrize(
    ("persona", "url"),
    [
        ("trainer", "/client/"),
        ("trainer", "/admin/"),
        ("client_user", "/formateur/"),
        ("client_user", "/formateur/profil/"),
        ("client_user", "/admin/"),
        ("staff", "/formateur/"),
        ("staff", "/client/"),
    ],
)
def test_each_role_is_refused_from_the_other_roles_pages(client, request, persona, url):
    user = request.getfixturevalue(persona)
    # The back-office first goes through its login page, which refuses a logged-in non-staff.
    response = login(client, user).get(url, follow=True)
    assert response.status_code == 403
    assert "Accès refusé" in response.content.decode()


@pytest.mark.parametrize("url", ["/", "/formateur/", "/client/", "/formateur/profil/", "/admin/"])
def test_anonymous_visitor_is_sent_to_the_login_page(client, db, url):
    response = client.get(url, follow=True)
    assert response.redirect_chain
    assert response.request["PATH_INFO"] == LOGIN_URL
    assert "Connexion" in response.content.decode()


def test_wrong_password_and_unknown_email_get_the_same_message(client, trainer):
    wrong = post_login(client, trainer.email, "pas-le-bon").content.decode()
    unknown = post_login(client, "inconnu@exemple.fr", "pas-le-bon", ip="10.0.0.2")
    message = "Adresse e-mail ou mot de passe incorrect."
    assert message in wrong
    assert message in unknown.content.decode()
    assert unknown.status_code == 200


def test_login_ignores_the_case_of_the_email(client, trainer, password):
    response = post_login(client, "  Formateur@Exemple.FR ", password)
    assert response.status_code == 302


def test_account_is_locked_after_repeated_failures_even_with_the_right_password(
    client, trainer, password, settings
):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        post_login(client, trainer.email, "mauvais", ip="10.1.1.1")
    response = post_login(client, trainer.email, password, ip="10.1.1.1")
    assert response.status_code == 429
    page = response.content.decode()
    assert "Connexion temporairement bloquée" in page
    assert "pendant 30 minutes" in page
    assert "_auth_user_id" not in client.session
    # The lock is on the user+IP pair: the same person from elsewhere can still log in.
    assert post_login(client, trainer.email, password, ip="10.9.9.9").status_code == 302


def test_locking_one_account_does_not_lock_another_from_the_same_address(
    client, trainer, other_trainer, password, settings
):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        post_login(client, trainer.email, "mauvais", ip="10.2.2.2")
    assert post_login(client, other_trainer.email, password, ip="10.2.2.2").status_code == 302


def _reset_link(mailoutbox) -> str:
    body = mailoutbox[-1].body
    match = re.search(r"http://[^\s]+/compte/nouveau-mot-de-passe/[^\s]+/", body)
    assert match, body
    return match.group(0).replace("http://127.0.0.1:8000", "")


def test_password_reset_by_email_lets_the_user_choose_a_new_password(
    client, trainer, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/compte/mot-de-passe-oublie/", {"email": "FORMATEUR@exemple.fr"})
    assert response.status_code == 302
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == [trainer.email]
    assert "Réinitialisation de votre mot de passe" in mailoutbox[0].subject
    link = _reset_link(mailoutbox)

    form_page = client.get(link, follow=True)
    assert "Choisissez votre mot de passe" in form_page.content.decode()
    new = "Un-nouveau-mot-de-passe-solide-9"
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(
            form_page.redirect_chain[-1][0], {"new_password1": new, "new_password2": new}
        )
    assert done.status_code == 302
    trainer.refresh_from_db()
    assert trainer.check_password(new)
    # The owner is told that the password changed.
    assert "a été modifié" in mailoutbox[-1].subject
    assert AuditEvent.objects.filter(action="user.password_changed", object_id=trainer.pk).exists()

    # The link served once: used again, it is refused with a clear message.
    again = client.get(link, follow=True)
    assert "Ce lien n'est plus valable" in again.content.decode()


def test_expired_password_reset_link_is_refused(
    client, trainer, mailoutbox, django_capture_on_commit_callbacks, monkeypatch, settings
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/compte/mot-de-passe-oublie/", {"email": trainer.email})
    link = _reset_link(mailoutbox)
    later = default_token_generator._now() + timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT + 60)
    monkeypatch.setattr(default_token_generator, "_now", lambda: later)
    page = client.get(link, follow=True).content.decode()
    assert "Ce lien n'est plus valable" in page
    assert "Demander un nouveau lien" in page


def test_password_reset_for_an_unknown_email_says_nothing_and_sends_nothing(
    client, db, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/compte/mot-de-passe-oublie/", {"email": "personne@nulle.part"})
    assert response.status_code == 302
    assert mailoutbox == []


def test_password_change_requires_the_old_password_and_notifies_the_owner(
    client, trainer, password, mailoutbox, django_capture_on_commit_callbacks
):
    login(client, trainer)
    new = "Encore-un-autre-mot-de-passe-7"
    bad = client.post(
        "/compte/mot-de-passe/",
        {"old_password": "faux", "new_password1": new, "new_password2": new},
    )
    assert bad.status_code == 200
    assert "ancien mot de passe est incorrect" in bad.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        ok = client.post(
            "/compte/mot-de-passe/",
            {"old_password": password, "new_password1": new, "new_password2": new},
        )
    assert ok.status_code == 302
    trainer.refresh_from_db()
    assert trainer.check_password(new)
    assert [m.subject for m in mailoutbox] == ["Votre mot de passe Ganapati a été modifié"]


def test_logout_is_a_post_and_ends_the_session(client, trainer):
    login(client, trainer)
    assert client.post("/compte/deconnexion/").status_code == 302
    assert client.get("/formateur/").status_code == 302


def test_trainer_saves_payout_details_in_compact_form(client, trainer):
    login(client, trainer)
    response = client.post(
        reverse("trainer_profile"),
        {
            "identity-first_name": "Julien",
            "identity-last_name": "Moreau",
            "identity-phone": "06 12 34 56 78",
            "profile-trade_name": "JM Conseil",
            "profile-siret": "732 829 320 00074",
            "profile-address": "8 rue des Lilas",
            "profile-postal_code": "69003",
            "profile-city": "Lyon",
            "profile-iban": "fr76 3000 6000 0112 3456 7890 189",
            "profile-bic": "agrifrpp",
            "profile-nda": "",
        },
    )
    assert response.status_code == 302
    profile = TrainerProfile.objects.get(user=trainer)
    assert profile.iban == "FR7630006000011234567890189"
    assert profile.siret == "73282932000074"
    assert profile.bic == "AGRIFRPP"
    assert profile.missing_payout_fields == []
    assert AuditEvent.objects.filter(action="trainer_profile.updated").exists()


def test_trainer_profile_refuses_a_wrong_iban_in_french_and_keeps_what_was_saved(client, trainer):
    TrainerProfile.objects.create(user=trainer, city="Lyon", iban="FR7630006000011234567890189")
    login(client, trainer)
    response = client.post(
        reverse("trainer_profile"),
        {
            "identity-first_name": "Julien",
            "identity-last_name": "Moreau",
            "profile-city": "Paris",
            "profile-iban": "FR76 3000 6000 0112 3456 7890 188",
            "profile-bic": "PASUNBIC!",
            "profile-siret": "12345678901234",
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Cet IBAN n&#x27;est pas valide" in page
    assert "Ce BIC n&#x27;est pas valide" in page
    assert "Ce numéro SIRET n&#x27;est pas valide" in page
    profile = TrainerProfile.objects.get(user=trainer)
    assert profile.city == "Lyon"
    assert profile.iban == "FR7630006000011234567890189"


def test_password_reset_emails_are_limited_per_hour_without_saying_so(
    client, trainer, mailoutbox, django_capture_on_commit_callbacks
):
    for _ in range(5):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post("/compte/mot-de-passe-oublie/", {"email": trainer.email})
        assert response.status_code == 302  # same answer every time
    assert len(mailoutbox) == 3
