"""Model fields that store identifiers in their compact form and validate them.

Typing "732 829 320 00074" or "fr76 3000 ..." is normal for a person; the database keeps the
compact form, so that comparisons, uniqueness and documents see one spelling.
"""

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

    def formfield(self, **kwargs):
        kwargs.setdefault("max_length", self.max_length + self.input_slack)
        kwargs.setdefault("form_class", CompactFormField)
        kwargs.setdefault("compact", self.compact)
        kwargs.setdefault("validators", list(self.default_validators))
        return super().formfield(**kwargs)


class SiretField(_CompactCharField):
    default_max_length = 14
    compact = staticmethod(validators.compact_siret)
    default_validators = [validators.validate_siret]


class IbanField(_CompactCharField):
    default_max_length = 34
    compact = staticmethod(validators.compact_iban)
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
