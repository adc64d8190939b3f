"""Validators for French identifiers and bank details, built on python-stdnum.

python-stdnum knows the check digits and the exceptions (La Poste's SIRETs, IBAN lengths per
country) better than anything we would write by hand. Every message is in French.
"""

import re

from django.core.exceptions import ValidationError
from stdnum import bic as stdnum_bic
from stdnum import iban as stdnum_iban
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.fr import siret as stdnum_siret


def compact_siret(value: str) -> str:
    return stdnum_siret.compact(value or "")


def validate_siret(value: str) -> None:
    try:
        stdnum_siret.validate(value)
    except StdnumError as exc:
        raise ValidationError(
            "Ce numéro SIRET n'est pas valide : il doit compter 14 chiffres et sa clé de contrôle "
            "doit être juste (vérifiez-le sur l'avis de situation Insee ou un extrait Kbis).",
            code="invalid_siret",
        ) from exc


def compact_iban(value: str) -> str:
    return stdnum_iban.compact(value or "")


def validate_iban(value: str) -> None:
    try:
        stdnum_iban.validate(value)
    except StdnumError as exc:
        raise ValidationError(
            "Cet IBAN n'est pas valide : vérifiez les lettres du pays, la clé et la longueur "
            "(27 caractères pour un IBAN français).",
            code="invalid_iban",
        ) from exc


def compact_bic(value: str) -> str:
    return stdnum_bic.compact(value or "")


def validate_bic(value: str) -> None:
    try:
        stdnum_bic.validate(value)
    except StdnumError as exc:
        raise ValidationError(
            "Ce BIC n'est pas valide : 8 ou 11 caractères (ex. BNPAFRPPXXX).",
            code="invalid_bic",
        ) from exc


NDA_RE = re.compile(r"^\d{11}$")


def compact_nda(value: str) -> str:
    return re.sub(r"\s", "", value or "")


def validate_nda(value: str) -> None:
    """Numéro de déclaration d'activité: 11 digits, the first two being the region's code."""
    if not NDA_RE.match(value or ""):
        raise ValidationError(
            "Le numéro de déclaration d'activité compte 11 chiffres (ex. 11 75 12345 75).",
            code="invalid_nda",
        )


NAF_RE = re.compile(r"^\d{2}\.?\d{2}[A-Z]$")


def validate_naf(value: str) -> None:
    if not NAF_RE.match((value or "").upper()):
        raise ValidationError(
            "Le code NAF s'écrit avec 4 chiffres et une lettre (ex. 85.59A).", code="invalid_naf"
        )


def validate_idcc(value: str) -> None:
    if not re.fullmatch(r"\d{1,4}", value or ""):
        raise ValidationError(
            "L'IDCC est un numéro de 1 à 4 chiffres, indiqué sur les bulletins de paie.",
            code="invalid_idcc",
        )


def compact_siren(value: str) -> str:
    from stdnum.fr import siren as stdnum_siren

    return stdnum_siren.compact(value or "")


def validate_siren(value: str) -> None:
    from stdnum.fr import siren as stdnum_siren

    try:
        stdnum_siren.validate(value)
    except StdnumError as exc:
        raise ValidationError(
            "Ce numéro SIREN n'est pas valide : 9 chiffres dont le dernier est une clé de "
            "contrôle (les 9 premiers chiffres du SIRET).",
            code="invalid_siren",
        ) from exc


def compact_vat(value: str) -> str:
    """ "fr 44 732 829 320" → "FR44732829320" (stdnum's compact would drop the FR)."""
    return re.sub(r"[\s.\-]", "", value or "").upper()


def validate_fr_vat(value: str) -> None:
    """A French intra-community VAT number: FR, a 2-character key, the SIREN."""
    from stdnum.fr import tva

    try:
        tva.validate(value)
    except StdnumError as exc:
        raise ValidationError(
            "Ce numéro de TVA intracommunautaire n'est pas valide : FR, une clé de 2 caractères "
            "puis le SIREN (ex. FR 40 303 265 045).",
            code="invalid_vat",
        ) from exc
    if not value.startswith("FR"):
        raise ValidationError(
            "Indiquez le numéro de TVA avec son préfixe FR (ex. FR 40 303 265 045).",
            code="invalid_vat",
        )


# The French rules (BR-FR-23) allow only these characters in an electronic invoicing address.
EINVOICE_ADDRESS_RE = re.compile(r"^[A-Za-z0-9+\-_.]{1,125}$")


def validate_einvoice_address(value: str) -> None:
    if not EINVOICE_ADDRESS_RE.match(value or ""):
        raise ValidationError(
            "L'adresse de facturation électronique ne contient que des lettres, des chiffres et "
            "les signes + - _ . (125 caractères au plus), par exemple le SIREN suivi d'un "
            "suffixe : 732829320_FACTURES.",
            code="invalid_einvoice_address",
        )
