"""Safe PDF uploads: checked by content, size-limited, stored under a random name.

Used for funding agreements (PEC), scanned attendance sheets and trainers' invoices.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import subprocess
import sys
import uuid
import zlib
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile

from . import pdfscan
from .errors import DomainError

logger = logging.getLogger(__name__)

MAX_BYTES = 10 * 1024 * 1024
# The budget of one check, in a child process (see `pdfscan.py`): CPU seconds, memory on top
# of the interpreter, and the wall clock after which the child is killed. A legitimate 10 MB PDF
# takes well under a second; the web worker waits at most WALL seconds, whatever the file.
CHECK_CPU_SECONDS = 8
CHECK_MEMORY_BYTES = 512 * 1024 * 1024
CHECK_WALL_SECONDS = 20
# Browsers that sniff content look for HTML in a file's first bytes, whatever its type says.
_HTML_HEAD = re.compile(rb"<(!doctype\s+html|html|head|body|script|iframe|svg)\b", re.IGNORECASE)
# Environment passed to the child: enough to start Python, none of the application's secrets.
_CHILD_ENV = ("PATH", "LD_LIBRARY_PATH", "LANG", "LC_ALL", "TZ")

NOT_A_PDF = "Ce fichier n'est pas un PDF (quel que soit son nom) : déposez le PDF reçu."
DAMAGED = "Ce PDF est incomplet ou endommagé : téléchargez-le de nouveau puis déposez-le."
PRINT_TO_PDF = (
    "Imprimez-le en PDF (« Imprimer » puis « Enregistrer au format PDF ») et déposez cette copie."
)
MESSAGES = {
    pdfscan.ENCRYPTED: "Ce PDF est protégé par un mot de passe : déposez une version non protégée.",
    pdfscan.DAMAGED: DAMAGED,
    pdfscan.NO_PAGE: "Ce PDF ne contient aucune page.",
    pdfscan.ACTIVE: (
        "Ce PDF contient du code, des actions automatiques ou des fichiers joints (JavaScript, "
        "lancement de programme, envoi de formulaire, formulaire XFA, pièce jointe comme le XML "
        f"d'une facture Factur-X) : par sécurité il est refusé. {PRINT_TO_PDF}"
    ),
    pdfscan.TOO_COMPLEX: (
        "Ce PDF est trop complexe ou trop volumineux une fois décompressé pour être vérifié : "
        f"par sécurité il est refusé. {PRINT_TO_PDF}"
    ),
}
# Our fault, not the file's: the child could not run or answered nothing.
UNCHECKED = "unchecked"
MESSAGES[UNCHECKED] = (
    "Ce PDF n'a pas pu être vérifié pour une raison technique : réessayez dans quelques minutes."
)


@dataclass(frozen=True)
class CheckedPdf:
    content: ContentFile
    original_name: str
    sha256: str
    size: int
    crc32: int  # kept with the row: the audit ZIP streams the file in one reading


def display_name(name: str) -> str:
    """The original file name, for display only: no path, no control characters."""
    name = os.path.basename((name or "").replace("\\", "/"))
    name = re.sub(r"[\x00-\x1f\x7f]", "", name).strip() or "document.pdf"
    return name[:200]


def _refuse(message: str):
    raise DomainError(message, field="file")


def check_pdf(upload: UploadedFile, *, folder: str) -> CheckedPdf:
    """The upload's bytes if they are a PDF a reader can open safely; otherwise a DomainError with
    one French message per cause. Nothing is stored here: the caller stores `content`."""
    if upload.size == 0:
        _refuse("Le fichier est vide.")
    if upload.size > MAX_BYTES:
        _refuse(f"Le fichier dépasse 10 Mo ({upload.size / 1024 / 1024:.1f} Mo) : compressez-le.")
    data = upload.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        _refuse("Le fichier dépasse 10 Mo : compressez-le.")
    if not data:
        _refuse("Le fichier est vide.")
    # The header at the very first byte: a file that starts as HTML (a polyglot) is not a PDF.
    if not data.startswith(b"%PDF-") or _HTML_HEAD.search(data[:1024]):
        _refuse(NOT_A_PDF)
    if b"%%EOF" not in data[-2048:]:
        _refuse(DAMAGED)
    sha256 = hashlib.sha256(data).hexdigest()
    verdict, detail = _scan_in_child(data)
    if verdict != pdfscan.OK:
        logger.info("PDF refusé (%s, %s) : %s", verdict, sha256, detail)
        _refuse(MESSAGES.get(verdict, MESSAGES[UNCHECKED]))
    # A random name: the uploaded one is only displayed (templates escape it).
    name = f"{folder}/{uuid.uuid4().hex}.pdf"
    return CheckedPdf(
        content=ContentFile(data, name=name),
        original_name=display_name(upload.name),
        sha256=sha256,
        size=len(data),
        crc32=zlib.crc32(data),
    )


def _scan_in_child(data: bytes) -> tuple[str, str]:
    """Run `pdfscan.py` in a fresh interpreter under CPU and memory limits and a wall clock.

    A child rather than this process: a file that defeats our own limits can only cost the
    child its budget, never pin a web worker or take its memory. `-I` keeps the child from
    importing anything from the project's folders or the environment's PYTHON* variables."""
    command = [
        sys.executable, "-I", pdfscan.__file__,
        "--cpu", str(CHECK_CPU_SECONDS), "--memory", str(CHECK_MEMORY_BYTES),
    ]  # fmt: skip
    env = {key: os.environ[key] for key in _CHILD_ENV if key in os.environ}
    try:
        done = subprocess.run(  # noqa: S603 - our own script, no shell, no user input in argv
            command, input=data, capture_output=True, timeout=CHECK_WALL_SECONDS, env=env
        )
    except subprocess.TimeoutExpired:  # run() has killed the child
        return pdfscan.TOO_COMPLEX, f"plus de {CHECK_WALL_SECONDS} s de vérification"
    except OSError:
        logger.exception("Vérification de PDF impossible : le processus n'a pas démarré")
        return UNCHECKED, "processus non démarré"
    if done.returncode < 0:  # killed: SIGXCPU past the CPU limit, SIGKILL by the kernel
        return pdfscan.TOO_COMPLEX, f"processus arrêté par le signal {-done.returncode}"
    try:
        answer = json.loads(done.stdout)
        return answer["verdict"], answer["detail"]
    except (ValueError, KeyError, TypeError):
        logger.error(
            "Vérification de PDF impossible (code %s) : %s",
            done.returncode,
            done.stderr[-2000:].decode(errors="replace"),
        )
        return UNCHECKED, f"code de sortie {done.returncode}"
