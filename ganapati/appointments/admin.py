"""Back-office: advisors' hours and exceptions, and the calls of the day (today by default)."""

import datetime as dt

from django.contrib import admin, messages
from django.db import transaction
from django.utils import timezone

from ..admin_site import FoldedSearchMixin
from ..errors import DomainError
from ..models import AdvisorAvailability, Appointment, AvailabilityException
from ..services import log_action
from . import selectors, services


class _OwnRowsAdmin(admin.ModelAdmin):
    """An advisor edits their own hours; a superuser edits everyone's."""

    list_select_related = ["advisor"]

    def get_queryset(self, request):
        rows = super().get_queryset(request)
        return rows if request.user.is_superuser else rows.filter(advisor=request.user)

    def get_changeform_initial_data(self, request):
        return {"advisor": request.user.pk, **super().get_changeform_initial_data(request)}

    def save_model(self, request, obj, form, change):
        if not request.user.is_superuser:
            obj.advisor = request.user
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            log_action(
                obj, f"{self.opts.model_name}.{'updated' if change else 'created'}",
                actor=request.user, data={"advisor": obj.advisor_id, "fields": form.changed_data},
            )  # fmt: skip

    def delete_model(self, request, obj):
        with transaction.atomic():
            log_action(obj, f"{self.opts.model_name}.deleted", actor=request.user)
            super().delete_model(request, obj)


@admin.register(AdvisorAvailability)
class AdvisorAvailabilityAdmin(_OwnRowsAdmin):
    list_display = ["advisor", "weekday", "start", "end"]
    list_filter = ["advisor", "weekday"]


@admin.register(AvailabilityException)
class AvailabilityExceptionAdmin(_OwnRowsAdmin):
    list_display = ["advisor", "kind", "start_date", "end_date", "start", "end", "note"]
    list_filter = ["advisor", "kind"]
    date_hierarchy = "start_date"


class DayFilter(admin.SimpleListFilter):
    """Today's calls unless another choice is made."""

    title = "jour"
    parameter_name = "jour"

    def lookups(self, request, model_admin):
        return [
            ("today", "Aujourd'hui"),
            ("tomorrow", "Demain"),
            ("week", "7 prochains jours"),
            ("past", "Passés"),
            ("all", "Tous"),
        ]

    def value(self):
        return super().value() or "today"

    def choices(self, changelist):
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request, queryset):
        today = timezone.localdate()
        value = self.value()
        if value in ("today", "tomorrow"):
            day = today if value == "today" else today + dt.timedelta(days=1)
            return queryset.filter(pk__in=selectors.appointments_of_day(day).values("pk"))
        if value == "week":
            start, _ = selectors.day_bounds(today)
            _, end = selectors.day_bounds(today + dt.timedelta(days=6))
            return queryset.filter(start__gte=start, start__lt=end)
        if value == "past":
            return queryset.filter(start__lt=timezone.now()).order_by("-start")
        return queryset


@admin.register(Appointment)
class AppointmentAdmin(FoldedSearchMixin, admin.ModelAdmin):
    list_display = ["start_local", "advisor", "name", "phone", "email", "topic", "status"]
    list_filter = [DayFilter, "status", "advisor", "topic"]
    list_select_related = ["advisor"]
    search_fields = ["name", "email", "phone"]
    actions = ["cancel"]
    readonly_fields = [
        "advisor", "start", "end", "status", "topic", "name", "email", "phone", "message",
        "booked_by", "source", "consent_at", "sequence", "created_at", "cancelled_at",
        "anonymised_at",
    ]  # fmt: skip
    exclude = ["nonce"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Heure (Paris)", ordering="start")
    def start_local(self, obj):
        return f"{timezone.localtime(obj.start):%d/%m/%Y %H:%M}"

    @admin.action(description="Annuler les rendez-vous sélectionnés (les deux parties prévenues)")
    def cancel(self, request, queryset):
        done = 0
        for appointment in queryset:
            try:
                services.appointment_cancel(appointment=appointment, actor=request.user)
                done += 1
            except DomainError as exc:
                messages.error(request, f"{appointment} : {exc.message}")
        if done:
            messages.success(request, f"{done} rendez-vous annulé(s).")
