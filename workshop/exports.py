"""CSV helpers shared by every export."""

import csv
import io

from flask import Response


def safe_cell(value) -> str:
    """Text for a CSV cell, with spreadsheet formulas neutralised (CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text and text[0] in "=+-@\t\r" else text


def csv_response(filename: str, header: list[str], rows) -> Response:
    """A downloadable CSV file."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename={filename}"})
