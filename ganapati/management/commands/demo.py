"""Demo data: the organisation and one account per role, with known passwords. Safe to re-run."""

from decimal import Decimal

from django.core.management.base import BaseCommand
from django.db import transaction

from ganapati.models import Company, Organisation, Role, TrainerProfile, User

DEMO_PASSWORD = "ganapati-demo-2026"

ORGANISATION = {
    "legal_name": "Ganapati Formation",
    "legal_form": "SAS",
    "share_capital": "10 000 €",
    "rcs": "RCS Paris 732 829 320",
    "address": "12 rue de la Paix",
    "postal_code": "75002",
    "city": "Paris",
    "siret": "73282932000074",
    "nda": "11755555575",
    "nda_region": "Île-de-France",
    "qualiopi_number": "QUA-2024-00123",
    "qualiopi_certifier": "AFNOR Certification",
    "legal_representative": "Claire Martin",
    "legal_representative_title": "Présidente",
    "vat_exempt": True,
    "vat_rate": None,
    "iban": "FR7630006000011234567890189",
    "bic": "AGRIFRPP",
    "contact_email": "contact@ganapati-formation.example",
    "contact_phone": "01 23 45 67 89",
    "commission_rate": Decimal("15.00"),
}

COMPANY = {
    "legal_name": "Boulangerie Dupont SARL",
    "siret": "55208131766522",
    "address": "3 place du Marché",
    "postal_code": "69002",
    "city": "Lyon",
    "naf_code": "10.71C",
    "idcc": "843",
    "employee_count": 12,
}

ACCOUNTS = [
    ("staff@demo.ganapati.fr", Role.STAFF, "Sophie", "Bernard"),
    ("formateur@demo.ganapati.fr", Role.TRAINER, "Julien", "Moreau"),
    ("client@demo.ganapati.fr", Role.CLIENT, "Marie", "Dupont"),
]


class Command(BaseCommand):
    help = "Crée l'organisme et un compte de démonstration par rôle (sans effet s'ils existent)."

    @transaction.atomic
    def handle(self, *args, **options):
        Organisation.objects.get_or_create(pk=Organisation.SINGLETON_PK, defaults=ORGANISATION)
        company, _ = Company.objects.get_or_create(siret=COMPANY["siret"], defaults=COMPANY)
        for email, role, first_name, last_name in ACCOUNTS:
            user = User.objects.filter(email=email).first()
            if user is None:
                extra = {"first_name": first_name, "last_name": last_name, "role": role}
                if role == Role.STAFF:
                    user = User.objects.create_superuser(email, DEMO_PASSWORD, **extra)
                else:
                    if role == Role.CLIENT:
                        extra.update(company=company, job_title="Gérante")
                    user = User.objects.create_user(email, DEMO_PASSWORD, **extra)
            if role == Role.TRAINER:
                TrainerProfile.objects.get_or_create(
                    user=user,
                    defaults={
                        "address": "8 rue des Lilas",
                        "postal_code": "69003",
                        "city": "Lyon",
                        "iban": "FR1420041010050500013M02606",
                        "bic": "PSSTFRPPLYO",
                    },
                )

        trainer = User.objects.get(email=ACCOUNTS[1][0])
        client = User.objects.get(email=ACCOUNTS[2][0])
        if not trainer.training_sessions.exists():
            from sessions.demo import make_demo_sessions

            make_demo_sessions(trainer=trainer, client=client)
            self.stdout.write("Sessions de démonstration créées (une par étape).")

        from ganapati.appointments.demo import load_demo_availability
        from ganapati.help.demo import load_help_articles

        load_help_articles()
        load_demo_availability(advisor=User.objects.get(email=ACCOUNTS[0][0]))

        self.stdout.write("Comptes de démonstration (mot de passe identique pour les trois) :")
        for email, role, _first, _last in ACCOUNTS:
            self.stdout.write(f"  {Role(role).label:<22} {email:<30} {DEMO_PASSWORD}")
