"""Calls with an advisor: free slots (Paris time, DST), booking rules, the database constraint
under concurrent requests, the signed link to cancel or move, reminders, and the purge."""

import datetime as dt
import re
import threading
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.core import signing
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.utils import timezone
from icalendar import Calendar

from ganapati.appointments import links, selectors, services
from ganapati.appointments.slots import Exception_, Weekly, day_slots, slot_value
from ganapati.errors import DomainError
from ganapati.models import (
    AdvisorAvailability,
    Appointment,
    AuditEvent,
    AvailabilityException,
    OutgoingEmail,
)

from .conftest import login, require
from .factories import StaffFactory

PARIS = ZoneInfo("Europe/Paris")
UTC = dt.UTC


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def advisor(db):
    """An advisor who takes calls every day, 9 h–12 h Paris time."""
    user = StaffFactory(email="conseillere@exemple.fr", first_name="Sophie", last_name="Bernard")
    for weekday in range(7):
        AdvisorAvailability.objects.create(
            advisor=user, weekday=weekday, start=dt.time(9), end=dt.time(12)
        )
    return user


def paris(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=PARIS).astimezone(UTC)


def in_days(n: int) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=n)


def book(start, **values):
    data = {"start": start, "topic": "opco", "name": "Marie Dupont", "email": "marie@exemple.fr"}
    return services.appointment_book(**{**data, **values})


def form(start, **values):
    data = {
        "slot": slot_value(start), "name": "Marie Dupont", "email": "marie@exemple.fr",
        "phone": "06 12 34 56 78", "topic": "opco", "message": "", "consent": "on",
    }  # fmt: skip
    return {**data, **values}


def link_of(text: str) -> tuple[int, str]:
    """The (appointment, nonce) a management link in a page or an email points to."""
    return links.read_token(re.search(r"/rendez-vous/gerer/([^/\s]+)/", text).group(1))


def free_starts(now=None) -> set[dt.datetime]:
    return {s for day in selectors.free_slots(now) for s in day.slots}


# --- slots: Paris time and daylight saving --------------------------------------------------


@pytest.mark.parametrize(
    ("before", "after", "utc_before", "utc_after"),
    [
        # Last Sunday of October 2026 (the 25th): summer time ends.
        (dt.date(2026, 10, 23), dt.date(2026, 10, 26), 7, 8),
        # Last Sunday of March 2026 (the 29th): summer time starts.
        (dt.date(2026, 3, 27), dt.date(2026, 3, 30), 8, 7),
    ],
)
def test_a_nine_oclock_availability_stays_nine_oclock_paris_time_across_the_dst_change(
    before, after, utc_before, utc_after
):
    weekly = [Weekly(weekday, dt.time(9), dt.time(10)) for weekday in range(7)]
    first_before = day_slots(before, weekly, [])[0]
    first_after = day_slots(after, weekly, [])[0]
    assert (first_before.hour, first_after.hour) == (utc_before, utc_after)
    assert first_before.astimezone(PARIS).time() == first_after.astimezone(PARIS).time()
    assert first_after.astimezone(PARIS).time() == dt.time(9)


def test_a_booking_in_the_week_of_the_october_change_is_stored_in_utc_and_shown_at_nine(advisor):
    now = dt.datetime(2026, 10, 21, 12, tzinfo=PARIS)  # the Wednesday before the change
    monday = dt.date(2026, 10, 26)
    offered = {s for day in selectors.free_slots(now) for s in day.slots}
    assert paris(monday, 9) in offered and paris(dt.date(2026, 10, 23), 9) in offered
    appointment = book(paris(monday, 9), now=now)
    appointment.refresh_from_db()
    assert appointment.start == dt.datetime(2026, 10, 26, 8, tzinfo=UTC)
    assert timezone.localtime(appointment.start).strftime("%H:%M") == "09:00"


def test_the_hour_skipped_in_march_is_never_offered():
    night = [Weekly(6, dt.time(1), dt.time(4))]
    starts = [
        s.astimezone(PARIS).strftime("%H:%M") for s in day_slots(dt.date(2026, 3, 29), night, [])
    ]
    assert starts == ["01:00", "01:30", "03:00", "03:30"]


def test_slots_are_thirty_minutes_inside_the_weekly_hours(advisor):
    day = in_days(3)
    starts = day_slots(day, [Weekly(day.weekday(), dt.time(9), dt.time(11, 15))], [])
    assert [s.astimezone(PARIS).strftime("%H:%M") for s in starts] == [
        "09:00", "09:30", "10:00", "10:30",
    ]  # fmt: skip


