"""File and ZIP entry names built from user text (trainees' names, uploaded file names...).

A trainee named "../../../tmp/x" or a name carrying a line break must not make a ZIP entry
that climbs out of the extraction folder, hides its extension or breaks a listing. Each
component of a path goes through `safe_component`; `safe_path` joins them with "/", so the
folder structure is always the one we chose.

    safe_path(session.reference, "documents", f"Certificat {trainee.last_name}.pdf")
"""

from __future__ import annotations

import functools
import re
import unicodedata

MAX_CHARS = 100
# A file name is at most 255 bytes on common file systems; accents take 2 bytes, emoji 4.
MAX_BYTES = 240
_SEPARATORS = re.compile(r"[/\\]")
_RESERVED = re.compile(r'[<>:"|?*]')
_DOTS = re.compile(r"\.{2,}")
# Names Windows refuses whatever their extension.
_WINDOWS_DEVICES = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(10)),
                    *(f"LPT{i}" for i in range(10))}  # fmt: skip


def _bounded(text: str, max_chars: int) -> str:
    stem, dot, ext = text.rpartition(".")
    if not dot or not stem or len(ext) > 10 or " " in ext:
        stem, ext = text, ""
    suffix = f".{ext}" if ext else ""
    stem = stem[: max(1, max_chars - len(suffix))]
    while len((stem + suffix).encode("utf-8")) > MAX_BYTES and len(stem) > 1:
        stem = stem[:-1]
    return stem.rstrip(" .") + suffix


def safe_component(text: str, *, default: str = "fichier", max_chars: int = MAX_CHARS) -> str:
    if isinstance(text, str):  # kept per process: an export repeats its folders' names
        return _safe_component(text, default, max_chars)
    return _safe_component.__wrapped__(text, default, max_chars)


@functools.lru_cache(maxsize=4096)
def _safe_component(text: str, default: str, max_chars: int) -> str:
    """One path component: no separator, no "..", no control or invisible formatting
    characters (line breaks, bidi overrides), no leading dot, at most `max_chars` characters
    (the extension kept); accents and spaces stay."""
    text = unicodedata.normalize("NFC", str(text or ""))
    # str.isprintable() is False exactly when a character is of a category C or Z other than
    # the space: the character by character pass only for such names (an export names
    # thousands of entries).
    if not text.isprintable():
        text = "".join(
            " " if unicodedata.category(ch)[0] in "CZ" and ch != " " else ch for ch in text
        )  # controls, formats, line/paragraph separators, exotic spaces
    # "a/../b" is a name, not a path: its parts joined by "-", those made of dots dropped.
    text = "-".join(part for part in _SEPARATORS.split(text) if part.strip(" ."))
    text = _RESERVED.sub("-", text)
    text = _DOTS.sub(".", text)
    text = " ".join(text.split()).strip(" .")
    text = _bounded(text, max_chars) if text else ""
    if not text:
        return default
    if text.split(".")[0].upper() in _WINDOWS_DEVICES:
        text = f"_{text}"
    return text


def safe_path(*components: str) -> str:
    """A relative path of sanitised components joined by "/"."""
    return "/".join(safe_component(c) for c in components)
