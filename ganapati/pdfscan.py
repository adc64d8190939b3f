"""Reads an uploaded PDF with pypdf and says whether it may be kept: the child-process half of
`ganapati.uploads.check_pdf`.

`check_pdf` runs this file as a script (`python -I pdfscan.py --cpu N --memory N`) with the PDF
on standard input, under CPU and memory limits the script sets on itself, and reads one JSON line
back: `{"verdict": "ok" | "encrypted" | "damaged" | "no_page" | "active" | "too_complex",
"detail": "..."}`. The detail is for the logs, never shown to the user.

Why a child process: a hostile PDF can make any parser spin or swell (a trailer claiming ten
million objects, a Flate bomb, structures nested thousands deep). The limits below refuse what we
can foresee; the OS limits and the parent's wall-clock timeout bound what we cannot. Only the
standard library and pypdf are imported here: no Django, no settings, no secrets in this process.

How the file is read: pypdf reads the cross-reference data (leniently: real files often have
slightly wrong offsets). Then every object the file holds is parsed strictly and inspected: those
the cross-reference lists, in any generation, those packed in object streams, and those a byte
scan finds in the body (earlier revisions, orphans, objects a viewer would find when it rebuilds a
broken cross-reference). That is a superset of walking the catalogue: whatever is reachable from
/Root, /OpenAction, /AA, pages, annotations, name trees or /Next chains is one of these objects,
and nothing can hide in an unreachable one. References are resolved by our own table, never by a
file-wide search per missing object (what made a /Size of 10 000 000 cost 45 minutes).
"""

from __future__ import annotations

import json
import re
import resource
import sys
import zlib
from io import BytesIO

OK = "ok"
ENCRYPTED = "encrypted"
DAMAGED = "damaged"
NO_PAGE = "no_page"
ACTIVE = "active"
TOO_COMPLEX = "too_complex"

# Objects in one file (claimed by /Size, listed by the cross-reference or found in the body).
# Our PEC, invoices and scans hold hundreds to a few thousand; pypdf reads about 5 000 small
# objects a second, so this many fit well within the CPU budget. Some readers allocate a table
# of /Size entries: a larger claim is refused too.
MAX_OBJECTS = 20_000
# Nesting of arrays and dictionaries inside one object, and depth of the page tree.
MAX_NESTING = 100
# Decompressed bytes for the whole file: at most RATIO times its size, with a floor so that a small
# file may still carry one large blank image (a 300 dpi A4 page in RGB is 26 MB), and a cap.
MAX_INFLATION_RATIO = 100
MIN_INFLATED_ALLOWANCE = 32 * 1024 * 1024
MAX_INFLATED_BYTES = 256 * 1024 * 1024
# An object stream is decoded in memory to parse the objects it packs.
MAX_OBJECT_STREAM_BYTES = 16 * 1024 * 1024
MAX_FILTERS = 8

# Action types a reader may run by itself or that reach outside the file.
ACTIVE_ACTIONS = {
    "/JavaScript", "/Launch", "/SubmitForm", "/ImportData", "/GoToR", "/GoToE",
    "/RichMediaExecute", "/Rendition", "/Movie", "/Sound",
}  # fmt: skip
# Annotations that carry files, multimedia or 3D (which runs its own scripts).
ACTIVE_ANNOTATIONS = {"/FileAttachment", "/RichMedia", "/3D", "/Movie", "/Sound", "/Screen"}
# Keys that only ever hold scripts, attached files or XFA forms, wherever they appear.
ACTIVE_KEYS = {"/JS", "/JavaScript", "/EmbeddedFiles", "/EF", "/XFA", "/RichMediaContent"}
# Link targets a viewer would hand to a script engine or the local file system.
UNSAFE_URI = re.compile(r"^(javascript|vbscript|data|file):|^\\\\", re.IGNORECASE)

_WS = rb"[\x00\t\n\x0c\r ]"
# "12 0 obj" wherever it starts an object (a delimiter or the start of the file before it).
_HEADER = re.compile(
    rb"(?<![^\x00\t\n\x0c\r ()<>\[\]{}/%])(\d{1,10})" + _WS + rb"+(\d{1,5})" + _WS
    + rb"+obj(?![^\x00\t\n\x0c\r ()<>\[\]{}/%])"
)  # fmt: skip
_INFLATE_CHUNK = 1024 * 1024


class Refused(Exception):
    def __init__(self, verdict: str, detail: str):
        super().__init__(detail)
        self.verdict = verdict
        self.detail = detail


