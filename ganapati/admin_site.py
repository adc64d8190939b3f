from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied


class GanapatiAdminSite(admin.AdminSite):
    site_header = "Ganapati — back-office"
    site_title = "Ganapati — back-office"
    index_title = "Tableau de bord"
    index_template = "admin/ganapati_index.html"

    def index(self, request, extra_context=None):
        # What waits for staff, oldest first, and the charts; contributed by each app.
        from . import workqueue

        extra = {"queues": workqueue.queues(), "charts": workqueue.charts()}
        return super().index(request, {**(extra_context or {}), **extra})

    def get_app_list(self, request, app_label=None):
        # The index asks for the list of models twice (its own and the navigation's, through
        # each_context): built once a request, with the same rights (same user, same request).
        if app_label is not None:
            return super().get_app_list(request, app_label)
        if not hasattr(request, "_admin_app_list"):
            request._admin_app_list = super().get_app_list(request)
        return request._admin_app_list

    def login(self, request, extra_context=None):
        # One login page for every role (the brute-force protection lives there).
        if request.user.is_authenticated:
            # A trainer or client who follows a back-office link is refused, not looped.
            raise PermissionDenied("Le back-office est réservé à l'équipe.")
        return redirect_to_login(request.GET.get("next") or request.get_full_path())


class FoldedSearchMixin:
    """The admin's search box, accent- and case-insensitive like every other list: each word of
    the query must appear in one of `search_fields` ("negociation" finds "Négociation")."""

    def get_search_results(self, request, queryset, search_term):
        from .search import query_words, search_fields

        fields = [name.lstrip("^=@") for name in self.get_search_fields(request)]
        if not fields or not query_words(search_term):
            return queryset, False
        may_have_duplicates = any("__" in name for name in fields)
        return search_fields(queryset, fields, search_term), may_have_duplicates
