"""CSV helpers shared by every export."""

import csv
import io
import re

from flask import Response

# A spreadsheet reads a field starting with one of these as a formula, after dropping leading blanks.
FORMULA = ("=", "+", "-", "@")
# Where a spreadsheet may start a field inside our cell: after a comma, semicolon or tab (by locale or by
# guess; a quote in the middle of a field is a plain character, so quoting alone does not stop the split)
# or a line break, then blanks, then a formula character.
INNER = re.compile(r"([,;\t\r\n][ \t\r]*)(?=[=+\-@])")


def safe_cell(value) -> str:
    """Text for a CSV cell in which no spreadsheet finds a formula, whichever separator it splits on.

    ``=1`` and ``-1`` become ``'=1`` and ``'-1``; ``Ann;=HYPERLINK(...)`` becomes ``'Ann;'=HYPERLINK(...)``:
    the cell is marked as text and so is every part a split on ``,``, ``;`` or tab would make of it.
    """
    text = "" if value is None else str(value)
    inner = INNER.sub(r"\1'", text)
    if inner != text or text.lstrip(" \t\r").startswith(FORMULA) or text.startswith(("\t", "\r")):
        return "'" + inner
    return text


def csv_response(filename: str, header: list[str], rows) -> Response:
    """A downloadable CSV file."""
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL)  # separators inside a cell never split it
    writer.writerow(header)
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename={filename}"})
