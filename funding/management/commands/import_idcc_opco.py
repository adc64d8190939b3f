from django.core.management.base import BaseCommand, CommandError

from funding.services import agreements_import_france_competences
from ganapati.errors import DomainError


class Command(BaseCommand):
    help = (
        "Importe la table officielle France Compétences (SIRET|IDCC|OPCO_PROPRIETAIRE|"
        "OPCO_GESTION) : lue ligne à ligne, elle met à jour la correspondance IDCC → OPCO."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="Chemin du fichier CSV (séparateur |)")
        parser.add_argument("--encoding", default="utf-8-sig")

    def handle(self, path, encoding, **options):
        try:
            with open(path, encoding=encoding, newline="") as handle:
                stats = agreements_import_france_competences(handle)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        except (OSError, LookupError) as exc:  # no such file, unknown --encoding
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"{stats['lines']} lignes lues, {stats['skipped']} ignorées ; "
            f"{stats['agreements']} conventions : {stats['created']} ajoutées, "
            f"{stats['updated']} mises à jour."
        )
