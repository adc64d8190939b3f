from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpResponseServerError
from django.shortcuts import redirect, render
from django.template import loader
from django.urls import reverse, reverse_lazy
from django.views.decorators.http import require_http_methods

from . import services
from .errors import DomainError
from .forms import (
    IdentityForm,
    LoginForm,
    MemberInviteForm,
    PasswordResetForm,
    QualificationForm,
    TrainerProfileForm,
)
from .models import JoinRequest, Role, TrainerProfile, User
from .permissions import ROLE_HOMES, role_required


def _profile_of(user) -> TrainerProfile:
    # A trainer created by staff has no profile row until they first save it.
    try:
        return user.trainer_profile
    except TrainerProfile.DoesNotExist:
        return TrainerProfile(user=user)


@login_required
def home(request):
    """Each role lands on its own home."""
    return redirect(ROLE_HOMES[request.user.role])


@role_required(Role.TRAINER)
@require_http_methods(["GET", "POST"])
def trainer_profile(request):
    profile = _profile_of(request.user)
    identity_form = IdentityForm(request.POST or None, instance=request.user, prefix="identity")
    profile_form = TrainerProfileForm(request.POST or None, instance=profile, prefix="profile")
    if request.method == "POST" and identity_form.is_valid() and profile_form.is_valid():
        try:
            services.trainer_profile_save(
                profile=profile_form.instance,
                identity={
                    name: identity_form.cleaned_data[name] for name in IdentityForm.Meta.fields
                },
                actor=request.user,
                changed=identity_form.changed_data + profile_form.changed_data,
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "Votre profil a été enregistré.")
            return redirect("trainer_profile")
    return _trainer_profile_page(request, identity_form, profile_form, QualificationForm())


def _trainer_profile_page(request, identity_form, profile_form, qualification_form, status=200):
    from . import legal
    from .qualifications import qualifications_of

    profile = _profile_of(request.user)
    return render(
        request,
        "ganapati/trainer_profile.html",
        {"identity_form": identity_form, "profile_form": profile_form,
         "self_billing_text": legal.SELF_BILLING_MANDATE,
         "self_billing_accepted_at": profile.self_billing_accepted_at,
         "qualifications": qualifications_of(request.user),
         "qualification_form": qualification_form},
        status=status,
    )  # fmt: skip


@role_required(Role.TRAINER)
@require_http_methods(["POST"])
def trainer_qualification_add(request):
    """A CV, diploma or certification with its PDF, on the trainer's own profile."""
    from .qualifications import qualification_add

    form = QualificationForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        try:
            qualification_add(
                trainer=request.user, actor=request.user, kind=data["kind"], title=data["title"],
                details=data["details"], obtained_on=data["obtained_on"],
                expires_on=data["expires_on"], upload=data["file"],
            )  # fmt: skip
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, f"« {data['title']} » ajouté à votre profil.")
            return redirect(reverse("trainer_profile") + "#qualifications")
    profile = _profile_of(request.user)
    return _trainer_profile_page(
        request, IdentityForm(instance=request.user, prefix="identity"),
        TrainerProfileForm(instance=profile, prefix="profile"), form, status=400,
    )  # fmt: skip


@role_required(Role.TRAINER)
@require_http_methods(["POST"])
def trainer_qualification_remove(request, pk):
    from .models import TrainerQualification
    from .qualifications import qualification_remove

    qualification = TrainerQualification.objects.filter(pk=pk, trainer=request.user).first()
    if qualification is None:
        raise Http404("Qualification introuvable.")
    qualification_remove(qualification=qualification, actor=request.user)
    messages.success(request, f"« {qualification.title} » retiré de votre profil.")
    return redirect(reverse("trainer_profile") + "#qualifications")


@role_required(Role.TRAINER, Role.STAFF)
def qualification_file(request, pk):
    """The PDF of a qualification: its trainer's or, for the audit, staff's."""
    from .downloads import file_response
    from .qualifications import qualification_file_get_for

    qualification = qualification_file_get_for(user=request.user, pk=pk)
    return file_response(qualification.file.name, content_type="application/pdf",
                         filename=qualification.original_name or "justificatif.pdf")  # fmt: skip


