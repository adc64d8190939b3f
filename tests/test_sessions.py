"""Training sessions: creation in steps, the client's link, validation, states and rights."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils.html import escape

from ganapati.models import AuditEvent, Company, User
from sessions import links
from sessions.models import Programme, TrainingSession

from .conftest import login, post_form
from .factories import (
    TRAINING,
    CompanyFactory,
    TrainingSessionFactory,
    attach_client,
    next_monday,
)

TRAINING_POST = {
    **{k: v for k, v in TRAINING.items() if k not in ("modules", "price_excl_tax", "price_basis")},
    "duration_minutes": "14",
    "modules_text": "Le rôle du manager\nPosture et missions\n\nL'entretien individuel\nPréparer",
    "access_terms": "Inscription 15 jours avant.",
    "accessibility": "Accessible ; contactez le référent.",
}


def day_post(days, prefix="jours"):
    data = {f"{prefix}-TOTAL_FORMS": str(len(days)), f"{prefix}-INITIAL_FORMS": "0"}
    for i, (date, ms, me, as_, ae) in enumerate(days):
        data.update({
            f"{prefix}-{i}-date": date.isoformat(), f"{prefix}-{i}-morning_start": ms,
            f"{prefix}-{i}-morning_end": me, f"{prefix}-{i}-afternoon_start": as_,
            f"{prefix}-{i}-afternoon_end": ae,
        })  # fmt: skip
    return data


def client_post(session, *, siret="73282932000074", email="marie@boulangerie.fr", trainees=2,
                revision=None, **extra):  # fmt: skip
    data = {
        "revision": session.revision if revision is None else revision,
        "legal_name": "Boulangerie Dupont", "siret": siret, "address": "3 place du Marché",
        "postal_code": "69002", "city": "Lyon", "naf_code": "10.71c", "idcc": "843",
        "employee_count": "12", "funding_mode": "opco_subrogation",
        "funder": str(_funder("opcoep").pk), "contact_first_name": "Marie",
        "contact_last_name": "Dupont", "contact_email": email, "contact_phone": "0600000000",
        "contact_job_title": "Gérante",
        "stagiaires-TOTAL_FORMS": str(session.trainees_max), "stagiaires-INITIAL_FORMS": "0",
    }  # fmt: skip
    for i in range(trainees):
        data.update({
            f"stagiaires-{i}-first_name": f"Paul{i}", f"stagiaires-{i}-last_name": "Martin",
            f"stagiaires-{i}-email": f"paul{i}@boulangerie.fr",
            f"stagiaires-{i}-job_title": "Vendeur",
        })  # fmt: skip
    data.update(extra)
    return data


def _funder(code):
    from ganapati.models import Funder

    return Funder.objects.get(code=code)


def errors_in(response) -> list[str]:
    page = response.content.decode()
    return re.findall(r'class="(?:field-errors|form-errors)"[^>]*>(.*?)</div>', page, re.S)


def link_path(session) -> str:
    session.refresh_from_db()
    return reverse("client_link", args=[links.make_token(session)])


# --- The trainer creates a session ----------------------------------------------------------


def test_trainer_creates_a_session_step_by_step_and_validates_it(
    client, trainer, organisation, mailoutbox, django_capture_on_commit_callbacks
):
    login(client, trainer)
    response = post_form(client, reverse("session_new"), TRAINING_POST)
    session = TrainingSession.objects.get(trainer=trainer)
    assert response["Location"] == reverse("session_schedule", args=[session.pk])
    assert session.status == "draft"
    assert [m["title"] for m in session.modules] == ["Le rôle du manager", "L'entretien individuel"]

    monday = next_monday()
    response = client.post(
        reverse("session_schedule", args=[session.pk]),
        day_post([(monday, "09:00", "12:30", "13:30", "17:00"),
                  (monday + dt.timedelta(days=1), "09:00", "12:30", "13:30", "17:00")]),
    )  # fmt: skip
    assert response["Location"] == reverse("session_price", args=[session.pk])
    assert session.days.count() == 2

    response = client.post(
        reverse("session_price", args=[session.pk]),
        {"price_excl_tax": "2 800,00", "price_basis": "per_session", "trainees_min": "1",
         "trainees_max": "4"},
    )  # fmt: skip
    assert response.status_code == 302, errors_in(response)
    session.refresh_from_db()
    assert str(session.price_excl_tax) == "2800.00"

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("session_client", args=[session.pk]), client_post(session))
    assert response.status_code == 302, errors_in(response)
    session.refresh_from_db()
    assert session.status == "ready"
    assert session.company.siret == "73282932000074"
    assert session.contact.email == "marie@boulangerie.fr" and session.contact.role == "client"
    assert session.trainees.count() == 2
    # The new client contact is invited to choose a password.
    assert [m.to for m in mailoutbox] == [["marie@boulangerie.fr"]]

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("session_validate", args=[session.pk]), follow=True)
    assert "Session validée" in response.content.decode()
    session.refresh_from_db()
    assert session.status == "validated" and session.validated_at
    sent = mailoutbox[1:]
    to_client = next(m for m in sent if m.to == ["marie@boulangerie.fr"])
    assert to_client.subject == (
        f"{session.reference} — {session.title} : devis, convention et programme"
    )
    assert [a[0] for a in to_client.attachments] == [
        f"Devis {session.reference} v1.pdf",
        f"Convention de formation {session.reference} v1.pdf",
        f"Programme de formation {session.reference} v1.pdf",
    ]
    assert all(a[1].startswith(b"%PDF") for a in to_client.attachments)
    to_trainer = sorted(m.subject for m in sent if m.to == [trainer.email])
    assert to_trainer == [
        f"{session.reference} — documents envoyés au client",
        f"[Copie] {session.reference} — {session.title} : devis, convention et programme",
    ]
    actions = list(
        AuditEvent.objects.filter(object_id=session.pk, action__startswith="session.")
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions[0] == "session.created" and actions[-1] == "session.validated"


def test_the_session_page_shows_its_timeline_and_what_is_missing(client, trainer):
    session = TrainingSessionFactory(trainer=trainer, days=0)
    page = login(client, trainer).get(reverse("session_detail", args=[session.pk])).content
    page = page.decode()
    assert (
        "Aucune journée n&#x27;est planifiée" in page
        or "aucune journée n&#x27;est planifiée" in page.lower()
    )
    assert "Historique" in page


def test_schedule_refuses_past_dates_and_slots_that_end_before_they_start(client, trainer):
    session = TrainingSessionFactory(trainer=trainer, days=0)
    login(client, trainer)
    yesterday = dt.date.today() - dt.timedelta(days=2)
    response = client.post(
        reverse("session_schedule", args=[session.pk]),
        day_post([(yesterday, "09:00", "12:30", "", "")]),
        follow=True,
    )
    assert "Une journée est dans le passé" in response.content.decode()
    response = client.post(
        reverse("session_schedule", args=[session.pk]),
        day_post([(next_monday(), "12:30", "09:00", "", "")]),
    )
    assert response.status_code == 200
    assert "Le créneau du matin finit avant de commencer" in response.content.decode()
    assert session.days.count() == 0


def test_validation_is_refused_when_the_hours_do_not_add_up(client, trainer, client_user):
    session = attach_client(
        TrainingSessionFactory(trainer=trainer, duration_minutes=870), client_user
    )
    response = login(client, trainer).post(
        reverse("session_validate", args=[session.pk]), follow=True
    )
    page = response.content.decode()
    assert "Impossible de valider" in page
    assert "les créneaux totalisent 14 h mais la durée déclarée est 14 h 30" in page
    session.refresh_from_db()
    assert session.status == "ready"


def test_a_draft_cannot_be_validated_and_a_validated_session_cannot_be_edited(
    client, trainer, client_user
):
    session = TrainingSessionFactory(trainer=trainer)
    login(client, trainer)
    page = client.post(reverse("session_validate", args=[session.pk]), follow=True).content.decode()
    assert "ne peut être validée qu&#x27;une fois les informations du client complètes" in page
    attach_client(session, client_user)
    client.post(reverse("session_validate", args=[session.pk]))
    session.refresh_from_db()
    assert session.status == "validated"
    response = client.post(
        reverse("session_price", args=[session.pk]),
        {"price_excl_tax": "1", "price_basis": "per_session", "trainees_min": 1, "trainees_max": 4},
        follow=True,
    )
    assert "ne peuvent plus être modifiées" in response.content.decode()
    session.refresh_from_db()
    assert str(session.price_excl_tax) == "2800.00"


def test_cancelling_needs_a_reason_and_tells_everyone(
    client, trainer, client_user, mailoutbox, django_capture_on_commit_callbacks
):
    session = attach_client(TrainingSessionFactory(trainer=trainer), client_user)
    login(client, trainer)
    page = client.post(reverse("session_cancel", args=[session.pk]), {"reason": " "}, follow=True)
    assert "Indiquez le motif de l&#x27;annulation." in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("session_cancel", args=[session.pk]), {"reason": "Client injoignable"})
    session.refresh_from_db()
    assert session.status == "cancelled"
    assert sorted(m.to[0] for m in mailoutbox) == sorted([trainer.email, client_user.email])


# --- The shared link --------------------------------------------------------------------------


def test_client_completes_the_shared_link_without_an_account(
    client, trainer, organisation, mailoutbox, django_capture_on_commit_callbacks
):
    session = TrainingSessionFactory(trainer=trainer)
    login(client, trainer)
    client.post(reverse("session_link_issue", args=[session.pk]))
    session.refresh_from_db()
    assert session.status == "awaiting_client"
    url = link_path(session)
    client.logout()

    page = client.get(url)
    assert page.status_code == 200
    assert "Vos informations" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, client_post(session))
    assert "Merci, vos informations sont enregistrées" in response.content.decode()
    session.refresh_from_db()
    assert session.status == "ready"
    contact = User.objects.get(email="marie@boulangerie.fr")
    assert contact.role == "client" and contact.company.legal_name == "Boulangerie Dupont"
    assert not contact.has_usable_password()
    to = sorted(m.to[0] for m in mailoutbox)
    assert to == sorted(["marie@boulangerie.fr", trainer.email])
    invitation = next(m for m in mailoutbox if m.to == ["marie@boulangerie.fr"])
    assert "choisissez votre mot de passe" in invitation.subject
    # The client may come back and correct until validation.
    assert client.get(url).status_code == 200


def test_the_link_attaches_to_an_existing_company_without_rewriting_it(client, trainer):
    existing = CompanyFactory(siret="73282932000074", legal_name="Nom officiel")
    session = TrainingSessionFactory(trainer=trainer)
    login(client, trainer)
    client.post(reverse("session_link_issue", args=[session.pk]))
    url = link_path(session)
    client.logout()
    client.post(url, client_post(session, legal_name="Autre nom"))
    session.refresh_from_db()
    assert session.company == existing
    existing.refresh_from_db()
    assert existing.legal_name == "Nom officiel"
    assert Company.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"siret": "12345678901234"}, "Ce numéro SIRET n&#x27;est pas valide"),
        ({"contact_email": "pas-une-adresse"}, "Saisissez une adresse de courriel valide."),
        ({"funder": ""}, "Choisissez l&#x27;OPCO de l&#x27;entreprise."),
        ({"postal_code": "6900"}, "Le code postal compte 5 chiffres."),
    ],
)
def test_the_client_form_explains_bad_input_in_french(client, trainer, change, message):
    session = TrainingSessionFactory(trainer=trainer)
    login(client, trainer)
    client.post(reverse("session_link_issue", args=[session.pk]))
    url = link_path(session)
    client.logout()
    response = client.post(url, client_post(session, **change))
    assert response.status_code == 200
    assert message in response.content.decode()
    session.refresh_from_db()
    assert session.status == "awaiting_client"


def test_more_trainees_than_places_is_refused(client, trainer):
    session = TrainingSessionFactory(trainer=trainer, trainees_max=2)
    login(client, trainer)
    client.post(reverse("session_link_issue", args=[session.pk]))
    url = link_path(session)
    client.logout()
    data = client_post(session, trainees=3)
    data["stagiaires-TOTAL_FORMS"] = "3"
    response = client.post(url, data)
    assert response.status_code == 200
    assert "au plus 2" in response.content.decode()
    assert session.trainees.count() == 0


def test_a_second_submission_from_a_stale_tab_is_flagged_and_keeps_the_typing(client, trainer):
    session = TrainingSessionFactory(trainer=trainer)
    login(client, trainer)
    client.post(reverse("session_link_issue", args=[session.pk]))
    url = link_path(session)
    client.logout()
    stale_revision = session.revision
    client.post(url, client_post(session))  # first tab
    response = client.post(url, client_post(session, revision=stale_revision, city="Villeurbanne"))
    page = response.content.decode()
    assert response.status_code == 200
    assert "modifiées depuis l&#x27;ouverture de cette page" in page
    assert 'value="Villeurbanne"' in page
    # Sent again from the same page, it goes through.
    revision = re.search(r'name="revision" value="(\d+)"', page).group(1)
    ok = client.post(url, client_post(session, revision=int(revision), city="Villeurbanne"))
    assert "Merci" in ok.content.decode()


@pytest.mark.parametrize("how", ["tampered", "revoked", "expired", "reissued"])
def test_a_bad_link_gets_a_clear_french_page(client, trainer, how):
    session = TrainingSessionFactory(trainer=trainer)
    login(client, trainer)
    client.post(reverse("session_link_issue", args=[session.pk]))
    url = link_path(session)
    if how == "tampered":
        url = url[:-6] + "abcdef/"
        expected = "Ce lien n&#x27;est pas valide"
    elif how == "revoked":
        client.post(reverse("session_link_revoke", args=[session.pk]))
        expected = "désactivé"
    elif how == "expired":
        TrainingSession.objects.filter(pk=session.pk).update(
            link_expires_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
        )
        expected = "Ce lien a expiré"
    else:
        client.post(reverse("session_link_issue", args=[session.pk]))
        expected = "désactivé"
    client.logout()
    response = client.get(url)
    assert response.status_code == 404
    assert expected in response.content.decode()
    assert client.post(url, client_post(session)).status_code == 404
    session.refresh_from_db()
    assert session.company is None


def test_trainer_sends_the_link_by_email(
    client, trainer, mailoutbox, django_capture_on_commit_callbacks
):
    session = TrainingSessionFactory(trainer=trainer)
    login(client, trainer)
    client.post(reverse("session_link_issue", args=[session.pk]))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("session_link_send", args=[session.pk]), {"email": "rh@client.fr"})
    assert mailoutbox[0].to == ["rh@client.fr"]
    assert mailoutbox[0].reply_to == [trainer.email]
    # The link is signed with a timestamp: the e-mailed one opens the session's form.
    import re

    path = re.search(r"/session/[^/\s]+/", mailoutbox[0].body).group(0)
    assert path.split(":")[0] == link_path(session).split(":")[0]
    client.logout()
    from django.utils.html import escape

    assert escape(session.title) in client.get(path).content.decode()


# --- Dashboards, programmes and rights -----------------------------------------------------------


def test_dashboard_lists_filters_and_searches_with_a_constant_number_of_queries(
    client, trainer, client_user, django_assert_max_num_queries
):
    for _ in range(3):
        attach_client(TrainingSessionFactory(trainer=trainer), client_user)
    TrainingSessionFactory(trainer=trainer, title="Excel avancé")
    login(client, trainer)
    with django_assert_max_num_queries(12) as few:
        client.get(reverse("trainer_home"))
    for _ in range(15):
        attach_client(TrainingSessionFactory(trainer=trainer), client_user)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(reverse("trainer_home")).content.decode()
    assert page.count('class="session-item"') == 19
    page = client.get(reverse("trainer_home"), {"q": "excel"}).content.decode()
    assert page.count('class="session-item"') == 1 and "Excel avancé" in page
    page = client.get(reverse("trainer_home"), {"statut": "draft"}).content.decode()
    assert page.count('class="session-item"') == 1


def test_client_space_lists_the_company_sessions_only(client, trainer, client_user, other_client):
    mine = attach_client(TrainingSessionFactory(trainer=trainer, title="Pour nous"), client_user)
    attach_client(TrainingSessionFactory(trainer=trainer, title="Pour les autres"), other_client)
    login(client, client_user)
    page = client.get(reverse("client_home")).content.decode()
    assert "Pour nous" in page and "Pour les autres" not in page
    assert client.get(reverse("client_session_detail", args=[mine.pk])).status_code == 200


def test_other_trainers_and_other_companies_get_404_even_by_guessing_urls(
    client, trainer, other_trainer, client_user, other_client
):
    session = attach_client(TrainingSessionFactory(trainer=trainer), client_user)
    login(client, other_trainer)
    for name in ["session_detail", "session_training", "session_schedule", "session_price",
                 "session_client"]:  # fmt: skip
        assert client.get(reverse(name, args=[session.pk])).status_code == 404, name
    for name in ["session_validate", "session_link_issue", "session_cancel"]:
        assert client.post(reverse(name, args=[session.pk]), {"reason": "x"}).status_code == 404
    session.refresh_from_db()
    assert session.status == "ready"
    login(client, other_client)
    assert client.get(reverse("client_session_detail", args=[session.pk])).status_code == 404
    assert client.get(reverse("session_detail", args=[session.pk])).status_code == 403


def test_a_session_is_saved_as_a_programme_published_in_the_catalogue(
    client, trainer, organisation
):
    session = TrainingSessionFactory(trainer=trainer)
    login(client, trainer)
    client.post(reverse("session_save_programme", args=[session.pk]))
    programme = Programme.objects.get(trainer=trainer)
    client.logout()
    page = client.get(reverse("programme_public", args=[programme.pk])).content.decode()
    for expected in ["Prérequis", "Objectifs", "Durée", "14 h", "Modalités et délais d'accès",
                     "2\u202f800,00 €", "Référent handicap", "Méthodes", "évaluation",
                     "version du", organisation.contact_email]:  # fmt: skip
        assert expected in page, expected
    assert escape(programme.title) in client.get(reverse("catalogue")).content.decode()
    programme.published = False  # as staff withdraw it in the admin
    programme.save()
    assert client.get(reverse("programme_public", args=[programme.pk])).status_code == 404


def test_a_new_session_starts_from_a_programme(client, trainer, other_trainer):
    programme = Programme.objects.create(trainer=trainer, **TRAINING)
    login(client, trainer)
    response = post_form(client, reverse("session_new"), {"programme": programme.pk})
    session = TrainingSession.objects.get()
    assert response["Location"] == reverse("session_training", args=[session.pk])
    assert session.title == programme.title and session.modules == programme.modules
    # Another trainer's programme cannot be used.
    login(client, other_trainer)
    response = post_form(client, reverse("session_new"), {"programme": programme.pk})
    assert response.status_code == 200
    assert TrainingSession.objects.count() == 1


def test_the_client_form_adds_trainee_rows_up_to_the_places_without_javascript(client, trainer):
    session = TrainingSessionFactory(trainer=trainer, trainees_max=2)
    login(client, trainer)
    client.post(reverse("session_link_issue", args=[session.pk]))
    url = link_path(session)
    client.logout()
    page = client.get(url).content.decode()
    assert page.count("<legend>Stagiaire ") == 1
    data = client_post(session, trainees=1)
    data.update({"stagiaires-TOTAL_FORMS": "1", "add_trainee": "1"})
    page = client.post(url, data).content.decode()
    assert page.count("<legend>Stagiaire ") == 2
    assert 'value="Paul0"' in page  # what was typed is kept
    assert "Ajouter un stagiaire" not in page  # no more places
    session.refresh_from_db()
    assert session.status == "awaiting_client"


def test_staff_see_every_session_in_the_admin_and_trainers_do_not(
    client, staff, trainer, client_user
):
    session = attach_client(TrainingSessionFactory(trainer=trainer), client_user)
    login(client, staff)
    listing = client.get("/admin/training_sessions/trainingsession/").content.decode()
    assert session.reference in listing
    detail = client.get(f"/admin/training_sessions/trainingsession/{session.pk}/change/")
    assert detail.status_code == 200
    login(client, trainer)
    response = client.get("/admin/training_sessions/trainingsession/", follow=True)
    assert response.status_code == 403


def test_an_action_never_redirects_to_another_site(client, trainer):
    session = TrainingSessionFactory(trainer=trainer)
    login(client, trainer)
    response = client.post(
        reverse("session_link_issue", args=[session.pk]), {"next": "https://pirate.example/"}
    )
    assert response["Location"] == reverse("session_detail", args=[session.pk])
    response = client.post(
        reverse("session_link_revoke", args=[session.pk]),
        {"next": reverse("session_client", args=[session.pk])},
    )
    assert response["Location"] == reverse("session_client", args=[session.pk])
