from django.contrib import admin
from django.db.models import Count, Min, OuterRef, Subquery
from django.db.models.functions import Coalesce

from ganapati.admin import ReadOnlyAdmin, timeline_html
from ganapati.admin_site import FoldedSearchMixin
from ganapati.fields import format_minutes

from .models import Programme, SessionDay, Trainee, TrainingSession


class SessionDayInline(admin.TabularInline):
    model = SessionDay
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class TraineeInline(admin.TabularInline):
    model = Trainee
    extra = 0
    can_delete = False
    exclude = ["position"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(TrainingSession)
class TrainingSessionAdmin(FoldedSearchMixin, ReadOnlyAdmin):
    """Staff see every session; changes go through the trainer's pages and their services."""

    list_display = ["reference", "title", "trainer", "company", "status", "first_date", "trainees"]
    list_filter = ["status", "funding_mode", "funder", "validated_at"]
    search_fields = ["title", "company__legal_name", "company__siret", "trainer__email"]
    list_select_related = ["trainer", "company"]
    list_per_page = 50  # a page of the admin costs the same at 50 or 50 000 rows
    date_hierarchy = "created_at"
    inlines = [SessionDayInline, TraineeInline]
    readonly_fields = ["timeline"]

    def get_queryset(self, request):
        # Correlated subqueries, computed for the page's rows only (a GROUP BY over every
        # session joined with its days and trainees grew with the data).
        first_day = (
            SessionDay.objects.filter(session=OuterRef("pk"))
            .values("session")
            .annotate(first=Min("date"))
            .values("first")
        )
        trainees = (
            Trainee.objects.filter(session=OuterRef("pk"))
            .values("session")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return (
            super()
            .get_queryset(request)
            .annotate(first_day=Subquery(first_day), trainee_count=Coalesce(Subquery(trainees), 0))
        )

    @admin.display(description="Référence", ordering="pk")
    def reference(self, obj):
        return obj.reference

    @admin.display(description="Début", ordering="first_day")
    def first_date(self, obj):
        return obj.first_day

    @admin.display(description="Stagiaires", ordering="trainee_count")
    def trainees(self, obj):
        return obj.trainee_count

    @admin.display(description="Historique")
    def timeline(self, obj):
        return timeline_html(obj)


@admin.register(Programme)
class ProgrammeAdmin(FoldedSearchMixin, admin.ModelAdmin):
    list_display = ["title", "trainer", "duration", "published", "updated_at"]
    list_filter = ["published", "format"]
    search_fields = ["title", "trainer__email", "trainer__last_name"]
    list_select_related = ["trainer"]
    list_per_page = 50  # a page of the admin costs the same at 50 or 50 000 rows
    fields = ["published"]
    readonly_fields = []

    def has_add_permission(self, request):
        return False

    @admin.display(description="durée", ordering="duration_minutes")
    def duration(self, obj):
        return format_minutes(obj.duration_minutes)
