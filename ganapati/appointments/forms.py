from django import forms
from django.core.validators import RegexValidator

from ..models import Appointment
from .slots import parse_slot

SLOT_INVALID = "Créneau invalide : choisissez-en un dans la liste."


class SlotField(forms.CharField):
    """The chosen slot ("2026-10-26T08:00Z", rendered as radio buttons by the template)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 40)
        kwargs.setdefault("error_messages", {"required": "Choisissez un créneau dans la liste."})
        super().__init__(**kwargs)

    def clean(self, value):
        value = super().clean(value)
        start = parse_slot(value)
        if start is None:
            raise forms.ValidationError(SLOT_INVALID)
        return start


class SlotForm(forms.Form):
    slot = SlotField(label="Créneau")


class BookingForm(SlotForm):
    name = forms.CharField(
        label="Nom et prénom",
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    email = forms.EmailField(
        label="Adresse e-mail",
        max_length=254,
        help_text="La confirmation et l'invitation pour votre agenda y sont envoyées.",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        error_messages={"invalid": "Saisissez une adresse e-mail valide (ex. nom@exemple.fr)."},
    )
    phone = forms.CharField(
        label="Téléphone",
        max_length=30,
        required=False,
        help_text="Facultatif : le conseiller vous appelle à ce numéro.",
        validators=[
            RegexValidator(
                r"^\+?[0-9][0-9 .()-]{5,28}$",
                "Numéro de téléphone invalide : des chiffres, espaces ou points (ex. 06 12 34 "
                "56 78).",
            )
        ],
        widget=forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}),
    )
    topic = forms.ChoiceField(label="Sujet", choices=Appointment.Topic.choices)
    message = forms.CharField(
        label="Précisions",
        max_length=1000,
        required=False,
        help_text="Facultatif, 1 000 caractères au plus : votre question, votre OPCO…",
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    consent = forms.BooleanField(
        label="J'accepte que l'organisme me contacte pour ce rendez-vous.",
        error_messages={"required": "Cochez cette case : sans elle, le conseiller ne peut pas "
                        "vous contacter."},
    )  # fmt: skip

    def __init__(self, *args, retention_months: int = 6, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["consent"].help_text = (
            f"Vos coordonnées servent uniquement à ce rendez-vous et sont anonymisées "
            f"{retention_months} mois après."
        )
