from django.contrib import admin

from .models import Funder


@admin.register(Funder)
class FunderAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "website", "active"]
    list_filter = ["kind", "active"]
    search_fields = ["name", "sector"]
