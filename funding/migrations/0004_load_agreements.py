from django.db import migrations

from funding.data import load_agreements


def load(apps, schema_editor):
    load_agreements(
        apps.get_model("funding", "CollectiveAgreement"), apps.get_model("funding", "Funder")
    )


class Migration(migrations.Migration):
    dependencies = [("funding", "0003_collective_agreements")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
