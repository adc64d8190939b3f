"""CSV files that a spreadsheet opens as data, never as formulas.

A cell starting with "=", "+", "-", "@", a tab or a carriage return is a formula for Excel or
LibreOffice: a company name typed as `=HYPERLINK("http://…")` on the share link would run in
the accountant's spreadsheet (OWASP "CSV injection"). Every CSV we write goes through
`writer()`: such text cells get a leading "'", which spreadsheets show as text. Numbers are
left alone, whether numeric types or plain numeric text such as "-50,00".

    from ganapati import csvsafe
    writer = csvsafe.writer(response, delimiter=";")
    writer.writerow(["F-2026-000001", buyer_name, "2800,00"])
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# A plain number ("-50,00", "+3.5", "1200") cannot be a formula: it stays a number.
_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)?")


def neutralise(value: Any) -> Any:
    """The cell as a spreadsheet will show it as text; non-text values are returned as is."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


class SafeWriter:
    """`csv.writer` with every cell passed through `neutralise`."""

    def __init__(self, handle, **kwargs):
        self._writer = csv.writer(handle, **kwargs)

    def writerow(self, row: Iterable[Any]):
        return self._writer.writerow([neutralise(cell) for cell in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def writer(handle, **kwargs) -> SafeWriter:
    """Like `csv.writer(handle, **kwargs)`, formula-safe."""
    return SafeWriter(handle, **kwargs)
