"""The funders: the 11 OPCOs (since 1 April 2019), AGEFICE and FIFPL, from their public
presentations. Reference data every app names (a session chooses its funder at creation).
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


def load_funders(funder_model) -> None:
    """Create or refresh the funders (idempotent); used by a migration and by tests."""
    for code, name, kind, sector, website in FUNDERS:
        funder_model.objects.update_or_create(
            code=code, defaults={"name": name, "kind": kind, "sector": sector, "website": website}
        )
