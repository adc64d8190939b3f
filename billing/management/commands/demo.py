"""Demo data, safe to re-run: the organisation, one account per role (known passwords), and the
trainer's sessions at every step of the flow, made through the real services. It lives in the
top app because it drives every app."""

from django.core.management.base import BaseCommand
from django.db import transaction

from ganapati.appointments.demo import load_demo_availability
from ganapati.demo import ACCOUNTS, DEMO_PASSWORD, make_demo_accounts
from ganapati.help.demo import load_help_articles
from ganapati.models import Role


class Command(BaseCommand):
    help = "Crée l'organisme, un compte de démonstration par rôle et des sessions à chaque étape."

    @transaction.atomic
    def handle(self, *args, **options):
        staff, trainer, client = make_demo_accounts()
        load_help_articles()
        load_demo_availability(advisor=staff)
        if not trainer.training_sessions.exists():
            from billing.demo import make_demo_sessions

            make_demo_sessions(trainer=trainer, client=client)
            self.stdout.write("Sessions de démonstration créées (une par étape).")

        self.stdout.write("Comptes de démonstration (mot de passe identique pour les trois) :")
        for email, role, _first, _last in ACCOUNTS:
            self.stdout.write(f"  {Role(role).label:<22} {email:<30} {DEMO_PASSWORD}")
