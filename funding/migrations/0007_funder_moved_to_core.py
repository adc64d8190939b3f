"""Funders now live in the core app: the foreign keys point there (state only: same table)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("funding", "0006_funder_billing"),
        ("ganapati", "0004_funder"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="collectiveagreement",
                    name="opco",
                    field=models.ForeignKey(
                        limit_choices_to={"kind": "opco"},
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="agreements",
                        to="ganapati.funder",
                        verbose_name="OPCO",
                    ),
                ),
                migrations.AlterField(
                    model_name="fundingrequest",
                    name="funder",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        to="ganapati.funder",
                        verbose_name="financeur",
                    ),
                ),
                migrations.DeleteModel(name="Funder"),
            ],
            database_operations=[],
        ),
    ]