def _too_complex(detail: str) -> Refused:
    return Refused(TOO_COMPLEX, detail)


class _Scan:
    def __init__(self, data: bytes):
        from pypdf import PdfReader

        self.data = data
        self.stream = BytesIO(data)
        self.reader = PdfReader(self.stream, strict=False)
        self.objects: dict[object, object] = {}  # location -> parsed object
        self.where: dict[tuple[int, int], object] = {}  # (number, generation) -> location
        allowed = max(MIN_INFLATED_ALLOWANCE, MAX_INFLATION_RATIO * len(data))
        self.inflate_budget = min(MAX_INFLATED_BYTES, allowed)
        self.measured: set[int] = set()  # streams already charged to the budget
        self.candidates: list[int] = []  # offsets of every "n g obj" in the file

    def run(self) -> tuple[str, str]:
        reader = self.reader
        if reader.is_encrypted:
            return ENCRYPTED, "/Encrypt dans le trailer"
        size = reader.trailer.get("/Size")
        if isinstance(size, int) and size > MAX_OBJECTS:
            raise _too_complex(f"/Size annonce {size} objets")
        listed = sum(len(table) for table in reader.xref.values()) + len(reader.xref_objStm)
        if listed > MAX_OBJECTS:
            raise _too_complex(f"{listed} objets dans la table des références")
        # From here on an object pypdf cannot read exactly is an error, not a silent null.
        reader.strict = True
        required = self._locate()
        self._parse_all(required)
        self._inspect(reader.trailer, "trailer")
        for location, obj in self.objects.items():
            self._inspect(obj, location)
        pages = self._count_pages()
        if not pages:
            return NO_PAGE, "aucune page dans /Root /Pages"
        return OK, f"{pages} page(s), {len(self.objects)} objets"

    # --- Where each object is -----------------------------------------------------------------

    def _locate(self) -> set[int]:
        """Fill `where` and return the offsets that must parse (those references resolve to)."""
        from pypdf.generic import IndirectObject

        body: dict[tuple[int, int], int] = {}
        for count, match in enumerate(_HEADER.finditer(self.data)):
            if count >= MAX_OBJECTS:
                raise _too_complex(f"plus de {MAX_OBJECTS} objets dans le corps du fichier")
            key = (int(match[1]), int(match[2]))
            body[key] = match.start()  # the last one wins, as in an incremental update
            self.candidates.append(match.start())
        reader = self.reader
        free = reader.xref_free_entry
        for generation, table in reader.xref.items():
            for number, offset in table.items():
                if free.get(generation, {}).get(number):
                    continue
                key = (number, generation)
                header = self._header_at(offset)
                if header and header[0] == key:
                    self.where[key] = header[1]
                elif key in body:  # a wrong offset, as some writers produce: found by its header
                    self.where[key] = body[key]
        for key, offset in body.items():
            self.where.setdefault(key, offset)
        for number, (stream_number, _index) in reader.xref_objStm.items():
            self.where[(number, 0)] = ("stm", stream_number)
        # pypdf resolves a stream's indirect /Length itself: let it find objects where we did,
        # and take an object found nowhere as null rather than search the whole file for it.
        for (number, generation), location in self.where.items():
            if isinstance(location, int):
                reader.xref.setdefault(generation, {})[number] = location
        get_object = reader.get_object

        def get_known_object(reference):
            if isinstance(reference, int):
                reference = IndirectObject(reference, 0, reader)
            key = (reference.idnum, reference.generation)
            return get_object(reference) if key in self.where else None

        reader.get_object = get_known_object
        return {location for location in self.where.values() if isinstance(location, int)}

    def _header_at(self, offset: int) -> tuple[tuple[int, int], int] | None:
        """The object header at `offset` (some writers point at the whitespace before it)."""
        if not isinstance(offset, int) or offset < 0:
            return None
        start = offset
        while (
            start < len(self.data)
            and start - offset < 32
            and self.data[start] in b" \t\r\n\x00\x0c"
        ):
            start += 1
        match = _HEADER.match(self.data, start)
        return ((int(match[1]), int(match[2])), start) if match else None

    # --- Parsing ------------------------------------------------------------------------------

    def _parse_all(self, required: set[int]) -> None:
        from pypdf.errors import PdfReadError

        for offset in sorted(required | set(self.candidates)):
            try:
                obj = self._parse_at(offset)
            except (PdfReadError, RecursionError, MemoryError) as exc:
                if _from_recursion(exc):
                    raise _too_complex(f"objet à l'octet {offset} trop imbriqué") from exc
                if offset in required:
                    raise Refused(DAMAGED, f"objet à l'octet {offset} illisible : {exc}") from exc
                continue  # "n 0 obj" inside some stream's data, not an object
            except (ValueError, TypeError, KeyError, IndexError, OverflowError) as exc:
                if offset in required:
                    raise Refused(DAMAGED, f"objet à l'octet {offset} illisible : {exc!r}") from exc
                continue
            self.objects[offset] = obj
            if len(self.objects) > MAX_OBJECTS:
                raise _too_complex(f"plus de {MAX_OBJECTS} objets")
        # Object streams: those the cross-reference names, and any other stream typed so.
        named = {self.where.get((number, 0)) for number, _ in self.reader.xref_objStm.values()}
        for offset, obj in list(self.objects.items()):
            if _is_stream(obj) and (
                offset in named or self._name(dict.get(obj, "/Type")) == "/ObjStm"
            ):
                self._parse_object_stream(offset, obj, required=offset in required)

    def _parse_at(self, offset: int):
        from pypdf.errors import PdfReadError
        from pypdf.generic import read_object

        match = _HEADER.match(self.data, offset)
        if match is None:
            raise ValueError("pas d'en-tête d'objet")
        start = _skip_blanks(self.data, match.end())
        self.stream.seek(start)
        try:
            return read_object(self.stream, self.reader)
        except PdfReadError as exc:
            # A stream whose /Length is wrong, as many writers get it: the dictionary was read
            # whole (strictly) before the failure, so reading the object again leniently, which
            # only looks for "endstream" instead, cannot hide anything in it.
            if not str(exc).startswith("Unable to find 'endstream'"):
                raise
        self.stream.seek(start)
        self.reader.strict = False
        try:
            return read_object(self.stream, self.reader)
        finally:
            self.reader.strict = True

    def _parse_object_stream(self, offset: int, stream, *, required: bool) -> None:
        """The objects an object stream packs (/N pairs "number offset", then the objects)."""
        from pypdf.errors import PdfReadError
        from pypdf.generic import read_object

        self._decoded_size(stream, limit=MAX_OBJECT_STREAM_BYTES)
        try:
            content = stream.get_data()
            first = int(self._resolve(dict.get(stream, "/First")))
            count = int(self._resolve(dict.get(stream, "/N")))
            numbers = [int(n) for n in re.findall(rb"\d+", content[:first])]
            if count < 0 or count > len(numbers) // 2:
                raise PdfReadError(f"/N {count} ne correspond pas à l'index")
            if len(self.objects) + count > MAX_OBJECTS:
                raise _too_complex(f"plus de {MAX_OBJECTS} objets")
            packed = BytesIO(content)
            for index in range(count):
                packed.seek(_skip_blanks(content, first + numbers[2 * index + 1]))
                self.objects[("stm", offset, numbers[2 * index])] = read_object(packed, self.reader)
        except Refused:
            raise
        except RecursionError as exc:
            raise _too_complex(f"flux d'objets à l'octet {offset} trop imbriqué") from exc
        except (PdfReadError, MemoryError, ValueError, TypeError, KeyError, IndexError) as exc:
            if _from_recursion(exc):
                raise _too_complex(f"flux d'objets à l'octet {offset} trop imbriqué") from exc
            if required:
                raise Refused(DAMAGED, f"flux d'objets à l'octet {offset} : {exc!r}") from exc

    def _resolve(self, value, hops: int = 8):
        """The object behind a reference, by our own table (a missing object is null)."""
        from pypdf.generic import IndirectObject

        while isinstance(value, IndirectObject) and hops:
            location = self.where.get((value.idnum, value.generation))
            if isinstance(location, tuple):  # packed in an object stream
                location = self.where.get((location[1], 0))
                value = self.objects.get(("stm", location, value.idnum))
            else:
                value = self.objects.get(location)
            hops -= 1
        return None if isinstance(value, IndirectObject) else value

    def _name(self, value) -> str | None:
        value = self._resolve(value)
        return str(value) if isinstance(value, str) else None

    # --- Inspection ---------------------------------------------------------------------------

    def _inspect(self, obj, location) -> None:
        from pypdf.generic import ArrayObject, DictionaryObject

        stack = [(obj, 0)]
        while stack:
            value, depth = stack.pop()
            if depth > MAX_NESTING:
                raise _too_complex(f"plus de {MAX_NESTING} niveaux d'imbrication ({location})")
            if isinstance(value, DictionaryObject):
                self._check_dictionary(value, location)
                stack.extend((item, depth + 1) for item in dict.values(value))
            elif isinstance(value, ArrayObject):
                stack.extend((item, depth + 1) for item in list.__iter__(value))

    def _check_dictionary(self, value, location) -> None:
        keys = set(dict.keys(value))
        found = keys & ACTIVE_KEYS
        if found:
            raise Refused(ACTIVE, f"clé {sorted(found)[0]} ({location})")
        action = self._name(dict.get(value, "/S"))
        if action in ACTIVE_ACTIONS:
            raise Refused(ACTIVE, f"action {action} ({location})")
        if action == "/Thread" and "/F" in keys:
            raise Refused(ACTIVE, f"action /Thread vers un autre fichier ({location})")
        if action == "/URI":
            uri = self._resolve(dict.get(value, "/URI"))
            text = uri.decode("latin-1") if isinstance(uri, bytes) else str(uri or "")
            if UNSAFE_URI.search(re.sub(r"[\x00-\x20]", "", text)):
                raise Refused(ACTIVE, f"lien {text[:40]!r} ({location})")
        subtype = self._name(dict.get(value, "/Subtype"))
        if subtype in ACTIVE_ANNOTATIONS:
            raise Refused(ACTIVE, f"annotation {subtype} ({location})")
        if self._name(dict.get(value, "/Type")) == "/EmbeddedFile":
            raise Refused(ACTIVE, f"fichier joint ({location})")
        if _is_stream(value):
            self._decoded_size(value, limit=self.inflate_budget)

    def _count_pages(self) -> int:
        """Leaves of the page tree from /Root /Pages, iteratively, each node once."""
        from pypdf.generic import ArrayObject, DictionaryObject

        root = self._resolve(dict.get(self.reader.trailer, "/Root"))
        if not isinstance(root, DictionaryObject):
            raise Refused(DAMAGED, "pas de catalogue /Root")
        stack, seen, pages = [(self._resolve(dict.get(root, "/Pages")), 0)], set(), 0
        while stack:
            node, depth = stack.pop()
            if not isinstance(node, DictionaryObject) or id(node) in seen:
                continue
            if depth > MAX_NESTING:
                raise _too_complex(f"arbre des pages de plus de {MAX_NESTING} niveaux")
            seen.add(id(node))
            kids = self._resolve(dict.get(node, "/Kids"))
            if isinstance(kids, ArrayObject):
                stack.extend((self._resolve(kid), depth + 1) for kid in list.__iter__(kids))
            elif self._name(dict.get(node, "/Type")) != "/Pages":
                pages += 1
        return pages

    # --- Decompression ------------------------------------------------------------------------

    def _decoded_size(self, stream, *, limit: int) -> int:
        """Decode the stream's filters within `limit` bytes (charged to the file's budget) and
        return the decoded size. Image codecs (DCT, JPX, CCITT, JBIG2) are left to the viewer."""
        from pypdf.filters import ASCII85Decode, ASCIIHexDecode, LZWDecode, RunLengthDecode
        from pypdf.generic import ArrayObject

        if id(stream) in self.measured:
            return 0
        self.measured.add(id(stream))
        filters = self._resolve(dict.get(stream, "/Filter"))
        if filters is None:
            filters = []
        elif not isinstance(filters, ArrayObject):
            filters = [filters]
        filters = [self._resolve(name) for name in list.__iter__(filters)]
        if len(filters) > MAX_FILTERS:
            raise _too_complex(f"{len(filters)} filtres sur un flux")
        data = stream._data  # the bytes as stored: pypdf keeps them there until decoded
        limit = min(limit, self.inflate_budget)
        for index, name in enumerate(filters):
            last = index == len(filters) - 1
            try:
                if name in ("/FlateDecode", "/Fl"):
                    size, data = _inflate(data, limit=limit, keep=not last)
                    if last:
                        self._charge(size)
                        return size
                elif name in ("/ASCIIHexDecode", "/AHx"):
                    data = ASCIIHexDecode.decode(data)
                elif name in ("/ASCII85Decode", "/A85"):
                    data = ASCII85Decode.decode(data)
                elif name in ("/LZWDecode", "/LZW"):
                    data = LZWDecode.decode(data)
                elif name in ("/RunLengthDecode", "/RL"):
                    data = RunLengthDecode.decode(data)
                else:
                    break
            except Refused:
                raise
            except Exception:  # noqa: BLE001 - a broken filter is the viewer's problem, not ours
                break
            if len(data) > limit:
                raise _too_complex(f"flux décompressé au-delà de {limit} octets")
        self._charge(len(data))
        return len(data)

    def _charge(self, size: int) -> None:
        self.inflate_budget -= size
        if self.inflate_budget < 0:
            raise _too_complex("contenu décompressé démesuré (bombe de décompression)")


