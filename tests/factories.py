import factory
from factory.django import DjangoModelFactory

from ganapati.models import Company, Organisation, Role, TrainerProfile, User

PASSWORD = "motdepasse-de-test-42"


class CompanyFactory(DjangoModelFactory):
    class Meta:
        model = Company
        django_get_or_create = ["siret"]

    legal_name = factory.Sequence(lambda n: f"Entreprise {n}")
    # Valid SIRETs (Luhn) from a fixed SIREN, one establishment per sequence number.
    siret = factory.Sequence(lambda n: _valid_siret(n))
    address = "1 rue de la République"
    postal_code = "69001"
    city = "Lyon"


def _valid_siret(n: int) -> str:
    from stdnum.fr import siret

    base = f"73282932{n:05d}"
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
