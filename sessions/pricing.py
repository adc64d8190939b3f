"""What a session costs, computed once so that every document shows the same amounts."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


@dataclass(frozen=True)
class Amounts:
    unit_price: Decimal
    quantity: int
    basis: str
    total_excl_tax: Decimal
    vat_exempt: bool
    vat_rate: Decimal | None
    vat_amount: Decimal
    total_incl_tax: Decimal


def session_amounts(session, organisation) -> Amounts:
    """Per session: one unit; per trainee: one unit per enrolled trainee.

    VAT is computed on the total excluding tax and rounded half-up to the cent, once.
    """
    unit = Decimal(str(session.price_excl_tax or 0)).quantize(CENT)
    quantity = 1 if session.price_basis == "per_session" else len(session.trainees.all())
    total = (unit * quantity).quantize(CENT)
    exempt = organisation is None or organisation.vat_exempt
    rate = None if exempt else organisation.vat_rate
    vat = Decimal("0.00") if exempt else (total * rate / 100).quantize(CENT, ROUND_HALF_UP)
    return Amounts(unit, quantity, session.price_basis, total, exempt, rate, vat, total + vat)
