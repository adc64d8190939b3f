"""Who pays what for a session: the one computation every paper reads.

The convention, the client's commitment screen, the invoices, the trainer's payout and
dashboard and the audit export all take their amounts from here, so that they agree to the
cent. The rules, as written in the README and on the convention (article 5 and 6):

- **The price** is the session's total excluding tax, frozen at validation (per session, or
  per trainee × enrolled trainees).
- **What was done** is measured in trainee-minutes: realised minutes (from the attendance
  record) over planned minutes (the slots × the trainees). The price of what was done is the
  price prorated by that ratio; with no absence it is the price itself.
- **The funder** (an OPCO under subrogation, whose PEC was validated and not refused) pays the
  amount it granted prorated by the same ratio — never more than the amount granted.
- **The company** pays the rest of what was done: at most the remainder it signed for (price −
  amount granted), less in the same ratio when trainees were absent.
- **The dédit** (convention, article 6): for the hours not done, the company owes a dédit of
  `DEDIT_RATE` % of their price, invoiced on its own line. It is not training: no OPCO may pay
  it, and the line says so.
- Without subrogation (company-funded, refused PEC, or the company asks its OPCO to reimburse
  it), the company is invoiced for what was done, plus the dédit.

Each amount is rounded half-up to the cent once; the funder's share and the company's share of
what was done always add up exactly to the price of what was done.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
# Convention, article 6: the dédit is this share of the price of the hours not done.
DEDIT_RATE = Decimal("30")


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, ROUND_HALF_UP)


@dataclass(frozen=True)
class Terms:
    """What the computation needs, nothing else (so that it can be tested on its own)."""

    price: Decimal  # total excluding tax, frozen at validation
    planned_minutes: int  # trainee-minutes planned: slots × trainees
    realised_minutes: int  # trainee-minutes actually attended
    granted: Decimal = Decimal("0.00")  # the funder's PEC amount (0: none or refused)
    subrogation: bool = False  # the funder pays the organisation directly
    dedit_rate: Decimal = DEDIT_RATE

    def __post_init__(self):
        if self.price < 0 or self.granted < 0:
            raise ValueError("amounts are never negative")
        if self.granted > self.price:
            raise ValueError("a PEC never exceeds the price")
        if not 0 <= self.realised_minutes <= self.planned_minutes:
            raise ValueError("realised minutes are between 0 and the planned minutes")


@dataclass(frozen=True)
class Split:
    terms: Terms
    done: Decimal  # price of what was done (prorated)
    funder: Decimal  # what the funder pays (under subrogation)
    company_training: Decimal  # the company's share of what was done
    dedit: Decimal  # the company's dédit for hours not done (not training)

    @property
    def company(self) -> Decimal:
        return self.company_training + self.dedit

    @property
    def total(self) -> Decimal:
        """Everything invoiced for the session, excluding tax."""
        return self.funder + self.company

    @property
    def commitment(self) -> Decimal:
        """What the company signed for before the session (no absence)."""
        return commitment(self.terms.price, self.terms.granted, self.terms.subrogation)

    @property
    def not_done(self) -> Decimal:
        return self.terms.price - self.done

    @property
    def complete(self) -> bool:
        return self.terms.realised_minutes == self.terms.planned_minutes


def commitment(price: Decimal, granted: Decimal, subrogation: bool) -> Decimal:
    """What the company signs for: the remainder under subrogation, else the whole price."""
    return price - granted if subrogation else price


def split(terms: Terms) -> Split:
    if terms.planned_minutes == 0 or terms.realised_minutes == terms.planned_minutes:
        done = cents(terms.price)
        funder = cents(terms.granted) if terms.subrogation else Decimal("0.00")
    else:
        ratio = Decimal(terms.realised_minutes) / Decimal(terms.planned_minutes)
        done = cents(terms.price * ratio)
        funder = cents(terms.granted * ratio) if terms.subrogation else Decimal("0.00")
    funder = min(funder, terms.granted)
    dedit = cents((terms.price - done) * terms.dedit_rate / 100)
    return Split(terms=terms, done=done, funder=funder, company_training=done - funder,
                 dedit=dedit)  # fmt: skip


# --- Reading a session ------------------------------------------------------------------------


def validated_request(session):
    from .models import FundingRequest

    return FundingRequest.objects.filter(
        session=session, status=FundingRequest.Status.VALIDATED
    ).first()


_UNREAD = object()


def session_terms(session, organisation=None, *, realised: dict[int, int] | None = None,
                  measured: dict[int, int] | None = None, request=_UNREAD) -> Terms:  # fmt: skip
    """The terms of a session as they stand: frozen price, validated PEC, realised minutes.

    A caller that has already read them passes them instead of having them read again (the
    pre-invoicing check, once per issued invoice): `measured`, `realised_minutes(session)`,
    used only when the stored status says realised minutes count (as those read here);
    `request`, `validated_request(session)`."""
    from ganapati.selectors import organisation_get_or_none
    from sessions.pricing import session_amounts
    from sessions.selectors import planned_minutes, realised_minutes

    if organisation is None:
        organisation = organisation_get_or_none()
    price = session_amounts(session, organisation).total_excl_tax
    trainees = list(session.trainees.all())
    planned = planned_minutes(session) * len(trainees)
    if realised is None:
        # The status as stored (the object in hand may be older than the last transition).
        status = type(session).objects.filter(pk=session.pk).values_list("status", flat=True)
        if status.first() in _AFTER_START:
            realised = measured if measured is not None else realised_minutes(session)
        else:
            realised = {}
    done = sum(realised.values()) if realised else planned
    if request is _UNREAD:
        request = validated_request(session)
    granted, subrogation = Decimal("0.00"), False
    if request is not None and request.decision != request.Decision.REFUSED:
        granted, subrogation = min(request.amount_granted, price), request.subrogation
    return Terms(price=price, planned_minutes=planned, realised_minutes=min(done, planned),
                 granted=granted, subrogation=subrogation)  # fmt: skip


_AFTER_START = {"completed"}


def session_split(session, organisation=None) -> Split:
    return split(session_terms(session, organisation))
