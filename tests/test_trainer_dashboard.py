"""The trainer's dashboard: counters by state, what waits for the trainer, a private revocable
calendar feed of the trainer's sessions."""

from django.urls import reverse
from icalendar import Calendar

from ganapati.models import TrainerProfile

from .conftest import login
from .factories import TrainingSessionFactory


def test_the_dashboard_counts_sessions_by_state_and_lists_what_waits_for_the_trainer(
    client, trainer
):
    TrainingSessionFactory(trainer=trainer, title="Excel")
    TrainingSessionFactory(trainer=trainer, title="Word")
    page = login(client, trainer).get(reverse("trainer_home")).content.decode()
    assert "<strong>2</strong> brouillon" in page
    assert "Ce qui vous attend" in page
    waiting = page[page.index("Ce qui vous attend") : page.index("sessions-titre")]
    assert "Excel" in waiting and "Compléter la session" in waiting


def test_the_private_calendar_feed_lists_each_half_day_and_can_be_revoked(client, trainer):
    session = TrainingSessionFactory(trainer=trainer, title="Prise de parole")
    login(client, trainer)
    client.post(reverse("trainer_calendar_renew"))
    token = TrainerProfile.objects.get(user=trainer).calendar_token
    assert len(token) >= 32  # 24 random bytes, URL-safe
    url = reverse("trainer_calendar", args=[token])
    assert url in client.get(reverse("trainer_home")).content.decode()
    client.logout()
    response = client.get(url)  # a calendar app: no login
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    events = Calendar.from_ical(response.content).walk("VEVENT")
    assert len(events) == 2 * session.days.count()
    assert str(events[0]["SUMMARY"]) == f"Prise de parole ({session.reference})"
    login(client, trainer)
    client.post(reverse("trainer_calendar_renew"))
    client.logout()
    assert client.get(url).status_code == 404  # the old address no longer works


def test_another_trainers_sessions_are_not_in_the_feed(client, trainer, other_trainer):
    TrainingSessionFactory(trainer=other_trainer, title="Secret")
    login(client, trainer)
    client.post(reverse("trainer_calendar_renew"))
    token = TrainerProfile.objects.get(user=trainer).calendar_token
    assert b"Secret" not in client.get(reverse("trainer_calendar", args=[token])).content
    assert client.get(reverse("trainer_calendar", args=["x" * 32])).status_code == 404
