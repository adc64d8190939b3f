"""The OPCO audit export ("contrôle de service fait"): every piece of a session's file, as a
ZIP streamed member by member (no compression: PDFs are compressed already), with a manifest.

Memory stays flat whatever the number of sessions: files are read from storage in chunks, and
the manifest's rows go to a temporary file until they are streamed last.

Each stored file is read once: its size, CRC-32 and SHA-256 were kept on its row when it was
written (Document, Invoice, PecUpload, AttendanceScan), and the ZIP writer (billing/zipstream.py)
checks the size and CRC-32 of what it streams against them (a file changed in storage fails the
export, never yields a silently wrong archive). Rows written before the CRC-32 was kept are
read twice (once for size, CRC-32 and SHA-256, once to stream them) and the figures are filled
in on the row, so the next export reads them once.
"""

from __future__ import annotations

import hashlib
import io
import logging
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.core.files.storage import default_storage
from django.utils import timezone

from ganapati import csvsafe, files
from ganapati.filenames import safe_path

from .zipstream import stored_zip

logger = logging.getLogger(__name__)

CHUNK = 64 * 1024
PREFETCH = 50  # sessions whose pieces are read together
FILL_BATCH = 1000  # older rows whose figures are kept by one UPDATE


@dataclass
class Member:
    path: str
    storage_name: str | None = None
    content: bytes | None = None
    sha256: str = ""
    # Its kind in the table of who may see which file (ganapati/files.py).
    kind: str = ""
    # The row the stored file belongs to: its size, CRC-32 and SHA-256 as kept when written.
    row: object = None
    size_field: str = "size"

    @classmethod
    def stored(cls, path: str, row, field: str, *, kind: str, size_field: str = "size"):
        return cls(path, getattr(row, field).name, kind=kind, row=row, size_field=size_field)

    def known(self) -> tuple[int, int, str] | None:
        """Size, CRC-32 and SHA-256 kept on the row, if it has them all."""
        row = self.row
        if row is None or getattr(row, "crc32", None) is None:
            return None
        size = getattr(row, self.size_field)
        if size is None or not row.sha256:
            return None
        return size, row.crc32, row.sha256


def _read_chunks(name: str, size: int | None = None) -> Iterator[bytes]:
    """The file's bytes by chunks; with its `size` known, no last read to find the end (a file
    of another size fails the ZIP writer's check all the same)."""
    with default_storage.open(name, "rb") as handle:
        if size is None:
            while chunk := handle.read(CHUNK):
                yield chunk
            return
        while size > 0 and (chunk := handle.read(min(CHUNK, size))):
            size -= len(chunk)
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

    return size, crc, chunks()


def _size_crc(member: Member, fills: list) -> tuple[int, int, str]:
    """Size, CRC-32 and SHA-256 of a member: from its row if kept there, else by reading the
    file (and the row joins `fills`, to be completed)."""
    if member.content is not None:
        data = member.content
        return len(data), zlib.crc32(data), hashlib.sha256(data).hexdigest()
    known = member.known()
    if known is not None:
        return known
    size, crc, sha = 0, 0, hashlib.sha256()
    for chunk in _read_chunks(member.storage_name):
        size += len(chunk)
        crc = zlib.crc32(chunk, crc)
        sha.update(chunk)
    digest = sha.hexdigest()
    row = member.row
    if row is not None:
        if row.sha256 and row.sha256 != digest:
            # Not what was written: the manifest says what the archive holds, the row is kept.
            logger.warning("%s %s: le fichier %s ne correspond plus à son empreinte",
                           type(row).__name__, row.pk, member.storage_name)  # fmt: skip
        else:
            row.crc32, row.sha256 = crc, digest
            setattr(row, member.size_field, size)
            fills.append(member)
    return size, crc, digest


