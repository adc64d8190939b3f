"""Demo sessions, one per state, made through the real services of every app (so with their
timelines). In the top app, since it drives sessions, funding and billing."""

import datetime as dt
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.utils import timezone

from funding.services import funding_request_upload, funding_request_validate
from ganapati.models import Funder
from sessions import services
from sessions.models import TrainingSession
from sessions.pricing import session_amounts

from .services import invoice_issue, invoices_prepare, payment_record

TRAININGS = [
    ("Excel : tableaux croisés dynamiques", "draft", Decimal("7")),
    ("Prise de parole en public", "awaiting_client", Decimal("14")),
    ("Management d'équipe : les fondamentaux", "ready", Decimal("14")),
    ("Gestion du temps et des priorités", "validated", Decimal("7")),
    ("Relation client au téléphone", "funded", Decimal("7")),
    ("Sécurité alimentaire (HACCP)", "running", Decimal("7")),
    ("Vente conseil en boutique", "completed", Decimal("7")),
    ("Anglais professionnel : réunions", "cancelled", Decimal("7")),
]


def _content(title: str, hours: Decimal) -> dict:
    return {
        "title": title,
        "objectives": "À l'issue de la formation, le stagiaire sera capable de mettre en œuvre "
        "les méthodes présentées dans son poste, évaluées par une mise en situation.",
        "audience": "Salariés et managers souhaitant progresser sur le sujet.",
        "prerequisites": "Aucun prérequis.",
        "modules": [
            {"title": "Diagnostic et enjeux", "details": "Positionnement, attentes, cas réels"},
            {"title": "Méthodes et outils", "details": "Apports et exercices pratiques"},
            {"title": "Mise en pratique", "details": "Études de cas, plan d'action individuel"},
        ],
        "methods": "Apports théoriques courts, exercices, études de cas ; support remis.",
        "assessment": "Quiz de positionnement, mise en situation finale, questionnaire de "
        "satisfaction.",
        "accessibility_contact": "Julien Moreau — 06 12 34 56 78",
        "duration_hours": hours,
        "format": "on_site",
        "location": "Espace Bellecour, 10 rue de la Barre, 69002 Lyon",
        "price_excl_tax": Decimal("1400.00") * hours / Decimal("7"),
        "price_basis": "per_session",
    }


def make_demo_sessions(*, trainer, client):
    today = timezone.localdate()
    # A Monday three weeks ahead or so: sessions run on working days.
    start = today + dt.timedelta(days=21 - today.weekday())
    for index, (title, state, hours) in enumerate(TRAININGS):
        session = services.session_create(trainer=trainer, values=_content(title, hours))
        first = start + dt.timedelta(days=7 * index)
        days = [first + dt.timedelta(days=n) for n in range(int(hours // 7))]
        services.session_set_schedule(
            session=session,
            actor=trainer,
            days=[
                {"date": d, "morning_start": dt.time(9), "morning_end": dt.time(12, 30),
                 "afternoon_start": dt.time(13, 30), "afternoon_end": dt.time(17)}
                for d in days
            ],
        )  # fmt: skip
        if state == "draft":
            continue
        if state == "awaiting_client":
            services.session_link_issue(session=session, actor=trainer)
            continue
        company = client.company
        services.session_client_submit(
            session=session,
            actor=trainer,
            company={"siret": company.siret},
            contact={"email": client.email},
            trainees=[
                {"first_name": "Paul", "last_name": "Martin", "email": "paul.martin@example.fr",
                 "job_title": "Vendeur"},
                {"first_name": "Léa", "last_name": "Bernard", "email": "lea.bernard@example.fr",
                 "job_title": "Responsable de rayon"},
            ],
            funding_mode="opco_subrogation",
            funder=Funder.objects.get(code="opcoep"),
        )  # fmt: skip
        # The client's address has an account: the client confirms, logged in, being the
        # contact (a form never attaches an existing account by itself).
        services.session_contact_confirm(session=session, user=client, email=client.email)
        if state in ("validated", "funded", "running", "completed"):
            services.session_validate(session=session, actor=trainer)
            if state == "validated":
                services.programme_save_from_session(session=session, actor=trainer)
        if state in ("funded", "running", "completed"):
            _fund(session, client=client)
        if state in ("running", "completed"):
            services.session_start(session=session, actor=trainer)
        if state == "completed":
            present = {
                (t.pk, d.pk, half)
                for t in session.trainees.all()
                for d in session.days.all()
                for half in ("am", "pm")
            }
            services.attendance_record(session=session, actor=trainer, present=present)
            services.session_complete(
                session=session,
                actor=trainer,
                results={t.pk: (True, "Objectifs atteints.") for t in session.trainees.all()},
            )
            _invoice_and_pay(session)
        elif state == "cancelled":
            services.session_cancel(
                session=session, actor=trainer, reason="Report demandé par l'entreprise."
            )


def _fund(session, *, client):
    """A total PEC, deposited by the client and validated by the staff, as in real life."""
    staff = get_user_model().objects.filter(role="staff").first()
    total = session_amounts(session, None).total_excl_tax
    request = funding_request_upload(
        session=session, actor=client, upload=_demo_pdf(),
        values={"decision": "total", "file_number": f"DEMO-{session.pk:05d}",
                "amount_granted": total, "hours_granted": session.duration_hours,
                "subrogation": True},
    )  # fmt: skip
    funding_request_validate(request=request, actor=staff)


def _demo_pdf():
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return SimpleUploadedFile("accord-prise-en-charge.pdf", out.getvalue(), "application/pdf")


def _invoice_and_pay(session):
    """The OPCO's invoice issued (Factur-X) and paid: the trainer's payout is ready."""
    staff = get_user_model().objects.filter(role="staff").first()
    funder = TrainingSession.objects.select_related("funder").get(pk=session.pk).funder
    _demo_funder_invoicing(funder)
    for invoice in invoices_prepare(session=session, actor=staff):
        invoice = invoice_issue(invoice=invoice, actor=staff)
        payment_record(invoice=invoice, actor=staff, amount=invoice.total_incl_tax,
                       paid_on=invoice.issue_date, payer=invoice.buyer_name,
                       bank_reference=f"VIR {invoice.number}")  # fmt: skip


# Invoicing details the shipped data leaves empty (they could not be sourced): the demo fills
# them with values that say they are fake, so that the demo's OPCO invoice can be issued. A
# SIREN with a valid key that no company holds is not knowable here; this one is the demo's.
DEMO_FUNDER_INVOICING = {
    "legal_name": "OPCO (données de démonstration)",
    "siren": "000000000",
    "billing_address": "Service facturation (adresse de démonstration), 75001 Paris",
    "invoicing_email": "factures-opco@demo.ganapati.fr",
}


def _demo_funder_invoicing(funder):
    """Only empty fields are filled: real values typed by staff stay."""
    empty = [field for field, value in DEMO_FUNDER_INVOICING.items()
             if value and not getattr(funder, field)]  # fmt: skip
    for field in empty:
        setattr(funder, field, DEMO_FUNDER_INVOICING[field])
    if empty:
        funder.save(update_fields=empty)
