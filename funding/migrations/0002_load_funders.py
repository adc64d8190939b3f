from django.db import migrations

from ganapati.funders import load_funders


def load(apps, schema_editor):
    load_funders(apps.get_model("funding", "Funder"))


class Migration(migrations.Migration):
    dependencies = [("funding", "0001_funders")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
