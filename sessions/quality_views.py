"""Pages of the Qualiopi evidence (issue 15): the trainee's questionnaire by personal link,
the trainer's quality page of a session, the complaint form, the organisation's documents."""

from __future__ import annotations

import re

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from ganapati import ratelimit
from ganapati.errors import DomainError
from ganapati.models import OrganisationDocument, Role
from ganapati.orgdocs import organisation_document_current
from ganapati.permissions import role_required

from . import quality, selectors
from .documents import organisation_pdf
from .links import LinkError
from .models import Complaint, ObjectiveResult, QuestionnaireKind

# Anonymous pages: bounded per address (attempts, seconds).
POSTS_PER_IP = (20, 3600)
COMPLAINTS_PER_IP = (5, 3600)
INTROS = {
    QuestionnaireKind.NEEDS: "Avant la formation, quelques questions pour que le formateur "
    "adapte la session à votre niveau et à vos besoins.",
    QuestionnaireKind.HOT: "La formation est terminée : votre avis nous aide à l'améliorer. "
    "Les résultats publiés sont anonymes.",
    QuestionnaireKind.COLD: "Quelques mois après la formation, qu'en retenez-vous ? "
    "Les résultats publiés sont anonymes.",
    QuestionnaireKind.CLIENT: "La formation de vos collaborateurs est terminée : votre avis "
    "d'entreprise nous aide à nous améliorer.",
    QuestionnaireKind.TRAINER: "La session est terminée : votre retour de formateur nourrit "
    "l'amélioration continue de l'organisme.",
}


def _complaint_origin(response) -> str:
    return {QuestionnaireKind.CLIENT: "client", QuestionnaireKind.TRAINER: "trainer"}.get(
        response.kind, "trainee"
    )


@require_http_methods(["GET", "POST"])
def questionnaire(request, token):
    try:
        response = quality.response_from_token(token)
    except LinkError as exc:
        return render(
            request, "sessions/quality/link_invalid.html", {"message": exc.message}, status=404
        )
    if response.submitted_at is not None:
        context = {"response": response, "complaint_origin": _complaint_origin(response)}
        return render(request, "sessions/quality/thanks.html", context)
    error = None
    if request.method == "POST":
        try:
            ratelimit.check(request, "questionnaire", keys={"ip": ratelimit.client_ip(request)},
                            limits={"ip": POSTS_PER_IP})  # fmt: skip
            quality.response_submit(response=response, data=request.POST)
        except DomainError as exc:
            error = exc.message
        else:
            return redirect("quality_questionnaire", token=token)
    questions = [
        {**q, "value": request.POST.get(q["key"], "")} for q in response.questionnaire.questions
    ]
    return render(
        request,
        "sessions/quality/questionnaire.html",
        {"response": response, "session": response.session, "questions": questions,
         "scale": quality.SCALE, "intro": INTROS[response.kind], "error": error,
         "complaint_origin": _complaint_origin(response)},
        status=400 if error else 200,
    )  # fmt: skip


@role_required(Role.TRAINER)
@require_http_methods(["GET", "POST"])
def session_quality(request, pk):
    """The trainer's view of the evidence: needs analyses (and their adaptation), satisfaction,
    the assessment per objective."""
    session = selectors.session_get_for(user=request.user, pk=pk)
    trainees = list(session.trainees.all())
    objectives = quality.objectives_of(session)
    if request.method == "POST":
        try:
            action = request.POST.get("action")
            if action == "adaptation":
                response = (
                    quality.responses_for_trainer(session)
                    .filter(pk=request.POST.get("response") or 0)
                    .first()
                )
                if response is None:
                    raise DomainError("Analyse du besoin introuvable.")
                quality.adaptation_record(
                    response=response, text=request.POST.get("adaptation", ""), actor=request.user
                )
                messages.success(request, "Adaptation enregistrée.")
            elif action == "assessment":
                results = {
                    (t.pk, i): request.POST.get(f"obj-{t.pk}-{i}", "")
                    for t in trainees
                    for i in range(len(objectives))
                }
                quality.assessment_record(session=session, actor=request.user, results=results)
                messages.success(request, "Évaluation des acquis enregistrée.")
            elif action == "convocation":
                organisation_pdf("reglement", render=True)  # attached: ready before the service
                quality.convocation_send(session=session)
                messages.success(request, "Convocations envoyées aux stagiaires.")
            else:
                raise DomainError("Action inconnue.")
        except DomainError as exc:
            messages.error(request, exc.message)
        return redirect("session_quality", pk=session.pk)
    responses = {(r.trainee_id, r.kind): r for r in quality.responses_for_trainer(session)}
    assessed = {
        (a.trainee_id, a.position): a.result for t in trainees for a in t.objective_results.all()
    }
    rows = [
        {
            "trainee": t,
            "needs": responses.get((t.pk, QuestionnaireKind.NEEDS)),
            "hot": responses.get((t.pk, QuestionnaireKind.HOT)),
            "cold": responses.get((t.pk, QuestionnaireKind.COLD)),
            "objectives": [
                {"position": i, "label": o, "result": assessed.get((t.pk, i), "")}
                for i, o in enumerate(objectives)
            ],
        }
        for t in trainees
    ]
    return render(
        request,
        "sessions/quality/session_quality.html",
        {"session": session, "rows": rows, "results": ObjectiveResult.choices,
         "can_assess": session.status in {"running", "completed"},
         "can_convoke": session.status in {"validated", "funded"}},
    )  # fmt: skip


