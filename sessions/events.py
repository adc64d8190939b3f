"""Events of the sessions app (see ganapati/events.py). Payloads carry primary keys only."""

from ganapati.events import DomainEvent

# The trainer validated: the terms are frozen, the quote, agreement and programme are asked for.
session_validated = DomainEvent("session_validated", ("session_id",))
# The green light was given (funding cleared): the trainer may start.
session_funded = DomainEvent("session_funded", ("session_id",))
session_started = DomainEvent("session_started", ("session_id",))
# The trainer declared the end: certificates are asked for; the session may be invoiced.
session_completed = DomainEvent("session_completed", ("session_id",))
session_cancelled = DomainEvent("session_cancelled", ("session_id",))
