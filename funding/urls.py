from django.urls import path

from . import views

urlpatterns = [
    path("trouver-mon-opco/", views.find_my_opco, name="find_my_opco"),
    path("client/sessions/<int:pk>/financement/", views.client_funding, name="client_funding"),
    path(
        "client/sessions/<int:pk>/financement/engagement/",
        views.client_commit,
        name="client_commit",
    ),
    path(
        "client/sessions/<int:pk>/financement/annuler/", views.client_cancel, name="client_cancel"
    ),
    path("pec/<int:pk>/", views.pec_file, name="pec_file"),
]
