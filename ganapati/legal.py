"""Legal wording and references, in one place so that they can follow the law.

Documents, emails and pages read these; no template spells them out itself.
"""

# Code du travail, L6352-12: the registration number must be shown with this warning.
NDA_MENTION = (
    "Déclaration d'activité enregistrée sous le numéro {nda} auprès du préfet de région "
    "{region}. Cet enregistrement ne vaut pas agrément de l'État."
)

# CGI art. 261-4-4° a: continuing vocational training by a declared organisation.
VAT_EXEMPTION_MENTION = "Exonération de TVA – article 261-4-4° a du CGI"

# Code du travail, L6353-1 and D6353-1: the agreement between the organisation and the buyer.
AGREEMENT_BASIS = (
    "Convention de formation professionnelle conclue en application des articles L6353-1 et "
    "D6353-1 du Code du travail."
)
# D6353-1 II: an approved quote carrying the D6353-1 I mentions stands in for the agreement.
QUOTE_AS_AGREEMENT = (
    "Ce devis comporte les mentions de l'article D6353-1 I du Code du travail : une fois "
    "accepté (« bon pour accord »), il vaut convention de formation (article D6353-1 II)."
)
ACTION_NATURE = (
    "Action de formation au sens de l'article L6313-1 du Code du travail (action concourant au "
    "développement des compétences)."
)
# R6332-26 and the arrêté of 21 December 2018: the certificate of completion (official model).
CERTIFICATE_BASIS = (
    "Certificat de réalisation établi selon le modèle de l'arrêté du 21 décembre 2018 "
    "(article R6332-26 du Code du travail)."
)
CERTIFICATE_NATURES = [
    "Action de formation",
    "Bilan de compétences",
    "Action de VAE",
    "Action de formation par apprentissage",
]
# The retention commitment of the official model.
RETENTION_COMMITMENT = (
    "Sans préjudice des délais imposés par les règles fiscales, comptables ou commerciales, je "
    "m'engage à conserver l'ensemble des pièces justificatives qui ont permis d'établir le "
    "présent certificat pendant une durée de 3 ans à compter de la fin de l'année du dernier "
    "paiement. En cas de cofinancement des fonds européens, la durée de conservation est "
    "étendue conformément aux obligations conventionnelles spécifiques."
)
# L6353-1: the attestation given to each trainee at the end of the action.
ATTESTATION_BASIS = (
    "Attestation de fin de formation délivrée en application de l'article L6353-1 du "
    "Code du travail."
)
# L441-10 Code de commerce: late-payment penalties and the fixed recovery indemnity.
LATE_PAYMENT = (
    "En cas de retard de paiement, pénalités au taux de trois fois le taux d'intérêt légal et "
    "indemnité forfaitaire pour frais de recouvrement de 40 € (articles L441-10 et D441-5 du "
    "Code de commerce)."
)
SUBROGATION_CLAUSE = (
    "Le client demande à son opérateur de compétences ({funder}) de régler directement "
    "l'organisme de formation (subrogation de paiement) à hauteur de la prise en charge "
    "accordée ; la part non prise en charge reste due par le client."
)
CANCELLATION_CLAUSE = (
    "En cas de renoncement par le client moins de 10 jours ouvrés avant le début de l'action, "
    "ou d'abandon en cours de formation, l'organisme facturera au client, à titre de dédit, "
    "30 % du prix des heures non réalisées ; ce dédit ne peut être imputé sur la participation "
    "au développement de la formation professionnelle ni faire l'objet d'une demande de prise "
    "en charge par un OPCO. Les heures réalisées sont dues au prorata."
)
ATTENDANCE_NOTE = (
    "Chaque stagiaire signe pour chaque demi-journée ; le formateur atteste l'exactitude de la "
    "feuille. Les horaires sont ceux de la convention."
)

# CGI art. 289 I-2: an invoice drawn up by the buyer in the supplier's name (self-billing),
# under a prior mandate; art. 293 B: VAT franchise of small businesses.
SELF_BILLING_MENTION = (
    "Autofacturation : facture établie par {buyer} au nom et pour le compte de {seller}."
)
VAT_FRANCHISE_MENTION = "TVA non applicable, article 293 B du CGI."
SELF_BILLING_MANDATE = (
    "J'accepte que l'organisme établisse en mon nom et pour mon compte les factures de mes "
    "prestations (mandat d'autofacturation, article 289 I-2 du CGI). Je peux contester une "
    "facture dans les 30 jours et révoquer ce mandat à tout moment."
)
