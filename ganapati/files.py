"""Who may see which file: one table, for every path a file can take — a link on a page, its
direct URL, a ZIP export, an e-mail attachment.

A file kind names what the file is ("document.devis", "pec", "invoice.funder"...); its audience
is the set of parties who may receive it. Reaching a file also needs the object it belongs to
(the session, the payout...) to be visible to the person, which the owning app's selector
decides; this table decides the rest. `tests/test_file_rules.py` walks every kind × role × path.
"""

from __future__ import annotations

TRAINER, CLIENT, STAFF = "trainer", "client", "staff"
# The funder (OPCO, AGEFICE, FIFPL) is no user of the platform: it receives files by e-mail.
FUNDER = "funder"
# Whoever the e-mail is addressed to, account or not, but only for a file about or for that
# very person: the attachment names them in "about" (the invitation to the call they booked, a
# trainee's own attestation, the rules sent with their convocation). Anyone else needs their
# own party in the audience.
ADDRESSEE = "addressee"

_SESSION_PAPERS = frozenset({TRAINER, CLIENT, STAFF})
# What an OPCO checks before paying ("service fait"): it receives them with the invoice.
_PROOFS = frozenset({TRAINER, CLIENT, STAFF, FUNDER})

AUDIENCES: dict[str, frozenset[str]] = {
    # A session's documents (sessions).
    "document.devis": _SESSION_PAPERS,
    "document.convention": _SESSION_PAPERS,
    "document.programme": _SESSION_PAPERS,
    "document.emargement": _PROOFS,
    "document.certificat": _PROOFS,
    # A trainee has no account: they receive their own attestation as its addressee.
    "document.attestation": _SESSION_PAPERS | {ADDRESSEE},
    # The organisation's documents (issue 15), public anyway: the règlement intérieur goes with
    # each trainee's convocation (L6352-3), the CGV with the quote and the agreement.
    "document.reglement": _SESSION_PAPERS | {ADDRESSEE},
    "document.cgv": _SESSION_PAPERS,
    "attendance_scan": _PROOFS,
    # Electronic attendance (issue 13): the signed sheet and its evidence log (JSON lines).
    "document.emargement_signe": _PROOFS,
    "attendance_evidence": _PROOFS,
    # The funder's decision, uploaded by the client (funding).
    "pec": frozenset({CLIENT, TRAINER, STAFF}),
    # Billing: each invoice goes to its payer; the trainer sees what their session earned.
    "invoice.company": frozenset({CLIENT, TRAINER, STAFF}),
    "invoice.funder": frozenset({TRAINER, STAFF, FUNDER}),
    # Payments received, with the payer's bank references: those of the client's own
    # invoices for the client (rows are filtered by the invoice's kind), all for staff.
    "payment.company": frozenset({CLIENT, TRAINER, STAFF}),
    "payment.funder": frozenset({TRAINER, STAFF}),
    # What the organisation pays the trainer.
    "trainer_invoice": frozenset({TRAINER, STAFF}),
    "sepa": frozenset({STAFF}),
    # A trainer's CV, diplomas and certificates (Qualiopi 21–22): their own, and staff.
    "qualification": frozenset({TRAINER, STAFF}),
    "audit_export": frozenset({STAFF}),
    # The organisation's BPF (cerfa 10443): its figures, CSV and PDF, for staff only.
    "bpf": frozenset({STAFF}),
    # The calendar invitation of a call with an advisor, to the two people of that call.
    "appointment.invitation": frozenset({ADDRESSEE}),
}

LABELS = {
    TRAINER: "formateur de la session",
    CLIENT: "membre de l'entreprise cliente",
    STAFF: "équipe",
    FUNDER: "financeur (par e-mail)",
    ADDRESSEE: "le destinataire lui-même",
}


def audience(kind: str) -> frozenset[str]:
    try:
        return AUDIENCES[kind]
    except KeyError:
        raise ValueError(f"Type de fichier inconnu : {kind}") from None


def may_see(party: str, kind: str) -> bool:
    """Whether a party (a role, or FUNDER) may receive a file of this kind."""
    return party in audience(kind)


def user_may_see(user, kind: str) -> bool:
    return bool(user and user.is_authenticated) and may_see(user.role, kind)


def party_of_address(email: str) -> str | None:
    """Who an e-mail address is, for attachments: a user's role, a funder, or None."""
    from .models import Funder, User

    user = User.objects.filter(email__iexact=email).only("role").first()
    if user is not None:
        return user.role
    from django.db.models import Q

    # A funder is known by its contact address or the one its invoices go to.
    if Funder.objects.filter(
        Q(contact_email__iexact=email) | Q(invoicing_email__iexact=email)
    ).exists():
        return FUNDER
    return None


class AttachmentNotAllowed(PermissionError):
    """A programming error: a file kind was about to be e-mailed to someone outside its
    audience. Raised before anything is written, so the whole change rolls back."""


# Kinds whose "about" is not taken from the caller but read from the file's own record (the
# app that owns the file registers how): a trainee's attestation is about the trainee its
# document names, whatever the code that attaches it writes.
_ABOUT_RESOLVERS: dict = {}


def register_about(kind: str, resolver) -> None:
    """`resolver(attachment) -> set of e-mail addresses` the file is about (empty: nobody)."""
    _ABOUT_RESOLVERS[kind] = resolver


def is_about(email: str, attachment: dict) -> bool:
    """Whether the file is about the person at this address: from the file's record for the
    kinds whose app registered a resolver, else as the attachment says."""
    resolver = _ABOUT_RESOLVERS.get(attachment.get("kind"))
    about = resolver(attachment) if resolver else attachment.get("about") or []
    return email.strip().lower() in {a.strip().lower() for a in about}


def check_attachments(recipients: list[str], attachments: list[dict]) -> None:
    """Every attachment names its kind; every recipient must be in that kind's audience, or be
    the person the file is about when the kind allows its addressee."""
    for attachment in attachments:
        kind = attachment.get("kind")
        if kind is None:
            raise AttachmentNotAllowed(f"Pièce jointe sans type : {attachment.get('filename')}")
        for email in recipients:
            if ADDRESSEE in audience(kind) and is_about(email, attachment):
                continue
            party = party_of_address(email)
            if party is None or not may_see(party, kind):
                raise AttachmentNotAllowed(f"{kind} ne peut pas être envoyé à {email} ({party}).")
