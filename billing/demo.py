"""Demo sessions, one per state, made through the real services of every app (so with their
timelines). In the top app, since it drives sessions, funding and billing."""

import datetime as dt
from contextlib import contextmanager, nullcontext
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.utils import timezone

from funding.services import funding_request_upload, funding_request_validate
from ganapati.models import Funder
from sessions import services
from sessions.models import TrainingSession
from sessions.pricing import session_amounts
from sessions.quality import objectives_of

from .services import credit_note_issue, invoice_issue, invoices_prepare, payment_record

TRAININGS = [
    ("Excel : tableaux croisés dynamiques", "draft", 7),
    ("Prise de parole en public", "awaiting_client", 14),
    ("Management d'équipe : les fondamentaux", "ready", 14),
    ("Gestion du temps et des priorités", "validated", 7),
    # A PEC waiting for staff whose auto-check finds what differs (amount, no subrogation).
    ("Bureautique : Word perfectionnement", "pec_to_review", 7),
    ("Relation client au téléphone", "funded", 7),
    ("Sécurité alimentaire (HACCP)", "running", 7),
    ("Vente conseil en boutique", "completed", 7),
    # A partial PEC, an absence, a credit note on the company's invoice and its re-invoice.
    ("Négociation commerciale", "completed_partial", 14),
    ("Anglais professionnel : réunions", "cancelled", 7),
]
PAST = {"running", "completed", "completed_partial"}


def _content(title: str, hours: int) -> dict:
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
        "duration_minutes": hours * 60,
        "format": "on_site",
        "location": "Espace Bellecour, 10 rue de la Barre, 69002 Lyon",
        "price_excl_tax": Decimal("1400.00") * hours / 7,
        "price_basis": "per_session",
    }


@contextmanager
def _at(day: dt.date, hour: int, minute: int = 0):
    """The demo replays past sessions at their real dates (their timelines, documents and
    invoices are dated as they would be): the clock is moved, then put back."""
    import time_machine

    when = dt.datetime.combine(day, dt.time(hour, minute), tzinfo=timezone.get_default_timezone())
    with time_machine.travel(when, tick=True):
        yield


def _working_day(day: dt.date, step: int) -> dt.date:
    while day.weekday() >= 5:
        day += dt.timedelta(days=step)
    return day


def _first_day(state: str, index: int, today: dt.date) -> dt.date:
    if state == "running":
        return _working_day(today, -1)  # began today (or on the last working day)
    if state in ("completed", "completed_partial"):
        monday = today - dt.timedelta(days=today.weekday())
        return monday - dt.timedelta(days=7 * (5 if state == "completed" else 3))
    # A Monday three weeks ahead or so: sessions run on working days.
    return today + dt.timedelta(days=21 - today.weekday() + 7 * index)


