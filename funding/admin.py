from django.contrib import admin

from ganapati.admin_site import FoldedSearchMixin
from ganapati.errors import DomainError
from ganapati.fields import format_minutes

from .models import ClientCommitment, CollectiveAgreement, FundingRequest


@admin.register(CollectiveAgreement)
class CollectiveAgreementAdmin(FoldedSearchMixin, admin.ModelAdmin):
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
            except DomainError as exc:
                messages.error(request, exc.message)
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


@admin.register(FundingRequest)
class FundingRequestAdmin(FoldedSearchMixin, admin.ModelAdmin):
    """Staff review: "to review" by default, the PDF next to the decision, validate or reject."""

    list_display = [
        "session_ref", "company", "trainer", "funder", "decision", "amount_granted",
        "granted_duration", "status", "days_waiting",
    ]  # fmt: skip
    list_filter = ["status", "decision", "funder"]
    search_fields = ["session__title", "session__company__legal_name", "file_number"]
    list_select_related = ["session__company", "session__trainer", "funder"]
    actions = ["validate_totals"]
    change_form_template = "admin/funding/fundingrequest/change_form.html"
    readonly_fields = [
        "session", "funder", "status", "decision", "file_number", "amount_granted",
        "granted_duration", "subrogation", "valid_from", "valid_until", "uploaded_at",
        "reviewed_by", "reviewed_at", "rejection_reason",
    ]  # fmt: skip

    @admin.display(description="durée accordée", ordering="minutes_granted")
    def granted_duration(self, obj):
        return format_minutes(obj.minutes_granted) or "—"

    def changelist_view(self, request, extra_context=None):
        # "To review" by default; any explicit filter (or ?all) shows the rest.
        if not any(key.startswith(("status", "decision", "funder", "q", "all", "o", "p"))
                   for key in request.GET):  # fmt: skip
            from django.shortcuts import redirect

            return redirect(f"{request.path}?status__exact=uploaded")
        return super().changelist_view(request, extra_context)

    @admin.display(description="Session")
    def session_ref(self, obj):
        return obj.session.reference

    @admin.display(description="Client")
    def company(self, obj):
        return obj.session.company

    @admin.display(description="Formateur")
    def trainer(self, obj):
        return obj.session.trainer

    @admin.display(description="Jours d'attente")
    def days_waiting(self, obj):
        from django.utils import timezone

        if obj.status != FundingRequest.Status.UPLOADED:
            return "—"
        return (timezone.now() - obj.uploaded_at).days

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        from django.urls import path

        return [
            path("<int:pk>/valider/", self.admin_site.admin_view(self.validate_view),
                 name="funding_fundingrequest_validate"),
            path("<int:pk>/refuser/", self.admin_site.admin_view(self.reject_view),
                 name="funding_fundingrequest_reject"),
            *super().get_urls(),
        ]  # fmt: skip

    def _decide(self, request, pk, run, success):
        from django.contrib import messages
        from django.core.exceptions import PermissionDenied
        from django.shortcuts import get_object_or_404, redirect

        if request.method != "POST" or not self.has_change_permission(request):
            raise PermissionDenied
        funding = get_object_or_404(FundingRequest, pk=pk)
        try:
            run(funding)
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect("admin:funding_fundingrequest_change", pk)
        messages.success(request, success)
        return redirect("admin:funding_fundingrequest_changelist")

    def validate_view(self, request, pk):
        from django.contrib import messages
        from django.shortcuts import redirect

        from .forms import PecDecisionForm
        from .services import funding_request_validate

        values = None
        if "file_number" in request.POST:  # the review form: the values staff retained
            form = PecDecisionForm(request.POST)
            if not form.is_valid():
                for field, errors in form.errors.items():
                    label = form.fields[field].label if field in form.fields else ""
                    messages.error(request, f"{label} : {' '.join(errors)}" if label else errors[0])
                return redirect("admin:funding_fundingrequest_change", pk)
            values = form.values()
        return self._decide(
            request, pk,
            lambda f: funding_request_validate(request=f, actor=request.user, values=values),
            "Accord validé ; le client et le formateur sont prévenus.",
        )  # fmt: skip

    def reject_view(self, request, pk):
        from .services import funding_request_reject

        reason = request.POST.get("reason", "")
        return self._decide(
            request, pk,
            lambda f: funding_request_reject(request=f, actor=request.user, reason=reason),
            "Dépôt refusé ; le client est prévenu et peut déposer de nouveau.",
        )  # fmt: skip

    def change_view(self, request, object_id, form_url="", extra_context=None):
        from .forms import PecDecisionForm
        from .selectors import pec_review

        funding = (
            FundingRequest.objects.select_related("session__company", "session__funder")
            .filter(pk=object_id)
            .first()
        )
        extra = {"funding": funding}
        if funding is not None:
            review = pec_review(funding)
            extra.update(review, latest_upload=review.get("upload"),
                         uploads=list(funding.uploads.select_related("uploaded_by")))  # fmt: skip
            if review and funding.status == FundingRequest.Status.UPLOADED:
                extra["decision_form"] = PecDecisionForm(initial=review["prefill"])
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), **extra})

    @admin.action(
        description="Valider les accords sélectionnés (prises en charge totales seulement)"
    )
    def validate_totals(self, request, queryset):
        """Bulk validation is safe only for total decisions: nothing to accept or regenerate."""
        from django.contrib import messages

        from .services import funding_request_validate

        done = 0
        for funding in queryset.select_related("session"):
            if funding.decision != FundingRequest.Decision.TOTAL:
                messages.warning(
                    request, f"{funding} : décision non totale, à valider une par une."
                )
                continue
            try:
                funding_request_validate(request=funding, actor=request.user)
                done += 1
            except DomainError as exc:
                messages.error(request, f"{funding} : {exc.message}")
        if done:
            messages.success(request, f"{done} accord(s) validé(s).")


@admin.register(ClientCommitment)
class ClientCommitmentAdmin(admin.ModelAdmin):
    list_display = ["session", "kind", "amount", "accepted_by", "accepted_at", "accepted_ip"]
    readonly_fields = ["session", "kind", "amount", "accepted_by", "accepted_at", "accepted_ip"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
