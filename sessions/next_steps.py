"""The "next step" of a session, from its state *and* its funding and billing, for the person
looking: the client sees only what the client must do.

Sessions knows only its own states (NEXT_ACTION); the apps above refine it for the sessions in
the states they own (funding: after validation; billing: once completed) by registering a
provider that takes the whole page of sessions at once (a bounded number of queries).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from .states import NEXT_ACTION

TRAINER, CLIENT, STAFF = "formateur", "client", "équipe"
Step = tuple[str, str]  # (who acts, what to do)
_PROVIDERS: list[Callable[[list], dict[int, Step]]] = []


def provider(func: Callable[[list], dict[int, Step]]):
    """Register `func(sessions) -> {session pk: (who, text)}`; later providers win."""
    _PROVIDERS.append(func)
    return func


def next_steps_detailed(sessions: Iterable) -> dict[int, Step]:
    """{session pk: (who acts, text)}."""
    sessions = list(sessions)
    steps: dict[int, Step] = {s.pk: NEXT_ACTION[s.status] for s in sessions}
    for func in _PROVIDERS:
        steps.update(func(sessions))
    return steps


def next_steps(sessions: Iterable, *, viewer: str) -> dict[int, str]:
    """{session pk: text} for `viewer` (TRAINER, CLIENT or STAFF)."""
    out = {}
    for pk, (who, text) in next_steps_detailed(sessions).items():
        if viewer == CLIENT and who not in (CLIENT, ""):
            out[pk] = "Rien à faire de votre côté pour l'instant."
        else:
            out[pk] = text
    return out


def next_step(session, *, viewer: str) -> str:
    return next_steps([session], viewer=viewer)[session.pk]
