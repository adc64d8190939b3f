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

# --- Invoices (CGI annexe II art. 242 nonies A; Code de commerce L441-9) ---------------------
# Each mention is printed on the PDF and sent in the Factur-X XML as a note (BG-1) with the
# subject code the French rules ask for (BR-FR-05): PMD, PMT and AAB.
LATE_PENALTIES = (
    "Pénalités de retard : trois fois le taux d'intérêt légal, exigibles dès le lendemain de "
    "l'échéance (article L441-10 du Code de commerce)."
)
RECOVERY_INDEMNITY = (
    "Indemnité forfaitaire pour frais de recouvrement en cas de retard de paiement : 40 € "
    "(articles L441-10 et D441-5 du Code de commerce)."
)
# L441-9: the conditions of discount for early payment, or that there is none.
NO_DISCOUNT = "Pas d'escompte pour paiement anticipé."
# The category of the operation (mandatory from the e-invoicing reform): services only. In the
# XML it is the billing framework BT-23 = "S1" (invoice for services).
OPERATION_CATEGORY = "Nature de l'opération : prestation de services."
OPERATION_FRAMEWORK = "S1"
# The code of the exemption reason for VAT category E (BT-121), French code list: article 261-4
# of the CGI, whose 4° a exempts vocational training by a declared organisation.
VAT_EXEMPTION_CODE = "VATEX-FR-CGI261-4"
PAYMENT_TERMS = "Paiement à {days} jours par virement, au plus tard le {due_date}."
CREDIT_NOTE_TERMS = (
    "Avoir annulant la facture {number} du {date} : aucun paiement n'est dû ; une somme déjà "
    "réglée est remboursée par virement."
)
# Under subrogation the funder pays the organisation directly (the OPCO checks these words).
SUBROGATION_INVOICE = "Facture émise au titre de la subrogation de paiement"
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
VAT_FRANCHISE_CODE = "VATEX-FR-FRANCHISE"
# A trainer declared as a training organisation (with an NDA) is exempt like the organisation.
TRAINER_TRAINING_EXEMPTION = (
    "Exonération de TVA – article 261-4-4° a du CGI (organisme de formation déclaré sous le "
    "numéro {nda})."
)
SELF_BILLING_MANDATE_REF = (
    "Facture établie en application du mandat d'autofacturation {reference} accepté le {date} "
    "(article 289 I-2 du CGI)."
)
SELF_BILLING_MANDATE = (
    "J'accepte que l'organisme établisse en mon nom et pour mon compte les factures de mes "
    "prestations (mandat d'autofacturation, article 289 I-2 du CGI). Je peux contester une "
    "facture dans les 30 jours et révoquer ce mandat à tout moment."
)
