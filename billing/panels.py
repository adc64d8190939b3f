"""What the billing app shows on the pages of the sessions app (see ganapati/panels.py)."""

from __future__ import annotations

from decimal import Decimal

from funding.money import session_split
from ganapati.panels import panel, row_panel
from ganapati.selectors import organisation_for_pages

from .models import Invoice, Payout
from .services import commission_rate_for, trainer_share


@row_panel("trainer_home.session", template="billing/panels/trainer_home_share.html")
def trainer_home_share(request, sessions):
    """Each listed session's share for the trainer: paid out, or estimated from the price."""
    payouts = {
        p.session_id: p.amount
        for p in Payout.objects.filter(session_id__in=[s.pk for s in sessions])
    }
    organisation = organisation_for_pages()
    rate = commission_rate_for(request.user, organisation) if organisation else None
    rows = {}
    for session in sessions:
        if session.pk in payouts:
            rows[session.pk] = {"share": payouts[session.pk], "final": True}
        elif rate is None or session.price_excl_tax is None:
            rows[session.pk] = None
        else:
            units = 1 if session.price_basis == "per_session" else session.trainee_count
            amount = Decimal(session.price_excl_tax) * units
            rows[session.pk] = {"share": trainer_share(amount, rate)[1], "final": False}
    return rows


@panel("session_detail.trainer", template="billing/panels/trainer_share.html", order=20)
def trainer_session_share(request, session):
    """The trainer's share: estimated from the price before payment, actual after."""
    payout = Payout.objects.filter(session=session).first()
    if payout is not None:
        return {"session": session, "share": {"payout": payout}}
    organisation = organisation_for_pages()
    if organisation is None or session.price_excl_tax is None:
        return {"session": session, "share": {}}
    # What the session's invoices will bring in (funding.money: absences and dédit included
    # once the session is over), before the commission.
    total = session_split(session, organisation).total
    rate = commission_rate_for(session.trainer, organisation)
    _, amount = trainer_share(total, rate)
    return {"session": session, "share": {"estimate": amount, "rate": rate, "total": total}}


@panel("client_session_detail", template="billing/panels/client_invoices.html")
def client_invoices(request, session):
    invoices = list(
        Invoice.objects.filter(session=session, payer_kind=Invoice.PayerKind.COMPANY).exclude(
            pdf=""
        )
    )
    if not invoices:
        return None
    reimbursement = session.funding_mode != "opco_subrogation" and any(
        i.status == Invoice.Status.PAID for i in invoices
    )
    return {"session": session, "invoices": invoices, "reimbursement": reimbursement}
