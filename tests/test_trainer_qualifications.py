"""A trainer's CV and qualifications with their PDF proof (issue 15, Qualiopi 21–22): added by
the trainer on their profile or by staff in the admin, each upload checked, the file seen only
by its trainer and staff."""

import datetime as dt

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from ganapati.models import AuditEvent, TrainerQualification

from .conftest import login
from .test_pec import pdf_bytes


def _add(client, **extra):
    data = {"kind": "cv", "title": "CV 2026", "details": "Consultante RH depuis 2012"}
    return client.post(reverse("trainer_qualification_add"), {**data, **extra})


def test_a_trainer_adds_their_cv_as_a_pdf_that_only_they_and_staff_can_open(
    client, trainer, other_trainer, client_user, staff
):
    login(client, trainer)
    content = pdf_bytes()
    response = _add(client, file=SimpleUploadedFile("Mon CV (2026).pdf", content))
    assert response.status_code == 302
    page = client.get(reverse("trainer_profile")).content.decode()
    assert "CV 2026" in page and "Mon CV (2026).pdf" in page
    (qualification,) = TrainerQualification.objects.filter(trainer=trainer)
    assert qualification.kind == "cv" and qualification.sha256
    assert "Mon CV" not in qualification.file.name  # stored under a random name
    url = reverse("qualification_file", args=[qualification.pk])
    assert url in page
    download = client.get(url)
    assert download.status_code == 200 and b"".join(download.streaming_content) == content
    assert AuditEvent.objects.filter(action="qualification.added").exists()
    for outsider, refused in ((other_trainer, 404), (client_user, 403)):
        login(client, outsider)
        assert client.get(url).status_code == refused
    client.logout()
    assert client.get(url).status_code == 302  # to the login page
    login(client, staff)
    assert client.get(url).status_code == 200


def test_a_file_that_is_not_a_safe_pdf_is_refused_in_french_and_nothing_is_saved(client, trainer):
    login(client, trainer)
    page = _add(client, file=SimpleUploadedFile("cv.pdf", b"<html>pas un PDF</html>"))
    assert page.status_code == 400
    assert "Ce fichier n&#x27;est pas un PDF (quel que soit son nom)" in page.content.decode()
    page = _add(client, file=SimpleUploadedFile("cv.pdf", pdf_bytes(javascript=True)))
    assert page.status_code == 400 and "par sécurité il est refusé" in page.content.decode()
    page = _add(client, kind="certification", title="SST", obtained_on="01/06/2026",
                expires_on="01/06/2025")  # fmt: skip
    assert page.status_code == 400
    assert "La date d&#x27;expiration suit la date d&#x27;obtention." in page.content.decode()
    assert not TrainerQualification.objects.exists()


def test_a_trainer_removes_an_entry_of_their_own_only(client, trainer, other_trainer):
    mine = TrainerQualification.objects.create(trainer=trainer, kind="diploma", title="Master RH")
    theirs = TrainerQualification.objects.create(
        trainer=other_trainer, kind="diploma", title="Licence"
    )
    login(client, trainer)
    remove = "trainer_qualification_remove"
    assert client.post(reverse(remove, args=[theirs.pk])).status_code == 404
    assert client.post(reverse(remove, args=[mine.pk])).status_code == 302
    assert list(TrainerQualification.objects.values_list("title", flat=True)) == ["Licence"]


def test_staff_upload_a_proof_in_the_admin_checked_like_any_upload(trainer):
    from ganapati.admin import TrainerQualificationForm

    data = {"kind": "certification", "title": "Habilitation SST", "details": "",
            "obtained_on": "01/06/2025", "expires_on": "01/06/2027"}  # fmt: skip
    refused = TrainerQualificationForm(
        data, {"file": SimpleUploadedFile("sst.pdf", b"GIF89a pas un PDF")},
        instance=TrainerQualification(trainer=trainer),
    )  # fmt: skip
    assert not refused.is_valid()
    assert "n&#x27;est pas un PDF" in str(refused.errors["file"])
    form = TrainerQualificationForm(
        data, {"file": SimpleUploadedFile("sst.pdf", pdf_bytes())},
        instance=TrainerQualification(trainer=trainer),
    )  # fmt: skip
    assert form.is_valid(), form.errors
    saved = form.save()
    assert saved.original_name == "sst.pdf" and saved.sha256 and saved.file.name.endswith(".pdf")
    assert saved.expires_on == dt.date(2027, 6, 1)


def test_the_auditors_export_holds_the_qualifications_and_proofs_of_the_periods_trainers(
    client, trainer, other_trainer, client_user, staff, organisation
):
    import io
    import zipfile

    from ganapati.qualifications import qualification_add
    from tests import clock

    from .test_billing import completed_session

    content = pdf_bytes()
    qualification_add(trainer=trainer, actor=trainer, kind="cv", title="CV 2026",
                      upload=SimpleUploadedFile("cv.pdf", content))  # fmt: skip
    qualification_add(trainer=trainer, actor=trainer, kind="certification",
                      title="Habilitation SST", obtained_on=dt.date(2025, 6, 1),
                      expires_on=dt.date(2027, 6, 1))  # fmt: skip
    qualification_add(trainer=other_trainer, actor=other_trainer, kind="cv", title="Autre CV")
    session = completed_session(trainer, client_user)
    clock.back()
    first = min(d.date for d in session.days.all())
    login(client, staff)
    url = reverse("quality_auditor_export") + f"?du={first:%Y-%m-%d}&au={first:%Y-%m-%d}"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(client.get(url).streaming_content)))
    folder = f"formateurs/{trainer.get_full_name()}-{trainer.pk}/"
    (cv,) = TrainerQualification.objects.filter(trainer=trainer, kind="cv")
    assert archive.read(f"{folder}{cv.pk}-cv.pdf") == content
    listing = archive.read(f"{folder}qualifications.csv").decode("utf-8-sig")
    assert "CV 2026" in listing and "Habilitation SST" in listing and "01/06/2027" in listing
    assert cv.sha256 in listing
    assert not any(
        "Autre CV" in archive.read(n).decode("utf-8-sig", "ignore")
        for n in archive.namelist()
        if n.endswith(".csv")
    )  # not a trainer of the period
