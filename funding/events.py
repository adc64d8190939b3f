"""Events of the funding app (see ganapati/events.py)."""

from ganapati.events import DomainEvent

# The session got its green light from funding: a total PEC validated, or the client's
# commitment to pay the remainder (funding_request_id is None when the company pays alone).
funding_cleared = DomainEvent("funding_cleared", ("session_id", "funding_request_id"))
