from django.urls import path

from . import views

urlpatterns = [
    path("factures/<int:pk>/", views.invoice_download, name="invoice_download"),
]
