"""Sessions' contribution to the staff home: the sessions by state (a chart)."""

from django.db.models import Count

from ganapati.workqueue import chart

from .models import TrainingSession


@chart("sessions_by_state", title="Sessions par état", order=10)
def sessions_by_state():
    counts = dict(TrainingSession.objects.values_list("status").annotate(n=Count("pk")).order_by())
    return [(label, counts.get(value, 0)) for value, label in TrainingSession.Status.choices]
