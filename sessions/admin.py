from django import forms
from django.contrib import admin
from django.db.models import Count, Min, OuterRef, Subquery
from django.db.models.functions import Coalesce

from ganapati.admin import ReadOnlyAdmin, timeline_html
from ganapati.admin_site import FoldedSearchMixin
from ganapati.errors import DomainError
from ganapati.fields import format_minutes

from .models import (
    Complaint,
    Programme,
    Questionnaire,
    QuestionnaireResponse,
    SessionDay,
    Trainee,
    TrainingSession,
)


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
    # The BPF classification (cerfa 10443) is staff's to check; sessions made later copy it.
    fields = ["published", "bpf_objective", "rncp_level", "nsf_codes"]
    readonly_fields = []

    def has_add_permission(self, request):
        return False

    @admin.display(description="durée", ordering="duration_minutes")
    def duration(self, obj):
        return format_minutes(obj.duration_minutes)


# --- Qualiopi evidence (issue 15) ---------------------------------------------------------------


QUESTION_TYPES = [("scale", "Note de 1 à 5"), ("text", "Texte libre"),
                  ("choice", "Une réponse parmi une liste")]  # fmt: skip
# Empty rows offered under the questions of the version being edited.
EXTRA_QUESTIONS = 3


class QuestionnaireForm(forms.ModelForm):
    """The questions as rows of fields (no JSON to write): the label, the type of answer, the
    choices one per line, optional or not, and a key kept from version to version so that
    answers compare (« satisfaction » feeds the published figures). A row whose question is
    emptied is removed. Saving publishes a new version."""

    rows = 0

    class Meta:
        model = Questionnaire
        fields = ["kind"]

    def clean(self):
        from django.utils.text import slugify

        from .quality import check_questions

        data = super().clean()
        questions, keys = [], set()
        for i in range(self.rows):
            label = (data.get(f"q{i}_label") or "").strip()
            if not label:
                continue
            key = data.get(f"q{i}_key") or slugify(label).replace("-", "_")[:40] or f"q{i + 1}"
            while key in keys:  # a key drawn from a label may repeat one given by hand
                key = f"{key}_{i + 1}"
            keys.add(key)
            question = {"key": key, "label": label, "type": data.get(f"q{i}_type") or "text"}
            if question["type"] == "choice":
                raw = (data.get(f"q{i}_choices") or "").replace(";", "\n").splitlines()
                question["choices"] = [c.strip() for c in raw if c.strip()]
            if data.get(f"q{i}_optional"):
                question["optional"] = True
            questions.append(question)
        try:
            check_questions(questions)
        except DomainError as exc:
            raise forms.ValidationError(exc.message) from exc
        self.instance.questions = questions
        return data


def questionnaire_form(questions: list[dict]) -> type[QuestionnaireForm]:
    """A form class with one group of fields per question, and a few empty groups to add."""
    rows = len(questions) + EXTRA_QUESTIONS
    attrs: dict = {"rows": rows, "__module__": __name__}
    for i in range(rows):
        q = questions[i] if i < len(questions) else {}
        attrs[f"q{i}_label"] = forms.CharField(
            label="Question", required=False, max_length=300, initial=q.get("label", ""),
            widget=forms.TextInput(attrs={"size": 80}),
            help_text="Videz-la pour retirer la question." if q else "",
        )  # fmt: skip
        attrs[f"q{i}_type"] = forms.ChoiceField(
            label="Réponse", choices=QUESTION_TYPES, initial=q.get("type", "scale"),
            required=False,  # an empty row needs none; a question without one is free text
        )  # fmt: skip
        attrs[f"q{i}_choices"] = forms.CharField(
            label="Choix proposés (un par ligne)", required=False,
            initial="\n".join(q.get("choices", [])),
            widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
            help_text="Seulement pour « une réponse parmi une liste ».",
        )  # fmt: skip
        attrs[f"q{i}_optional"] = forms.BooleanField(
            label="Réponse facultative", required=False, initial=bool(q.get("optional"))
        )
        attrs[f"q{i}_key"] = forms.SlugField(
            label="Identifiant", required=False, max_length=40, initial=q.get("key", ""),
            help_text="Gardé d'une version à l'autre pour comparer les réponses ; "
            "« satisfaction » alimente les résultats publiés. Vide : tiré de la question.",
        )  # fmt: skip
    return type("QuestionnaireRowsForm", (QuestionnaireForm,), attrs)


