from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import views

handler400 = "ganapati.views.error_400"
handler403 = "ganapati.views.error_403"
handler404 = "ganapati.views.error_404"
handler500 = "ganapati.views.error_500"

urlpatterns = [
    path("", views.home, name="home"),
    # Browsers ask for /favicon.ico on every page, whatever the <link rel="icon">.
    path("favicon.ico", views.favicon),
    path("formateur/profil/", views.trainer_profile, name="trainer_profile"),
    path(
        "formateur/profil/qualifications/",
        views.trainer_qualification_add,
        name="trainer_qualification_add",
    ),
    path(
        "formateur/profil/qualifications/<int:pk>/retirer/",
        views.trainer_qualification_remove,
        name="trainer_qualification_remove",
    ),
    path("qualifications/<int:pk>/fichier/", views.qualification_file, name="qualification_file"),
    path("client/entreprise/", views.company_people, name="company_people"),
    path("client/entreprise/inviter/", views.company_invite, name="company_invite"),
    path(
        "client/entreprise/membres/<int:pk>/retirer/",
        views.company_member_remove,
        name="company_member_remove",
    ),
    path(
        "client/entreprise/demandes/<int:pk>/",
        views.join_request_decide,
        name="join_request_decide",
    ),
    path("", include("sessions.urls")),
    path("", include("funding.urls")),
    path("", include("billing.urls")),
    path("", include("ganapati.help.urls")),
    path("", include("ganapati.appointments.urls")),
    path("compte/connexion/", views.LoginView.as_view(), name="login"),
    path("compte/deconnexion/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "compte/mot-de-passe/",
        views.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "compte/mot-de-passe/modifie/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path(
        "compte/mot-de-passe-oublie/",
        views.PasswordResetView.as_view(),
        name="password_reset",
    ),
    path(
        "compte/mot-de-passe-oublie/envoye/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "compte/nouveau-mot-de-passe/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "compte/nouveau-mot-de-passe/termine/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("admin/", admin.site.urls),
]
