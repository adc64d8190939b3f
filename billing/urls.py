from django.urls import path

from . import views

urlpatterns = [
    path("factures/<int:pk>/", views.invoice_download, name="invoice_download"),
    path("virements/<int:pk>/", views.sepa_download, name="sepa_download"),
    path(
        "formateur/sessions/<int:pk>/ma-facture/",
        views.payout_invoice_upload,
        name="payout_invoice_upload",
    ),
]