def test_a_day_off_removes_every_slot_and_a_few_hours_off_remove_only_those():
    day = dt.date(2026, 12, 7)
    weekly = [Weekly(day.weekday(), dt.time(9), dt.time(12))]
    assert day_slots(day, weekly, [Exception_("unavailable", day - dt.timedelta(1), day)]) == []
    partial = Exception_("unavailable", day, day, dt.time(10), dt.time(11))
    assert [s.astimezone(PARIS).hour for s in day_slots(day, weekly, [partial])] == [9, 9, 11, 11]


def test_extra_hours_add_slots_on_a_day_without_weekly_hours():
    sunday = dt.date(2026, 12, 6)
    extra = Exception_("extra", sunday, sunday, dt.time(14), dt.time(15))
    starts = day_slots(sunday, [Weekly(0, dt.time(9), dt.time(12))], [extra])
    assert [s.astimezone(PARIS).strftime("%H:%M") for s in starts] == ["14:00", "14:30"]


def test_free_slots_leave_out_past_and_too_close_slots_and_stop_after_the_window(advisor, settings):
    settings.APPOINTMENTS_WEEKS_AHEAD = 2
    settings.APPOINTMENTS_MIN_NOTICE_HOURS = 2
    now = dt.datetime.combine(in_days(1), dt.time(8, 45), tzinfo=PARIS)
    days = selectors.free_slots(now)
    first = days[0].slots[0].astimezone(PARIS)
    assert (first.date(), first.time()) == (in_days(1), dt.time(11))
    assert days[-1].date == in_days(1) + dt.timedelta(days=13)


def test_exceptions_saved_in_the_admin_shape_the_offer(advisor):
    day = in_days(4)
    AvailabilityException.objects.create(
        advisor=advisor, kind="unavailable", start_date=day, end_date=day
    )
    AvailabilityException.objects.create(
        advisor=advisor, kind="extra", start_date=day + dt.timedelta(1),
        end_date=day + dt.timedelta(1), start=dt.time(17), end=dt.time(18),
    )  # fmt: skip
    starts = free_starts()
    assert not any(timezone.localdate(s) == day for s in starts)
    assert paris(day + dt.timedelta(1), 17, 30) in starts


def test_an_inactive_advisor_or_a_staff_member_without_hours_offers_nothing(advisor):
    StaffFactory(email="sans-horaires@exemple.fr")
    assert free_starts()
    advisor.is_active = False
    advisor.save()
    assert free_starts() == set()


# --- booking --------------------------------------------------------------------------------


def test_a_visitor_books_a_call_without_an_account_and_both_sides_get_an_ics_invitation(
    client, advisor, organisation, mailoutbox, django_capture_on_commit_callbacks
):
    start = paris(in_days(2), 10)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/rendez-vous/?depuis=trouver-mon-opco", form(start))
    appointment = Appointment.objects.get()
    assert response.status_code == 302
    assert link_of(response["Location"]) == (appointment.pk, appointment.nonce)
    assert appointment.advisor == advisor and appointment.source == "trouver-mon-opco"
    assert appointment.booked_by is None and appointment.consent_at is not None

    visitor = next(m for m in mailoutbox if m.to == ["marie@exemple.fr"])
    to_advisor = next(m for m in mailoutbox if m.to == [advisor.email])
    assert visitor.subject.startswith("Rendez-vous confirmé")
    assert link_of(visitor.body) == (appointment.pk, appointment.nonce)
    assert "Marie Dupont" in to_advisor.subject and "06 12 34 56 78" in to_advisor.body
    assert visitor.reply_to == [advisor.email] and to_advisor.reply_to == ["marie@exemple.fr"]
    for message in (visitor, to_advisor):
        ((filename, content, mimetype),) = message.attachments
        assert (filename, mimetype) == ("invitation.ics", "text/calendar")
        calendar = Calendar.from_ical(content)
        assert str(calendar["method"]) == "REQUEST"
        event = calendar.walk("VEVENT")[0]
        assert event.decoded("dtstart") == start
        assert event.decoded("dtend") == start + dt.timedelta(minutes=30)
        assert str(event["organizer"]) == f"mailto:{advisor.email}"
        assert str(event["attendee"]) == "mailto:marie@exemple.fr"
    page = client.get(response["Location"]).content.decode()
    assert "Rendez-vous confirmé" in page and "Sophie Bernard" in page
    assert AuditEvent.objects.filter(action="appointment.booked").count() == 1


