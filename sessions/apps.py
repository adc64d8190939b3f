from django.apps import AppConfig


class TrainingSessionsConfig(AppConfig):
    name = "sessions"
    # django.contrib.sessions already owns the label "sessions".
    label = "training_sessions"
    verbose_name = "Sessions de formation"