def _inflate(data: bytes, *, limit: int, keep: bool) -> tuple[int, bytes]:
    """zlib inflate, a chunk at a time, refused past `limit` bytes; the output is kept only when
    another filter needs it. A corrupt tail ends the count (viewers show what they can)."""
    inflater = zlib.decompressobj(zlib.MAX_WBITS | 32)  # zlib or gzip header
    size, kept, pending = 0, [], data
    while True:
        try:
            chunk = inflater.decompress(pending, _INFLATE_CHUNK)
        except zlib.error:
            break
        size += len(chunk)
        if size > limit:
            raise _too_complex(f"flux Flate de plus de {limit} octets décompressés")
        if keep:
            kept.append(chunk)
        pending = inflater.unconsumed_tail
        if inflater.eof or (not pending and len(chunk) < _INFLATE_CHUNK):
            break
    return size, b"".join(kept)


def _skip_blanks(data: bytes, position: int) -> int:
    """Past whitespace and comments, where an object's value starts."""
    while position < len(data):
        if data[position] in b" \t\r\n\x00\x0c":
            position += 1
        elif data[position] == ord("%"):
            match = re.compile(rb"[\r\n]").search(data, position)
            position = match.end() if match else len(data)
        else:
            break
    return position


def _is_stream(value) -> bool:
    from pypdf.generic import StreamObject

    return isinstance(value, StreamObject)


