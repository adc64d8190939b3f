"""Demo: the staff account takes calls on weekdays, 9 h–12 h and 14 h–17 h (Paris time)."""

import datetime as dt

from ..models import AdvisorAvailability, User

HOURS = [(dt.time(9), dt.time(12)), (dt.time(14), dt.time(17))]


def load_demo_availability(*, advisor: User) -> bool:
    """Give `advisor` weekday hours unless they already have some. True when created."""
    if AdvisorAvailability.objects.filter(advisor=advisor).exists():
        return False
    AdvisorAvailability.objects.bulk_create(
        AdvisorAvailability(advisor=advisor, weekday=day, start=start, end=end)
        for day in range(5)
        for start, end in HOURS
    )
    return True
