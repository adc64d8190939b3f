from django.urls import path

from . import views

urlpatterns = [
    path("aide/", views.help_index, name="help_index"),
    path("aide/<slug:slug>/", views.help_article, name="help_article"),
]