# --- A client company's people (its members manage them) ---------------------------------------


@role_required(Role.CLIENT)
def company_people(request):
    company = request.user.company
    context = {"company": company, "form": MemberInviteForm()}
    if company is not None:
        context.update(
            members=services.company_members(company),
            requests=JoinRequest.objects.filter(company=company, status="pending")
            .select_related("user"),
        )  # fmt: skip
    return render(request, "ganapati/company_people.html", context)


def _member_action(request, run, success: str):
    try:
        run()
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, success)
    return redirect("company_people")


@role_required(Role.CLIENT)
@require_http_methods(["POST"])
def company_invite(request):
    company = request.user.company
    form = MemberInviteForm(request.POST)
    if company is None:
        messages.error(request, "Vous n'êtes membre d'aucune entreprise.")
        return redirect("company_people")
    if not form.is_valid():
        return render(request, "ganapati/company_people.html", {
            "company": company, "form": form, "members": services.company_members(company),
            "requests": JoinRequest.objects.filter(company=company, status="pending"),
        }, status=400)  # fmt: skip
    data = form.cleaned_data
    return _member_action(
        request,
        lambda: services.company_member_invite(
            company=company, actor=request.user, email=data["email"],
            first_name=data["first_name"], last_name=data["last_name"]),
        f"C'est fait : {data['email']} reçoit un e-mail pour accéder à l'espace de l'entreprise.",
    )  # fmt: skip


@role_required(Role.CLIENT)
@require_http_methods(["POST"])
def company_member_remove(request, pk):
    company = request.user.company
    member = User.objects.filter(pk=pk, company=company).first() if company else None
    if member is None:
        raise Http404("Personne introuvable.")
    return _member_action(
        request,
        lambda: services.company_member_remove(company=company, user=member, actor=request.user),
        f"{member.get_full_name()} n'a plus accès à l'espace de l'entreprise.",
    )


@role_required(Role.CLIENT)
@require_http_methods(["POST"])
def join_request_decide(request, pk):
    company = request.user.company
    join = JoinRequest.objects.filter(pk=pk, company=company).first() if company else None
    if join is None:
        raise Http404("Demande introuvable.")
    if request.POST.get("decision") == "accept":
        return _member_action(
            request, lambda: services.join_request_accept(request=join, actor=request.user),
            f"{join.user.get_full_name()} est maintenant membre de l'espace.",
        )  # fmt: skip
    return _member_action(
        request, lambda: services.join_request_refuse(request=join, actor=request.user),
        "Demande refusée : cette personne n'a plus accès à vos sessions.",
    )  # fmt: skip


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    redirect_authenticated_user = True


class PasswordResetView(auth_views.PasswordResetView):
    form_class = PasswordResetForm
    success_url = reverse_lazy("password_reset_done")


class _NotifiesPasswordChange:
    """The new password and the email telling its owner are saved together."""

    how: str

    def form_valid(self, form):
        with transaction.atomic():
            response = super().form_valid(form)
            services.user_password_changed(user=form.user, actor=form.user, how=self.how)
        return response


class PasswordResetConfirmView(_NotifiesPasswordChange, auth_views.PasswordResetConfirmView):
    success_url = reverse_lazy("password_reset_complete")
    how = "reset"


class PasswordChangeView(_NotifiesPasswordChange, auth_views.PasswordChangeView):
    success_url = reverse_lazy("password_change_done")
    how = "change"


def error_400(request, exception=None):
    from django.core.exceptions import TooManyFieldsSent

    too_many = isinstance(exception, TooManyFieldsSent)
    return render(request, "400.html", {"too_many": too_many}, status=400)


def error_403(request, exception=None):
    return render(request, "403.html", status=403)


def error_404(request, exception=None):
    return render(request, "404.html", status=404)


def error_500(request):
    # No context processors: the database may be what failed.
    return HttpResponseServerError(loader.get_template("500.html").render())


def favicon(request):
    """/favicon.ico, which browsers ask for on every page: our SVG icon (resolved per request,
    so that the static files manifest is read only once it exists)."""
    from django.templatetags.static import static

    return redirect(static("favicon.svg"), permanent=True)
