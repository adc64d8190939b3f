"""The OPCO audit export ("contrôle de service fait"): every piece of a session's file, as a
ZIP streamed member by member (no compression: PDFs are compressed already), with a manifest.

Memory stays flat whatever the number of sessions: files are read from storage in chunks, and
the manifest's rows go to a temporary file until they are streamed last.
"""

from __future__ import annotations

import hashlib
import io
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.core.files.storage import default_storage
from django.utils import timezone
from stream_zip import NO_COMPRESSION_64, stream_zip

from ganapati import csvsafe, files
from ganapati.filenames import safe_path

CHUNK = 64 * 1024
PREFETCH = 50  # sessions whose pieces are read together


@dataclass
class Member:
    path: str
    storage_name: str | None = None
    content: bytes | None = None
    sha256: str = ""
    # Its kind in the table of who may see which file (ganapati/files.py).
    kind: str = ""


def _read_chunks(name: str) -> Iterator[bytes]:
    with default_storage.open(name, "rb") as handle:
        while chunk := handle.read(CHUNK):
            yield chunk


def _unique(path: str, seen: set[str]) -> str:
    """Two pieces may share a name (homonymous trainees): the second gets " (2)"."""
    candidate, n = path, 1
    while candidate in seen:
        n += 1
        stem, dot, ext = path.rpartition(".")
        candidate = f"{stem} ({n}).{ext}" if dot else f"{path} ({n})"
    seen.add(candidate)
    return candidate


def _manifest_member(manifest) -> tuple:
    """The manifest (a temporary file) as a ZIP member: size and CRC first, then its chunks."""
    manifest.seek(0)
    size, crc = 0, 0
    while text := manifest.read(CHUNK):
        data = text.encode("utf-8")
        size += len(data)
        crc = zlib.crc32(data, crc)

    def chunks():
        manifest.seek(0)
        while text := manifest.read(CHUNK):
            yield text.encode("utf-8")
        manifest.close()

    return NO_COMPRESSION_64(size, crc), chunks()


def _size_crc(member: Member) -> tuple[int, int, str]:
    if member.content is not None:
        data = member.content
        return len(data), zlib.crc32(data), hashlib.sha256(data).hexdigest()
    size, crc, sha = 0, 0, hashlib.sha256()
    for chunk in _read_chunks(member.storage_name):
        size += len(chunk)
        crc = zlib.crc32(chunk, crc)
        sha.update(chunk)
    return size, crc, sha.hexdigest()


