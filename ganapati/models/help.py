"""The help centre: articles written by staff in Markdown, shown on public pages."""

from django.db import models
from django.utils import timezone


class HelpCategory(models.TextChoices):
    # In the order of the training's life: the help centre lists them this way.
    FUNDING = "funding", "Comprendre le financement"
    SESSION = "session", "Créer et suivre une session"
    SELF_EMPLOYED = "self_employed", "Travailleurs indépendants (AGEFICE, FIFPL)"
    BILLING = "billing", "Facturation et contrôle"
    ACCOUNT = "account", "Votre espace"


class HelpArticle(models.Model):
    title = models.CharField("titre", max_length=160)
    slug = models.SlugField(
        "adresse (slug)",
        max_length=80,
        unique=True,
        help_text="La fin de l'adresse de l'article : /aide/<slug>/. Les pages de l'application "
        "renvoient à certains articles par ce nom (pec, subrogation, creer-une-session…) : le "
        "changer retire le lien de ces pages.",
    )
    category = models.CharField("rubrique", max_length=20, choices=HelpCategory.choices)
    position = models.PositiveSmallIntegerField(
        "ordre dans la rubrique", default=0, help_text="Les plus petits nombres d'abord."
    )
    summary = models.CharField(
        "résumé", max_length=300, blank=True, help_text="Une ou deux phrases, dans la liste."
    )
    body = models.TextField(
        "texte (Markdown)",
        help_text="Markdown : ## intertitre, **gras**, *italique*, listes avec « - », liens "
        "[texte](adresse). Le HTML n'est pas interprété.",
    )
    published = models.BooleanField("publié", default=False)
    last_reviewed = models.DateField(
        "relu le", default=timezone.localdate, help_text="Date de la dernière relecture du fond."
    )
    # normalize(title + summary + text): accent- and case-insensitive search on any database.
    search_text = models.TextField("texte de recherche", blank=True, editable=False)
    created_at = models.DateTimeField("créé le", default=timezone.now, editable=False)
    updated_at = models.DateTimeField("modifié le", auto_now=True)

    class Meta:
        verbose_name = "article d'aide"
        verbose_name_plural = "articles d'aide"
        ordering = ["category", "position", "title"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(category__in=HelpCategory.values),
                name="helparticle_category_valid",
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("help_article", kwargs={"slug": self.slug})
