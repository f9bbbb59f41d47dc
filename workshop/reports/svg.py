"""SVG chart primitives for the report, readable in black and white: every series has a texture and a text label.

No JavaScript and no inline CSS (the CSP forbids it): only SVG presentation attributes. Each chart scales
to its container through its viewBox, so it never overflows a printed page.
"""

from markupsafe import Markup, escape

WIDTH = 640
LABEL_W = 180
VALUE_W = 92
ROW_H = 28
BAR_H = 18
FONT = 'font-family="system-ui, sans-serif" font-size="13"'

# (name, light background, dark stroke): distinct textures first, colours second. The first three are Snog,
# Marry and Avoid as every live screen draws them (static/css/app.css --snog/--marry/--avoid and stage.css):
# Snog solid pink, Marry blue stripes, Avoid amber dots.
PATTERNS = [
    ("solid", "#a3155a", "#a3155a"),
    ("diagonal", "#cfe3f5", "#0b5fa5"),
    ("dots", "#fde7b8", "#8a5300"),
    ("cross", "#cfe5e7", "#15484d"),
    ("horizontal", "#dbe7f5", "#0b4a8a"),
    ("vertical", "#ddd0f0", "#4a2180"),
    ("solid", "#555555", "#222222"),
]
VERDICT_PATTERN = {"snog": 0, "marry": 1, "avoid": 2}


def pattern_index(key: str, position: int) -> int:
    """The pattern for an answer key: fixed for snog/marry/avoid, in order for other answers."""
    return VERDICT_PATTERN.get(key, position) % len(PATTERNS)


def _marks(name: str, x0: float, y0: float, w: float, h: float) -> str:
    """Path data for a texture inside a rectangle: plain geometry, no <pattern> (PDF output keeps it vector)."""
    x1, y1, step, d = x0 + w, y0 + h, 6, []
    if name == "diagonal":
        k = x0 + y0 + step / 2
        while k < x1 + y1:
            ax, bx = max(x0, k - y1), min(x1, k - y0)
            if bx > ax:
                d.append(f"M{ax:.1f} {k - ax:.1f}L{bx:.1f} {k - bx:.1f}")
            k += step
    if name in ("horizontal", "cross"):
        d += [f"M{x0:.1f} {y:.1f}H{x1:.1f}" for y in _steps(y0, y1, 5 if name == "horizontal" else step)]
    if name in ("vertical", "cross"):
        d += [f"M{x:.1f} {y0:.1f}V{y1:.1f}" for x in _steps(x0, x1, 5 if name == "vertical" else step)]
    if name == "dots":
        d += [f"M{x - 1.3:.1f} {y:.1f}a1.3 1.3 0 1 0 2.6 0a1.3 1.3 0 1 0 -2.6 0"
              for x in _steps(x0, x1, step) for y in _steps(y0, y1, step)]
    return "".join(d)


