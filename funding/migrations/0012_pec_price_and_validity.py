"""The database refuses a PEC above the session's price and a validity that ends before it
starts (issue 11). The price is kept on the PEC (a CHECK cannot read the session's row)."""

from decimal import Decimal

from django.db import migrations, models

CENT = Decimal("0.01")


def backfill(apps, schema_editor):
    request_model = apps.get_model("funding", "FundingRequest")
    trainee_model = apps.get_model("training_sessions", "Trainee")
    for request in request_model.objects.select_related("session").iterator():
        session = request.session
        unit = Decimal(str(session.price_excl_tax or 0)).quantize(CENT)
        count = 1
        if session.price_basis != "per_session":
            count = trainee_model.objects.filter(session=session).count()
        price = (unit * count).quantize(CENT)
        # A PEC recorded above the price (before the service refused it) keeps no price;
        # funding.money caps what the funder is invoiced at the price anyway.
        if request.amount_granted <= price:
            request_model.objects.filter(pk=request.pk).update(session_price=price)
    # The form always refused an inverted validity; a row edited elsewhere loses its end date
    # rather than block the migration (the PEC's own PDF still states it).
    request_model.objects.filter(
        valid_from__isnull=False,
        valid_until__isnull=False,
        valid_until__lt=models.F("valid_from"),
    ).update(valid_until=None)


class Migration(migrations.Migration):
    dependencies = [
        ("funding", "0011_masculine_labels"),
        ("training_sessions", "0007_durations_in_minutes"),
    ]

    operations = [
        migrations.AddField(
            model_name="fundingrequest",
            name="session_price",
            field=models.DecimalField(
                blank=True,
                decimal_places=2,
                editable=False,
                max_digits=10,
                null=True,
                verbose_name="prix de la session HT à l'enregistrement",
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="fundingrequest",
            constraint=models.CheckConstraint(
                condition=models.Q(session_price__isnull=True)
                | models.Q(amount_granted__lte=models.F("session_price")),
                name="funding_granted_le_price",
            ),
        ),
        migrations.AddConstraint(
            model_name="fundingrequest",
            constraint=models.CheckConstraint(
                condition=models.Q(valid_from__isnull=True)
                | models.Q(valid_until__isnull=True)
                | models.Q(valid_until__gte=models.F("valid_from")),
                name="funding_validity_ordered",
            ),
        ),
    ]