def make_demo_sessions(*, trainer, client):
    today = timezone.localdate()
    for index, (title, state, hours) in enumerate(TRAININGS):
        first = _first_day(state, index, today)
        days = [first + dt.timedelta(days=n) for n in range(hours // 7)]
        # Drawn up a month before the first day, as in real life.
        with _at(first - dt.timedelta(days=30), 10) if state in PAST else nullcontext():
            session = _prepare(title, state, hours, days, trainer=trainer, client=client)
        if state not in PAST:
            continue
        with nullcontext() if state == "running" else _at(days[0], 9, 5):
            services.session_start(session=session, actor=trainer)
        _sign_half_days(session, trainer, partial=state == "completed_partial")
        if state == "running":
            continue
        with _at(days[-1], 17, 30):
            trainees = list(session.trainees.all())
            objectives = objectives_of(session)
            # What a trainer enters, objective by objective: mostly acquired, some partly.
            assessments = {
                (t.pk, j): "partly" if (i + j) % 3 == 2 else "acquired"
                for i, t in enumerate(trainees)
                for j in range(len(objectives))
            }
            services.session_complete(
                session=session,
                actor=trainer,
                results={t.pk: (True, "Objectifs atteints.") for t in trainees},
                assessments=assessments,
            )
            _render_now(session)
        with _at(days[-1] + dt.timedelta(days=3), 10):
            invoices = _invoice(session)
        with _at(days[-1] + dt.timedelta(days=20), 11):
            if state == "completed_partial":
                _credit_and_reinvoice(session, invoices)
            else:
                _pay(invoices)


def _signature_png(name: str, variant: int) -> bytes:
    """A hand-drawn-looking signature for the demo: each trainee's own stroke, a little
    different each half-day (as a real one is)."""
    import hashlib
    import io
    import random

    from PIL import Image, ImageDraw

    seed = int(hashlib.sha256(name.encode()).hexdigest()[:8], 16)
    shape, jitter = random.Random(seed), random.Random(seed * 31 + variant)
    image = Image.new("RGBA", (400, 150), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    points = [(20 + i * 360 / 14, shape.randint(30, 120)) for i in range(15)]
    points = [(x + jitter.uniform(-2, 2), y + jitter.uniform(-3, 3)) for x, y in points]
    draw.line(points, fill=(20, 20, 80, 255), width=3, joint="curve")
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _sign_half_days(session, trainer, *, partial: bool) -> None:
    """Electronic attendance: every half-day already begun is signed (personal link, QR code,
    kiosk in turn), then countersigned and closed once over. In the partial session Léa
    misses the first morning (marked absent by the trainer)."""
    from sessions import signing
    from sessions.models import SigningSlot

    now = timezone.now()
    channels = [SigningSlot.Channel.LINK, SigningSlot.Channel.QR, SigningSlot.Channel.KIOSK]
    for index, (day, half) in enumerate(signing.half_days(session)):
        begins, ends = day.half_bounds(half)
        if begins > now:
            break
        signing_at = timezone.localtime(begins + dt.timedelta(minutes=10))
        with _at(signing_at.date(), signing_at.hour, signing_at.minute):
            for slot in SigningSlot.objects.filter(session=session, day=day, half=half):
                trainee = slot.trainee
                if partial and index == 0 and trainee.first_name == "Léa":
                    signing.slot_mark(slot=slot, actor=trainer, absent=True)
                    continue
                signing.slot_sign(
                    slot=slot, signature=_signature_png(trainee.email, index),
                    channel=channels[(index + trainee.pk) % 3],
                    origin=signing.Request(ip="192.0.2.10", user_agent="Démo"),
                    actor=trainer,
                )  # fmt: skip
        if ends > now:
            break
        closing_at = timezone.localtime(ends + dt.timedelta(minutes=5))
        with _at(closing_at.date(), closing_at.hour, closing_at.minute):
            signing.halfday_close(
                session=session, day_id=day.pk, half=half, actor=trainer,
                countersignature=_signature_png(trainer.email, index),
            )  # fmt: skip


def _prepare(title, state, hours, days, *, trainer, client):
    session = services.session_create(trainer=trainer, values=_content(title, hours))
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
        return session
    if state == "awaiting_client":
        services.session_link_issue(session=session, actor=trainer)
        return session
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
    if state == "ready":
        return session
    services.session_validate(session=session, actor=trainer)
    if state == "validated":
        services.programme_save_from_session(session=session, actor=trainer)
        return session
    if state == "pec_to_review":
        _upload_mismatching_pec(session, client=client)
        return session
    if state == "cancelled":
        services.session_cancel(
            session=session, actor=trainer, reason="Report demandé par l'entreprise."
        )
        return session
    _fund(session, client=client, partial=state == "completed_partial")
    return session


def _fund(session, *, client, partial=False):
    """A PEC deposited by the client and validated by the staff, as in real life: total, or
    partial (2 000 € of 2 800 €, the company accepting the remainder)."""
    from funding.services import client_commit_to_pay

    staff = get_user_model().objects.filter(role="staff").first()
    total = session_amounts(session, None).total_excl_tax
    request = funding_request_upload(
        session=session, actor=client, upload=_demo_pdf(),
        values={"decision": "partial" if partial else "total",
                "file_number": f"DEMO-{session.pk:05d}",
                "amount_granted": Decimal("2000.00") if partial else total,
                "minutes_granted": session.duration_minutes, "subrogation": True},
    )  # fmt: skip
    funding_request_validate(request=request, actor=staff)
    if partial:
        client_commit_to_pay(session=session, actor=client, ip=None)


def _upload_mismatching_pec(session, *, client):
    """The client typed what the session says, but the OPCO's letter grants less and refunds
    the company (no subrogation): the staff review page shows both differences."""
    from weasyprint import HTML

    session.refresh_from_db()
    days = sorted(d.date for d in session.days.all())
    names = ", ".join(f"{t.first_name} {t.last_name}" for t in session.trainees.all())
    html = f"""<html lang="fr"><meta charset="utf-8"><body>
<h1>OPCO EP — Accord de prise en charge</h1>
<p>N° de dossier : EP-{session.pk:05d}-2027</p>
<p>Raison sociale : {session.company.legal_name}</p><p>SIRET : {session.company.siret}</p>
<p>Période : du {days[0]:%d/%m/%Y} au {days[-1]:%d/%m/%Y}</p>
<p>Durée accordée : {session.duration_minutes // 60} heures</p>
<p>Montant accordé : 1 200,00 € HT</p><p>Stagiaires : {names}</p>
<p>Subrogation de paiement : non (remboursement à l'entreprise sur facture acquittée)</p>
</body></html>"""
    from django.core.files.uploadedfile import SimpleUploadedFile

    pdf = SimpleUploadedFile("accord-opco-ep.pdf", HTML(string=html).write_pdf(),
                             "application/pdf")  # fmt: skip
    total = session_amounts(session, None).total_excl_tax
    funding_request_upload(
        session=session, actor=client, upload=pdf,
        values={"decision": "total", "file_number": f"EP-{session.pk:05d}-2027",
                "amount_granted": total, "minutes_granted": session.duration_minutes,
                "subrogation": True},
    )  # fmt: skip


def _demo_pdf():
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return SimpleUploadedFile("accord-prise-en-charge.pdf", out.getvalue(), "application/pdf")


def _render_now(session):
    """The demo runs in one transaction, so the workers would only render the certificates
    after it: they are rendered here (the workers then find them done, idempotently)."""
    from documents.models import Document
    from documents.services import document_render

    for document in Document.objects.for_owner(session).filter(status=Document.Status.PENDING):
        document_render(document_id=document.pk)


def _invoice(session):
    """The invoices prepared and issued (Factur-X) by the staff."""
    staff = get_user_model().objects.filter(role="staff").first()
    funder = TrainingSession.objects.select_related("funder").get(pk=session.pk).funder
    _demo_funder_invoicing(funder)
    return [invoice_issue(invoice=invoice, actor=staff)
            for invoice in invoices_prepare(session=session, actor=staff)]  # fmt: skip


def _pay(invoices):
    staff = get_user_model().objects.filter(role="staff").first()
    for invoice in invoices:
        payment_record(invoice=invoice, actor=staff, amount=invoice.total_incl_tax,
                       paid_on=timezone.localdate(), payer=invoice.buyer_name,
                       bank_reference=f"VIR {invoice.number}")  # fmt: skip


def _credit_and_reinvoice(session, invoices):
    """The company's invoice was addressed to the wrong department: a credit note cancels it
    and invoicing reopens for it; the OPCO's invoice is paid, the new one waits."""
    staff = get_user_model().objects.filter(role="staff").first()
    company = next(i for i in invoices if i.payer_kind == "company")
    funder = [i for i in invoices if i.payer_kind == "funder"]
    credit_note_issue(invoice=company, actor=staff,
                      reason="Facture adressée au mauvais service : refaite.")  # fmt: skip
    _pay(funder)
    for invoice in invoices_prepare(session=session, actor=staff):
        invoice_issue(invoice=invoice, actor=staff)


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
