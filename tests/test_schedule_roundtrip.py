"""The dates step keeps what was saved: coming back shows the saved days, re-saving works."""

import re

from django.urls import reverse

from sessions.models import SessionDay

from .conftest import login
from .factories import TrainingSessionFactory, next_monday


def _field_values(page: str) -> dict[str, str]:
    """name → value of every <input> of the dates form, as the browser would submit them."""
    values = {}
    for tag in re.findall(r"<input[^>]*>", page):
        name = re.search(r'name="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if name and name.group(1).startswith("jours-"):
            values[name.group(1)] = value.group(1) if value else ""
    return values


def test_a_trainer_coming_back_to_the_dates_step_sees_the_saved_days_and_can_save_them_again(
    client, trainer
):
    session = TrainingSessionFactory(trainer=trainer)
    days = list(session.days.order_by("date"))
    assert days, "the factory plans days"
    login(client, trainer)
    url = reverse("session_schedule", args=[session.pk])
    page = client.get(url).content.decode()
    values = _field_values(page)
    # <input type=date> understands only ISO dates: 2027-02-15, not 15/02/2027.
    assert values["jours-0-date"] == days[0].date.isoformat()
    assert values["jours-0-morning_start"] == days[0].morning_start.strftime("%H:%M")
    response = client.post(url, values)
    assert response.status_code == 302
    assert list(SessionDay.objects.filter(session=session).order_by("date").values_list(
        "date", "morning_start", "afternoon_end")) == [
        (d.date, d.morning_start, d.afternoon_end) for d in days
    ]  # fmt: skip


def test_an_added_day_comes_with_the_usual_times_and_no_error_on_the_others(client, trainer):
    session = TrainingSessionFactory(trainer=trainer, days=0)
    login(client, trainer)
    url = reverse("session_schedule", args=[session.pk])
    data = {
        "jours-TOTAL_FORMS": "1", "jours-INITIAL_FORMS": "0",
        "jours-0-date": next_monday().isoformat(), "jours-0-morning_start": "09:00",
        "jours-0-morning_end": "12:00", "jours-0-afternoon_start": "",
        "jours-0-afternoon_end": "", "add_day": "1",
    }  # fmt: skip
    page = client.post(url, data).content.decode()
    values = _field_values(page)
    assert values["jours-TOTAL_FORMS"] == "2"
    assert values["jours-0-date"] == next_monday().isoformat()
    assert values["jours-0-morning_end"] == "12:00"
    assert values["jours-1-date"] == ""
    assert (values["jours-1-morning_start"], values["jours-1-afternoon_end"]) == ("09:00", "17:00")
    assert "Ce champ est obligatoire" not in page


def test_an_error_in_the_new_training_form_does_not_flag_the_programme_select(client, trainer):
    from sessions.models import Programme

    Programme.objects.create(trainer=trainer, title="Excel", duration_minutes=420)
    login(client, trainer)
    page = client.post(reverse("session_new"), {"title": ""}).content.decode()
    summary = page[page.index("error-summary") :]
    assert "Intitulé" in summary or "intitulé" in summary.lower()
    programme_part = page[page.index("depuis-titre") : page.index("Ou décrivez")]
    assert "field-invalid" not in programme_part and "error-summary" not in programme_part


def test_the_client_form_shows_what_the_training_is_and_numeric_keyboards(client, trainer):
    from sessions import links
    from sessions import services as sessions

    session = TrainingSessionFactory(trainer=trainer)
    sessions.session_link_issue(session=session, actor=trainer)
    session.refresh_from_db()
    page = client.get(reverse("client_link", args=[links.make_token(session)])).content.decode()
    assert "Objectifs" in page and "Lieu" in page
    assert re.search(
        r'name="siret"[^>]*inputmode="numeric"|inputmode="numeric"[^>]*name="siret"', page
    )
    assert re.search(r'autocomplete="tel"', page) and re.search(r'autocomplete="email"', page)
