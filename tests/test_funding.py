"""Funders and "Trouver mon OPCO"."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from funding.models import CollectiveAgreement
from funding.services import agreements_import_france_competences, opco_code
from ganapati.models import Funder

from .conftest import login


@pytest.mark.parametrize("query", ["843", "0843", " 843 "])
def test_a_company_finds_its_opco_by_idcc(client, db, query):
    page = client.get("/trouver-mon-opco/", {"q": query}).content.decode()
    assert "IDCC 0843" in page
    assert "Votre OPCO est <strong>OPCO EP (entreprises de proximité)</strong>" in page


def test_a_company_finds_its_opco_by_words_of_the_title(client, db):
    page = client.get("/trouver-mon-opco/", {"q": "bureaux syntec"}).content.decode()
    assert "OPCO ATLAS" in page and "1486" in page


def test_an_unknown_agreement_gets_guidance(client, db):
    page = client.get("/trouver-mon-opco/", {"q": "9999"}).content.decode()
    assert "Aucune convention ne correspond" in page
    assert "bulletins de paie" in page


def test_the_eleven_opcos_agefice_and_fifpl_are_there(db):
    assert Funder.objects.filter(kind="opco").count() == 11
    assert set(Funder.objects.exclude(kind="opco").values_list("code", flat=True)) == {
        "agefice", "fifpl",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("spelling", "code"),
    [("OPCO EP", "opcoep"), ("L'OPCOMMERCE", "opcommerce"), ("Opco Santé", "sante"),
     ("OPCO 2i", "opco2i"), ("OPCO Mobilités", "mobilites"), ("AKTO", "akto"),
     ("Uniformation", "uniformation"), ("OPCO ATLAS", "atlas"), ("n'importe quoi", None)],
)  # fmt: skip
def test_france_competences_spellings_map_to_our_funders(spelling, code):
    assert opco_code(spelling) == code


def france_competences_lines(rows: int):
    yield "SIRET|IDCC|OPCO_PROPRIETAIRE|OPCO_GESTION\n"
    for n in range(rows):
        idcc = ["1486", "0016", "9998", "abc"][n % 4]
        owner = {"1486": "OPCO ATLAS", "0016": "OPCO MOBILITES", "9998": "AKTO", "abc": "AKTO"}[
            idcc
        ]
        yield f"{n:014d}|{idcc}|{owner}|{owner}\n"
    yield "ligne|cassée\n"


def test_the_official_table_is_imported_as_a_stream(db, staff):
    stats = agreements_import_france_competences(france_competences_lines(20_000), actor=staff)
    assert stats["lines"] == 20_001
    assert stats["skipped"] == 5_001  # the "abc" IDCCs and the broken line
    assert stats["created"] == 1  # 9998 is new; 1486 and 16 existed
    assert CollectiveAgreement.objects.get(idcc="9998").opco.code == "akto"
    agreement = CollectiveAgreement.objects.get(idcc="16")
    assert agreement.source == "france_competences" and agreement.title.startswith("Transports")


def test_a_file_with_another_header_is_refused(db, tmp_path):
    path = tmp_path / "autre.csv"
    path.write_text("a;b;c\n1;2;3\n")
    with pytest.raises(CommandError, match="en-tête attendu"):
        call_command("import_idcc_opco", str(path))


def test_staff_import_the_table_from_the_admin_and_others_cannot(client, staff, trainer):
    content = "".join(france_competences_lines(100)).encode()
    login(client, staff)
    response = client.post(
        "/admin/funding/collectiveagreement/importer/",
        {"file": SimpleUploadedFile("fc.csv", content, content_type="text/csv")},
        follow=True,
    )
    assert "101 lignes lues" in response.content.decode()
    login(client, trainer)
    response = client.get("/admin/funding/collectiveagreement/importer/", follow=True)
    assert response.status_code == 403


def test_the_client_form_links_to_find_my_opco(client, trainer):
    from django.urls import reverse

    from .factories import TrainingSessionFactory

    session = TrainingSessionFactory(trainer=trainer)
    page = login(client, trainer).get(reverse("session_client", args=[session.pk])).content
    assert b"/trouver-mon-opco/" in page


def test_the_import_command_reads_a_file(db, tmp_path, capsys):
    path = tmp_path / "fc.csv"
    path.write_text("".join(france_competences_lines(40)), encoding="utf-8")
    call_command("import_idcc_opco", str(path))
    assert "41 lignes lues" in capsys.readouterr().out
