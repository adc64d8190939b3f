"""Role checks for views: anonymous → login page, wrong role → 403."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied

from .models import Role

ROLE_HOMES = {
    Role.TRAINER: "trainer_home",
    Role.CLIENT: "client_home",
    Role.STAFF: "admin:index",
}


def role_required(*roles: str):
    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if user.role not in roles:
                raise PermissionDenied("Cette page n'est pas accessible avec votre compte.")
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