def _fill(members: list) -> None:
    """Keep the figures computed for older rows: one UPDATE per kind of row and per batch of
    sessions. Plain SQL (CASE on the primary key): Django's bulk_update builds an expression
    per row and per field, which costs more than reading the files did."""
    from django.db import connection

    by_model: dict = {}
    for member in members:
        by_model.setdefault((type(member.row), member.size_field), {})[member.row.pk] = member.row
    members.clear()
    quote = connection.ops.quote_name
    for (model, size_field), by_pk in by_model.items():
        pk = quote(model._meta.pk.column)
        rows = list(by_pk.values())
        for start in range(0, len(rows), FILL_BATCH):  # 7 parameters a row: within DB limits
            batch = rows[start : start + FILL_BATCH]
            sets, params = [], []
            for field in ("crc32", "sha256", size_field):
                column = quote(model._meta.get_field(field).column)
                sets.append(f"{column} = CASE {pk}" + " WHEN %s THEN %s" * len(batch) + " END")
                for row in batch:
                    params += [row.pk, getattr(row, field)]
            where = f"{pk} IN (" + ", ".join(["%s"] * len(batch)) + ")"
            # Only quoted names of our own tables and columns in the text; values are parameters.
            with connection.cursor() as cursor:
                cursor.execute(
                    f"UPDATE {quote(model._meta.db_table)} SET {', '.join(sets)} WHERE {where}",  # noqa: S608
                    [*params, *(row.pk for row in batch)],
                )


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
        self._fills: list[Member] = []  # older rows whose size and CRC-32 were computed

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
        from sessions.models import AttendanceEvidence

        self._evidence = {session.pk: [] for session in chunk}
        for entry in AttendanceEvidence.objects.filter(
            session_id__in=list(self._evidence)
        ).order_by("session_id", "seq"):
            self._evidence[entry.session_id].append(entry)

    def _sessions(self) -> Iterator:
        """The sessions, by chunks of PREFETCH whose pieces are fetched together."""
        chunk: list = []
        for session in self.sessions:
            chunk.append(session)
            if len(chunk) == PREFETCH:
                self._prefetch(chunk)
                yield from chunk
                _fill(self._fills)
                chunk = []
        if chunk:
            self._prefetch(chunk)
            yield from chunk
            _fill(self._fills)

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
            yield Member.stored(safe_path(folder, "documents", doc.filename), doc, "file",
                                kind=f"document.{doc.kind}")  # fmt: skip
        request = getattr(session, "funding_request", None)
        if request is not None:
            for upload in request.uploads.all():
                yield Member.stored(
                    safe_path(folder, "pec", f"Accord de prise en charge {upload.pk}.pdf"),
                    upload, "file", kind="pec",
                )  # fmt: skip
        for scan in session.attendance_scans.all():
            yield Member.stored(
                safe_path(folder, "emargement-signe", f"Émargement signé {scan.pk}.pdf"),
                scan, "file", kind="attendance_scan",
            )  # fmt: skip
        # Electronic attendance (issue 13): the evidence log, and which agreement applies.
        from sessions.signing import evidence_lines

        evidence = evidence_lines(session, getattr(self, "_evidence", {}).get(session.pk))
        if evidence:
            yield Member(safe_path(folder, "emargement-signe", "journal-de-preuve.jsonl"),
                         content=evidence, kind="attendance_evidence")  # fmt: skip
        conventions = [d for d in documents if d.kind == "convention"]
        convention = max(conventions, key=lambda d: d.version) if conventions else None
        if convention is not None:
            note = f"Convention applicable : {convention.title}, version {convention.version}, " \
                f"SHA-256 {convention.sha256}\n"  # fmt: skip
            yield Member(safe_path(folder, "convention-applicable.txt"),
                         content=note.encode("utf-8"), kind="document.convention")  # fmt: skip
        invoices = getattr(session, "export_invoices", None)
        if invoices is None:
            invoices = list(session.invoices.exclude(pdf="").prefetch_related("payments"))
        for invoice in invoices:
            yield Member.stored(safe_path(folder, "factures", f"{invoice.number}.pdf"), invoice,
                                "pdf", kind=invoice.file_kind, size_field="pdf_size")  # fmt: skip
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
            reference = session.reference
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
                size, crc, sha = _size_crc(member, self._fills)
                writer.writerow([member.path, sha, reference, trainees, str(size)])
                chunks = (
                    iter([member.content])
                    if member.content is not None
                    else _read_chunks(member.storage_name, size)
                )
                yield member.path, modified, 0o600, size, crc, chunks
            if self.on_session_done:
                self.on_session_done(count)
        yield "manifest.csv", modified, 0o600, *_manifest_member(manifest)

    def render(self) -> Iterator[bytes]:
        return stored_zip(self._files())


class ReimbursementPack(AuditExport):
    """What a company paying itself sends its OPCO to be reimbursed: the paid invoice, the
    certificates of completion, the attendance sheets."""

    identifier = "remboursement"
    KINDS = {"invoice.company", "attendance_scan", "document.certificat", "document.emargement",
             "document.emargement_signe", "attendance_evidence"}  # fmt: skip

    def members_for(self, session) -> Iterator[Member]:
        for member in super().members_for(session):
            if member.kind in self.KINDS:
                yield member
