"""Invoices and credit notes (immutable once issued), their numbering, and payments."""

from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.utils import timezone

from ganapati.formats import euros

# The largest payment a form, an import or the database accepts (the column would hold more:
# anything above this is a typing or parsing error, never a real transfer for a training).
MAX_PAYMENT = Decimal("9999999.99")
HALF_CENT = Decimal("0.005")


class NumberSequence(models.Model):
    """One continuous counter per series and year ("F-2026", "A-2026"), locked when issuing."""

    series = models.CharField("série", max_length=20, unique=True)
    last_number = models.PositiveIntegerField("dernier numéro", default=0)

    class Meta:
        verbose_name = "séquence de numérotation"
        verbose_name_plural = "séquences de numérotation"

    def __str__(self):
        return f"{self.series} : {self.last_number}"


class Invoice(models.Model):
    class Kind(models.TextChoices):
        INVOICE = "invoice", "Facture"
        CREDIT_NOTE = "credit_note", "Avoir"

    class Status(models.TextChoices):
        DRAFT = "draft", "Brouillon"
        ISSUED = "issued", "Émise"
        PAID = "paid", "Payée"
        CANCELLED = "cancelled", "Annulée par avoir"

    class PayerKind(models.TextChoices):
        FUNDER = "funder", "Financeur (subrogation)"
        COMPANY = "company", "Entreprise"

    class Transmission(models.TextChoices):
        """How the PDF reached (or must reach) the payer: never "sent" to nobody."""

        PENDING = "pending", "PDF en cours de génération"
        EMAILED = "emailed", "Envoyée par e-mail"
        TO_DEPOSIT = "to_deposit", "À déposer par l'équipe sur le portail du financeur"
        DEPOSITED = "deposited", "Déposée par l'équipe"

    kind = models.CharField("type", max_length=12, choices=Kind.choices, default=Kind.INVOICE)
    number = models.CharField("numéro", max_length=20, unique=True, null=True, blank=True)
    status = models.CharField(
        "statut", max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    session = models.ForeignKey(
        "training_sessions.TrainingSession", on_delete=models.PROTECT, related_name="invoices"
    )
    payer_kind = models.CharField("payeur", max_length=10, choices=PayerKind.choices)
    funder = models.ForeignKey(
        "ganapati.Funder",
        verbose_name="financeur",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    credited_invoice = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="credit_notes",
        verbose_name="facture annulée",
    )  # fmt: skip
    # Snapshot of the buyer at issue time: an issued invoice never changes with live data.
    buyer_name = models.CharField("client facturé", max_length=200)
    buyer_address = models.CharField("adresse du client", max_length=300)
    buyer_siret = models.CharField("SIRET du client", max_length=14, blank=True)
    buyer_email = models.EmailField("e-mail de facturation", blank=True)
    buyer_siren = models.CharField("SIREN du client", max_length=9, blank=True)
    # Where the buyer receives electronic invoices (BT-49): its SIREN unless it chose another.
    buyer_einvoice_address = models.CharField(
        "adresse de facturation électronique du client", max_length=125, blank=True
    )
    buyer_portal = models.URLField("portail de dépôt du financeur", blank=True)
    funder_file_number = models.CharField("n° de dossier du financeur", max_length=80, blank=True)
    # What an OPCO checks on an invoice under subrogation, frozen when it is prepared: the
    # employer, each trainee with the hours done, the PEC's number and dates.
    subrogation = models.JSONField("subrogation (employeur, stagiaires, PEC)", default=dict,
                                   blank=True)  # fmt: skip
    transmission = models.CharField(
        "transmission", max_length=16, choices=Transmission.choices, blank=True, db_index=True
    )
    transmitted_at = models.DateTimeField("transmise le", null=True, blank=True)
    description = models.CharField("objet", max_length=300)
    # The seller as it was when the invoice was drawn up (never read live when rendering).
    seller = models.JSONField("vendeur (identité à l'émission)", default=dict, blank=True)
    total_excl_tax = models.DecimalField("total HT", max_digits=12, decimal_places=2)
    vat_rate = models.DecimalField("taux de TVA", max_digits=5, decimal_places=2, null=True,
                                   blank=True)  # fmt: skip
    vat_amount = models.DecimalField("TVA", max_digits=12, decimal_places=2, default=Decimal(0))
    total_incl_tax = models.DecimalField("total TTC", max_digits=12, decimal_places=2)
    issue_date = models.DateField("date d'émission", null=True, blank=True)
    due_date = models.DateField("échéance", null=True, blank=True)
    service_start = models.DateField("début de la prestation")
    service_end = models.DateField("fin de la prestation")
    pdf = models.FileField("PDF (Factur-X)", upload_to="factures/%Y/", blank=True)
    sha256 = models.CharField("empreinte SHA-256", max_length=64, blank=True)
    # Size and CRC-32 of the PDF, kept when it is written so the audit ZIP streams it in one
    # reading (issue 17); empty for invoices issued before: the export fills them in.
    pdf_size = models.PositiveIntegerField("taille du PDF (octets)", null=True, blank=True,
                                           editable=False)  # fmt: skip
    crc32 = models.PositiveBigIntegerField("CRC-32 du PDF", null=True, blank=True, editable=False)
    # What the official e-invoicing checks last passed for this invoice (issue 17):
    # `billing.einvoice.fingerprint` of its XML. A draft checked when it was prepared is issued
    # the same day, unchanged, without running the same checks on the same bytes again.
    einvoice_checked = models.CharField("XML contrôlé (empreinte)", max_length=64, blank=True,
                                        editable=False)  # fmt: skip
    # The PDF is rendered by a worker after the issue; the sweeper re-queues a lost rendering.
    queued_at = models.DateTimeField("PDF mis en file le", null=True, blank=True)
    render_attempts = models.PositiveSmallIntegerField("tentatives de génération", default=0)
    render_error = models.TextField("erreur de génération", blank=True)
    created_at = models.DateTimeField("créée le", default=timezone.now)

    class Meta:
        verbose_name = "facture ou avoir"
        verbose_name_plural = "factures et avoirs"
        ordering = ["-issue_date", "-number", "-pk"]
        indexes = [
            # The admin's list, newest first (read from the index, one page at a time).
            models.Index(fields=["-issue_date", "-number", "-id"], name="invoice_recent"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="draft", number__isnull=True)
                | (~Q(status="draft") & Q(number__isnull=False, issue_date__isnull=False)),
                name="invoice_number_iff_issued",
            ),
            models.CheckConstraint(
                condition=Q(total_incl_tax=models.F("total_excl_tax") + models.F("vat_amount")),
                name="invoice_totals_add_up",
            ),
            models.CheckConstraint(
                condition=~Q(kind="credit_note") | Q(credited_invoice__isnull=False),
                name="credit_note_references_invoice",
            ),
            models.CheckConstraint(
                condition=Q(total_excl_tax__gt=0, vat_amount__gte=0),
                name="invoice_amounts_positive",
            ),
            models.CheckConstraint(
                condition=Q(service_end__gte=models.F("service_start")),
                name="invoice_service_dates_ordered",
            ),
        ]

    def __str__(self):
        label = self.get_kind_display()
        return f"{label} {self.number}" if self.number else f"{label} (brouillon) {self.pk}"

    @property
    def file_kind(self) -> str:
        """Its kind in the table of who may see which file (ganapati/files.py)."""
        return "invoice.funder" if self.payer_kind == self.PayerKind.FUNDER else "invoice.company"

    @property
    def amount_paid(self) -> Decimal:
        return sum((p.amount for p in self.payments.all()), Decimal("0.00"))

    @property
    def balance(self) -> Decimal:
        return self.total_incl_tax - self.amount_paid


