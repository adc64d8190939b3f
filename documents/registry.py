"""The kinds of documents, registered by the apps that own them.

An app (sessions for the quote, agreement, programme, attendance sheet, certificate and
attestation) registers each kind it owns in its `AppConfig.ready()`: its label, template,
context builder and title. A higher app may add to the context of a kind it does not own
(funding adds the funders' split to the agreement) with `extend`. The documents service renders
any registered kind without knowing what it is about.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ganapati.errors import DomainError


@dataclass(frozen=True)
class DocumentType:
    kind: str
    label: str
    template: str
    # context(owner, *, subject, version, issued_at) -> dict for the template
    context: Callable[..., dict]
    # title(owner, subject) -> "Devis S-2026-00012" (the file is named after it)
    title: Callable[[Any, Any], str]
    per_subject: bool = False
    pdf_options: Mapping[str, Any] = field(default_factory=dict)
    # Relations of the owner its context reads (a session's trainer, company...): the worker
    # loads the owner with them in one query.
    owner_select_related: tuple[str, ...] = ()
    # Relations of the owner its context reads whole (a session's days and trainees): read
    # with the owner, in one query each.
    owner_prefetch_related: tuple[str, ...] = ()
    # subject_of(owner, subject_id) -> the subject among what the owner was read with (a
    # trainee among the session's trainees), or None: the worker then reads it by its id.
    subject_of: Callable[[Any, int], Any] | None = None
    order: int = 100


_TYPES: dict[str, DocumentType] = {}
_EXTENSIONS: dict[str, list[Callable[..., dict]]] = defaultdict(list)


def register(document_type: DocumentType) -> None:
    _TYPES[document_type.kind] = document_type


def extend(kind: str, func: Callable[..., dict]) -> None:
    """`func(owner, context) -> dict` adds keys to the context of `kind` (a higher app)."""
    if func not in _EXTENSIONS[kind]:
        _EXTENSIONS[kind].append(func)


def get(kind: str) -> DocumentType:
    try:
        return _TYPES[kind]
    except KeyError:
        raise DomainError("Type de document inconnu.") from None


def kinds() -> list[DocumentType]:
    return sorted(_TYPES.values(), key=lambda t: (t.order, t.kind))


def label(kind: str) -> str:
    document_type = _TYPES.get(kind)
    return document_type.label if document_type else kind


def build_context(kind: str, owner, *, subject=None, version=None, issued_at=None) -> dict:
    document_type = get(kind)
    context = document_type.context(owner, subject=subject, version=version, issued_at=issued_at)
    context.setdefault("kind", kind)
    context.setdefault("kind_label", document_type.label)
    for func in _EXTENSIONS.get(kind, []):
        context.update(func(owner, context) or {})
    return context
