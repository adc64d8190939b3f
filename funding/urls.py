from django.urls import path

from . import views

urlpatterns = [
    path("trouver-mon-opco/", views.find_my_opco, name="find_my_opco"),
]
