from datetime import time

from django import forms
from django.forms import formset_factory

from ganapati.fields import FrenchDecimalField, SiretField
from ganapati.models import Funder
from ganapati.validators import validate_idcc, validate_naf

from .models import MAX_DAYS, FundingMode, Programme, TrainingSession


def modules_to_text(modules: list[dict]) -> str:
    blocks = []
    for module in modules or []:
        block = module.get("title", "")
        if module.get("details"):
            block += "\n" + module["details"]
        blocks.append(block)
    return "\n\n".join(blocks)


def text_to_modules(text: str) -> list[dict]:
    """One module per paragraph: its first line is the title, the next lines its content."""
    modules = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        lines = [line.strip() for line in block.strip().split("\n") if line.strip()]
        if lines:
            modules.append({"title": lines[0], "details": "\n".join(lines[1:])})
    return modules


class TrainingForm(forms.ModelForm):
    modules_text = forms.CharField(
        label="Contenu, module par module",
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text="Un paragraphe par module ou séquence, dans l'ordre : la première ligne est le "
        "titre du module, les lignes suivantes son contenu. Laissez une ligne vide entre deux "
        "modules.",
    )

    class Meta:
        model = TrainingSession
        fields = [
            "title", "objectives", "audience", "prerequisites", "methods", "assessment",
            "duration_minutes", "format", "location", "access_terms", "accessibility",
            "accessibility_contact",
        ]  # fmt: skip
        widgets = {
            name: forms.Textarea(attrs={"rows": 3})
            for name in [
                "objectives",
                "audience",
                "prerequisites",
                "methods",
                "assessment",
                "location",
                "access_terms",
                "accessibility",
            ]  # fmt: skip
        }

    field_order = [
        "title", "objectives", "audience", "prerequisites", "modules_text", "methods",
        "assessment", "duration_minutes", "format", "location", "access_terms", "accessibility",
        "accessibility_contact",
    ]  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance and self.instance.modules and not self.is_bound:
            self.initial["modules_text"] = modules_to_text(self.instance.modules)

    def values(self) -> dict:
        values = {name: self.cleaned_data[name] for name in self.Meta.fields}
        values["modules"] = text_to_modules(self.cleaned_data["modules_text"])
        return values


class DayForm(forms.Form):
    # <input type=date/time> only understands ISO values: render them so, or the browser shows the
    # saved day empty and a re-save loses it.
    date = forms.DateField(
        label="Date", widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
    )
    morning_start = forms.TimeField(
        label="Matin : début",
        required=False,
        widget=forms.TimeInput(format="%H:%M", attrs={"type": "time"}),
    )
    morning_end = forms.TimeField(
        label="Matin : fin",
        required=False,
        widget=forms.TimeInput(format="%H:%M", attrs={"type": "time"}),
    )
    afternoon_start = forms.TimeField(
        label="Après-midi : début",
        required=False,
        widget=forms.TimeInput(format="%H:%M", attrs={"type": "time"}),
    )
    afternoon_end = forms.TimeField(
        label="Après-midi : fin",
        required=False,
        widget=forms.TimeInput(format="%H:%M", attrs={"type": "time"}),
    )

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        ms, me = data.get("morning_start"), data.get("morning_end")
        as_, ae = data.get("afternoon_start"), data.get("afternoon_end")
        for label, start, end in (("matin", ms, me), ("après-midi", as_, ae)):
            if bool(start) != bool(end):
                raise forms.ValidationError(
                    f"Indiquez le début et la fin du créneau du {label}, ou aucun des deux."
                )
            if start and end and end <= start:
                raise forms.ValidationError(
                    f"Le créneau du {label} finit avant de commencer ({start:%H:%M} – {end:%H:%M})."
                )
        if not ms and not as_:
            raise forms.ValidationError("Indiquez au moins un créneau (matin ou après-midi).")
        if ms and as_ and me > as_:
            raise forms.ValidationError(
                "Le créneau du matin doit finir avant celui de l'après-midi."
            )
        if ms and ms >= time(13, 0):
            raise forms.ValidationError("Le créneau du matin doit commencer avant 13 h.")
        if as_ and as_ < time(11, 0):
            raise forms.ValidationError("Le créneau de l'après-midi doit commencer après 11 h.")
        return data


DayFormSet = formset_factory(
    DayForm, extra=0, min_num=1, validate_min=True, max_num=MAX_DAYS, validate_max=True,
    absolute_max=MAX_DAYS,
)  # fmt: skip


class PriceForm(forms.ModelForm):
    class Meta:
        model = TrainingSession
        fields = ["price_excl_tax", "price_basis", "trainees_min", "trainees_max"]
        field_classes = {"price_excl_tax": FrenchDecimalField}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["price_excl_tax"].required = True

    def clean(self):
        data = super().clean()
        low, high = data.get("trainees_min"), data.get("trainees_max")
        if low and high and low > high:
            self.add_error("trainees_max", "Le maximum doit être au moins égal au minimum.")
        return data


