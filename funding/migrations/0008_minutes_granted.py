"""The PEC's granted duration in integer minutes (issue 11)."""

from django.db import migrations, models

import ganapati.fields


def hours_to_minutes(apps, schema_editor):
    model = apps.get_model("funding", "FundingRequest")
    for row in model.objects.only("pk", "hours_granted").iterator():
        minutes = int((row.hours_granted * 60).to_integral_value())
        model.objects.filter(pk=row.pk).update(minutes_granted=minutes)


class Migration(migrations.Migration):
    dependencies = [("funding", "0007_funder_moved_to_core")]

    operations = [
        migrations.RemoveConstraint(model_name="fundingrequest", name="funding_amounts_positive"),
        migrations.AddField(
            model_name="fundingrequest",
            name="minutes_granted",
            field=ganapati.fields.DurationMinutesField(default=0, verbose_name="durée accordée"),
        ),
        migrations.RunPython(hours_to_minutes, migrations.RunPython.noop),
        migrations.RemoveField(model_name="fundingrequest", name="hours_granted"),
        migrations.AddConstraint(
            model_name="fundingrequest",
            constraint=models.CheckConstraint(
                condition=models.Q(("amount_granted__gte", 0), ("minutes_granted__gte", 0)),
                name="funding_amounts_positive",
            ),
        ),
    ]
