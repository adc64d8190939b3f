from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from ganapati import csvsafe
from ganapati.admin_site import FoldedSearchMixin
from ganapati.errors import DomainError
from ganapati.fields import FrenchDecimalField
from ganapati.idempotency import form_token_from, form_token_issue
from sessions.admin import TrainingSessionAdmin
from sessions.models import TrainingSession

from . import services
from .models import MAX_PAYMENT, AuditExportJob, Invoice, Payment, Payout, PayoutBatch


class BillingTrainingSessionAdmin(TrainingSessionAdmin):
    """The sessions' admin, with what billing adds to it: preparing invoices, audit exports.
    (Re-registered here, the top app, rather than importing billing from sessions.)"""

    actions = ["prepare_invoices", "audit_export"]

    def get_urls(self):
        return [
            path("<int:pk>/controle-facturation/", self.admin_site.admin_view(self.control_view),
                 name="billing_session_control"),
            *super().get_urls(),
        ]  # fmt: skip

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), "invoicing_control"]

    @admin.display(description="contrôle avant facturation")
    def invoicing_control(self, obj):
        if obj is None or obj.pk is None:
            return "—"
        return format_html('<a href="{}">Voir le contrôle avant facturation</a>',
                           reverse("admin:billing_session_control", args=[obj.pk]))  # fmt: skip

    def control_view(self, request, pk):
        if not self.has_view_permission(request):
            raise PermissionDenied
        session = get_object_or_404(TrainingSession, pk=pk)
        if request.method == "POST" and self.has_change_permission(request):
            try:
                invoices = services.invoices_prepare(session=session, actor=request.user)
            except DomainError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, f"{len(invoices)} brouillon(s) de facture préparé(s).")
            return redirect("admin:billing_session_control", session.pk)
        checks = services.pre_invoicing_check(session)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Contrôle avant facturation — {session.reference}",
            "session": session, "checks": checks, "opts": self.model._meta,
            "blocking": [c for c in checks if c.blocking and not c.ok],
            "invoices": session.invoices.prefetch_related("lines").order_by("pk"),
            "can_prepare": session.status == TrainingSession.Status.COMPLETED,
        }  # fmt: skip
        return render(request, "admin/billing/session_control.html", context)

    @admin.action(description="Export d'audit (ZIP) des sessions sélectionnées")
    def audit_export(self, request, queryset):
        job = services.audit_export_request(
            session_ids=list(queryset.values_list("pk", flat=True)), actor=request.user
        )
        messages.success(
            request,
            f"{job} demandé : suivez son avancement dans « Exports d'audit » ; un e-mail vous "
            "enverra le lien dès qu'il est prêt.",
        )

    @admin.action(description="Préparer les factures des sessions terminées sélectionnées")
    def prepare_invoices(self, request, queryset):
        for session in queryset:
            try:
                invoices = services.invoices_prepare(session=session, actor=request.user)
            except DomainError as exc:
                messages.error(request, f"{session.reference} : {exc.message}")
            else:
                messages.success(request, f"{session.reference} : {len(invoices)} brouillon(s).")


admin.site.unregister(TrainingSession)
admin.site.register(TrainingSession, BillingTrainingSessionAdmin)


