from django.urls import path

from . import views

urlpatterns = [
    path("rendez-vous/", views.appointment_book, name="appointment_book"),
    path("rendez-vous/gerer/<str:token>/", views.appointment_manage, name="appointment_manage"),
]