def test_the_booking_page_shows_the_free_slots_by_day_in_paris_time(client, advisor):
    page = client.get("/rendez-vous/").content.decode()
    day = in_days(2)
    assert f'value="{slot_value(paris(day, 9))}"' in page
    assert "09h00" in page and "11h30" in page and "12h00" not in page
    assert 'role="group"' in page


def test_a_booked_slot_disappears_for_the_next_visitor(client, advisor):
    start = paris(in_days(2), 10)
    book(start)
    assert start not in free_starts()
    assert f'value="{slot_value(start)}"' not in client.get("/rendez-vous/").content.decode()


def test_a_taken_slot_is_refused_with_a_clear_french_message(client, advisor):
    start = paris(in_days(2), 10)
    book(start)
    response = client.post("/rendez-vous/", form(start, email="autre@exemple.fr"))
    assert response.status_code == 400
    assert (
        "Ce créneau vient d&#x27;être réservé, choisissez-en un autre" in response.content.decode()
    )
    assert Appointment.objects.count() == 1


def test_with_two_advisors_a_second_booking_of_the_same_time_goes_to_the_other(advisor):
    other = StaffFactory(email="second@exemple.fr")
    AdvisorAvailability.objects.create(
        advisor=other, weekday=in_days(2).weekday(), start=dt.time(10), end=dt.time(11)
    )
    start = paris(in_days(2), 10)
    first, second = book(start), book(start, email="paul@exemple.fr")
    assert {first.advisor, second.advisor} == {advisor, other}
    assert start not in free_starts()
    with pytest.raises(DomainError, match="vient d'être réservé"):
        book(start, email="troisieme@exemple.fr")


def test_a_past_slot_is_refused(client, advisor):
    past = paris(in_days(-1), 10)
    response = client.post("/rendez-vous/", form(past))
    assert response.status_code == 400
    assert "Ce créneau est déjà passé ou trop proche" in response.content.decode()


def test_a_slot_not_offered_is_refused(client, advisor):
    for start in [paris(in_days(2), 15), paris(in_days(2), 10, 15), paris(in_days(60), 10)]:
        response = client.post("/rendez-vous/", form(start))
        assert response.status_code == 400
        assert "Ce créneau n&#x27;est pas proposé" in response.content.decode()
    assert not Appointment.objects.exists()


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"slot": "demain 10h"}, "Créneau invalide : choisissez-en un dans la liste."),
        ({"slot": "2026-12-01T10:00"}, "Créneau invalide"),
        ({"slot": ""}, "Choisissez un créneau dans la liste."),
        ({"email": "marie@"}, "Saisissez une adresse e-mail valide"),
        ({"name": "x" * 151}, "au plus 150 caractères"),
        ({"message": "x" * 1001}, "au plus 1000 caractères"),
        ({"email": "m" * 250 + "@exemple.fr"}, "au plus 254 caractères"),
        ({"phone": "appelez-moi"}, "Numéro de téléphone invalide"),
        ({"topic": "spam"}, "Sélectionnez un choix valide"),
        ({"consent": ""}, "Cochez cette case"),
    ],
)
def test_bad_input_is_refused_with_a_french_message_never_a_500(client, advisor, values, message):
    response = client.post("/rendez-vous/", form(paris(in_days(2), 10), **values))
    assert response.status_code == 400
    assert message.replace("'", "&#x27;") in response.content.decode()
    assert not Appointment.objects.exists()


def test_a_refused_form_keeps_what_was_typed_and_the_chosen_slot(client, advisor):
    start = paris(in_days(2), 10)
    page = client.post("/rendez-vous/", form(start, email="faux")).content.decode()
    assert 'value="Marie Dupont"' in page
    assert f'value="{slot_value(start)}" checked' in page


