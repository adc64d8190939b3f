"""Durations in integer minutes: "3 h 20" is 200 minutes, never 3,33 h (issue 11)."""

import django.core.validators
from django.db import migrations

import ganapati.fields


def hours_to_minutes(apps, schema_editor):
    for name in ("Programme", "TrainingSession"):
        model = apps.get_model("training_sessions", name)
        for row in model.objects.only("pk", "duration_hours").iterator():
            minutes = int((row.duration_hours * 60).to_integral_value())
            model.objects.filter(pk=row.pk).update(duration_minutes=minutes)


def minutes_to_hours(apps, schema_editor):
    from decimal import Decimal

    for name in ("Programme", "TrainingSession"):
        model = apps.get_model("training_sessions", name)
        for row in model.objects.only("pk", "duration_minutes").iterator():
            hours = (Decimal(row.duration_minutes) / 60).quantize(Decimal("0.01"))
            model.objects.filter(pk=row.pk).update(duration_hours=hours)


class Migration(migrations.Migration):
    dependencies = [("training_sessions", "0006_bounds")]

    operations = (
        [
            migrations.AddField(
                model_name=model,
                name="duration_minutes",
                field=ganapati.fields.DurationMinutesField(null=True, verbose_name="durée"),
            )
            for model in ("programme", "trainingsession")
        ]
        + [
            migrations.RunPython(hours_to_minutes, minutes_to_hours),
        ]
        + [
            migrations.RemoveField(model_name=model, name="duration_hours")
            for model in ("programme", "trainingsession")
        ]
        + [
            migrations.AlterField(
                model_name=model,
                name="duration_minutes",
                field=ganapati.fields.DurationMinutesField(
                    help_text="En heures et minutes : « 14 », « 14 h », « 3 h 20 ».",
                    validators=[
                        django.core.validators.MinValueValidator(30),
                        django.core.validators.MaxValueValidator(86400),
                    ],
                    verbose_name="durée",
                ),
            )
            for model in ("programme", "trainingsession")
        ]
    )
