"""The states of billing's entities, each with its table (the guard is ganapati.states)."""

from ganapati.states import StateMachine

from .models import AuditExportJob, BpfReport, Invoice, Payout

I = Invoice.Status  # noqa: E741
INVOICE_STATES = StateMachine.from_table(
    "la facture",
    {
        I.DRAFT: {I.ISSUED},
        I.ISSUED: {I.PAID, I.CANCELLED},
        I.PAID: {I.CANCELLED},
        I.CANCELLED: set(),
    },
    dict(I.choices),
)

T = Invoice.Transmission
# How an issued invoice reaches its payer. "" until it is issued; the PDF is made, then sent by
# e-mail, or left for staff to deposit on the funder's portal (never "sent" to nobody).
TRANSMISSION_STATES = StateMachine.from_table(
    "la transmission de la facture",
    {
        "": {T.PENDING},
        T.PENDING: {T.EMAILED, T.TO_DEPOSIT},
        T.EMAILED: set(),
        T.TO_DEPOSIT: {T.DEPOSITED},
        T.DEPOSITED: set(),
    },
    {"": "non émise", **dict(T.choices)},
    field_name="transmission",
)

P = Payout.Status
PAYOUT_STATES = StateMachine.from_table(
    "le versement",
    {
        P.READY: {P.BATCHED, P.ON_HOLD},
        P.ON_HOLD: {P.READY},
        P.BATCHED: {P.PAID},
        P.PAID: set(),
    },
    dict(P.choices),
)

E = AuditExportJob.Status
EXPORT_STATES = StateMachine.from_table(
    "l'export",
    {
        E.PENDING: {E.RUNNING},
        # A running export whose worker died is queued again by the sweeper.
        E.RUNNING: {E.DONE, E.FAILED, E.PENDING},
        E.FAILED: {E.PENDING},
        E.DONE: set(),
    },
    dict(E.choices),
)

B = BpfReport.Status
# A BPF is computed again at will while a draft; once filed it is locked for good.
BPF_STATES = StateMachine.from_table(
    "le bilan pédagogique et financier",
    {B.DRAFT: {B.LOCKED}, B.LOCKED: set()},
    dict(B.choices),
)
