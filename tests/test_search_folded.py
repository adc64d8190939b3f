"""Searches ignore accents and case everywhere: Trouver mon OPCO (the full 2019 table merged with
today's rows), the trainer's dashboard, the public catalogue and the admin lists."""

import io

import pytest
from django.urls import reverse

from funding.models import CollectiveAgreement
from funding.services import agreements_import_france_competences
from sessions.models import Programme

from .conftest import login
from .factories import CompanyFactory, TrainingSessionFactory


def test_find_my_opco_knows_the_ministrys_330_agreements_besides_todays_rows(db):
    # 330 in the 2019 table; IDCC 3248 (2024) and a few others exist only in today's rows.
    assert CollectiveAgreement.objects.count() >= 330
    assert CollectiveAgreement.objects.filter(idcc="3248", opco__code="opco2i").exists()
    # An agreement only the 2019 table knows: the bakery trade (IDCC 0843 is in both).
    assert CollectiveAgreement.objects.get(idcc="1747").opco.code == "ocapiat"


@pytest.mark.parametrize(
    "query,idcc,opco",
    [
        ("metallurgie", "IDCC 3248", "OPCO 2i"),
        ("MÉTALLURGIE", "IDCC 3248", "OPCO 2i"),
        ("hotels cafes restaurants", "IDCC 1979", "AKTO"),
        ("0018", "IDCC 0018", "OPCO 2i"),
        ("18", "IDCC 0018", "OPCO 2i"),
    ],
)
def test_find_my_opco_ignores_accents_capitals_and_leading_zeros(client, db, query, idcc, opco):
    page = client.get("/trouver-mon-opco/", {"q": query}).content.decode()
    assert idcc in page and opco in page


def test_the_france_competences_import_still_overrides_the_2019_table(db):
    assert CollectiveAgreement.objects.get(idcc="18").source == "ministere_2019"
    lines = io.StringIO("SIRET|IDCC|OPCO_PROPRIETAIRE|OPCO_GESTION\n12345678900011|0018|AKTO|\n")
    agreements_import_france_competences(lines)
    agreement = CollectiveAgreement.objects.get(idcc="18")
    assert (agreement.opco.code, agreement.source) == ("akto", "france_competences")
    assert "textiles" in agreement.title  # the title stays


def test_the_dashboard_search_ignores_accents_and_case(client, trainer):
    TrainingSessionFactory(trainer=trainer, title="Négociation commerciale")
    TrainingSessionFactory(trainer=trainer, title="Excel avancé")
    login(client, trainer)
    page = client.get(reverse("trainer_home"), {"q": "NEGOCIATION"}).content.decode()
    assert page.count('class="session-item"') == 1 and "Négociation commerciale" in page


def test_the_catalogue_search_ignores_accents(client, trainer):
    TrainingSessionFactory(trainer=trainer)  # the factory's programme is not published
    Programme.objects.create(trainer=trainer, title="Sécurité électrique", duration_minutes=420,
                             objectives="Habilitation", published=True)  # fmt: skip
    Programme.objects.create(trainer=trainer, title="Comptabilité", duration_minutes=420,
                             objectives="Bilan", published=True)  # fmt: skip
    page = client.get(reverse("catalogue"), {"q": "securite electrique"}).content.decode()
    assert "Sécurité électrique" in page and "Comptabilité" not in page


def test_the_admin_search_ignores_accents(client, staff):
    CompanyFactory(legal_name="Société Générale d'Équipement")
    CompanyFactory(legal_name="Acme")
    login(client, staff)
    page = client.get("/admin/ganapati/company/", {"q": "societe equipement"}).content.decode()
    assert "Société Générale d&#x27;Équipement" in page and ">Acme<" not in page
