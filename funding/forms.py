from decimal import Decimal

from django import forms

from ganapati.fields import DurationMinutesFormField, FrenchDecimalField

from .models import FundingRequest


class PecUploadForm(forms.Form):
    file = forms.FileField(
        label="Accord de prise en charge (PDF, 10 Mo au plus)",
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,.pdf"}),
    )
    decision = forms.ChoiceField(
        label="Décision du financeur", choices=FundingRequest.Decision.choices,
        widget=forms.RadioSelect,
    )  # fmt: skip
    file_number = forms.CharField(label="N° de dossier du financeur", max_length=80)
    amount_granted = FrenchDecimalField(
        label="Montant accordé HT (€)", required=False, min_value=0, max_digits=10,
        decimal_places=2, help_text="Laissez vide en cas de refus.",
    )  # fmt: skip
    minutes_granted = DurationMinutesFormField(
        label="Durée accordée (heures)", required=False, min_value=0, max_value=60 * 24 * 60,
        help_text="Par exemple « 14 h » ou « 10 h 30 ».",
    )  # fmt: skip
    subrogation = forms.BooleanField(
        label="Le financeur paie directement l'organisme (subrogation de paiement)",
        required=False,
    )
    valid_from = forms.DateField(
        label="Accord valable du", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    valid_until = forms.DateField(
        label="au", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self):
        data = super().clean()
        start, end = data.get("valid_from"), data.get("valid_until")
        if start and end and end < start:
            self.add_error("valid_until", "La fin de validité précède son début.")
        return data


class ClientCancelForm(forms.Form):
    reason = forms.CharField(
        label="Pourquoi annulez-vous ?", widget=forms.Textarea(attrs={"rows": 2})
    )


class PecDecisionForm(forms.Form):
    """What staff retain from the PDF before validating, prefilled with what the auto-check read."""

    file_number = forms.CharField(label="N° de dossier du financeur", max_length=80)
    amount_granted = FrenchDecimalField(
        label="Montant accordé HT (€)", min_value=0, max_digits=10, decimal_places=2,
        required=False,
    )  # fmt: skip
    minutes_granted = DurationMinutesFormField(
        label="Durée accordée (heures)", required=False, min_value=0, max_value=60 * 24 * 60
    )
    subrogation = forms.BooleanField(label="Subrogation de paiement", required=False)
    valid_from = forms.DateField(
        label="Valable du", required=False,
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
    )  # fmt: skip
    valid_until = forms.DateField(
        label="au", required=False,
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
    )  # fmt: skip

    def values(self) -> dict:
        data = dict(self.cleaned_data)
        data["amount_granted"] = data.get("amount_granted") or Decimal("0")
        data["minutes_granted"] = data.get("minutes_granted") or 0
        return data
