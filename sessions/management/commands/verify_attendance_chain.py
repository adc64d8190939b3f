"""Check a session's electronic attendance evidence: the chain of entries and every slot."""

from django.core.management.base import BaseCommand, CommandError

from sessions.models import TrainingSession
from sessions.signing import chain_verify


class Command(BaseCommand):
    help = "Vérifie le journal de preuve d'émargement d'une session (id ou référence S-2026-00012)."

    def add_arguments(self, parser):
        parser.add_argument("session", help="identifiant ou référence de la session")

    def handle(self, *args, session, **options):
        key = session.strip().upper().removeprefix("S-").split("-")[-1]
        if not key.isdigit():
            raise CommandError(f"Session inconnue : {session}")
        found = TrainingSession.objects.filter(pk=int(key)).first()
        if found is None:
            raise CommandError(f"Session inconnue : {session}")
        problems = chain_verify(found)
        entries = found.attendance_evidence.count()
        if problems:
            for problem in problems:
                self.stderr.write(problem)
            raise CommandError(
                f"{found.reference} : journal de preuve NON intègre ({len(problems)} anomalie(s))."
            )
        self.stdout.write(f"{found.reference} : journal de preuve intègre ({entries} entrées).")
