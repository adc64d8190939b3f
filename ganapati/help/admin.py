from django.contrib import admin
from django.utils.html import format_html

from ganapati.admin_site import FoldedSearchMixin

from ..models import HelpArticle
from . import services


@admin.register(HelpArticle)
class HelpArticleAdmin(FoldedSearchMixin, admin.ModelAdmin):
    list_display = ["title", "category", "position", "published", "last_reviewed", "updated_at"]
    list_filter = ["published", "category"]
    list_editable = ["position"]
    search_fields = ["title", "summary", "slug"]
    prepopulated_fields = {"slug": ["title"]}
    readonly_fields = ["page"]
    fields = [
        "title", "slug", "category", "position", "summary", "body", "published",
        "last_reviewed", "page",
    ]  # fmt: skip

    @admin.display(description="Page publique")
    def page(self, obj):
        if obj is None or obj.pk is None:
            return "—"
        return format_html('<a href="{}">{}</a>', obj.get_absolute_url(), obj.get_absolute_url())

    def save_model(self, request, obj, form, change):
        services.help_article_save(article=obj, actor=request.user, changed=form.changed_data)
