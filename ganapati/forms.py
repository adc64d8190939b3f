from django import forms
from django.contrib.auth import forms as auth_forms

from .fields import FrenchDecimalField
from .models import TrainerProfile, TrainerQualification, User
from .services import user_password_reset_request


class LoginForm(auth_forms.AuthenticationForm):
    username = forms.EmailField(
        label="Adresse e-mail",
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )
    error_messages = {
        # One message for both cases: never tell which of the two fields was wrong.
        "invalid_login": "Adresse e-mail ou mot de passe incorrect.",
        "inactive": "Ce compte est désactivé. Contactez l'organisme de formation.",
    }

    def clean_username(self):
        return self.cleaned_data["username"].strip().lower()


class PasswordResetForm(auth_forms.PasswordResetForm):
    email = forms.EmailField(
        label="Adresse e-mail",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    def get_users(self, email):
        # Unlike Django's default, include invited accounts that never chose a password:
        # "mot de passe oublié" is also how they recover a lost invitation.
        return User.objects.filter(email__iexact=email.strip(), is_active=True)

    def save(self, *args, **kwargs):
        # Through the outbox (one row per request), and with links built on SITE_URL rather
        # than on the request's Host header.
        for user in self.get_users(self.cleaned_data["email"]):
            user_password_reset_request(user=user)


class IdentityForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["first_name", "last_name", "phone"]
        widgets = {"phone": forms.TextInput(attrs={"type": "tel", "inputmode": "tel",
                                                   "autocomplete": "tel"})}  # fmt: skip


class TrainerProfileForm(forms.ModelForm):
    class Meta:
        model = TrainerProfile
        fields = ["trade_name", "siret", "address", "postal_code", "city", "vat_regime",
                  "vat_rate", "vat_number", "iban", "bic", "nda"]  # fmt: skip
        field_classes = {"vat_rate": FrenchDecimalField}
        widgets = {
            "iban": forms.TextInput(
                attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"}
            ),  # fmt: skip
            "siret": forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
            "bic": forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        }


class UserAddForm(forms.ModelForm):
    """Staff create an account without a password: the person chooses it from the invitation."""

    class Meta:
        model = User
        fields = ["email", "first_name", "last_name", "phone", "role", "company"]


class MemberInviteForm(forms.Form):
    first_name = forms.CharField(label="Prénom", max_length=150)
    last_name = forms.CharField(label="Nom", max_length=150)
    email = forms.EmailField(
        label="E-mail professionnel",
        widget=forms.EmailInput(attrs={"autocomplete": "off", "inputmode": "email"}),
    )


class QualificationForm(forms.Form):
    """A CV, diploma or certification the trainer adds to their profile (Qualiopi 21–22)."""

    kind = forms.ChoiceField(label="Type", choices=TrainerQualification.Kind.choices)
    title = forms.CharField(label="Intitulé", max_length=200,
                            help_text="Par exemple « CV 2026 » ou « Master RH ».")  # fmt: skip
    details = forms.CharField(
        label="Détails (organisme, contenu, durée)", required=False, max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )  # fmt: skip
    obtained_on = forms.DateField(label="Obtenu le", required=False)
    expires_on = forms.DateField(label="Expire le", required=False,
                                 help_text="Pour une certification à durée limitée.")  # fmt: skip
    file = forms.FileField(label="Justificatif (PDF, 10 Mo au plus)", required=False,
                           widget=forms.FileInput(attrs={"accept": "application/pdf"}))  # fmt: skip
