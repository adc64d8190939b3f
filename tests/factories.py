import factory
from factory.django import DjangoModelFactory

from ganapati.models import Company, Organisation, Role, TrainerProfile, User

PASSWORD = "motdepasse-de-test-42"


class CompanyFactory(DjangoModelFactory):
    class Meta:
        model = Company
        django_get_or_create = ["siret"]

    legal_name = factory.Sequence(lambda n: f"Entreprise {n}")
    # Valid SIRETs (Luhn) from a fixed SIREN, one establishment per sequence number; not the
    # SIREN the tests type in forms (732 829 320), so that no factory company collides with it.
    siret = factory.Sequence(lambda n: _valid_siret(n))
    address = "1 rue de la République"
    postal_code = "69001"
    city = "Lyon"


def _valid_siret(n: int) -> str:
    from stdnum.fr import siret

    base = f"552081317{n:04d}"
    for digit in range(10):
        candidate = base + str(digit)
        if siret.is_valid(candidate):
            return candidate
    raise AssertionError("no valid SIRET")


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"personne{n}@exemple.fr")
    first_name = "Camille"
    last_name = factory.Sequence(lambda n: f"Durand{n}")
    role = Role.TRAINER
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class TrainerFactory(UserFactory):
    role = Role.TRAINER


class ClientFactory(UserFactory):
    role = Role.CLIENT
    company = factory.SubFactory(CompanyFactory)


class StaffFactory(UserFactory):
    role = Role.STAFF
    is_staff = True
    is_superuser = True


class TrainerProfileFactory(DjangoModelFactory):
    class Meta:
        model = TrainerProfile

    user = factory.SubFactory(TrainerFactory)


class OrganisationFactory(DjangoModelFactory):
    class Meta:
        model = Organisation
        django_get_or_create = ["id"]

    id = 1
    legal_name = "Organisme Test"
    legal_form = "SAS"
    address = "12 rue de la Paix"
    postal_code = "75002"
    city = "Paris"
    siret = "73282932000074"
    nda = "11755555575"
    nda_region = "Île-de-France"
    qualiopi_number = "QUA-TEST-1"
    qualiopi_certifier = "AFNOR Certification"
    legal_representative = "Claire Martin"
    iban = "FR7630006000011234567890189"
    bic = "AGRIFRPP"
    contact_email = "contact@organisme.test"
    contact_phone = "01 23 45 67 89"
    vat_number = "FR44732829320"


def next_monday(weeks: int = 2):
    import datetime as dt

    from django.utils import timezone

    today = timezone.localdate()
    return today + dt.timedelta(days=(7 - today.weekday()) % 7 + 7 * weeks)


TRAINING = {
    "title": "Management d'équipe : les fondamentaux",
    "objectives": "Conduire un entretien individuel ; fixer des objectifs SMART.",
    "audience": "Managers de proximité",
    "prerequisites": "Encadrer au moins une personne.",
    "modules": [
        {"title": "Le rôle du manager", "details": "Posture, missions"},
        {"title": "L'entretien individuel", "details": "Préparer, conduire, suivre"},
    ],
    "methods": "Apports, mises en situation, études de cas.",
    "assessment": "Quiz de positionnement et mise en situation finale.",
    "accessibility_contact": "Julien Moreau, 06 12 34 56 78",
    "duration_minutes": 840,
    "format": "on_site",
    "location": "Salle Bellecour, 10 rue de la Barre, 69002 Lyon",
    "price_excl_tax": "2800.00",
    "price_basis": "per_session",
}


class TrainingSessionFactory(DjangoModelFactory):
    class Meta:
        model = "training_sessions.TrainingSession"
        skip_postgeneration_save = True

    trainer = factory.SubFactory(TrainerFactory)
    title = TRAINING["title"]
    objectives = TRAINING["objectives"]
    audience = TRAINING["audience"]
    prerequisites = TRAINING["prerequisites"]
    modules = TRAINING["modules"]
    methods = TRAINING["methods"]
    assessment = TRAINING["assessment"]
    accessibility_contact = TRAINING["accessibility_contact"]
    duration_minutes = TRAINING["duration_minutes"]
    format = TRAINING["format"]
    location = TRAINING["location"]
    price_excl_tax = TRAINING["price_excl_tax"]
    trainees_max = 4

    @factory.post_generation
    def days(obj, create, extracted, **kwargs):
        """Two full days (2 × 7 h) unless days=0 or a list of dates is given."""
        import datetime as dt

        from sessions.models import SessionDay

        if not create or extracted == 0:
            return
        start = next_monday()
        dates = extracted or [start, start + dt.timedelta(days=1)]
        for day in dates:
            SessionDay.objects.create(
                session=obj, date=day, morning_start=dt.time(9), morning_end=dt.time(12, 30),
                afternoon_start=dt.time(13, 30), afternoon_end=dt.time(17),
            )  # fmt: skip


def attach_client(session, contact, trainees=2):
    """Put a session in the state a completed client form leaves it in."""
    from ganapati.models import Funder
    from sessions.models import Trainee

    session.company = contact.company
    session.contact = contact
    session.funding_mode = "opco_subrogation"
    session.funder = Funder.objects.get(code="opcoep")
    session.status = "ready"
    session.save()
    for i in range(trainees):
        Trainee.objects.create(
            session=session, first_name=f"Stagiaire{i}", last_name="Martin",
            email=f"stagiaire{i}@exemple.fr", position=i,
        )  # fmt: skip
    return session


def invoicing_funder(funder, **overrides):
    """A funder with what an invoice needs (the shipped data leaves unsourced facts empty)."""
    values = {
        "legal_name": "OPCO EP (opérateur de compétences, test)",
        "siren": "123456782",
        "siret": "12345678200010",
        "billing_address": "Service facturation, 1 rue de l'OPCO, 75001 Paris",
        "invoicing_email": "factures@opco.test",
        **overrides,
    }
    for field, value in values.items():
        setattr(funder, field, value)
    funder.save()
    return funder


def assessed(session, result: str = "acquired") -> dict:
    """Every trainee's result for every objective of the programme, as the trainer enters them
    before completing (issue 15: none is assumed)."""
    from sessions.quality import objectives_of

    objectives = objectives_of(session)
    return {(t.pk, i): result for t in session.trainees.all() for i in range(len(objectives))}