class InvoiceLine(models.Model):
    """One line of an invoice: its quantity times its unit price is its amount, to the cent
    (checked by the database). A dédit is a line of its own, never training."""

    class Kind(models.TextChoices):
        TRAINING = "training", "Formation"
        DEDIT = "dedit", "Dédit (heures non réalisées)"

    class Unit(models.TextChoices):
        FLAT = "C62", "forfait"
        TRAINEE = "IE", "stagiaire"

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines",
                                verbose_name="facture")  # fmt: skip
    position = models.PositiveSmallIntegerField("ordre")
    kind = models.CharField("nature", max_length=10, choices=Kind.choices)
    label = models.CharField("désignation", max_length=200)
    details = models.CharField("précisions", max_length=500, blank=True)
    quantity = models.PositiveIntegerField("quantité")
    unit = models.CharField("unité", max_length=3, choices=Unit.choices, default=Unit.FLAT)
    unit_price = models.DecimalField("prix unitaire HT", max_digits=12, decimal_places=2)
    amount = models.DecimalField("montant HT", max_digits=12, decimal_places=2)

    class Meta:
        verbose_name = "ligne de facture"
        verbose_name_plural = "lignes de facture"
        ordering = ["invoice", "position"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "position"], name="invoiceline_position"),
            # Exact on PostgreSQL (numeric); within half a cent where SQLite computes in floats.
            models.CheckConstraint(
                condition=Q(
                    amount__gt=models.F("quantity") * models.F("unit_price") - HALF_CENT,
                    amount__lt=models.F("quantity") * models.F("unit_price") + HALF_CENT,
                ),
                name="invoiceline_multiplies_out",
            ),  # fmt: skip
            models.CheckConstraint(
                condition=Q(quantity__gt=0, unit_price__gte=0), name="invoiceline_positive"
            ),
        ]

    def __str__(self):
        return f"{self.label} : {self.quantity} × {self.unit_price} = {self.amount}"


