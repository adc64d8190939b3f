"""The funders: the 11 OPCOs (since 1 April 2019), AGEFICE and FIFPL, from their public
presentations. Reference data every app names (a session chooses its funder at creation).

Invoicing details (INVOICING below: legal name, SIREN, billing address, invoicing e-mail or
portal) are facts only, each with its public source in `sources`; what could not be sourced is
left empty, and an invoice to that funder is refused until staff complete its record in the
admin with the funder's own answer (its legal name and SIREN from the Sirene register, the
address and channel from its conditions for training organisations).

Not sourced yet (empty for all 13): legal name, SIREN, billing address, invoicing e-mail or
portal. The stored copies of public pages searched for this release (the funders' legal
notices and general conditions) did not state them.
"""

FUNDERS = [
    (
        "afdas",
        "AFDAS",
        "opco",
        "Culture, industries créatives, médias, communication, "
        "télécommunications, sport, tourisme, loisirs et divertissement",
        "https://www.afdas.com",
    ),
    (
        "atlas",
        "OPCO ATLAS",
        "opco",
        "Services financiers et conseil (banques, assurances, "
        "bureaux d'études, numérique, ingénierie, expertise comptable)",
        "https://www.opco-atlas.fr",
    ),
    (
        "uniformation",
        "Uniformation (OPCO de la Cohésion sociale)",
        "opco",
        "Cohésion sociale : économie sociale et solidaire, habitat social, protection sociale, "
        "sport, animation",
        "https://www.uniformation.fr",
    ),
    (
        "akto",
        "AKTO",
        "opco",
        "Entreprises à forte intensité de main-d'œuvre : propreté, "
        "hôtellerie-restauration, travail temporaire, sécurité, services",
        "https://www.akto.fr",
    ),
    (
        "ocapiat",
        "OCAPIAT",
        "opco",
        "Agriculture, pêche, industrie agroalimentaire et territoires",
        "https://www.ocapiat.fr",
    ),
    (
        "opco2i",
        "OPCO 2i",
        "opco",
        "Industrie (interindustriel) : métallurgie, chimie, "
        "pharmacie, plasturgie, textile, papier-carton...",
        "https://www.opco2i.fr",
    ),
    (
        "constructys",
        "Constructys",
        "opco",
        "Construction : bâtiment, travaux publics, négoce des matériaux",
        "https://www.constructys.fr",
    ),
    (
        "mobilites",
        "OPCO Mobilités",
        "opco",
        "Transports et services de l'automobile",
        "https://www.opcomobilites.fr",
    ),
    (
        "opcoep",
        "OPCO EP (entreprises de proximité)",
        "opco",
        "Artisanat, professions "
        "libérales, services de proximité (coiffure, boulangerie, pharmacie d'officine...)",
        "https://www.opcoep.fr",
    ),
    (
        "sante",
        "OPCO Santé",
        "opco",
        "Santé privée : hospitalisation privée, médico-social, thermalisme",
        "https://www.opco-sante.fr",
    ),
    (
        "opcommerce",
        "L'Opcommerce",
        "opco",
        "Commerce et distribution (commerce de détail, commerce de gros, grande distribution)",
        "https://www.lopcommerce.com",
    ),
    (
        "agefice",
        "AGEFICE",
        "agefice",
        "Dirigeants non salariés du commerce, de l'industrie et des services",
        "https://www.agefice.fr",
    ),
    (
        "fifpl",
        "FIFPL",
        "fifpl",
        "Travailleurs indépendants des professions libérales",
        "https://www.fifpl.fr",
    ),
]


# code -> invoicing facts, each with its source. Keys: legal_name, siren, siret,
# billing_address, invoicing_email, invoicing_portal, sources. Add a funder here only with a
# public source for every value given.
INVOICING: dict[str, dict[str, str]] = {}


def load_funders(funder_model) -> None:
    """Create the funders, or complete them (idempotent); used by migrations and by tests.
    A value staff typed in the admin is never overwritten: only empty fields are filled."""
    field_names = {field.name for field in funder_model._meta.get_fields()}
    for code, name, kind, sector, website in FUNDERS:
        values = {"name": name, "kind": kind, "sector": sector, "website": website,
                  **INVOICING.get(code, {})}  # fmt: skip
        values = {key: value for key, value in values.items() if key in field_names}
        funder, created = funder_model.objects.get_or_create(code=code, defaults=values)
        if created:
            continue
        empty = {key: value for key, value in values.items() if value and not getattr(funder, key)}
        if empty:
            funder_model.objects.filter(pk=funder.pk).update(**empty)