def _from_recursion(exc: BaseException) -> bool:
    while exc is not None:
        if isinstance(exc, (RecursionError, MemoryError)):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def scan(data: bytes) -> tuple[str, str]:
    """The verdict on a PDF's bytes. Call it in a process with OS limits (see `main`)."""
    from pypdf import errors
    from pypdf.errors import PdfReadError

    # pypdf's own limits (elements in an array, declared stream lengths...), where it has them.
    limit_reached = getattr(errors, "LimitReachedError", RecursionError)
    try:
        return _Scan(data).run()
    except Refused as refusal:
        return refusal.verdict, refusal.detail
    except (RecursionError, MemoryError, limit_reached) as exc:
        return TOO_COMPLEX, repr(exc)[:200]
    except PdfReadError as exc:
        if _from_recursion(exc):
            return TOO_COMPLEX, repr(exc)[:200]
        return DAMAGED, repr(exc)[:200]
    except Exception as exc:  # noqa: BLE001 - whatever else a malformed file makes pypdf raise
        return DAMAGED, repr(exc)[:200]


def _limit(kind: int, extra: int, current: int) -> None:
    soft, hard = resource.getrlimit(kind)
    wanted = current + extra
    if hard != resource.RLIM_INFINITY:
        wanted = min(wanted, hard)
    resource.setrlimit(kind, (wanted, hard if hard != resource.RLIM_INFINITY else wanted + 1))