class Payment(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="payments",
                                verbose_name="facture")  # fmt: skip
    amount = models.DecimalField("montant (€)", max_digits=12, decimal_places=2)
    paid_on = models.DateField("date du paiement")
    payer = models.CharField("payeur", max_length=200)
    bank_reference = models.CharField("référence bancaire", max_length=140, blank=True)
    recorded_by = models.ForeignKey(
        "ganapati.User", on_delete=models.PROTECT, related_name="+", verbose_name="saisi par"
    )
    recorded_at = models.DateTimeField("saisi le", auto_now_add=True)

    class Meta:
        verbose_name = "paiement"
        verbose_name_plural = "paiements"
        ordering = ["-paid_on", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_positive"),
            models.CheckConstraint(condition=Q(amount__lte=MAX_PAYMENT), name="payment_bounded"),
        ]

    def __str__(self):
        return f"{euros(self.amount)} le {self.paid_on:%d/%m/%Y} ({self.invoice})"


class PayoutBatch(models.Model):
    """One SEPA credit transfer file (pain.001) paying several trainers."""

    created_by = models.ForeignKey("ganapati.User", on_delete=models.PROTECT, related_name="+",
                                   verbose_name="créé par")  # fmt: skip
    created_at = models.DateTimeField("créé le", auto_now_add=True)
    sepa_file = models.FileField("fichier SEPA (pain.001)", upload_to="sepa/%Y/")
    total = models.DecimalField("total (€)", max_digits=12, decimal_places=2)
    sent_at = models.DateTimeField("envoyé à la banque le", null=True, blank=True)

    class Meta:
        verbose_name = "lot de virements"
        verbose_name_plural = "lots de virements (SEPA)"
        ordering = ["-created_at"]

    def __str__(self):
        return (
            f"Lot {self.pk} du {timezone.localtime(self.created_at):%d/%m/%Y} — {euros(self.total)}"
        )


class Payout(models.Model):
    """The trainer's share of a paid session: what was collected minus the commission."""

    class Status(models.TextChoices):
        READY = "ready", "À verser"
        ON_HOLD = "on_hold", "Suspendu (un avoir a changé l'encaissé)"
        BATCHED = "batched", "Dans un lot SEPA"
        PAID = "paid", "Versé"

    session = models.OneToOneField("training_sessions.TrainingSession", on_delete=models.PROTECT,
                                   related_name="payout", verbose_name="session")  # fmt: skip
    trainer = models.ForeignKey("ganapati.User", on_delete=models.PROTECT, related_name="payouts",
                                verbose_name="formateur")  # fmt: skip
    collected = models.DecimalField("encaissé (€)", max_digits=12, decimal_places=2)
    commission_rate = models.DecimalField("commission (%)", max_digits=5, decimal_places=2)
    commission = models.DecimalField("commission (€)", max_digits=12, decimal_places=2)
    amount = models.DecimalField("à verser (€)", max_digits=12, decimal_places=2)
    status = models.CharField("statut", max_length=10, choices=Status.choices,
                              default=Status.READY, db_index=True)  # fmt: skip
    trainer_invoice = models.FileField("facture du formateur", upload_to="factures-formateurs/%Y/",
                                       blank=True)  # fmt: skip
    trainer_invoice_name = models.CharField("nom du fichier", max_length=200, blank=True)
    # The number the trainer gave their own invoice (sent with the transfer).
    trainer_invoice_number = models.CharField("n° de la facture du formateur", max_length=35,
                                              blank=True)  # fmt: skip
    # Under the self-billing mandate: the number is given in the transaction, the PDF after.
    self_invoice_number = models.CharField("n° d'autofacture", max_length=20, blank=True)
    self_invoice_attempts = models.PositiveSmallIntegerField(
        "tentatives de génération de l'autofacture", default=0
    )
    batch = models.ForeignKey(PayoutBatch, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="payouts", verbose_name="lot")  # fmt: skip
    created_at = models.DateTimeField("créé le", auto_now_add=True)
    paid_at = models.DateTimeField("versé le", null=True, blank=True)

    class Meta:
        verbose_name = "versement au formateur"
        verbose_name_plural = "versements aux formateurs"
        ordering = ["-created_at"]
        constraints = [
            # Exact on PostgreSQL (numeric); within half a cent where SQLite computes in floats.
            models.CheckConstraint(
                condition=Q(
                    amount__gt=models.F("collected") - models.F("commission") - HALF_CENT,
                    amount__lt=models.F("collected") - models.F("commission") + HALF_CENT,
                ),
                name="payout_amount_is_collected_minus_commission",
            ),  # fmt: skip
            models.CheckConstraint(
                condition=~Q(status="paid") | Q(paid_at__isnull=False), name="payout_paid_has_date"
            ),  # fmt: skip
            models.CheckConstraint(
                condition=Q(
                    collected__gte=0,
                    commission__gte=0,
                    amount__gte=0,
                    commission_rate__gte=0,
                    commission_rate__lte=100,
                ),
                name="payout_amounts_sane",
            ),  # fmt: skip
        ]

    def __str__(self):
        return f"Versement {self.session.reference} — {euros(self.amount)}"

    @property
    def reference(self) -> str:
        """The payout's reference, sent as the transfer's EndToEndId (35 characters at most)."""
        return f"VERS-{self.pk:06d}"

    @property
    def invoice_number(self) -> str:
        """The number of the invoice this payout pays: drawn up under the mandate, or given by
        the trainer with their own."""
        return self.self_invoice_number or self.trainer_invoice_number


