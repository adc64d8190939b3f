from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db import models, transaction
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html_join
from django.utils.timezone import localtime

from . import services
from .admin_site import FoldedSearchMixin
from .errors import DomainError
from .forms import UserAddForm
from .models import (
    AuditEvent,
    Company,
    Funder,
    JoinRequest,
    Organisation,
    OrganisationDocument,
    OutgoingEmail,
    TrainerProfile,
    TrainerQualification,
    User,
)
from .selectors import audit_timeline


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records (emails sent, audit events): viewable, never added, edited or deleted by hand."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class TrainerProfileInline(admin.StackedInline):
    model = TrainerProfile
    can_delete = False
    extra = 0
    max_num = 1


class TrainerQualificationForm(forms.ModelForm):
    """The proof is checked like every upload (PDF only, safe to open), then stored under a
    random name; the current file is linked through the rights-checking view, never storage."""

    class Meta:
        model = TrainerQualification
        fields = ["kind", "title", "details", "obtained_on", "expires_on", "file"]
        widgets = {"file": forms.FileInput(attrs={"accept": "application/pdf"})}

    def clean_file(self):
        from django.core.files.uploadedfile import UploadedFile

        from .qualifications import _check_upload

        upload = self.cleaned_data.get("file")
        if not isinstance(upload, UploadedFile):
            return upload
        try:
            checked = _check_upload(upload)
        except DomainError as exc:
            raise forms.ValidationError(exc.message) from exc
        self.instance.original_name = checked["original_name"]
        self.instance.sha256 = checked["sha256"]
        return checked["file"]


class TrainerQualificationInline(admin.StackedInline):
    """CV, diplomas and dated certifications (Qualiopi 21–22); a reminder precedes expiry."""

    model = TrainerQualification
    form = TrainerQualificationForm
    extra = 0
    readonly_fields = ["current_file"]

    @admin.display(description="justificatif déposé")
    def current_file(self, obj):
        from django.utils.html import format_html

        if not obj or not obj.file:
            return "—"
        return format_html('<a href="{}">{}</a>', reverse("qualification_file", args=[obj.pk]),
                           obj.original_name or "justificatif.pdf")  # fmt: skip