class AuditExport:
    identifier = "audit"
    kinds = None  # every kind of piece

    def __init__(self, sessions: Iterable, *, user):
        """`user`: who downloads it. Each piece is included only if that user may see its
        kind (ganapati/files.py) — the same rule as the page links and direct URLs."""
        self.sessions = sessions
        self.user = user
        self.on_session_done = None  # callback(count) for progress displays
        self._documents: dict[int, list] = {}
        self._realised: dict[int, dict[int, int]] = {}

    def _prefetch(self, chunk: list) -> None:
        """Everything members_for() and the manifest read, for a chunk of sessions at once: a
        bounded number of queries per chunk (one query per session and per piece before)."""
        from django.contrib.contenttypes.models import ContentType
        from django.db.models import Prefetch, prefetch_related_objects

        from documents.models import Document
        from sessions.models import TrainingSession
        from sessions.selectors import realised_minutes_of

        from .models import Invoice

        prefetch_related_objects(
            chunk, "trainees", "attendance_scans", "funding_request__uploads",
            Prefetch("invoices", to_attr="export_invoices",
                     queryset=Invoice.objects.exclude(pdf="").prefetch_related("payments")),
        )  # fmt: skip
        self._documents = {session.pk: [] for session in chunk}
        for doc in Document.objects.filter(
            owner_type=ContentType.objects.get_for_model(TrainingSession),
            owner_id__in=list(self._documents),
            status="ready",
        ):
            self._documents[doc.owner_id].append(doc)
        self._realised = realised_minutes_of(chunk)

    def _sessions(self) -> Iterator:
        """The sessions, by chunks of PREFETCH whose pieces are fetched together."""
        chunk: list = []
        for session in self.sessions:
            chunk.append(session)
            if len(chunk) == PREFETCH:
                self._prefetch(chunk)
                yield from chunk
                chunk = []
        if chunk:
            self._prefetch(chunk)
            yield from chunk

    def members_for(self, session) -> Iterator[Member]:
        from documents.models import Document

        # Entry names are built from sanitised components (`safe_path`): a trainee's name or
        # an upload's name cannot add folders, climb out of the archive or break a line.
        # Uploads are named by what they are, never by the name their file had on a PC.
        folder = session.reference
        documents = self._documents.get(session.pk)
        if documents is None:
            documents = Document.objects.for_owner(session).filter(status="ready")
        for doc in documents:
            yield Member(safe_path(folder, "documents", doc.filename), doc.file.name,
                         kind=f"document.{doc.kind}")  # fmt: skip
        request = getattr(session, "funding_request", None)
        if request is not None:
            for upload in request.uploads.all():
                yield Member(safe_path(folder, "pec", f"Accord de prise en charge {upload.pk}.pdf"),
                             upload.file.name, kind="pec")  # fmt: skip
        for scan in session.attendance_scans.all():
            yield Member(safe_path(folder, "emargement-signe", f"Émargement signé {scan.pk}.pdf"),
                         scan.file.name, kind="attendance_scan")  # fmt: skip
        invoices = getattr(session, "export_invoices", None)
        if invoices is None:
            invoices = list(session.invoices.exclude(pdf="").prefetch_related("payments"))
        for invoice in invoices:
            yield Member(safe_path(folder, "factures", f"{invoice.number}.pdf"), invoice.pdf.name,
                         kind=invoice.file_kind)  # fmt: skip
        payments = self._payments_csv(invoices)
        if payments is not None:
            yield Member(safe_path(folder, "paiements.csv"), content=payments,
                         kind="payment.company")  # fmt: skip

    def _payments_csv(self, invoices) -> bytes | None:
        """The payments the user may see (those of invoices of kinds they may see)."""
        visible = [
            i for i in invoices
            if files.user_may_see(self.user, i.file_kind.replace("invoice.", "payment."))
        ]  # fmt: skip
        if not visible:
            return None
        out = io.StringIO()
        writer = csvsafe.writer(out, delimiter=";")
        writer.writerow(["facture", "date", "montant", "payeur", "référence bancaire"])
        for invoice in visible:
            for p in invoice.payments.all():
                writer.writerow([invoice.number, p.paid_on.isoformat(), str(p.amount), p.payer,
                                 p.bank_reference])  # fmt: skip
        return out.getvalue().encode("utf-8")

    def _files(self) -> Iterator[tuple]:
        import tempfile

        from ganapati.fields import format_minutes
        from sessions.selectors import realised_minutes

        modified = timezone.localtime().replace(tzinfo=None)
        # Closed by the last member once streamed (a generator cannot use "with" across yields).
        manifest = tempfile.TemporaryFile(mode="w+", encoding="utf-8", newline="")  # noqa: SIM115
        writer = csvsafe.writer(manifest, delimiter=";")
        writer.writerow(["fichier", "sha256", "session", "stagiaires (heures suivies)", "octets"])
        for count, session in enumerate(self._sessions(), start=1):
            seen: set[str] = set()  # paths are unique across sessions (their folder)
            realised = self._realised.get(session.pk)
            if realised is None:
                realised = realised_minutes(session)
            trainees = " / ".join(
                f"{t.first_name} {t.last_name} ({format_minutes(realised.get(t.pk, 0))})"
                for t in session.trainees.all()
            )
            for member in self.members_for(session):
                if not files.user_may_see(self.user, member.kind):
                    continue
                member.path = _unique(member.path, seen)
                size, crc, sha = _size_crc(member)
                writer.writerow([member.path, sha, session.reference, trainees, str(size)])
                chunks = (
                    iter([member.content])
                    if member.content is not None
                    else _read_chunks(member.storage_name)
                )
                yield member.path, modified, 0o600, NO_COMPRESSION_64(size, crc), chunks
            if self.on_session_done:
                self.on_session_done(count)
        yield "manifest.csv", modified, 0o600, *_manifest_member(manifest)

    def render(self) -> Iterator[bytes]:
        return stream_zip(self._files())


class ReimbursementPack(AuditExport):
    """What a company paying itself sends its OPCO to be reimbursed: the paid invoice, the
    certificates of completion, the attendance sheets."""

    identifier = "remboursement"
    KINDS = {"invoice.company", "attendance_scan", "document.certificat", "document.emargement"}

    def members_for(self, session) -> Iterator[Member]:
        for member in super().members_for(session):
            if member.kind in self.KINDS:
                yield member
