"""One guard for every state machine of the project.

Each entity with states (a session, a PEC, an invoice, a payout, a document, an export, an
outgoing e-mail) declares one `StateMachine`: its table of allowed transitions and the French
names of its states. Services call `machine.advance(obj, target, ...)` inside their transaction,
on a row they locked: a transition missing from the table raises a French `DomainError` and
changes nothing. The table is the only place where "may X become Y?" is answered.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from .errors import DomainError


@dataclass(frozen=True)
class StateMachine:
    name: str  # "la session", "l'accord de prise en charge"... used in messages
    transitions: Mapping[str, frozenset[str]]
    labels: Mapping[str, str]
    field_name: str = "status"
    # The French message when a transition is refused; may use {name}, {current}, {target}.
    refusal: str = (
        "Action impossible : {name} est « {current} » et ne peut pas passer à « {target} »."
    )
    _states: frozenset[str] = field(init=False, repr=False)

    def __post_init__(self):
        states = frozenset(self.transitions)
        unknown = {t for targets in self.transitions.values() for t in targets} - states
        if unknown or set(self.labels) != states:
            raise ValueError(f"{self.name} : table d'états incohérente ({sorted(unknown)})")
        object.__setattr__(self, "_states", states)

    @classmethod
    def from_table(cls, name: str, table: Mapping[str, Iterable[str]], labels, **options):
        return cls(name, {state: frozenset(targets) for state, targets in table.items()},
                   dict(labels), **options)  # fmt: skip

    @property
    def states(self) -> frozenset[str]:
        return self._states

    def can(self, current: str, target: str) -> bool:
        return target in self.transitions.get(current, frozenset())

    def sources_of(self, target: str) -> frozenset[str]:
        """Every state from which `target` may be reached."""
        return frozenset(s for s, targets in self.transitions.items() if target in targets)

    def check(self, obj, target: str, *, message: str | None = None) -> None:
        current = getattr(obj, self.field_name)
        if not self.can(current, target):
            raise DomainError(
                (message or self.refusal).format(
                    name=self.name,
                    current=self.labels.get(current, current),
                    target=self.labels.get(target, target),
                )
            )

    def require(self, current: str, target: str) -> str:
        """For a conditional bulk update (`filter(status=current).update(status=target)`, a
        compare-and-set between workers): the move must be in the table. Returns `target`."""
        if not self.can(current, target):
            raise ValueError(f"{self.name} : {current} → {target} n'est pas dans la table")
        return target

    def advance(self, obj, target: str, *, message: str | None = None) -> str:
        """Move `obj` to `target` (in memory: the caller saves), returning the previous state."""
        self.check(obj, target, message=message)
        previous = getattr(obj, self.field_name)
        setattr(obj, self.field_name, target)
        return previous
