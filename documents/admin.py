from django.contrib import admin, messages
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html

from ganapati.errors import DomainError

from . import services
from .models import Document


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):
    """Every version of every document, downloadable (an auditor may ask what was signed)."""

    list_display = ["__str__", "kind", "version", "status", "created_at", "download"]
    list_filter = ["status", "kind"]
    search_fields = ["title", "sha256"]
    list_select_related = ["owner_type"]
    actions = ["retry"]
    readonly_fields = [
        "title", "kind", "owner_type", "owner_id", "subject_type", "subject_id", "version",
        "source", "status", "sha256", "size", "attempts", "last_error", "created_at",
        "queued_at", "rendered_at", "created_by", "download",
    ]  # fmt: skip
    exclude = ["file"]

    @admin.display(description="Fichier")
    def download(self, obj):
        if obj.status != Document.Status.READY:
            return "—"
        try:
            url = reverse("document_download", args=[obj.pk])
        except NoReverseMatch:
            return "—"
        return format_html('<a href="{}">Télécharger</a>', url)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Relancer la génération des documents en échec")
    def retry(self, request, queryset):
        for document in queryset:
            try:
                services.document_retry(document=document, actor=request.user)
            except DomainError as exc:
                messages.error(request, f"{document} : {exc.message}")
            else:
                messages.success(request, f"{document} : génération relancée.")
