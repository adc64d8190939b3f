from django.contrib import admin

from .models import CollectiveAgreement, Funder


@admin.register(Funder)
class FunderAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "website", "active"]
    list_filter = ["kind", "active"]
    search_fields = ["name", "sector"]


@admin.register(CollectiveAgreement)
class CollectiveAgreementAdmin(admin.ModelAdmin):
    list_display = ["idcc", "title", "opco", "source", "updated_at"]
    list_filter = ["opco", "source"]
    search_fields = ["idcc", "title"]
    list_select_related = ["opco"]
    change_list_template = "admin/funding/collectiveagreement/change_list.html"

    def get_urls(self):
        from django.urls import path

        return [
            path(
                "importer/",
                self.admin_site.admin_view(self.import_view),
                name="funding_collectiveagreement_import",
            ),
            *super().get_urls(),
        ]

    def import_view(self, request):
        """Staff upload the France Compétences file; it is read as a stream, never in memory."""
        import io

        from django.contrib import messages
        from django.core.exceptions import PermissionDenied
        from django.shortcuts import redirect, render

        from .services import agreements_import_france_competences

        if not self.has_change_permission(request):
            raise PermissionDenied
        if request.method == "POST" and request.FILES.get("file"):
            upload = request.FILES["file"]
            try:
                stats = agreements_import_france_competences(
                    io.TextIOWrapper(upload.file, encoding="utf-8-sig", newline=""),
                    actor=request.user,
                )
            except (ValueError, UnicodeDecodeError) as exc:
                messages.error(request, f"Import impossible : {exc}")
            else:
                messages.success(
                    request,
                    f"{stats['lines']} lignes lues, {stats['skipped']} ignorées ; "
                    f"{stats['created']} conventions ajoutées, {stats['updated']} mises à jour.",
                )
                return redirect("admin:funding_collectiveagreement_changelist")
        context = {
            **self.admin_site.each_context(request),
            "title": "Importer la table France Compétences",
            "opts": self.model._meta,
        }
        return render(request, "admin/funding/collectiveagreement/import.html", context)
