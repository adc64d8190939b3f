"""Demo data of the core: the organisation and one account per role, with known passwords.
The `demo` command (billing, the top app) calls this, then each app's part."""

from decimal import Decimal

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
    # FR + the key of SIREN 732 829 320 + the SIREN; invoices are received at the SIREN.
    "vat_number": "FR44732829320",
    "einvoice_address": "732829320",
    "einvoice_scheme": "0225",
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


def make_demo_accounts() -> tuple[User, User, User]:
    """The organisation and one account per role, with known passwords (idempotent).
    Returns (staff, trainer, client)."""
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
                    "siret": "12345678200010",  # a valid key, no real company's
                    "vat_regime": "franchise",
                    "address": "8 rue des Lilas",
                    "postal_code": "69003",
                    "city": "Lyon",
                    "iban": "FR1420041010050500013M02606",
                    "bic": "PSSTFRPPLYO",
                },
            )

    staff, trainer, client = (User.objects.get(email=email) for email, *_ in ACCOUNTS)
    return staff, trainer, client