def _steps(low: float, high: float, step: float) -> list[float]:
    """Evenly spaced positions strictly inside [low, high], centred."""
    count = int((high - low) // step)
    offset = (high - low - (count - 1) * step) / 2 if count > 0 else 0
    return [low + offset + i * step for i in range(count)]


def _box(index: int, x: float, y: float, w: float, h: float) -> str:
    """A rectangle filled with series ``index``'s colour and texture, outlined in black."""
    name, light, dark = PATTERNS[index % len(PATTERNS)]
    fill = dark if name == "solid" else light
    marks = _marks(name, x, y, w, h) if w > 0 else ""
    width = "0.4" if name == "dots" else "1.5"
    path = f'<path d="{marks}" stroke="{dark}" stroke-width="{width}" fill="{dark if name == "dots" else "none"}"/>' if marks else ""
    return (f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" fill="{fill}"/>{path}'
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" fill="none" stroke="#111"/>')


def _short(text: str, limit: int = 25) -> str:
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _svg(uid: str, title: str, height: int, body: str, summary: str) -> Markup:
    return Markup(
        f'<svg class="chart-svg" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
        f'width="100%" preserveAspectRatio="xMinYMin meet" role="img" aria-labelledby="{uid}-t {uid}-d" '
        f'data-chart="{uid}"><title id="{uid}-t">{escape(title)}</title><desc id="{uid}-d">{escape(summary)}</desc>'
        f'<g {FONT} fill="#111">{body}</g></svg>'
    )


def _pct(n: int, total: int) -> str:
    return f"{round(100 * n / total)}%" if total else "0%"


def _legend(uid: str, entries: list[tuple[str, int]], y: int) -> tuple[str, int]:
    """A wrapping legend of pattern swatches with labels; returns (svg, height used)."""
    parts, x, row = [], 0, 0
    for label, index in entries:
        text = _short(label, 30)
        width = 26 + 7.2 * len(text) + 18
        if x and x + width > WIDTH:
            x, row = 0, row + 1
        top = y + row * 22
        parts.append(_box(index, x, top, 18, 14) + f'<text x="{x + 24}" y="{top + 12}">{escape(text)}</text>')
        x += width
    return "".join(parts), (row + 1) * 22 + 6


def bar_chart(uid: str, title: str, bars: list[dict], total: int) -> Markup:
    """Horizontal bars, one per answer: label left, pattern bar, 'count (percent)' right."""
    top = 4
    peak = max([b["value"] for b in bars] + [1])
    span = WIDTH - LABEL_W - VALUE_W
    parts = []
    for i, bar in enumerate(bars):
        y = top + i * ROW_H
        w = span * bar["value"] / peak
        parts.append(f'<text x="{LABEL_W - 8}" y="{y + 14}" text-anchor="end">{escape(_short(bar["label"]))}</text>'
                     f'<rect x="{LABEL_W}" y="{y + 1}" width="{span}" height="{BAR_H}" fill="#f2f2f5" stroke="#bbb"/>'
                     + _box(bar["pattern"], LABEL_W, y + 1, w, BAR_H)
                     + f'<text x="{WIDTH - 4}" y="{y + 14}" text-anchor="end">{bar["value"]} ({_pct(bar["value"], total)})</text>')
    summary = "; ".join(f'{b["label"]}: {b["value"]} ({_pct(b["value"], total)})' for b in bars) + f"; {total} votes"
    return _svg(uid, title, top + len(bars) * ROW_H + 4, "".join(parts), summary)


def stacked_chart(uid: str, title: str, rows: list[dict], keys: list[str], labels: dict, hidden_note: str) -> Markup:
    """One 100% bar per row (stance, item or round), segments patterned per answer, percentages in white pills."""
    legend, legend_h = _legend(uid, [(labels[k], pattern_index(k, i)) for i, k in enumerate(keys)], 2)
    span = WIDTH - LABEL_W - VALUE_W
    parts, summary, y = [legend], [], legend_h
    for row in rows:
        if row.get("heading"):
            parts.append(f'<text x="0" y="{y + 16}" font-weight="700">{escape(_short(row["heading"], 80))}</text>')
            y += ROW_H
            continue
        parts.append(f'<text x="{LABEL_W - 8}" y="{y + 14}" text-anchor="end">{escape(_short(row["label"]))}</text>')
        if row.get("hidden"):
            parts.append(f'<text x="{LABEL_W}" y="{y + 14}" font-style="italic">{escape(hidden_note)}</text>')
            summary.append(f'{row["label"]}: {hidden_note}')
            y += ROW_H
            continue
        total, x = sum(row["counts"].get(k, 0) for k in keys), LABEL_W
        for i, k in enumerate(keys):
            n = row["counts"].get(k, 0)
            w = span * n / total if total else 0
            if w:
                parts.append(_box(pattern_index(k, i), x, y + 1, w, BAR_H))
            if w >= 34:
                cx = x + w / 2
                parts.append(f'<rect x="{cx - 16:.1f}" y="{y + 3}" width="32" height="14" rx="4" fill="#fff"/>'
                             f'<text x="{cx:.1f}" y="{y + 14}" text-anchor="middle" font-size="11">{_pct(n, total)}</text>')
            x += w
        if not total:
            parts.append(f'<rect x="{LABEL_W}" y="{y + 1}" width="{span}" height="{BAR_H}" fill="#f2f2f5" stroke="#bbb"/>')
        parts.append(f'<text x="{WIDTH - 4}" y="{y + 14}" text-anchor="end">n = {total}</text>')
        summary.append(f'{row["label"]}: ' + ", ".join(f'{labels[k]} {row["counts"].get(k, 0)}' for k in keys))
        y += ROW_H
    return _svg(uid, title, y + 4, "".join(parts), "; ".join(summary))


def grouped_chart(uid: str, title: str, groups: list[tuple[str, list[int]]], series: list[str]) -> Markup:
    """Several patterned bars per group (e.g. registered / checked in / joined live per stance)."""
    legend, legend_h = _legend(uid, [(s, i + 3) for i, s in enumerate(series)], 2)
    span = WIDTH - LABEL_W - 48
    peak = max([v for _, values in groups for v in values] + [1])
    bar_h, parts, summary, y = 14, [legend], [], legend_h
    for label, values in groups:
        parts.append(f'<text x="{LABEL_W - 8}" y="{y + 12 + bar_h * (len(values) - 1) / 2:.0f}" text-anchor="end">{escape(_short(label))}</text>')
        for i, value in enumerate(values):
            w = span * value / peak
            parts.append(_box(i + 3, LABEL_W, y, w, bar_h - 2)
                         + f'<text x="{LABEL_W + w + 6:.1f}" y="{y + 11}" font-size="11">{value}</text>')
            y += bar_h
        summary.append(f"{label}: " + ", ".join(f"{s} {v}" for s, v in zip(series, values, strict=False)))
        y += 10
    return _svg(uid, title, y + 4, "".join(parts), "; ".join(summary))


def median_chart(uid: str, title: str, rows: list[dict], low: int, high: int, hidden_note: str) -> Markup:
    """Each row's median on the scale's axis: a filled dot (and, for a shift, a hollow dot for the first run
    joined to the last by a line), its value in words on the right. Rows: {"label", "median", "from"?, "hidden"?}."""
    span, x0 = WIDTH - LABEL_W - VALUE_W - 16, LABEL_W + 8

    def at(value: float) -> float:
        return x0 + span * (value - low) / ((high - low) or 1)

    parts, summary, y = [], [], 18
    for v in range(low, high + 1):
        parts.append(f'<line x1="{at(v):.1f}" y1="14" x2="{at(v):.1f}" y2="{18 + len(rows) * ROW_H}" stroke="#ddd"/>'
                     f'<text x="{at(v):.1f}" y="11" text-anchor="middle" font-size="10">{v}</text>')
    for row in rows:
        parts.append(f'<text x="{LABEL_W - 8}" y="{y + 14}" text-anchor="end">{escape(_short(row["label"]))}</text>')
        if row.get("hidden") or row.get("median") is None:
            note = hidden_note if row.get("hidden") else "no votes"
            parts.append(f'<text x="{x0}" y="{y + 14}" font-style="italic">{escape(note)}</text>')
            summary.append(f'{row["label"]}: {note}')
            y += ROW_H
            continue
        cy, value = y + 10, f'median {row["median"]:g}'
        if row.get("from") is not None:
            parts.append(f'<line x1="{at(row["from"]):.1f}" y1="{cy}" x2="{at(row["median"]):.1f}" y2="{cy}" stroke="#111" stroke-width="2"/>'
                         f'<circle cx="{at(row["from"]):.1f}" cy="{cy}" r="6" fill="#fff" stroke="#111" stroke-width="2"/>')
            value = f'{row["from"]:g} → {row["median"]:g}'
        parts.append(f'<circle cx="{at(row["median"]):.1f}" cy="{cy}" r="6" fill="#0b4a8a" stroke="#111"/>'
                     f'<text x="{WIDTH - 4}" y="{y + 14}" text-anchor="end">{value}</text>')
        summary.append(f'{row["label"]}: {value}')
        y += ROW_H
    return _svg(uid, title, y + 4, "".join(parts), "; ".join(summary))


def timeline_chart(uid: str, title: str, rows: list[dict]) -> Markup:
    """Planned (outlined, hatched) against actual (solid) segments on a minutes-from-start axis."""
    legend, legend_h = _legend(uid, [("Planned", 3), ("Actual", 5)], 2)
    ends = [r["planned_offset"] + r["planned_minutes"] for r in rows]
    ends += [r["actual_offset"] + (r["actual_minutes"] or 0) for r in rows if r["actual_offset"] is not None]
    starts = [0] + [r["actual_offset"] for r in rows if r["actual_offset"] is not None]
    low, high = min(starts), max(ends + [1])
    span = WIDTH - LABEL_W - 16
    scale = span / (high - low or 1)
    parts, summary, y = [legend], [], legend_h + 16
    step = 15 if high - low <= 180 else 60
    tick = int(low // step) * step
    while tick <= high:
        x = LABEL_W + (tick - low) * scale
        parts.append(f'<line x1="{x:.1f}" y1="{legend_h + 2}" x2="{x:.1f}" y2="{legend_h + 16 + len(rows) * ROW_H}" stroke="#ccc"/>'
                     f'<text x="{x:.1f}" y="{legend_h + 12}" text-anchor="middle" font-size="10">{tick:+d}m</text>')
        tick += step
    for r in rows:
        x = LABEL_W + (r["planned_offset"] - low) * scale
        parts.append(f'<text x="{LABEL_W - 8}" y="{y + 15}" text-anchor="end">{escape(_short(r["title"], 22))}</text>'
                     + _box(3, x, y + 2, r["planned_minutes"] * scale, 9))
        if r["actual_offset"] is not None:
            ax = LABEL_W + (r["actual_offset"] - low) * scale
            width = max((r["actual_minutes"] or 0) * scale, 2)
            parts.append(_box(5, ax, y + 13, width, 9))
        summary.append(f'{r["title"]}: planned {r["planned_start"]} for {r["planned_minutes"]} min, '
                       + (f'started {r["actual_start"]}' if r["actual_start"] else "not started"))
        y += ROW_H
    return _svg(uid, title, y + 4, "".join(parts), "; ".join(summary))
