def axes_username(request, credentials) -> str:
    """The login as django-axes counts it: the same person typing "A@x.fr" or "a@x.fr "."""
    value = (credentials or {}).get("username")
    if value is None and request is not None:
        value = request.POST.get("username", "")
    return (value or "").strip().lower()
