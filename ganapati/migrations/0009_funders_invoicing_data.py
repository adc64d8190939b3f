"""The funders' invoicing details (legal name, SIREN, billing address, invoicing e-mail or
portal) from ganapati/funders.py, where each fact cites its source. Only empty fields are
filled: what staff already typed in the admin stays."""

from django.db import migrations

from ganapati.funders import load_funders


def load(apps, schema_editor):
    load_funders(apps.get_model("ganapati", "Funder"))


class Migration(migrations.Migration):
    dependencies = [("ganapati", "0008_einvoicing_identities")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
