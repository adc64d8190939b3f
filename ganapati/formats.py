"""French formatting of numbers, money and elisions, shared by templates, e-mails and messages.

One place so that every page, e-mail and error message writes 1 785,00 € (narrow no-break space as
thousands separator, comma as decimal mark) and "d'Acme" rather than "de Acme".
"""

from decimal import Decimal, InvalidOperation

NARROW_NBSP = "\u202f"
_VOWELS = "aeiouàâäéèêëîïôöûüAEIOUÀÂÄÉÈÊËÎÏÔÖÛÜ"
# Names starting with "h" take "de" (h aspiré) except these usual "h muet" words.
_H_MUET = ("hôtel", "hotel", "hôpital", "hopital", "habitat", "humain", "horizon")


def _decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value).replace(",", ".").replace(" ", "").replace(NARROW_NBSP, ""))
    except InvalidOperation:
        return None


def number_fr(value, decimals: int | None = None) -> str:
    """1785.5 → "1 785,5"; with decimals=2 → "1 785,50". Integers stay integers ("1 700")."""
    amount = _decimal(value)
    if amount is None:
        return "—"
    if decimals is None:
        decimals = (
            0
            if amount == amount.to_integral_value()
            else max(0, -amount.normalize().as_tuple().exponent)
        )
    amount = (
        amount.quantize(Decimal(1).scaleb(-decimals)) if decimals else amount.quantize(Decimal(1))
    )
    sign = "-" if amount < 0 else ""
    text = f"{abs(amount):,.{decimals}f}"
    whole, _, cents = text.partition(".")
    whole = whole.replace(",", NARROW_NBSP)
    return f"{sign}{whole},{cents}" if cents else f"{sign}{whole}"


def euros(value) -> str:
    """Decimal money the French way: 1 785,00 €."""
    amount = _decimal(value)
    if amount is None:
        return "—"
    return f"{number_fr(amount, 2)} €"


def de(name) -> str:
    """The preposition "de" before a name, elided: "d'Acme", "d'OPCO ATLAS", "de Constructys"."""
    text = str(name or "").strip()
    if text and (text[0] in _VOWELS or text.lower().startswith(_H_MUET)):
        return f"d'{text}"
    return f"de {text}"
