"""Model fields that store identifiers in their compact form and validate them.

Typing "732 829 320 00074" or "fr76 3000 ..." is normal for a person; the database keeps the
compact form, so that comparisons, uniqueness and documents see one spelling.
"""

import re
from decimal import Decimal

from django import forms
from django.db import models

from . import validators


class CompactFormField(forms.CharField):
    """A form field that compacts what was typed, then validates the compact form."""

    def __init__(self, *, compact, **kwargs):
        self.compact = compact
        super().__init__(**kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        return self.compact(value) if value else value


class FrenchDecimalField(forms.DecimalField):
    """Accepts what a French user types: "2 800,50", "2800.50", "2 800 €"."""

    def __init__(self, **kwargs):
        kwargs.setdefault("localize", True)
        super().__init__(**kwargs)

    def to_python(self, value):
        if isinstance(value, str):
            for char in (" ", "\u00a0", "\u202f", "€", "h"):
                value = value.replace(char, "")
            value = value.replace(",", ".")
        return super().to_python(value)


_DURATION = re.compile(
    r"^(?P<h>\d{1,4})(?:[.,](?P<frac>\d{1,2}))?\s*(?:h(?:eures?)?\s*(?P<m>\d{1,2})?\s*(?:min)?)?$"
)


def parse_minutes(text: str) -> int | None:
    """What a French user types for a duration, in integer minutes: "14", "14 h", "3 h 20",
    "3h20", "3,5" (3 h 30), "7,25 h" (7 h 15). None when it is not a duration."""
    text = " ".join(str(text).lower().replace("\u00a0", " ").replace("\u202f", " ").split())
    match = _DURATION.match(text)
    if not match:
        return None
    hours = int(match["h"])
    if match["frac"] is not None:
        if match["m"] is not None:
            return None
        fraction = Decimal("0." + match["frac"]) * 60
        if fraction != fraction.to_integral_value():
            return None
        return hours * 60 + int(fraction)
    extra = int(match["m"]) if match["m"] is not None else 0
    if extra >= 60:
        return None
    return hours * 60 + extra


def format_minutes(value) -> str:
    """200 → "3 h 20", 420 → "7 h"."""
    if value is None or value == "":
        return ""
    whole, rest = divmod(int(value), 60)
    return f"{whole} h {rest:02d}" if rest else f"{whole} h"


class DurationMinutesFormField(forms.IntegerField):
    """A duration typed the French way ("3 h 20", "3,5", "14"), kept as integer minutes."""

    widget = forms.TextInput
    default_error_messages = {
        "invalid": "Indiquez une durée comme « 14 », « 14 h », « 3 h 20 » ou « 3,5 ».",
        "min_value": "La durée doit être d'au moins %(limit_value)s minutes.",
        "max_value": "La durée ne peut dépasser %(limit_value)s minutes.",
    }

    def prepare_value(self, value):
        if isinstance(value, int):
            return format_minutes(value)
        return value

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, int):
            return value
        minutes = parse_minutes(value)
        if minutes is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return minutes

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        attrs.pop("min", None)
        attrs.pop("max", None)
        attrs.pop("step", None)
        attrs.setdefault("inputmode", "decimal")
        attrs.setdefault("autocomplete", "off")
        return attrs


class DurationMinutesField(models.PositiveIntegerField):
    """A duration in integer minutes, typed and shown as "3 h 20"."""

    def formfield(self, **kwargs):
        kwargs.setdefault("form_class", DurationMinutesFormField)
        return super().formfield(**kwargs)


class _CompactCharField(models.CharField):
    compact = staticmethod(lambda value: value)
    default_validators: list = []
    # Room for the spaces and dashes a person types before compaction.
    input_slack = 12

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", self.default_max_length)
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        return self.compact(value) if value else value

    # Keyboard and autofill hints for the <input> (phones show a numeric keypad for a SIRET).
    widget_attrs: dict = {}

    def formfield(self, **kwargs):
        if self.widget_attrs and "widget" not in kwargs:
            from django import forms

            kwargs["widget"] = forms.TextInput(attrs=dict(self.widget_attrs))
        kwargs.setdefault("max_length", self.max_length + self.input_slack)
        kwargs.setdefault("form_class", CompactFormField)
        kwargs.setdefault("compact", self.compact)
        kwargs.setdefault("validators", list(self.default_validators))
        return super().formfield(**kwargs)


class SiretField(_CompactCharField):
    default_max_length = 14
    compact = staticmethod(validators.compact_siret)
    default_validators = [validators.validate_siret]
    widget_attrs = {"inputmode": "numeric", "autocomplete": "off", "spellcheck": "false"}


class IbanField(_CompactCharField):
    default_max_length = 34
    compact = staticmethod(validators.compact_iban)
    widget_attrs = {"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"}
    default_validators = [validators.validate_iban]


class BicField(_CompactCharField):
    default_max_length = 11
    compact = staticmethod(validators.compact_bic)
    default_validators = [validators.validate_bic]


class NdaField(_CompactCharField):
    default_max_length = 11
    compact = staticmethod(validators.compact_nda)
    default_validators = [validators.validate_nda]


class SirenField(_CompactCharField):
    default_max_length = 9
    compact = staticmethod(validators.compact_siren)
    default_validators = [validators.validate_siren]


class VatNumberField(_CompactCharField):
    """A French intra-community VAT number, kept as "FR44732829320"."""

    default_max_length = 13
    compact = staticmethod(validators.compact_vat)
    default_validators = [validators.validate_fr_vat]
