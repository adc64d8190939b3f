from django.urls import path

from . import views

urlpatterns = [
    path("documents/<int:pk>/telecharger/", views.document_download, name="document_download"),
    path(
        "formateur/sessions/<int:pk>/apercu/<str:kind>/",
        views.document_preview,
        name="document_preview",
    ),
]
