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
