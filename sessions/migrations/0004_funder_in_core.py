import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("training_sessions", "0003_attendance"),
        ("ganapati", "0004_funder"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="trainingsession",
                    name="funder",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="sessions",
                        to="ganapati.funder",
                        verbose_name="financeur",
                    ),
                ),
            ],
            database_operations=[],
        ),
    ]
