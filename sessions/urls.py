from django.urls import path

from . import views

urlpatterns = [
    path("formateur/", views.trainer_home, name="trainer_home"),
    path("formateur/sessions/nouvelle/", views.session_new, name="session_new"),
    path("formateur/sessions/<int:pk>/", views.session_detail, name="session_detail"),
    path("formateur/sessions/<int:pk>/formation/", views.session_training, name="session_training"),
    path("formateur/sessions/<int:pk>/dates/", views.session_schedule, name="session_schedule"),
    path("formateur/sessions/<int:pk>/prix/", views.session_price, name="session_price"),
    path("formateur/sessions/<int:pk>/client/", views.session_client, name="session_client"),
    path("formateur/sessions/<int:pk>/lien/", views.session_link_issue, name="session_link_issue"),
    path(
        "formateur/sessions/<int:pk>/lien/desactiver/",
        views.session_link_revoke,
        name="session_link_revoke",
    ),
    path(
        "formateur/sessions/<int:pk>/lien/envoyer/",
        views.session_link_send,
        name="session_link_send",
    ),
    path("formateur/sessions/<int:pk>/valider/", views.session_validate, name="session_validate"),
    path("formateur/sessions/<int:pk>/annuler/", views.session_cancel, name="session_cancel"),
    path(
        "formateur/sessions/<int:pk>/programme/",
        views.session_save_programme,
        name="session_save_programme",
    ),
    path("formateur/sessions/<int:pk>/demarrer/", views.session_start, name="session_start"),
    path(
        "formateur/sessions/<int:pk>/emargement/",
        views.session_attendance,
        name="session_attendance",
    ),
    path("formateur/sessions/<int:pk>/terminer/", views.session_complete, name="session_complete"),
    path("formateur/programmes/", views.programme_list, name="programme_list"),
    path(
        "formateur/agenda/renouveler/", views.trainer_calendar_renew, name="trainer_calendar_renew"
    ),
    path("agenda/<str:token>/sessions.ics", views.trainer_calendar, name="trainer_calendar"),
    path("client/", views.client_home, name="client_home"),
    path("client/sessions/<int:pk>/", views.client_session_detail, name="client_session_detail"),
    path("session/<str:token>/", views.client_link, name="client_link"),
    path(
        "session/contact/<str:token>/",
        views.session_contact_confirm,
        name="session_contact_confirm",
    ),
    path("programmes/", views.catalogue, name="catalogue"),
    path("programmes/<int:pk>/", views.programme_public, name="programme_public"),
    path("documents/<int:pk>/telecharger/", views.document_download, name="document_download"),
    path(
        "formateur/sessions/<int:pk>/apercu/<str:kind>/",
        views.document_preview,
        name="document_preview",
    ),
]