class ClientContactInline(admin.TabularInline):
    model = User
    fields = ["email", "first_name", "last_name", "phone", "job_title", "is_active"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(User)
class UserAdmin(FoldedSearchMixin, DjangoUserAdmin):
    ordering = ["last_name", "first_name"]
    list_display = [
        "email",
        "first_name",
        "last_name",
        "role",
        "company",
        "is_active",
        "last_login",
    ]
    list_filter = ["role", "is_active"]
    search_fields = ["email", "first_name", "last_name", "company__legal_name"]
    list_select_related = ["company"]
    autocomplete_fields = ["company"]
    readonly_fields = ["last_login", "date_joined", "timeline"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Identité", {"fields": ["first_name", "last_name", "phone", "job_title"]}),
        ("Rôle", {"fields": ["role", "company", "is_active"]}),
        (
            "Droits dans le back-office",
            {"classes": ["collapse"], "fields": ["is_staff", "is_superuser", "groups"]},
        ),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
        ("Journal", {"fields": ["timeline"]}),
    ]
    add_fieldsets = [
        (
            None,
            {
                "classes": ["wide"],
                "description": "Le compte est créé sans mot de passe : une invitation part par "
                "e-mail pour que la personne choisisse le sien.",
                "fields": ["email", "first_name", "last_name", "phone", "role", "company"],
            },
        ),
    ]
    add_form = UserAddForm
    actions = ["send_invitation"]

    def get_inlines(self, request, obj):
        if obj is not None and obj.is_trainer:
            return [TrainerProfileInline, TrainerQualificationInline]
        return []

    def save_formset(self, request, form, formset, change):
        if formset.model is not TrainerProfile:
            return super().save_formset(request, form, formset, change)
        # The trainer's profile (bank details, commission) is saved through its service.
        for inline_form in formset.forms:
            if not inline_form.has_changed() or not inline_form.is_valid():
                continue
            profile = inline_form.save(commit=False)
            profile.user = form.instance
            services.trainer_profile_save_from_admin(
                profile=profile, actor=request.user, changed=inline_form.changed_data
            )

    def save_model(self, request, obj, form, change):
        services.user_save_from_admin(user=obj, actor=request.user, created=not change)
        if not change:
            messages.info(request, f"Invitation envoyée à {obj.email}.")

    @admin.action(description="Envoyer une invitation (lien pour choisir un mot de passe)")
    def send_invitation(self, request, queryset):
        sent = 0
        for user in queryset:
            try:
                services.user_invite(user=user, actor=request.user)
                sent += 1
            except DomainError as exc:
                messages.error(request, f"{user.email} : {exc.message}")
        if sent:
            messages.success(request, f"{sent} invitation(s) envoyée(s).")

    @admin.display(description="Historique")
    def timeline(self, obj):
        return timeline_html(obj)


def timeline_html(obj):
    if obj is None or obj.pk is None:
        return "—"
    events = audit_timeline(obj)[:100]
    if not events:
        return "Aucun événement."
    return format_html_join(
        "\n",
        "<div>{} — {} — {}</div>",
        ((f"{localtime(e.created_at):%d/%m/%Y %H:%M}", e.actor_repr, e.action) for e in events),
    )


@admin.register(Company)
class CompanyAdmin(FoldedSearchMixin, admin.ModelAdmin):
    list_display = ["legal_name", "siret", "city", "idcc", "created_at"]
    search_fields = ["legal_name", "siret", "city"]
    inlines = [ClientContactInline]
    readonly_fields = ["timeline"]

    def save_model(self, request, obj, form, change):
        services.company_save_from_admin(
            company=obj, actor=request.user, changed=form.changed_data, created=not change
        )

    @admin.display(description="Historique")
    def timeline(self, obj):
        return timeline_html(obj)


@admin.register(JoinRequest)
class JoinRequestAdmin(FoldedSearchMixin, admin.ModelAdmin):
    """Who asked to join which company: staff confirm or refuse (as members can), and see
    how the company's details typed on the link differ from its record, to decide."""

    list_display = ["user", "company", "status", "via", "created_at", "decided_by"]
    list_filter = ["status"]
    search_fields = ["user__email", "company__legal_name", "company__siret"]
    list_select_related = ["user", "company", "decided_by"]
    readonly_fields = ["company", "user", "status", "via", "created_at", "decided_by",
                       "decided_at", "differences_table"]  # fmt: skip
    exclude = ["proposed"]
    actions = ["accept", "refuse"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Différences avec la fiche de l'entreprise")
    def differences_table(self, obj):
        rows = obj.differences()
        if not rows:
            return "Aucune : ce qui a été saisi correspond à la fiche."
        return format_html_join(
            "\n", "<div><strong>{}</strong> : fiche « {} » — saisi « {} »</div>", rows
        )

    def _decide(self, request, queryset, run, done: str):
        for join in queryset:
            try:
                run(request=join, actor=request.user)
            except DomainError as exc:
                messages.error(request, f"{join} : {exc.message}")
            else:
                messages.success(request, f"{join.user} : {done}.")

    @admin.action(description="Accepter : la personne devient membre de l'entreprise")
    def accept(self, request, queryset):
        self._decide(request, queryset, services.join_request_accept, "membre de l'entreprise")

    @admin.action(description="Refuser : la personne perd tout accès à l'entreprise")
    def refuse(self, request, queryset):
        self._decide(request, queryset, services.join_request_refuse, "demande refusée")


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    """One row: the list goes straight to it (or to its creation form)."""

    # French staff type "12,50": decimal inputs follow the locale.
    formfield_overrides = {
        models.DecimalField: {"localize": True},
        # A website typed without a scheme is https (Django 6's default, chosen now).
        models.URLField: {"assume_scheme": "https"},
    }

    fieldsets = [
        (
            "Identité légale",
            {"fields": ["legal_name", "legal_form", "share_capital", "rcs", "siret", "vat_number"]},
        ),
        (
            "Facturation électronique (réforme 2026–2027)",
            {"fields": ["einvoice_address", "einvoice_scheme"]},
        ),
        (
            "Adresse et contact",
            {
                "fields": [
                    "address",
                    "postal_code",
                    "city",
                    "contact_email",
                    "contact_phone",
                    "website",
                    "logo",
                ]
            },
        ),
        ("Représentant légal", {"fields": ["legal_representative", "legal_representative_title"]}),
        (
            "Organisme de formation",
            {"fields": ["nda", "nda_region", "qualiopi_number", "qualiopi_certifier"]},
        ),
        ("TVA", {"fields": ["vat_exempt", "vat_rate"]}),
        ("Banque et commission", {"fields": ["iban", "bic", "commission_rate"]}),
    ]

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not Organisation.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        organisation = Organisation.objects.first()
        if organisation is None:
            return HttpResponseRedirect(reverse("admin:ganapati_organisation_add"))
        return HttpResponseRedirect(
            reverse("admin:ganapati_organisation_change", args=[organisation.pk])
        )

    def save_model(self, request, obj, form, change):
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            services.log_action(
                obj, "organisation.updated", actor=request.user, data={"fields": form.changed_data}
            )


@admin.register(OutgoingEmail)
class OutgoingEmailAdmin(FoldedSearchMixin, ReadOnlyAdmin):
    list_display = ["created_at", "subject", "recipients", "status", "attempts", "sent_at"]
    list_filter = ["status", "template"]
    search_fields = ["subject", "to", "key"]
    date_hierarchy = "created_at"
    actions = ["resend"]
    readonly_fields = [
        "key",
        "template",
        "to",
        "cc",
        "reply_to",
        "from_email",
        "subject",
        "body_text",
        "attachments",
        "status",
        "attempts",
        "last_error",
        "message_id",
        "created_at",
        "next_attempt_at",
        "sending_started_at",
        "sent_at",
        "related_type",
        "related_id",
    ]
    exclude = ["body_html"]

    @admin.display(description="Destinataires")
    def recipients(self, obj):
        return ", ".join(obj.to)

    @admin.action(description="Renvoyer les e-mails sélectionnés (échecs ou déjà envoyés)")
    def resend(self, request, queryset):
        try:
            count = services.outbox_resend(
                email_ids=list(queryset.values_list("pk", flat=True)), actor=request.user
            )
        except DomainError as exc:
            messages.error(request, exc.message)
            return
        skipped = queryset.count() - count
        messages.success(request, f"{count} e-mail(s) remis en file d'envoi.")
        if skipped:
            messages.warning(
                request, f"{skipped} e-mail(s) ignoré(s) : déjà en file ou en cours d'envoi."
            )

    def get_actions(self, request):
        # Resend only needs view rights plus the explicit permission to change emails.
        actions = super().get_actions(request)
        if not request.user.has_perm("ganapati.change_outgoingemail"):
            actions.pop("resend", None)
        return actions


@admin.register(AuditEvent)
class AuditEventAdmin(FoldedSearchMixin, ReadOnlyAdmin):
    list_display = ["created_at", "actor_repr", "action", "content_type", "object_repr"]
    list_filter = ["action", "content_type"]
    search_fields = ["actor_repr", "object_repr", "action", "object_id"]
    date_hierarchy = "created_at"
    list_select_related = ["content_type"]


@admin.register(Funder)
class FunderAdmin(FoldedSearchMixin, admin.ModelAdmin):
    list_display = ["name", "kind", "legal_name", "siren", "invoicing", "ready", "active"]
    list_filter = ["kind", "active"]
    search_fields = ["name", "legal_name", "siren", "sector"]
    fieldsets = [
        (None, {"fields": ["code", "name", "kind", "sector", "website", "active"]}),
        (
            "Facturation (obligatoire pour facturer le financeur)",
            {
                "fields": [
                    "legal_name",
                    "siren",
                    "siret",
                    "billing_address",
                    "invoicing_email",
                    "invoicing_portal",
                    "einvoice_address",
                ]
            },
        ),  # fmt: skip
        ("Contact", {"fields": ["contact_email", "contact_phone"]}),
        ("Sources", {"fields": ["sources"]}),
    ]

    @admin.display(description="Factures par")
    def invoicing(self, obj):
        if obj.invoicing_email:
            return obj.invoicing_email
        return "portail" if obj.invoicing_portal else "—"

    @admin.display(description="Prêt à facturer")
    def ready(self, obj):
        missing = obj.missing_invoicing_fields()
        return "oui" if not missing else "manque " + ", ".join(missing)


# The help centre's and the advisor appointments' back-office pages live with them.
from .appointments import admin as _appointments_admin  # noqa: E402, F401
from .help import admin as _help_admin  # noqa: E402, F401


@admin.register(OrganisationDocument)
class OrganisationDocumentAdmin(admin.ModelAdmin):
    """Each save publishes a new version: a published text is never edited in place."""

    list_display = ["kind", "version", "valid_from", "created_at"]
    list_filter = ["kind"]
    fields = ["kind", "text", "valid_from"]

    def has_change_permission(self, request, obj=None):
        return obj is None

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        from .orgdocs import organisation_document_publish

        published = organisation_document_publish(
            kind=obj.kind, text=obj.text, valid_from=obj.valid_from, actor=request.user
        )
        obj.pk, obj.version = published.pk, published.version