def main(argv: list[str]) -> int:
    import argparse
    import logging
    import warnings

    parser = argparse.ArgumentParser()
    parser.add_argument("--cpu", type=int, required=True, help="secondes de CPU")
    parser.add_argument("--memory", type=int, required=True, help="octets en plus de l'interprète")
    args = parser.parse_args(argv)
    # pypdf's warnings on odd files would only fill the parent's pipe.
    logging.disable(logging.CRITICAL)
    warnings.simplefilter("ignore")
    import pypdf.filters  # noqa: F401 - loaded before the limits: they are for the file, not us
    import pypdf.generic  # noqa: F401

    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    used = resource.getrusage(resource.RUSAGE_SELF)
    _limit(resource.RLIMIT_CPU, args.cpu, int(used.ru_utime + used.ru_stime) + 1)
    try:
        with open("/proc/self/statm") as statm:
            mapped = int(statm.read().split()[0]) * resource.getpagesize()
    except OSError:  # not Linux: the limit then covers the interpreter too
        mapped = 0
    _limit(resource.RLIMIT_AS, args.memory, mapped)

    try:
        verdict, detail = scan(sys.stdin.buffer.read())
    except MemoryError:
        verdict, detail = TOO_COMPLEX, "mémoire"
    sys.stdout.write(json.dumps({"verdict": verdict, "detail": detail}) + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