class PaymentInline(admin.TabularInline):
    model = Payment
    extra = 0
    can_delete = False
    fields = ["paid_on", "amount", "payer", "bank_reference", "recorded_by", "recorded_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class DueFilter(admin.SimpleListFilter):
    title = "échéance"
    parameter_name = "echeance"

    def lookups(self, request, model_admin):
        return [("due", "À payer, non échues"), ("overdue", "En retard")]

    def queryset(self, request, queryset):
        today = timezone.localdate()
        issued = queryset.filter(kind="invoice", status=Invoice.Status.ISSUED)
        if self.value() == "due":
            return issued.filter(due_date__gte=today)
        if self.value() == "overdue":
            return issued.filter(due_date__lt=today)
        return queryset


class PaymentForm(forms.Form):
    amount = FrenchDecimalField(
        # max_value bounds the digits too: one message, whatever the size typed.
        label="Montant (€)", min_value=0.01, max_value=MAX_PAYMENT, decimal_places=2,
        error_messages={"max_value": "Un paiement ne peut dépasser 9 999 999,99 €."},
    )  # fmt: skip
    paid_on = forms.DateField(
        label="Date du paiement", widget=forms.DateInput(attrs={"type": "date"})
    )
    payer = forms.CharField(label="Payeur", max_length=200)
    bank_reference = forms.CharField(label="Référence bancaire", max_length=140, required=False)


class CreditForm(forms.Form):
    reason = forms.CharField(label="Motif de l'avoir", max_length=250,
                             widget=forms.Textarea(attrs={"rows": 3}))  # fmt: skip


@admin.register(Invoice)
class InvoiceAdmin(FoldedSearchMixin, admin.ModelAdmin):
    """Issued invoices are read-only: drafts are issued, issued ones are credited, payments
    are recorded; nothing is edited or deleted."""

    list_display = ["__str__", "session", "buyer_name", "total_incl_tax", "issue_date",
                    "due_date", "status", "transmission", "balance_display",
                    "pdf_link"]  # fmt: skip
    list_filter = ["status", "transmission", "kind", "payer_kind", DueFilter]
    search_fields = ["number", "buyer_name", "session__title", "funder_file_number"]
    list_select_related = ["session"]
    list_per_page = 50  # a page of the admin costs the same at 50 or 50 000 rows
    inlines = [PaymentInline]
    actions = ["issue", "mark_deposited", "export_csv"]
    change_form_template = "admin/billing/invoice/change_form.html"
    change_list_template = "admin/billing/invoice/change_list.html"

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Invoice._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        # The balance column sums the payments in the list's own query (one query per row
        # before: 106 queries for 100 invoices), per row shown (a correlated subquery, not a
        # GROUP BY over every invoice).
        paid = (
            Payment.objects.filter(invoice=OuterRef("pk"))
            .values("invoice")
            .annotate(total=Sum("amount"))
            .values("total")
        )
        return (
            super()
            .get_queryset(request)
            .annotate(paid_total=Coalesce(Subquery(paid), Decimal("0.00")))
        )

    @admin.display(description="Solde")
    def balance_display(self, obj):
        if obj.kind != "invoice" or obj.status == "draft":
            return "—"
        if hasattr(obj, "paid_total"):
            return obj.total_incl_tax - obj.paid_total
        return obj.balance

    @admin.display(description="PDF")
    def pdf_link(self, obj):
        if not obj.pdf:
            return "—"
        return format_html('<a href="{}">PDF</a>', reverse("invoice_download", args=[obj.pk]))

    @admin.action(description="Émettre les brouillons sélectionnés (numéro définitif)")
    def issue(self, request, queryset):
        for invoice in queryset.filter(status=Invoice.Status.DRAFT):
            try:
                invoice = services.invoice_issue(invoice=invoice, actor=request.user)
                messages.success(request, f"{invoice} émise.")
            except DomainError as exc:
                messages.error(request, exc.message)

    @admin.action(description="Marquer comme déposées sur le portail du financeur")
    def mark_deposited(self, request, queryset):
        for invoice in queryset:
            try:
                invoice = services.invoice_mark_deposited(invoice=invoice, actor=request.user)
                messages.success(request, f"{invoice} : dépôt enregistré.")
            except DomainError as exc:
                messages.error(request, exc.message)

    @admin.action(description="Exporter en CSV pour la comptabilité")
    def export_csv(self, request, queryset):
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="factures.csv"'
        response.write("\ufeff")
        writer = csvsafe.writer(response, delimiter=";")
        writer.writerow(["numéro", "type", "date", "échéance", "client", "SIRET", "session",
                         "HT", "TVA", "TTC", "payé", "statut", "SIREN vendeur", "SIREN client",
                         "catégorie", "régime de TVA", "facture annulée"])  # fmt: skip
        from ganapati.selectors import organisation_get

        from .facturx_xml import vat_regime_label

        seller_siren = organisation_get().siren
        issued = queryset.exclude(status="draft").select_related("session", "credited_invoice")
        for inv in issued.prefetch_related("payments").order_by("number"):
            writer.writerow([
                inv.number, inv.get_kind_display(), inv.issue_date, inv.due_date, inv.buyer_name,
                inv.buyer_siret, inv.session.reference, str(inv.total_excl_tax).replace(".", ","),
                str(inv.vat_amount).replace(".", ","), str(inv.total_incl_tax).replace(".", ","),
                str(inv.amount_paid).replace(".", ","), inv.get_status_display(),
                seller_siren, inv.buyer_siren, "prestation de services", vat_regime_label(inv),
                inv.credited_invoice.number if inv.credited_invoice_id else "",
            ])  # fmt: skip
        return response

    def get_urls(self):
        return [
            path("<int:pk>/paiement/", self.admin_site.admin_view(self.payment_view),
                 name="billing_invoice_payment"),
            path("<int:pk>/avoir/", self.admin_site.admin_view(self.credit_view),
                 name="billing_invoice_credit"),
            path("releve-bancaire/", self.admin_site.admin_view(bank_import_view),
                 name="billing_bank_import"),
            *super().get_urls(),
        ]  # fmt: skip

    def _form_view(self, request, pk, form_class, title, scope, run, success):
        """A form on one invoice; `scope(invoice)` names it for its one-use token (a second
        submission of the same rendering is refused by the service)."""
        if not self.has_view_permission(request) or not request.user.has_perm(
            "billing.change_invoice"
        ):
            raise PermissionDenied
        invoice = get_object_or_404(Invoice, pk=pk)
        form = form_class(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                run(invoice, form.cleaned_data, form_token_from(request))
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, success)
                return redirect("admin:billing_invoice_change", invoice.pk)
        token = form_token_issue(scope=scope(invoice), user=request.user)
        context = {**self.admin_site.each_context(request), "title": f"{title} — {invoice}",
                   "form": form, "invoice": invoice, "opts": self.model._meta,
                   "form_token": token}  # fmt: skip
        return render(request, "admin/billing/invoice/form.html", context)

    def payment_view(self, request, pk):
        return self._form_view(
            request, pk, PaymentForm, "Enregistrer un paiement", services.payment_form_scope,
            lambda inv, d, token: services.payment_record(invoice=inv, actor=request.user,
                                                          form_token=token, **d),
            "Paiement enregistré.",
        )  # fmt: skip

    def credit_view(self, request, pk):
        return self._form_view(
            request, pk, CreditForm, "Annuler par un avoir", services.credit_form_scope,
            lambda inv, d, token: services.credit_note_issue(
                invoice=inv, actor=request.user, reason=d["reason"], form_token=token),
            "Avoir émis : la facture est annulée.",
        )  # fmt: skip


@admin.register(Payout)
class PayoutAdmin(FoldedSearchMixin, admin.ModelAdmin):
    list_display = ["__str__", "trainer", "collected", "commission", "amount", "status",
                    "has_invoice", "batch"]  # fmt: skip
    list_filter = ["status"]
    search_fields = ["session__title", "trainer__email", "trainer__last_name"]
    list_select_related = ["session", "trainer", "batch"]
    actions = ["make_batch"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Payout._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Facture du formateur", boolean=True)
    def has_invoice(self, obj):
        return bool(obj.trainer_invoice)

    @admin.action(description="Générer le fichier de virements SEPA pour la sélection")
    def make_batch(self, request, queryset):
        try:
            batch = services.payout_batch_create(
                payout_ids=list(queryset.values_list("pk", flat=True)), actor=request.user
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                f"{batch} créé : téléchargez le fichier dans « Lots de virements », déposez-le "
                "à la banque, puis marquez le lot comme envoyé.",
            )


@admin.register(PayoutBatch)
class PayoutBatchAdmin(admin.ModelAdmin):
    list_display = ["__str__", "total", "created_by", "sent_at", "download"]
    actions = ["mark_sent"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in PayoutBatch._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Fichier")
    def download(self, obj):
        return format_html('<a href="{}">pain.001</a>', reverse("sepa_download", args=[obj.pk]))

    @admin.action(description="Marquer comme envoyé à la banque (versements payés, e-mails)")
    def mark_sent(self, request, queryset):
        for batch in queryset:
            try:
                count = services.payout_batch_mark_sent(batch=batch, actor=request.user)
            except DomainError as exc:
                messages.error(request, f"{batch} : {exc.message}")
            else:
                messages.success(request, f"{batch} : {count} formateur(s) prévenu(s).")


@admin.register(AuditExportJob)
class AuditExportJobAdmin(admin.ModelAdmin):
    list_display = ["__str__", "requested_by", "status", "progress", "created_at", "download"]
    actions = ["retry"]

    @admin.action(description="Relancer les exports en échec")
    def retry(self, request, queryset):
        for job in queryset:
            try:
                services.audit_export_retry(job=job, actor=request.user)
            except DomainError as exc:
                messages.error(request, f"{job} : {exc.message}")
            else:
                messages.success(request, f"{job} : relancé.")

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in AuditExportJob._meta.fields]

    def has_add_permission(self, request):
        return False

    @admin.display(description="Avancement")
    def progress(self, obj):
        return obj.progress

    @admin.display(description="ZIP")
    def download(self, obj):
        if obj.status != "done":
            return "—"
        return format_html('<a href="{}">Télécharger</a>',
                           reverse("audit_export_download", args=[obj.pk]))  # fmt: skip


BANK_IMPORT_SALT = "billing.bank_import"
BANK_IMPORT_MAX_AGE = 3600  # seconds between the analysis and the confirmation


def bank_import_view(request):
    """Staff upload a bank statement CSV, check each proposed match, then confirm.

    The proposals travel in the page, signed (they cannot be altered, and expire after an
    hour) together with the confirmation's one-use token; the service checks every row again
    before recording it."""
    if not request.user.has_perm("billing.change_invoice"):
        raise PermissionDenied
    context = {**admin.site.each_context(request), "title": "Importer un relevé bancaire"}
    template = "admin/billing/bank_import.html"
    if request.method == "POST" and "confirm" in request.POST:
        try:
            payload = signing.loads(request.POST.get("rows", ""), salt=BANK_IMPORT_SALT,
                                    max_age=BANK_IMPORT_MAX_AGE)  # fmt: skip
            rows, token = list(payload["rows"]), str(payload["token"])
        except signing.SignatureExpired:
            context["problem"] = ("Cette analyse date de plus d'une heure : importez de nouveau "
                                  "le relevé. Rien n'a été enregistré.")  # fmt: skip
            return render(request, template, context, status=400)
        except (signing.BadSignature, KeyError, TypeError, ValueError):
            context["problem"] = ("Les données de confirmation ont été altérées ou sont "
                                  "incomplètes : importez de nouveau le relevé. Rien n'a été "
                                  "enregistré.")  # fmt: skip
            return render(request, template, context, status=400)
        lines = set()
        for value in request.POST.getlist("line"):
            if value.isascii() and value.isdigit() and len(value) < 10:
                lines.add(int(value))
        try:
            done, errors = services.bank_statement_confirm(
                rows=rows, lines=lines, actor=request.user, form_token=token
            )
        except DomainError as exc:
            context["problem"] = exc.message
            return render(request, template, context)
        for error in errors:
            messages.error(request, error)
        messages.success(request, f"{done} paiement(s) enregistré(s).")
        return redirect("admin:billing_invoice_changelist")
    if request.method == "POST" and request.FILES.get("file"):
        upload = request.FILES["file"]
        try:
            if upload.size > services.BANK_MAX_BYTES:
                raise DomainError("Le relevé dépasse 5 Mo : exportez une période plus courte.")
            lines = services.bank_statement_lines(upload.read(services.BANK_MAX_BYTES + 1))
            proposals, errors = services.bank_statement_parse(lines)
        except DomainError as exc:
            context["problem"] = exc.message
            return render(request, template, context)
        token = form_token_issue(scope=services.BANK_IMPORT_SCOPE, user=request.user)
        rows = [
            {"line": p["line"], "date": p["date"].isoformat(), "amount": str(p["amount"]),
             "label": p["label"], "payer": p["payer"],
             "invoice": p["invoice"].pk if p["invoice"] else None}
            for p in proposals
        ]  # fmt: skip
        context.update(
            proposals=proposals,
            errors=errors,
            rows=signing.dumps(
                {"token": token, "rows": rows}, salt=BANK_IMPORT_SALT, compress=True
            ),  # fmt: skip
        )
    return render(request, template, context)