class ComplaintForm(forms.Form):
    origin = forms.ChoiceField(label="Vous êtes", choices=Complaint.Origin.choices)
    name = forms.CharField(label="Votre nom", max_length=200)
    email = forms.EmailField(label="Votre adresse e-mail")
    reference = forms.CharField(
        label="Référence de la session (si vous la connaissez)", max_length=20, required=False,
        help_text="Par exemple S-2026-00012.",
    )  # fmt: skip
    text = forms.CharField(label="Votre réclamation", widget=forms.Textarea, max_length=5000)


@require_http_methods(["GET", "POST"])
def complaint_new(request):
    """Open to anyone (trainee, client, trainer, visitor); staff treat it in the admin."""
    initial = {}
    if request.user.is_authenticated:
        initial = {"name": request.user.get_full_name(), "email": request.user.email,
                   "origin": {Role.TRAINER: "trainer", Role.CLIENT: "client"}.get(
                       request.user.role, "other")}  # fmt: skip
    # From a page's "Déposer une réclamation" link: who is writing and about which session.
    if request.GET.get("origine") in Complaint.Origin.values:
        initial["origin"] = request.GET["origine"]
    reference = request.GET.get("session", "").strip().upper()
    if re.fullmatch(r"S-\d{4}-\d{1,9}", reference):  # shape only: says nothing of what exists
        initial["reference"] = reference
    form = ComplaintForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            ratelimit.check(request, "complaint", keys={"ip": ratelimit.client_ip(request)},
                            limits={"ip": COMPLAINTS_PER_IP})  # fmt: skip
            data = form.cleaned_data
            quality.complaint_file(
                origin=data["origin"], name=data["name"], email=data["email"], text=data["text"],
                session=quality.session_by_reference(data["reference"]), author=request.user,
            )  # fmt: skip
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            return render(request, "sessions/quality/complaint_done.html")
    return render(request, "sessions/quality/complaint_form.html", {"form": form},
                  status=400 if form.errors else 200)  # fmt: skip


def organisation_document(request, kind):
    if kind not in OrganisationDocument.Kind.values:
        raise Http404
    document = organisation_document_current(kind)
    if document is None:
        raise Http404
    return render(request, "sessions/quality/organisation_document.html", {"document": document})


class PeriodForm(forms.Form):
    du = forms.DateField(label="Du")
    au = forms.DateField(label="Au")

    def clean(self):
        data = super().clean()
        if data.get("du") and data.get("au") and data["du"] > data["au"]:
            raise forms.ValidationError("La date de début doit précéder la date de fin.")
        if data.get("du") and data.get("au") and (data["au"] - data["du"]).days > 3 * 366:
            raise forms.ValidationError("Trois ans au plus par export.")
        return data


@role_required(Role.STAFF)
def auditor_export(request):
    """The auditor's ZIP for a period (streamed), or the form to choose the period."""
    from .quality_export import quality_export_response

    form = PeriodForm(request.GET or None)
    if request.GET and form.is_valid():
        return quality_export_response(form.cleaned_data["du"], form.cleaned_data["au"])
    return render(request, "sessions/quality/auditor_export.html", {"form": form},
                  status=400 if form.errors else 200)  # fmt: skip
