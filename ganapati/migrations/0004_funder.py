"""Funders move from the funding app to the core (sessions name them): state only, the table
funding_funder stays where it is."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("ganapati", "0003_self_billing"),
        ("funding", "0006_funder_billing"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Funder",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("code", models.SlugField(max_length=30, unique=True, verbose_name="code")),
                        ("name", models.CharField(max_length=120, verbose_name="nom")),
                        (
                            "kind",
                            models.CharField(
                                choices=[
                                    ("opco", "OPCO"),
                                    ("agefice", "AGEFICE"),
                                    ("fifpl", "FIFPL"),
                                ],
                                max_length=10,
                                verbose_name="type",
                            ),
                        ),
                        ("sector", models.TextField(blank=True, verbose_name="secteurs couverts")),
                        (
                            "billing_address",
                            models.CharField(
                                blank=True, max_length=300, verbose_name="adresse de facturation"
                            ),
                        ),
                        (
                            "siret",
                            models.CharField(blank=True, max_length=14, verbose_name="SIRET"),
                        ),
                        ("website", models.URLField(blank=True, verbose_name="site web")),
                        (
                            "contact_email",
                            models.EmailField(
                                blank=True, max_length=254, verbose_name="e-mail de contact"
                            ),
                        ),
                        (
                            "contact_phone",
                            models.CharField(blank=True, max_length=30, verbose_name="téléphone"),
                        ),
                        ("active", models.BooleanField(default=True, verbose_name="actif")),
                    ],
                    options={
                        "verbose_name": "financeur",
                        "verbose_name_plural": "financeurs",
                        "ordering": ["kind", "name"],
                        "db_table": "funding_funder",
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