def test_the_booking_form_is_rate_limited_per_address(client, advisor):
    for index in range(10):
        start = paris(in_days(2 + index // 6), 9 + (index % 6) // 2, 30 * (index % 2))
        response = client.post("/rendez-vous/", form(start, email=f"p{index}@exemple.fr"))
        assert response.status_code == 302, index
    response = client.post("/rendez-vous/", form(paris(in_days(5), 9), email="p10@exemple.fr"))
    assert response.status_code == 400
    assert "Trop de tentatives en peu de temps" in response.content.decode()
    assert Appointment.objects.count() == 10


def test_one_email_address_cannot_book_more_than_three_calls_an_hour(client, advisor):
    for hour in (9, 10, 11):
        assert client.post("/rendez-vous/", form(paris(in_days(2), hour))).status_code == 302
    response = client.post("/rendez-vous/", form(paris(in_days(3), 9)))
    assert "Trop de tentatives" in response.content.decode()


def test_a_trainer_finds_the_form_filled_in_and_the_booking_is_linked_to_the_account(
    client, advisor, trainer
):
    login(client, trainer)
    page = client.get("/rendez-vous/").content.decode()
    assert f'value="{trainer.email}"' in page
    client.post("/rendez-vous/", form(paris(in_days(2), 9), email=trainer.email))
    assert Appointment.objects.get().booked_by == trainer


def test_find_my_opco_leads_to_the_booking_page(client, db):
    page = client.get("/trouver-mon-opco/").content.decode()
    assert 'href="/rendez-vous/?depuis=trouver-mon-opco"' in page


# --- the database constraint --------------------------------------------------------------


def test_the_database_refuses_two_active_bookings_of_the_same_advisor_and_start(advisor):
    start = paris(in_days(2), 10)
    values = {"advisor": advisor, "start": start, "end": start + dt.timedelta(minutes=30),
              "topic": "opco", "name": "A", "consent_at": timezone.now()}  # fmt: skip
    first = Appointment.objects.create(**values)
    with pytest.raises(IntegrityError), transaction.atomic():
        Appointment.objects.create(**values)
    first.status, first.cancelled_at = "cancelled", timezone.now()
    first.save()
    Appointment.objects.create(**values)  # a cancelled booking frees the slot


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_requests_for_the_same_slot_give_one_booking(advisor, monkeypatch):
    require(connection.vendor == "postgresql", "PostgreSQL requis (DATABASE_URL)")
    start = paris(in_days(2), 10)
    # Both requests check the slot is free before either inserts: only the constraint can
    # tell them apart.
    barrier = threading.Barrier(2, timeout=20)
    original = selectors.slot_free_advisors

    def free_then_wait(*args, **kwargs):
        free = original(*args, **kwargs)
        barrier.wait()
        return free

    monkeypatch.setattr(services.selectors, "slot_free_advisors", free_then_wait)
    responses = {}

    def post(index):
        try:
            responses[index] = Client(REMOTE_ADDR=f"10.0.0.{index}").post(
                "/rendez-vous/", form(start, email=f"personne{index}@exemple.fr")
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(index,)) for index in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    codes = sorted(r.status_code for r in responses.values())
    assert codes == [302, 400]
    refused = next(r for r in responses.values() if r.status_code == 400)
    assert "Ce créneau vient d&#x27;être réservé" in refused.content.decode()
    assert Appointment.objects.filter(start=start, status="booked").count() == 1


# --- the signed link: cancel, move ---------------------------------------------------------


def test_the_link_cancels_the_call_frees_the_slot_and_tells_both_sides(
    client, advisor, mailoutbox, django_capture_on_commit_callbacks
):
    start = paris(in_days(2), 10)
    with django_capture_on_commit_callbacks(execute=True):
        appointment = book(start)
        url = links.manage_path(appointment)
        response = client.post(url, {"action": "cancel"})
    assert response.status_code == 302
    appointment.refresh_from_db()
    assert appointment.status == "cancelled" and appointment.cancelled_at
    assert start in free_starts()
    cancellations = [m for m in mailoutbox if m.subject.startswith("Rendez-vous annulé")]
    assert sorted(m.to[0] for m in cancellations) == [advisor.email, "marie@exemple.fr"]
    calendar = Calendar.from_ical(cancellations[0].attachments[0][1])
    assert str(calendar["method"]) == "CANCEL"
    assert calendar.walk("VEVENT")[0]["sequence"] == 1
    assert "Rendez-vous annulé" in client.get(url).content.decode()


def test_the_link_moves_the_call_and_the_earlier_link_stops_working(
    client, advisor, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        appointment = book(paris(in_days(2), 10))
        old_url = links.manage_path(appointment)
        new_start = paris(in_days(3), 11)
        response = client.post(old_url, {"action": "move", "slot": slot_value(new_start)})
    appointment.refresh_from_db()
    assert appointment.start == new_start and appointment.sequence == 1
    assert link_of(response["Location"]) == (appointment.pk, appointment.nonce)
    assert link_of(old_url)[1] != appointment.nonce
    assert client.get(old_url).status_code == 404
    assert paris(in_days(2), 10) in free_starts() and new_start not in free_starts()
    moved = next(m for m in mailoutbox if m.subject.startswith("Rendez-vous déplacé"))
    event = Calendar.from_ical(moved.attachments[0][1]).walk("VEVENT")[0]
    assert event.decoded("dtstart") == new_start and event["sequence"] == 1


def test_moving_to_a_taken_slot_is_refused_and_keeps_the_booking(client, advisor):
    taken = paris(in_days(3), 11)
    book(taken, email="autre@exemple.fr")
    appointment = book(paris(in_days(2), 10))
    response = client.post(
        links.manage_path(appointment), {"action": "move", "slot": slot_value(taken)}
    )
    assert response.status_code == 400
    assert "Ce créneau vient d&#x27;être réservé" in response.content.decode()
    appointment.refresh_from_db()
    assert appointment.start == paris(in_days(2), 10) and appointment.status == "booked"


def test_a_forged_or_tampered_link_is_refused_with_a_french_page(client, advisor):
    appointment = book(paris(in_days(2), 10))
    token = links.make_token(appointment)
    forged = signing.dumps({"a": appointment.pk, "n": appointment.nonce}, salt="autre")
    for bad in [token[:-2] + "xx", forged, "nimportequoi"]:
        response = client.get(f"/rendez-vous/gerer/{bad}/")
        assert response.status_code == 404
        assert "Ce lien n&#x27;est pas valide ou a expiré" in response.content.decode()


def test_a_link_expires(client, advisor):
    appointment = book(paris(in_days(2), 10))
    long_ago = timezone.now().timestamp() - links.MAX_AGE.total_seconds() - 60
    with mock.patch("time.time", return_value=long_ago):
        token = links.make_token(appointment)
    assert client.get(f"/rendez-vous/gerer/{token}/").status_code == 404


def test_too_many_attempts_on_a_link_are_refused_with_a_french_message_never_a_500(client, advisor):
    appointment = book(paris(in_days(2), 10))
    url = links.manage_path(appointment)
    for _ in range(20):
        response = client.post(url, {"action": "move", "slot": "nimportequoi"})
        assert "Créneau invalide" in response.content.decode()
    for action in ("move", "cancel"):
        response = client.post(url, {"action": action, "slot": slot_value(paris(in_days(3), 9))})
        assert response.status_code == 400
        assert "Trop de tentatives en peu de temps" in response.content.decode()
    appointment.refresh_from_db()
    assert appointment.status == "booked" and appointment.start == paris(in_days(2), 10)


def test_a_booking_may_only_go_from_booked_to_cancelled():
    from ganapati.appointments.states import APPOINTMENT_STATES

    table = {
        (a, b) for a in APPOINTMENT_STATES.states for b in APPOINTMENT_STATES.states
        if APPOINTMENT_STATES.can(a, b)
    }  # fmt: skip
    assert table == {("booked", "cancelled")}


def test_a_call_that_has_started_can_no_longer_be_cancelled_or_moved(advisor):
    start = paris(in_days(2), 10)
    appointment = book(start)
    later = start + dt.timedelta(minutes=5)
    with pytest.raises(DomainError, match="déjà commencé"):
        services.appointment_cancel(appointment=appointment, now=later)
    with pytest.raises(DomainError, match="déjà commencé"):
        services.appointment_move(appointment=appointment, start=paris(in_days(3), 9), now=later)


# --- the day's calls, reminders, purge ------------------------------------------------------


def test_appointments_of_day_are_the_booked_calls_of_that_paris_day(advisor):
    day = in_days(2)
    AvailabilityException.objects.create(
        advisor=advisor, kind="extra", start_date=day, end_date=day + dt.timedelta(1),
        start=dt.time(0), end=dt.time(23, 59),
    )  # fmt: skip
    late = book(paris(day, 23), email="a@exemple.fr")
    morning = book(paris(day, 9), email="b@exemple.fr")
    book(paris(day + dt.timedelta(1), 0), email="c@exemple.fr")
    cancelled = book(paris(day, 10), email="d@exemple.fr")
    services.appointment_cancel(appointment=cancelled)
    assert list(selectors.appointments_of_day(day)) == [morning, late]
    other = StaffFactory(email="autre.conseiller@exemple.fr")
    assert list(selectors.appointments_of_day(day, advisor=other)) == []


def test_staff_see_todays_calls_in_the_admin_by_default(client, advisor, settings):
    settings.APPOINTMENTS_MIN_NOTICE_HOURS = 0
    today = timezone.localdate()
    AvailabilityException.objects.create(
        advisor=advisor, kind="extra", start_date=today, end_date=today + dt.timedelta(1),
        start=dt.time(23), end=dt.time(23, 59),
    )  # fmt: skip
    now = dt.datetime.combine(today, dt.time(0, 1), tzinfo=PARIS)
    book(paris(today, 23), name="Appel du jour", now=now)
    book(paris(today + dt.timedelta(1), 23), name="Appel de demain", email="x@exemple.fr", now=now)
    page = login(client, advisor).get("/admin/ganapati/appointment/").content.decode()
    assert "Appel du jour" in page and "Appel de demain" not in page
    page = client.get("/admin/ganapati/appointment/?jour=tomorrow").content.decode()
    assert "Appel de demain" in page and "Appel du jour" not in page


def test_the_reminder_goes_out_the_day_before_and_only_once(
    advisor, mailoutbox, django_capture_on_commit_callbacks
):
    tomorrow = book(paris(in_days(1), 11))
    book(paris(in_days(3), 11), email="plus-tard@exemple.fr")
    with django_capture_on_commit_callbacks(execute=True):
        assert services.appointment_send_reminders() == 1
        assert services.appointment_send_reminders() == 0
    reminders = [m for m in mailoutbox if m.subject.startswith("Rappel")]
    assert [m.to for m in reminders] == [["marie@exemple.fr"]]
    assert link_of(reminders[0].body) == (tomorrow.pk, tomorrow.nonce)


def test_the_purge_anonymises_past_bookings_after_the_retention_and_keeps_the_rest(
    advisor, settings, django_capture_on_commit_callbacks
):
    settings.APPOINTMENTS_RETENTION_MONTHS = 6
    with django_capture_on_commit_callbacks(execute=True):
        old = book(paris(in_days(2), 9), phone="06 00 00 00 01", message="Mon OPCO ?")
        # A month later, booked from then.
        later = timezone.now() + dt.timedelta(days=38)
        recent = book(paris(in_days(40), 10), email="recent@exemple.fr", now=later)
    ics_name = OutgoingEmail.objects.filter(related_id=str(old.pk)).first().attachments[0]["name"]
    assert default_storage.exists(ics_name)
    seven_months_later = old.end + dt.timedelta(days=215)

    with django_capture_on_commit_callbacks(execute=True):
        assert services.appointments_purge(now=seven_months_later) == 1
        assert services.appointments_purge(now=seven_months_later) == 0
    old.refresh_from_db()
    assert (old.name, old.email, old.phone, old.message) == ("Personne anonymisée", "", "", "")
    assert old.anonymised_at == seven_months_later
    emails = OutgoingEmail.objects.filter(related_id=str(old.pk))
    assert emails and all(e.to == [] and "Marie" not in e.body_text for e in emails)
    assert not default_storage.exists(ics_name)
    recent.refresh_from_db()
    assert recent.email == "recent@exemple.fr" and recent.anonymised_at is None
    assert "Marie" not in "".join(AuditEvent.objects.values_list("object_repr", flat=True))


def test_the_purge_follows_the_configured_retention(advisor, settings):
    appointment = book(paris(in_days(2), 9))
    two_months_later = appointment.end + dt.timedelta(days=62)
    settings.APPOINTMENTS_RETENTION_MONTHS = 3
    assert services.appointments_purge(now=two_months_later) == 0
    settings.APPOINTMENTS_RETENTION_MONTHS = 2
    assert services.appointments_purge(now=two_months_later) == 1


def test_an_anonymised_booking_has_no_working_link(client, advisor):
    appointment = book(paris(in_days(2), 9))
    url = links.manage_path(appointment)
    services.appointments_purge(now=appointment.end + dt.timedelta(days=400))
    assert client.get(url).status_code == 404


def test_the_beat_schedule_runs_the_reminders_and_the_purge(settings):
    from ganapati.celery import app

    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {"ganapati.appointment_reminders", "ganapati.appointments_purge"} <= tasks
    assert {"ganapati.appointment_reminders", "ganapati.appointments_purge"} <= set(app.tasks)


def test_the_tasks_can_run_twice(advisor, db):
    from ganapati.appointments import tasks

    book(paris(in_days(1), 9))
    assert tasks.appointment_reminders.apply().get() == 1
    assert tasks.appointment_reminders.apply().get() == 0
    assert tasks.appointments_purge.apply().get() == 0
