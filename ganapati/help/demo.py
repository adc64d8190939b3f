"""The first help articles, loaded by `manage.py demo` (safe to run again: an existing slug is
left as staff edited it).

Written for Ganapati from the flow of the organisation's original help documents. Facts about
OPCOs, AGEFICE and FIFPL are the public, stable ones; amounts, ceilings and deadlines change
every year and from one fund to another, so the articles send the reader to the fund rather
than quote figures.
"""

from __future__ import annotations

from django.utils import timezone

from ..models import HelpArticle, HelpCategory
from .services import help_article_save

ARTICLES: list[dict] = [
    {
        "slug": "opco",
        "title": "Qu'est-ce qu'un OPCO ?",
        "category": HelpCategory.FUNDING,
        "position": 10,
        "summary": "L'opérateur de compétences qui finance la formation des salariés de votre "
        "entreprise : qui il est, comment le trouver, ce qu'il finance.",
        "body": """\
Un **OPCO** (opérateur de compétences) est l'organisme qui aide les entreprises à financer la
formation de leurs salariés. Depuis le 1er avril 2019, onze OPCO agréés ont remplacé les anciens
OPCA. Chacun couvre un ensemble de branches professionnelles : AFDAS, OPCO ATLAS, Uniformation
(cohésion sociale), AKTO, OCAPIAT, OPCO 2i, Constructys, OPCO Mobilités, OPCO EP (entreprises de
proximité), OPCO Santé et L'Opcommerce.

## Ce que fait un OPCO

- il finance l'apprentissage ;
- il aide les branches à construire leurs certifications professionnelles ;
- il accompagne les petites et moyennes entreprises (surtout celles de moins de 50 salariés)
  dans leurs besoins de formation, et finance une partie de leur **plan de développement des
  compétences**.

Chaque OPCO fixe ses propres critères de prise en charge (montants, durées, publics), souvent
par branche : consultez le site de votre OPCO avant de déposer une demande.

## Quel est mon OPCO ?

L'OPCO d'une entreprise dépend de sa **convention collective**, identifiée par son numéro
**IDCC** (il figure sur les bulletins de paie). Notre outil
[Trouver mon OPCO](/trouver-mon-opco/) vous le donne à partir de ce numéro ou de l'intitulé de
la convention.

## Et ensuite ?

Avec le devis, la convention et le programme que Ganapati vous envoie, vous demandez la prise en
charge sur le portail de votre OPCO. Voir
[Le fonctionnement d'une session financée par un OPCO](/aide/session-opco/).
""",
    },
    {
        "slug": "trouver-mon-opco",
        "title": "Comment trouver l'OPCO de mon entreprise ?",
        "category": HelpCategory.FUNDING,
        "position": 20,
        "summary": "Par le numéro IDCC de votre convention collective, en quelques secondes.",
        "body": """\
1. Cherchez le numéro **IDCC** de votre convention collective : il figure sur les bulletins de
   paie de vos salariés (mention « convention collective » ou « IDCC »). Votre expert-comptable
   ou votre prestataire de paie le connaît aussi.
2. Saisissez-le dans [Trouver mon OPCO](/trouver-mon-opco/) (ou quelques mots de l'intitulé de
   la convention, par exemple « boulangerie »).
3. L'outil vous indique votre OPCO et un lien vers son site.

Votre entreprise n'applique aucune convention collective ? L'OPCO dépend alors de son activité
principale (code NAF) : prenez rendez-vous avec un conseiller, nous vous aidons à le trouver.
""",
    },
    {
        "slug": "session-opco",
        "title": "Le fonctionnement d'une session financée par un OPCO",
        "category": HelpCategory.FUNDING,
        "position": 30,
        "summary": "De la création de la session au feu vert : les étapes, et qui fait quoi.",
        "body": """\
Vous êtes travailleur indépendant et financez votre propre formation ? Lisez plutôt
[Comment faire ma demande de prise en charge AGEFICE ou FIFPL ?](/aide/agefice-fifpl/).

## 1. Le formateur crée la session

Dans son espace, le formateur décrit la formation, ses dates, son prix, puis le client : soit
il lui partage un lien pour qu'il complète lui-même ses informations, soit il les saisit pour
lui. Voir [Comment créer ma session de formation ?](/aide/creer-une-session/)

## 2. Ganapati envoie les documents au client

À la validation de la session, Ganapati génère le **devis**, la **convention de formation** et
le **programme**, et les envoie par e-mail au client en trois PDF. Le formateur en reçoit une
copie.

## 3. Le client demande la prise en charge à son OPCO

Avec ces trois documents, le client dépose sa demande sur le portail de son OPCO, au titre du
plan de développement des compétences. Il y choisit, ou non, la
[subrogation de paiement](/aide/subrogation/). Déposez la demande **avant le début de la
formation** : chaque OPCO a son délai, renseignez-vous sur le sien.

## 4. L'OPCO répond : c'est la PEC

L'accord de prise en charge peut être total, partiel ou refusé. Le client le dépose dans son
espace Ganapati. Voir [Qu'est-ce qu'une PEC ?](/aide/pec/)

## 5. Ganapati vérifie la PEC : c'est le feu vert

Le formateur reçoit un e-mail de confirmation et peut démarrer la formation. Si la prise en
charge est partielle, le client accepte d'abord de régler le reste à charge. Le formateur
relance son client tant que la PEC n'est pas déposée : sans elle, la session ne démarre pas.

Seules les actions prévues, réalisées et dûment justifiées sont financées par l'OPCO. La suite :
[De l'entrée en formation à la facturation](/aide/de-la-formation-a-la-facturation/).
""",
    },
    {
        "slug": "pec",
        "title": "Qu'est-ce qu'une PEC ?",
        "category": HelpCategory.FUNDING,
        "position": 40,
        "summary": "L'accord de prise en charge de l'OPCO : totale, partielle ou refusée, et ce "
        "que vous en faites dans Ganapati.",
        "body": """\
La **PEC** (accord de prise en charge) est la réponse de l'OPCO, ou du fonds, à la demande de
financement de l'entreprise. Elle indique le montant et le nombre d'heures accordés, et si
l'OPCO paie directement l'organisme de formation (subrogation).

## Les trois réponses possibles

- **Totale** : l'OPCO finance toute la formation, rien ne reste à la charge de l'entreprise.
- **Partielle** : l'OPCO finance une partie ; l'entreprise paie la différence, le **reste à
  charge**. Elle l'accepte dans son espace avant le démarrage, et la convention est mise à jour
  avec cette répartition.
- **Refusée** : l'entreprise peut financer elle-même la formation, ou l'annuler.

## Déposer la PEC dans Ganapati

Dans votre espace client, ouvrez la session puis « Financement » et déposez le PDF reçu de
l'OPCO (10 Mo au plus), avec le numéro de dossier, le montant et les heures accordés. L'équipe
le vérifie ; vous êtes prévenu par e-mail, et le formateur reçoit le feu vert.

## Ce que l'OPCO paie

L'OPCO paie les heures réellement suivies, prouvées par les feuilles d'émargement et le
certificat de réalisation, dans la limite de sa PEC. Une demi-journée non signée peut ne pas
être payée : voir [Feuilles d'émargement](/aide/emargement/).
""",
    },
    {
        "slug": "subrogation",
        "title": "La subrogation de paiement et le reste à charge",
        "category": HelpCategory.FUNDING,
        "position": 50,
        "summary": "L'OPCO paie directement l'organisme : votre entreprise n'avance pas les "
        "fonds. Sinon, elle paie puis se fait rembourser.",
        "body": """\
Lors de sa demande de prise en charge, l'entreprise rencontre la notion de **subrogation de
paiement**.

## Avec subrogation

L'OPCO paie directement Ganapati : l'entreprise n'avance pas le coût de la formation. Ganapati
facture l'OPCO pour sa part, et l'entreprise seulement pour l'éventuel reste à charge.

## Sans subrogation

L'entreprise règle la facture de Ganapati, puis demande son remboursement à l'OPCO avec la
facture acquittée et le certificat de réalisation. Ganapati met à sa disposition un
« dossier de remboursement » qui les rassemble.

## Le reste à charge

C'est ce que l'entreprise paie quand la prise en charge est partielle : la différence entre le
prix de la formation et le montant accordé par l'OPCO. Il est accepté par l'entreprise avant le
démarrage de la session et facturé à part.
""",
    },
    {
        "slug": "creer-une-session",
        "title": "Comment créer ma session de formation ?",
        "category": HelpCategory.SESSION,
        "position": 10,
        "summary": "Quatre étapes dans votre espace formateur : la formation, les dates, le prix, "
        "le client.",
        "body": """\
Dans votre espace formateur, cliquez sur **Créer une session**. Chaque étape enregistre un
brouillon : vous pouvez vous arrêter et reprendre plus tard.

## 1. La formation

L'intitulé, les objectifs (ce que le stagiaire saura faire, de façon évaluable), le public, les
prérequis, le déroulé en modules, les méthodes, l'évaluation, la durée, le lieu et le contact
pour les personnes en situation de handicap. Ces informations forment le **programme**, qui est
publié au catalogue. Vous pouvez aussi repartir d'un programme déjà enregistré.

## 2. Les dates

Une journée par ligne, avec les horaires du matin et de l'après-midi. Chaque demi-journée
devient une ligne de la feuille d'émargement : les heures doivent correspondre exactement à la
durée annoncée.

## 3. Le prix

Le prix HT, pour la session ou par stagiaire, et le nombre de places.

## 4. Le client

Deux possibilités :

- **partager un lien** avec votre client : il complète lui-même les informations de son
  entreprise, le financement choisi et ses stagiaires, sans créer de compte ; vous êtes prévenu
  dès qu'il a terminé ;
- **saisir vous-même** ces informations pour lui.

Vous validez ensuite la session : Ganapati envoie au client le devis, la convention et le
programme. La suite : [Le fonctionnement d'une session financée par un
OPCO](/aide/session-opco/).
""",
    },
    {
        "slug": "emargement",
        "title": "Feuilles d'émargement : les règles à respecter",
        "category": HelpCategory.SESSION,
        "position": 20,
        "summary": "Une signature par stagiaire et par demi-journée, des horaires identiques "
        "partout : c'est ce que l'OPCO vérifie.",
        "body": """\
La feuille d'émargement prouve que la formation a eu lieu. Les OPCO la demandent pour payer,
et peuvent la contrôler plus tard.

- Chaque stagiaire signe **à chaque demi-journée**, et le formateur aussi.
- Les dates et les horaires doivent être **exactement** ceux de la convention, du certificat de
  réalisation et de la facture : 14 h sur la convention et 13 h 30 sur le certificat suffisent
  à faire refuser un paiement.
- Les noms des stagiaires s'écrivent comme sur la convention.

Dans Ganapati, la feuille est générée au démarrage de la session avec les bonnes dates et les
bons horaires. Saisissez les présences sur la page « Émargement » (une case décochée vaut
absence), puis déposez le scan des feuilles signées. Les heures suivies alimentent les
certificats de réalisation et les factures.
""",
    },
    {
        "slug": "de-la-formation-a-la-facturation",
        "title": "Session : de l'entrée en formation à la facturation",
        "category": HelpCategory.BILLING,
        "position": 10,
        "summary": "Émargement, certificat de réalisation, factures, paiement du formateur et "
        "contrôle de service fait.",
        "body": """\
## Pendant la formation

Le formateur démarre la session une fois le feu vert reçu, fait signer la feuille d'émargement
à chaque demi-journée et saisit les présences. Voir
[Feuilles d'émargement](/aide/emargement/).

## À la fin

Le formateur déclare la session terminée. Ganapati établit pour chaque stagiaire le
**certificat de réalisation** (modèle officiel) et l'attestation de fin de formation, avec les
heures réellement suivies.

## La facturation

Ganapati facture le ou les financeurs selon le financement choisi :

- avec subrogation, l'OPCO pour sa part (proratisée aux heures suivies), et l'entreprise pour
  l'éventuel reste à charge ;
- sans subrogation, l'entreprise, qui se fait ensuite rembourser par son OPCO.

Dans le cas d'une prise en charge totale avec subrogation, l'entreprise n'a rien à faire. Voir
[Les factures](/aide/factures/).

## Le paiement du formateur

Quand le financeur a payé, le formateur reçoit un e-mail avec le numéro de la session, et
Ganapati vire sa part sur son compte bancaire.

## Le contrôle de service fait

L'OPCO peut contrôler la formation après coup. Ganapati, certifié Qualiopi et garant de la
qualité de la formation, fournit alors les pièces : factures, certificats de réalisation,
feuilles d'émargement. Gardez vos propres justificatifs.
""",
    },
    {
        "slug": "factures",
        "title": "Les factures : qui paie quoi, et quand ?",
        "category": HelpCategory.BILLING,
        "position": 20,
        "summary": "Où trouver vos factures, leur échéance, et le dossier de remboursement pour "
        "votre OPCO.",
        "body": """\
Les factures sont émises quand la session est terminée. Elles apparaissent dans votre espace
client, sur la page de la session, et vous sont envoyées par e-mail.

- **Avec subrogation** : l'OPCO reçoit la facture de sa part ; vous ne recevez que celle du
  reste à charge, s'il y en a un.
- **Sans subrogation** : vous recevez la facture complète. Une fois réglée, le **dossier de
  remboursement** (facture payée, certificats de réalisation, feuilles d'émargement) rassemble
  ce que votre OPCO demande pour vous rembourser.

Chaque facture indique sa date d'échéance. Une facture émise n'est jamais modifiée : en cas
d'erreur, un avoir l'annule et une nouvelle facture est émise.

Une question sur une facture ? Prenez rendez-vous avec un conseiller.
""",
    },
    {
        "slug": "agefice-fifpl",
        "title": "Comment faire ma demande de prise en charge AGEFICE ou FIFPL ?",
        "category": HelpCategory.SELF_EMPLOYED,
        "position": 10,
        "summary": "Travailleur indépendant : faites la demande vous-même, avant la formation, "
        "auprès du fonds dont vous relevez.",
        "body": """\
Les travailleurs indépendants ne relèvent pas d'un OPCO : leur formation est financée par un
fonds d'assurance formation, alimenté par la contribution à la formation professionnelle (CFP)
qu'ils versent avec leurs cotisations sociales.

## Quel fonds ?

- **AGEFICE** : les chefs d'entreprise non salariés du commerce, de l'industrie et des services
  (et leur conjoint collaborateur), y compris de nombreux micro-entrepreneurs.
- **FIFPL** : les professionnels libéraux (consultants, professions de santé libérales,
  professions juridiques, etc.), selon leur code NAF.

Les artisans inscrits au répertoire des métiers relèvent d'un autre fonds. Le fonds vous
demandera votre attestation de versement de la CFP, à télécharger sur votre espace URSSAF. Un
doute sur le fonds dont vous relevez ? Renseignez-vous auprès de l'URSSAF, ou prenez
rendez-vous avec un conseiller.

## Les règles qui changent tout

- **La demande est à faire par vous-même, avant la formation**, sur le site du fonds. Chaque
  fonds a son délai de dépôt : renseignez-vous dès que les dates sont fixées, une demande
  tardive est refusée.
- **Pas de subrogation en général** : vous réglez la formation à Ganapati, puis le fonds vous
  rembourse sur justificatifs (facture acquittée, attestation de présence ou certificat de
  réalisation).
- **Chaque fonds fixe ses plafonds** (montant par an, par jour ou par heure, thèmes pris en
  charge), et les revoit chaque année, souvent par profession. Consultez les critères en vigueur
  sur le site de votre fonds avant de vous engager.

## Dans Ganapati

1. Dans le formulaire client, choisissez **AGEFICE** ou **FIFPL** comme financement.
2. À la validation de la session, vous recevez le devis, la convention et le programme :
   joignez-les à votre demande, avec votre attestation de CFP.
3. Déposez la réponse du fonds dans votre espace client, comme une PEC.
4. Après la formation, votre espace contient la facture et le certificat de réalisation à
   envoyer au fonds pour être remboursé.

Un doute sur votre éligibilité ou les pièces à fournir ? Prenez rendez-vous avec un conseiller.
""",
    },
]


def load_help_articles(*, actor=None) -> int:
    """Create the articles whose slug does not exist yet. Returns how many were created."""
    created = 0
    today = timezone.localdate()
    for values in ARTICLES:
        if HelpArticle.objects.filter(slug=values["slug"]).exists():
            continue
        help_article_save(
            article=HelpArticle(**values, published=True, last_reviewed=today), actor=actor
        )
        created += 1
    return created