class ClientForm(forms.Form):
    revision = forms.IntegerField(widget=forms.HiddenInput, required=False)
    # The company
    legal_name = forms.CharField(
        label="Raison sociale", max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )  # fmt: skip
    siret = SiretField("SIRET").formfield(
        help_text="14 chiffres, sur l'avis de situation Insee ou un extrait Kbis."
    )
    address = forms.CharField(
        label="Adresse", max_length=250,
        widget=forms.TextInput(attrs={"autocomplete": "street-address"}),
    )  # fmt: skip
    postal_code = forms.RegexField(
        label="Code postal",
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "postal-code"}),
        regex=r"^\d{5}$",
        error_messages={"invalid": "Le code postal compte 5 chiffres."},
    )
    city = forms.CharField(
        label="Ville", max_length=120,
        widget=forms.TextInput(attrs={"autocomplete": "address-level2"}),
    )  # fmt: skip
    naf_code = forms.CharField(
        label="Code NAF",
        max_length=6,
        required=False,
        validators=[validate_naf],
        help_text="Ex. 10.71C (facultatif).",
    )
    idcc = forms.CharField(
        label="IDCC de la convention collective",
        max_length=4,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
        validators=[validate_idcc],
        help_text="Indiqué sur les bulletins de paie ; il détermine l'OPCO (facultatif).",
    )
    employee_count = forms.IntegerField(label="Nombre de salariés", min_value=0, required=False)
    # Funding
    funding_mode = forms.ChoiceField(
        label="Financement de la formation",
        choices=FundingMode.choices,
        widget=forms.RadioSelect,
    )
    funder = forms.ModelChoiceField(
        label="OPCO de l'entreprise",
        queryset=Funder.objects.filter(kind=Funder.Kind.OPCO, active=True),
        required=False,
        empty_label="— choisir l'OPCO —",
        help_text="L'OPCO dépend de la convention collective de l'entreprise (IDCC). "
        '<a href="/trouver-mon-opco/" target="_blank" rel="noopener">Trouver mon OPCO</a> '
        "(s'ouvre dans un nouvel onglet).",
    )
    # The contact person
    contact_first_name = forms.CharField(
        label="Prénom du contact", max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
    )  # fmt: skip
    contact_last_name = forms.CharField(
        label="Nom du contact", max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "family-name"}),
    )  # fmt: skip
    contact_email = forms.EmailField(
        label="E-mail du contact",
        widget=forms.EmailInput(attrs={"autocomplete": "email", "inputmode": "email"}),
    )
    contact_phone = forms.CharField(
        label="Téléphone du contact", max_length=30,
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel", "autocomplete": "tel"}),
    )  # fmt: skip
    contact_job_title = forms.CharField(label="Fonction du contact", max_length=150)

    def clean_naf_code(self):
        return self.cleaned_data["naf_code"].upper()

    def clean(self):
        data = super().clean()
        mode = data.get("funding_mode")
        if mode in (FundingMode.OPCO_SUBROGATION, FundingMode.OPCO_DIRECT) and not data.get(
            "funder"
        ):
            self.add_error("funder", "Choisissez l'OPCO de l'entreprise.")
        return data

    def company_values(self) -> dict:
        d = self.cleaned_data
        return {
            "legal_name": d["legal_name"], "siret": d["siret"], "address": d["address"],
            "postal_code": d["postal_code"], "city": d["city"], "naf_code": d["naf_code"],
            "idcc": d["idcc"], "employee_count": d["employee_count"],
        }  # fmt: skip

    def contact_values(self) -> dict:
        d = self.cleaned_data
        return {
            "first_name": d["contact_first_name"], "last_name": d["contact_last_name"],
            "email": d["contact_email"], "phone": d["contact_phone"],
            "job_title": d["contact_job_title"],
        }  # fmt: skip

    @classmethod
    def initial_for(cls, session: TrainingSession) -> dict:
        """What was typed on this session's form, and nothing else: the form never shows a
        company's record or an account's details (the link may be in anyone's hands)."""
        initial: dict = {"revision": session.revision}
        typed = session.client_submission or {}
        initial.update(typed.get("company") or {})
        contact = typed.get("contact") or {}
        initial.update({f"contact_{k}": v for k, v in contact.items()})
        if session.funding_mode:
            initial.update(funding_mode=session.funding_mode, funder=session.funder_id)
        return initial


class TraineeForm(forms.Form):
    first_name = forms.CharField(label="Prénom", max_length=150)
    last_name = forms.CharField(label="Nom", max_length=150)
    email = forms.EmailField(label="E-mail")
    job_title = forms.CharField(label="Fonction", max_length=150, required=False)


class BaseTraineeFormSet(forms.BaseFormSet):
    def clean(self):
        if any(self.errors):
            return
        emails = [f.cleaned_data["email"].lower() for f in self.forms if f.cleaned_data]
        if len(set(emails)) != len(emails):
            raise forms.ValidationError("Deux stagiaires ont la même adresse e-mail.")
        if not emails:
            raise forms.ValidationError("Indiquez au moins un stagiaire.")

    def values(self) -> list[dict]:
        return [f.cleaned_data for f in self.forms if f.cleaned_data]


def trainee_formset(session: TrainingSession, data=None):
    """As many rows as the session has places; empty rows are ignored."""
    initial = [
        {"first_name": t.first_name, "last_name": t.last_name, "email": t.email,
         "job_title": t.job_title}
        for t in session.trainees.all()
    ]  # fmt: skip
    formset_class = formset_factory(
        TraineeForm,
        formset=BaseTraineeFormSet,
        # One empty row to start with; "Ajouter un stagiaire" adds more, up to the places.
        extra=1 if len(initial) < session.trainees_max else 0,
        max_num=session.trainees_max,
        validate_max=True,
    )
    if data is not None:
        # Bound: every row typed counts, even one identical to what was saved (with initial
        # values, Django would skip such "unchanged" extra rows).
        return formset_class(data=data, prefix="stagiaires")
    return formset_class(initial=initial, prefix="stagiaires")


class SendLinkForm(forms.Form):
    email = forms.EmailField(label="E-mail du client")


class CancelForm(forms.Form):
    reason = forms.CharField(
        label="Motif de l'annulation", widget=forms.Textarea(attrs={"rows": 3})
    )


class NewSessionForm(forms.Form):
    programme = forms.ModelChoiceField(
        label="Partir d'un de mes programmes", queryset=Programme.objects.none()
    )

    def __init__(self, *args, trainer=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["programme"].queryset = Programme.objects.filter(trainer=trainer)
