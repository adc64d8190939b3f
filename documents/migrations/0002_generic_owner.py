"""Documents belong to any object (a generic owner, and a subject for individual documents)
instead of a training session: the documents app no longer knows the sessions app."""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models

LABELS = {
    "devis": "Devis",
    "convention": "Convention de formation",
    "programme": "Programme de formation",
    "emargement": "Feuille d'émargement",
    "certificat": "Certificat de réalisation",
    "attestation": "Attestation de fin de formation",
}


def to_generic(apps, schema_editor):
    Document = apps.get_model("documents", "Document")
    if not Document.objects.exists():
        return
    ContentType = apps.get_model("contenttypes", "ContentType")
    TrainingSession = apps.get_model("training_sessions", "TrainingSession")
    Trainee = apps.get_model("training_sessions", "Trainee")
    session_type, _ = ContentType.objects.get_or_create(
        app_label="training_sessions", model="trainingsession"
    )
    trainee_type, _ = ContentType.objects.get_or_create(
        app_label="training_sessions", model="trainee"
    )
    sessions = {s.pk: s for s in TrainingSession.objects.all()}
    trainees = {t.pk: t for t in Trainee.objects.all()}
    for document in Document.objects.all():
        session = sessions[document.session_id]
        reference = f"S-{django.utils.timezone.localtime(session.created_at).year}-{session.pk:05d}"
        title = f"{LABELS.get(document.kind, document.kind)} {reference}"
        document.owner_type_id = session_type.pk
        document.owner_id = session.pk
        if document.trainee_id:
            trainee = trainees[document.trainee_id]
            document.subject_type_id = trainee_type.pk
            document.subject_id = trainee.pk
            title += f"-{trainee.last_name} {trainee.first_name}"
        document.title = title[:250]
        document.save(update_fields=["owner_type", "owner_id", "subject_type", "subject_id",
                                     "title"])  # fmt: skip


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("documents", "0001_documents"),
        ("training_sessions", "0004_funder_in_core"),
    ]

    operations = [
        migrations.AddField(
            model_name="document",
            name="owner_type",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="contenttypes.contenttype",
                verbose_name="type d'objet",
            ),  # fmt: skip
        ),
        migrations.AddField(
            model_name="document",
            name="owner_id",
            field=models.PositiveBigIntegerField(null=True, verbose_name="objet"),
        ),
        migrations.AddField(
            model_name="document",
            name="subject_type",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="contenttypes.contenttype",
                verbose_name="type de personne",
            ),  # fmt: skip
        ),
        migrations.AddField(
            model_name="document",
            name="subject_id",
            field=models.PositiveBigIntegerField(blank=True, null=True, verbose_name="personne"),
        ),
        migrations.AddField(
            model_name="document",
            name="title",
            field=models.CharField(default="", max_length=250, verbose_name="intitulé"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="document",
            name="queued_at",
            field=models.DateTimeField(
                db_index=True, default=django.utils.timezone.now, verbose_name="mis en file le"
            ),
        ),
        migrations.RunPython(to_generic, migrations.RunPython.noop),
        migrations.RemoveConstraint(model_name="document", name="document_unique_version"),
        migrations.RemoveConstraint(
            model_name="document", name="document_unique_version_per_trainee"
        ),
        migrations.RemoveConstraint(model_name="document", name="document_unique_source"),
        migrations.RemoveConstraint(
            model_name="document", name="document_unique_source_per_trainee"
        ),
        migrations.RemoveField(model_name="document", name="session"),
        migrations.RemoveField(model_name="document", name="trainee"),
        migrations.AlterField(
            model_name="document",
            name="owner_type",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="contenttypes.contenttype",
                verbose_name="type d'objet",
            ),  # fmt: skip
        ),
        migrations.AlterField(
            model_name="document",
            name="owner_id",
            field=models.PositiveBigIntegerField(verbose_name="objet"),
        ),
        migrations.AlterField(
            model_name="document",
            name="kind",
            field=models.CharField(max_length=20, verbose_name="type"),
        ),
        migrations.AlterModelOptions(
            name="document",
            options={
                "ordering": ["owner_type", "owner_id", "kind", "subject_id", "-version"],
                "verbose_name": "document",
                "verbose_name_plural": "documents",
            },
        ),
        migrations.AddIndex(
            model_name="document",
            index=models.Index(fields=["owner_type", "owner_id", "kind"], name="document_owner"),
        ),
        migrations.AddConstraint(
            model_name="document",
            constraint=models.UniqueConstraint(
                condition=models.Q(subject_id__isnull=True),
                fields=("owner_type", "owner_id", "kind", "version"),
                name="document_unique_version",
            ),
        ),
        migrations.AddConstraint(
            model_name="document",
            constraint=models.UniqueConstraint(
                condition=models.Q(subject_id__isnull=False),
                fields=("owner_type", "owner_id", "kind", "subject_type", "subject_id", "version"),
                name="document_unique_version_per_subject",
            ),
        ),
        migrations.AddConstraint(
            model_name="document",
            constraint=models.UniqueConstraint(
                condition=models.Q(subject_id__isnull=True),
                fields=("owner_type", "owner_id", "kind", "source"),
                name="document_unique_source",
            ),
        ),
        migrations.AddConstraint(
            model_name="document",
            constraint=models.UniqueConstraint(
                condition=models.Q(subject_id__isnull=False),
                fields=("owner_type", "owner_id", "kind", "subject_type", "subject_id", "source"),
                name="document_unique_source_per_subject",
            ),
        ),
        migrations.AddConstraint(
            model_name="document",
            constraint=models.CheckConstraint(
                condition=models.Q(subject_type__isnull=True, subject_id__isnull=True)
                | models.Q(subject_type__isnull=False, subject_id__isnull=False),
                name="document_subject_whole",
            ),
        ),
        migrations.AddConstraint(
            model_name="document",
            constraint=models.CheckConstraint(
                condition=models.Q(status__in=["pending", "ready", "failed"]),
                name="document_status_valid",
            ),
        ),
    ]
