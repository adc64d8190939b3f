from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied


class GanapatiAdminSite(admin.AdminSite):
    site_header = "Ganapati — back-office"
    site_title = "Ganapati — back-office"
    index_title = "Tableau de bord"

    def login(self, request, extra_context=None):
        # One login page for every role (the brute-force protection lives there).
        if request.user.is_authenticated:
            # A trainer or client who follows a back-office link is refused, not looped.
            raise PermissionDenied("Le back-office est réservé à l'équipe.")
        return redirect_to_login(request.GET.get("next") or request.get_full_path())