@admin.register(Questionnaire)
class QuestionnaireAdmin(admin.ModelAdmin):
    """Saving always publishes a new version: answers keep the questions they answered."""

    form = QuestionnaireForm
    list_display = ["kind", "version", "created_at"]
    list_filter = ["kind"]

    def _questions(self, request, obj) -> list[dict]:
        """The questions to start from: this version's, or on « add », the current ones of the
        kind asked for (?kind=hot), else none."""
        from .models import QuestionnaireKind
        from .quality import questionnaire_current

        if obj is not None:
            return list(obj.questions or [])
        kind = request.GET.get("kind")
        if kind not in QuestionnaireKind.values:
            return []
        return list(questionnaire_current(kind).questions)

    def get_form(self, request, obj=None, change=False, **kwargs):
        return questionnaire_form(self._questions(request, obj))

    def get_fieldsets(self, request, obj=None):
        rows = len(self._questions(request, obj)) + EXTRA_QUESTIONS
        return [(None, {"fields": ["kind"]})] + [
            (f"Question {i + 1}", {"fields": [f"q{i}_label", (f"q{i}_type", f"q{i}_optional"),
                                              f"q{i}_choices", f"q{i}_key"]})
            for i in range(rows)
        ]  # fmt: skip

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        from .quality import questionnaire_publish

        published = questionnaire_publish(
            kind=obj.kind, questions=obj.questions, actor=request.user
        )
        obj.pk, obj.version = published.pk, published.version


@admin.register(QuestionnaireResponse)
class QuestionnaireResponseAdmin(ReadOnlyAdmin):
    list_display = ["trainee", "email", "kind", "invited_at", "reminded_at", "submitted_at"]
    list_filter = ["kind"]
    list_select_related = ["trainee"]


class ComplaintStepForm(forms.Form):
    text = forms.CharField(widget=forms.Textarea)


@admin.register(Complaint)
class ComplaintAdmin(admin.ModelAdmin):
    """Steps go through the service (analysed, answered, closed), each with its text and date."""

    list_display = ["pk", "received_at", "origin", "name", "session", "status", "closed_at"]
    list_filter = ["status", "origin"]
    list_select_related = ["session"]
    readonly_fields = [
        "status", "origin", "name", "email", "session", "author", "text", "received_at",
        "analysis", "analysed_at", "answer", "answered_at", "improvement", "closed_at",
    ]  # fmt: skip
    actions = ["export_csv"]
    change_form_template = "admin/sessions/complaint_change_form.html"
    change_list_template = "admin/sessions/complaint/change_list.html"

    def has_add_permission(self, request):
        return False

    def get_urls(self):
        from django.urls import path

        return [
            path(
                "export-auditeur/",
                self.admin_site.admin_view(self.auditor_export_view),
                name="training_sessions_complaint_auditor_export",
            ),
            *super().get_urls(),
        ]

    def auditor_export_view(self, request):
        """The auditor's ZIP for a period (issue 15), from the back-office: the period form, then
        the same streamed export as /equipe/qualiopi/export/."""
        from django.core.exceptions import PermissionDenied
        from django.shortcuts import render

        from ganapati.models import Role

        from .quality_export import quality_export_response
        from .quality_views import PeriodForm

        if request.user.role != Role.STAFF or not self.has_view_permission(request):
            raise PermissionDenied
        form = PeriodForm(request.GET or None)
        if request.GET and form.is_valid():
            return quality_export_response(form.cleaned_data["du"], form.cleaned_data["au"])
        context = {
            **self.admin_site.each_context(request),
            "title": "Export Qualiopi pour l'auditeur",
            "opts": self.model._meta,
            "form": form,
        }
        return render(request, "admin/sessions/complaint/auditor_export.html", context,
                      status=400 if form.errors else 200)  # fmt: skip

    def has_delete_permission(self, request, obj=None):
        return False

    def change_view(self, request, object_id, form_url="", extra_context=None):
        from django.contrib import messages
        from django.shortcuts import redirect

        from .quality import COMPLAINT_STATES, complaint_advance

        complaint = self.get_object(request, object_id)
        if complaint is not None and request.method == "POST" and "step" in request.POST:
            try:
                complaint_advance(
                    complaint=complaint,
                    target=request.POST["step"],
                    text=request.POST.get("text", ""),
                    actor=request.user,
                )
                messages.success(request, "Réclamation mise à jour.")
            except DomainError as exc:
                messages.error(request, exc.message)
            return redirect(request.path)
        steps = []
        if complaint is not None:
            labels = {"analysed": "Analyse", "answered": "Réponse apportée",
                      "closed": "Action d'amélioration décidée (clôture)"}  # fmt: skip
            steps = [(t, labels[t]) for t in sorted(COMPLAINT_STATES.transitions[complaint.status])]
        return super().change_view(
            request, object_id, form_url, {**(extra_context or {}), "complaint_steps": steps}
        )

    @admin.action(description="Exporter le registre des réclamations (CSV)")
    def export_csv(self, request, queryset):
        from .quality_export import complaints_csv_response

        return complaints_csv_response(queryset)
