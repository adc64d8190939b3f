from django.urls import path

from . import views

urlpatterns = [
    path(
        "formateur/profil/autofacturation/", views.trainer_self_billing, name="trainer_self_billing"
    ),
    path("factures/<int:pk>/", views.invoice_download, name="invoice_download"),
    path("virements/<int:pk>/", views.sepa_download, name="sepa_download"),
    path("sessions/<int:pk>/audit.zip", views.session_audit_export, name="session_audit_export"),
    path(
        "client/sessions/<int:pk>/remboursement.zip",
        views.reimbursement_pack,
        name="reimbursement_pack",
    ),
    path("exports/<int:pk>/", views.audit_export_download, name="audit_export_download"),
    path(
        "formateur/sessions/<int:pk>/ma-facture/",
        views.payout_invoice_upload,
        name="payout_invoice_upload",
    ),
]
