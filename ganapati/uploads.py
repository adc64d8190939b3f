"""Safe PDF uploads: checked by content, size-limited, stored under a random name.

Used for funding agreements (PEC), scanned attendance sheets and trainers' invoices.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import uuid
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile

from .errors import DomainError

MAX_BYTES = 10 * 1024 * 1024
MAX_OBJECTS = 50_000
# Actions a PDF reader may run by itself: refused.
DANGEROUS_ACTIONS = {"/JavaScript", "/Launch", "/ImportData", "/SubmitForm", "/RichMedia"}
DANGEROUS_KEYS = {"/JS", "/JavaScript", "/Launch", "/EmbeddedFiles"}


@dataclass(frozen=True)
class CheckedPdf:
    content: ContentFile
    original_name: str
    sha256: str
    size: int


def display_name(name: str) -> str:
    """The original file name, for display only: no path, no control characters."""
    name = os.path.basename((name or "").replace("\\", "/"))
    name = re.sub(r"[\x00-\x1f\x7f]", "", name).strip() or "document.pdf"
    return name[:200]


def _refuse(message: str):
    raise DomainError(message, field="file")


def check_pdf(upload: UploadedFile, *, folder: str) -> CheckedPdf:
    if upload.size == 0:
        _refuse("Le fichier est vide.")
    if upload.size > MAX_BYTES:
        _refuse(f"Le fichier dépasse 10 Mo ({upload.size / 1024 / 1024:.1f} Mo) : compressez-le.")
    data = upload.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        _refuse("Le fichier dépasse 10 Mo : compressez-le.")
    if b"%PDF-" not in data[:1024]:
        _refuse("Ce fichier n'est pas un PDF (quel que soit son nom) : déposez le PDF reçu.")
    if b"%%EOF" not in data[-2048:]:
        _refuse("Ce PDF est incomplet ou endommagé : téléchargez-le de nouveau puis déposez-le.")
    _check_structure(data)
    name = f"{folder}/{uuid.uuid4().hex}.pdf"
    return CheckedPdf(
        content=ContentFile(data, name=name),
        original_name=display_name(upload.name),
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
    )


def _check_structure(data: bytes) -> None:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError
    from pypdf.generic import DictionaryObject, IndirectObject

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            _refuse("Ce PDF est protégé par un mot de passe : déposez une version non protégée.")
        if len(reader.pages) == 0:
            _refuse("Ce PDF ne contient aucune page.")
        size = int(reader.trailer.get("/Size", 0))
        for number in range(1, min(size, MAX_OBJECTS)):
            try:
                obj = reader.get_object(IndirectObject(number, 0, reader))
            except Exception:  # noqa: S112 - a missing object is not a threat by itself
                continue
            if isinstance(obj, DictionaryObject) and (
                DANGEROUS_KEYS & set(obj.keys()) or obj.get("/S") in DANGEROUS_ACTIONS
            ):
                _refuse(
                    "Ce PDF contient du code ou des actions automatiques (JavaScript, lancement "
                    "de programme) : par sécurité il est refusé. Imprimez-le en PDF puis déposez "
                    "cette copie."
                )
    except DomainError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise DomainError(
            "Ce PDF est illisible ou endommagé : téléchargez-le de nouveau puis déposez-le.",
            field="file",
        ) from exc