class AuditExportJob(models.Model):
    """A large audit export, built by a worker; staff follow its progress and download it."""

    class Status(models.TextChoices):
        PENDING = "pending", "En attente"
        RUNNING = "running", "En cours"
        DONE = "done", "Prêt"
        FAILED = "failed", "Échec"

    requested_by = models.ForeignKey("ganapati.User", on_delete=models.PROTECT, related_name="+",
                                     verbose_name="demandé par")  # fmt: skip
    session_ids = models.JSONField("sessions", default=list)
    status = models.CharField("statut", max_length=10, choices=Status.choices,
                              default=Status.PENDING)  # fmt: skip
    done = models.PositiveIntegerField("sessions traitées", default=0)
    file = models.FileField("ZIP", upload_to="exports/", blank=True)
    error = models.TextField("erreur", blank=True)
    attempts = models.PositiveSmallIntegerField("tentatives", default=0)
    created_at = models.DateTimeField("demandé le", auto_now_add=True)
    queued_at = models.DateTimeField("mis en file le", default=timezone.now)
    started_at = models.DateTimeField("commencé le", null=True, blank=True)
    finished_at = models.DateTimeField("terminé le", null=True, blank=True)

    class Meta:
        verbose_name = "export d'audit"
        verbose_name_plural = "exports d'audit (ZIP)"
        ordering = ["-created_at"]

    def __str__(self):
        return f"Export d'audit {self.pk} ({len(self.session_ids)} sessions)"

    @property
    def progress(self) -> str:
        return f"{self.done}/{len(self.session_ids)}"


class BpfReport(models.Model):
    """The BPF (bilan pédagogique et financier, cerfa 10443) of one financial year.

    While a draft, it is computed again on demand from the data (`billing/bpf.py`). Once filed,
    staff lock it: its figures are frozen as JSON with their SHA-256, and a later change to
    that year's data (an invoice, an attendance) is flagged, never silently applied."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Brouillon"
        LOCKED = "locked", "Verrouillé (déposé)"

    year = models.PositiveSmallIntegerField("exercice (année de clôture)", unique=True)
    period_start = models.DateField("début de l'exercice")
    period_end = models.DateField("fin de l'exercice")
    form_version = models.CharField("formulaire", max_length=12)
    status = models.CharField("statut", max_length=10, choices=Status.choices,
                              default=Status.DRAFT)  # fmt: skip
    figures = models.JSONField("chiffres", default=dict)
    sha256 = models.CharField("SHA-256 des chiffres", max_length=64, blank=True)
    computed_at = models.DateTimeField("calculé le", null=True, blank=True)
    locked_at = models.DateTimeField("verrouillé le", null=True, blank=True)
    locked_by = models.ForeignKey(
        "ganapati.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name="verrouillé par",
    )  # fmt: skip
    # Set when the data behind a locked year no longer gives the frozen figures.
    changed_after_lock = models.BooleanField("données modifiées après verrouillage",
                                             default=False)  # fmt: skip
    changes = models.JSONField("écarts constatés après verrouillage", default=list, blank=True)
    changes_checked_at = models.DateTimeField("écarts vérifiés le", null=True, blank=True)

    class Meta:
        verbose_name = "bilan pédagogique et financier"
        verbose_name_plural = "bilans pédagogiques et financiers"
        ordering = ["-year"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="draft") | Q(locked_at__isnull=False) & ~Q(sha256=""),
                name="bpfreport_locked_has_hash",
            ),
            models.CheckConstraint(
                condition=Q(period_start__lt=models.F("period_end")),
                name="bpfreport_period_ordered",
            ),  # fmt: skip
        ]

    def __str__(self):
        return f"BPF {self.year}"
