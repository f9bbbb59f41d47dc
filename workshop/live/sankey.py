"""The who-moved diagram as plain SVG (a Sankey): the earlier run's answers on the left, the later run's on the
right, one band per flow as thick as its people, each band labelled with its count.

Drawn on the server and reused by the projector, the control screen and the report (no JavaScript, no inline
CSS: only SVG presentation attributes, so the CSP allows it inline). Readable in black and white: every node and
band carries its answer's texture (Snog solid, Marry stripes, Avoid dots, as on every screen), answers are
named by word and mark, and every count is written on its band. "Other moves" (the merged small flows) is one
grey cross-hatched band with its total. Nothing moves.
"""

from markupsafe import Markup, escape

from .flows import JOINED, LEFT

OTHER = "+other"
# Per answer: (texture, light fill, dark ink) - the first three are Snog, Marry and Avoid as every screen draws
# them (reports/svg.py PATTERNS, static/css/app.css); choice options and scale points take them in turn.
TEXTURES = [
    ("solid", "#e58bb5", "#a3155a"),
    ("diagonal", "#cfe3f5", "#0b5fa5"),
    ("dots", "#fde7b8", "#8a5300"),
    ("vertical", "#ddd0f0", "#4a2180"),
    ("horizontal", "#dbe7f5", "#0b4a8a"),
    ("diagonal", "#cfe5e7", "#15484d"),
]
SPECIAL = {
    JOINED: ("horizontal", "#ffffff", "#333333"),
    LEFT: ("horizontal", "#ffffff", "#333333"),
    OTHER: ("cross", "#c9c9c9", "#4d4d4d"),
}
VERDICT_TEXTURE = {"snog": 0, "marry": 1, "avoid": 2}
# The verdict marks of static/js/marks.js (24 x 24): Snog a heart, Marry a ring, Avoid a no-entry sign.
ICONS = {
    "snog": '<path d="M12 21.35l-1.45-1.32C5.4 15.36 2 12.28 2 8.5 2 5.42 4.42 3 7.5 3c1.74 0 3.41.81 4.5 2.09'
    'C13.09 3.81 14.76 3 16.5 3 19.58 3 22 5.42 22 8.5c0 3.78-3.4 6.86-8.55 11.54L12 21.35z" stroke="none"/>',
    "marry": '<circle cx="12" cy="14.5" r="6.5" fill="none" stroke-width="2.6"/><path d="M8.5 2.5h7l2 2.5-5.5 4-5.5-4z" stroke="none"/>',
    "avoid": '<circle cx="12" cy="12" r="9" fill="none" stroke-width="2.6"/><path d="M5.6 5.6l12.8 12.8" fill="none" stroke-width="2.6"/>',
}
# Sizes: the stage fills 1920x1080 at about 1:1, so its 54-unit type is 48 px or more where the room reads it.
THEMES = {
    "stage": {"width": 1800, "height": 780, "font": 54, "node": 34, "ink": "#f5f5f7", "gap": 24},
    "print": {"width": 640, "height": 300, "font": 14, "node": 12, "ink": "#111111", "gap": 8},
}


def texture(key: str, answers: list[str]) -> tuple[str, str, str]:
    """An answer's (texture, light, dark): fixed for snog/marry/avoid, in turn for others."""
    if key in SPECIAL:
        return SPECIAL[key]
    index = VERDICT_TEXTURE.get(key, answers.index(key) if key in answers else 0)
    return TEXTURES[index % len(TEXTURES)]


def _marks(name: str, x0: float, y0: float, x1: float, y1: float, step: float) -> str:
    """Texture strokes over a box (clipped to the shape by the caller)."""
    d = []
    if name == "diagonal":
        k = x0 + y0
        while k < x1 + y1:
            d.append(f"M{k - y0:.1f} {y0:.1f}L{k - y1:.1f} {y1:.1f}")
            k += step
    if name in ("horizontal", "cross"):
        y = y0 + step / 2
        while y < y1:
            d.append(f"M{x0:.1f} {y:.1f}H{x1:.1f}")
            y += step
    if name in ("vertical", "cross"):
        x = x0 + step / 2
        while x < x1:
            d.append(f"M{x:.1f} {y0:.1f}V{y1:.1f}")
            x += step
    if name == "dots":
        r, y = step / 5, y0 + step / 2
        while y < y1:
            x = x0 + step / 2
            while x < x1:
                d.append(
                    f"M{x - r:.1f} {y:.1f}a{r:.1f} {r:.1f} 0 1 0 {2 * r:.1f} 0a{r:.1f} {r:.1f} 0 1 0 {-2 * r:.1f} 0"
                )
                x += step
            y += step
    return "".join(d)


def _shape(
    uid: str,
    n: int,
    d: str,
    key: str,
    answers: list[str],
    box: tuple,
    step: float,
    opacity: str = "1",
    stroke: str = "#111111",
) -> str:
    """A filled shape (path data ``d``) with its answer's texture clipped inside and an outline."""
    name, light, dark = texture(key, answers)
    marks = "" if name == "solid" else _marks(name, *box, step)
    clip = f"{uid}-c{n}"
    drawn = "none" if name != "dots" else dark
    texture_path = (
        (f'<path d="{marks}" stroke="{dark}" stroke-width="{step / 5:.1f}" fill="{drawn}" clip-path="url(#{clip})"/>')
        if marks
        else ""
    )
    return (
        f'<clipPath id="{clip}"><path d="{d}"/></clipPath><path d="{d}" fill="{light}" fill-opacity="{opacity}"/>'
        f'{texture_path}<path d="{d}" fill="none" stroke="{stroke}" stroke-width="{step / 6:.1f}"/>'
    )


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _heights(values: list[int], avail: float, least: float) -> float:
    """People-to-height scale so the nodes (each at least ``least`` tall, for its label) fill ``avail``."""
    total = sum(values) or 1
    k = avail / total
    for _ in range(30):
        used = sum(max(v * k, least) for v in values)
        if used <= avail + 0.5:
            break
        k *= avail / used
    return k


def _spread(centres: list[float], gap: float, low: float, high: float) -> list[float]:
    """Label positions near ``centres`` (sorted), at least ``gap`` apart, kept within [low, high] when possible."""
    ys = list(centres)
    for i in range(1, len(ys)):
        ys[i] = max(ys[i], ys[i - 1] + gap)
    overflow = ys[-1] - high if ys else 0
    if overflow > 0:
        ys = [y - overflow for y in ys]
        for i in range(len(ys) - 2, -1, -1):
            ys[i] = min(ys[i], ys[i + 1] - gap)
    return [max(y, low) if i == 0 else y for i, y in enumerate(ys)]


def sankey_svg(
    uid: str,
    table: dict,
    words: dict[str, str],
    answers: list[str],
    theme: str = "print",
    title: str = "Who moved",
    first: int = 1,
    last: int = 2,
    empty: str = "Nobody voted in both rounds yet",
) -> Markup:
    """The diagram for one table of live/flows.py (overall or one stance's): ``table`` has ``flows``
    ([{"from", "to", "n"}], shown) and ``other`` (people in merged flows); ``empty``: what it says without any."""
    t = THEMES[theme]
    width, height, font, node_w, ink, gap = t["width"], t["height"], t["font"], t["node"], t["ink"], t["gap"]
    flows = [f for f in table.get("flows", []) if f["n"] > 0]
    other = table.get("other", 0)
    order = {k: i for i, k in enumerate(answers)}
    left = sorted({f["from"] for f in flows}, key=lambda k: order.get(k, 99))
    right = sorted({f["to"] for f in flows}, key=lambda k: order.get(k, 99))
    if other:
        left, right = [*left, OTHER], [*right, OTHER]
    value = {("L", k): sum(f["n"] for f in flows if f["from"] == k) for k in left}
    value.update({("R", k): sum(f["n"] for f in flows if f["to"] == k) for k in right})
    value[("L", OTHER)] = value[("R", OTHER)] = other

    def label_of(key: str) -> str:
        return "" if key == OTHER else _short(words.get(key, key), 12 if theme == "stage" else 18)

    rows = max(len(left), len(right), 1)  # many answers (a ten-option poll): smaller type, so every node fits
    fits = (height - font * 1.2 - gap) * 0.9 / (rows * font * 1.15 + (rows - 1) * gap)
    if fits < 1:
        font, gap, node_w = font * fits, gap * fits, node_w * fits
    label_w = max([len(label_of(k)) * font * 0.66 + font * 1.8 for k in [*left, *right]] + [font * 4])
    label_w = min(label_w, width * 0.3)
    head = font * 1.3
    top, bottom = head + gap / 2, height - gap / 2
    least = font * 1.15
    k = min(
        _heights([value[("L", n)] for n in left], bottom - top - gap * (len(left) - 1), least) if left else 1,
        _heights([value[("R", n)] for n in right], bottom - top - gap * (len(right) - 1), least) if right else 1,
    )
    xl, xr = label_w, width - label_w - node_w
    nodes, parts, summary = {}, [], []

    def place(side: str, keys: list[str], x: float) -> None:
        heights = [max(value[(side, n)] * k, least) for n in keys]
        y = top + max(0.0, (bottom - top - sum(heights) - gap * (len(keys) - 1)) / 2)
        for n, h in zip(keys, heights, strict=True):
            nodes[(side, n)] = {"x": x, "y": y, "h": h, "used": (h - value[(side, n)] * k) / 2}
            y += h + gap

    place("L", left, xl)
    place("R", right, xr)
    parts.append(
        f'<text class="round-label" x="{xl + node_w / 2:.1f}" y="{font * 0.95:.1f}" font-size="{font}" '
        f'text-anchor="start" fill="{ink}">Round {first}</text>'
        f'<text class="round-label" x="{xr + node_w / 2:.1f}" y="{font * 0.95:.1f}" font-size="{font}" '
        f'text-anchor="end" fill="{ink}">Round {last}</text>'
    )
    # Bands: leave each left node in the order of their targets, arrive in the order of their sources.
    cursor = {key: node["y"] + node["used"] for key, node in nodes.items()}
    ordered = sorted(flows, key=lambda f: (order.get(f["from"], 99), order.get(f["to"], 99)))
    ends = {}
    for f in ordered:
        thick = f["n"] * k
        ends[(f["from"], f["to"])] = [cursor[("L", f["from"])], thick]
        cursor[("L", f["from"])] += thick
    for f in sorted(flows, key=lambda f: (order.get(f["to"], 99), order.get(f["from"], 99))):
        ends[(f["from"], f["to"])].append(cursor[("R", f["to"])])
        cursor[("R", f["to"])] += f["n"] * k
    x0, x1 = xl + node_w, xr
    mid = (x0 + x1) / 2
    bands, counts = [], {}
    for i, f in enumerate(ordered):
        y0, thick, y1 = ends[(f["from"], f["to"])]
        d = (
            f"M{x0:.1f} {y0:.1f}C{mid:.1f} {y0:.1f} {mid:.1f} {y1:.1f} {x1:.1f} {y1:.1f}"
            f"L{x1:.1f} {y1 + thick:.1f}C{mid:.1f} {y1 + thick:.1f} {mid:.1f} {y0 + thick:.1f} {x0:.1f} {y0 + thick:.1f}Z"
        )
        box = (x0, min(y0, y1), x1, max(y0, y1) + thick)
        bands.append(
            f'<g class="band" data-from="{escape(f["from"])}" data-to="{escape(f["to"])}" data-n="{f["n"]}">'
            + _shape(uid, i, d, f["from"], answers, box, font / 3, "0.85")
            + "</g>"
        )
        counts.setdefault(f["from"], []).append((y0 + thick / 2, f))
        summary.append(f"{words.get(f['from'], f['from'])} → {words.get(f['to'], f['to'])}: {f['n']}")
    parts += bands
    if other:
        lo, ro = nodes[("L", OTHER)], nodes[("R", OTHER)]
        ya, yb = lo["y"] + lo["used"], ro["y"] + ro["used"]
        thick = other * k
        d = (
            f"M{x0:.1f} {ya:.1f}C{mid:.1f} {ya:.1f} {mid:.1f} {yb:.1f} {x1:.1f} {yb:.1f}L{x1:.1f} {yb + thick:.1f}"
            f"C{mid:.1f} {yb + thick:.1f} {mid:.1f} {ya + thick:.1f} {x0:.1f} {ya + thick:.1f}Z"
        )
        parts.append(
            f'<g class="band other" data-n="{other}">'
            + _shape(uid, len(ordered), d, OTHER, answers, (x0, min(ya, yb), x1, max(ya, yb) + thick), font / 3)
            + "</g>"
        )
        summary.append(f"Other moves (flows too small to show alone, merged): {other}")
    # Nodes with their answer's texture, and their names (mark and word) outside.
    for n, ((side, key), node) in enumerate(nodes.items()):
        x, y, h = node["x"], node["y"], node["h"]
        d = f"M{x:.1f} {y:.1f}h{node_w}v{h:.1f}h{-node_w}Z"
        parts.append(_shape(uid, 1000 + n, d, key, answers, (x, y, x + node_w, y + h), font / 3, stroke=ink))
        if key == OTHER:
            continue
        word = escape(label_of(key))
        cy = y + h / 2 + font * 0.35
        icon = ICONS.get(key)
        size = font * 0.9
        if side == "L":  # the mark next to the node, the word beyond it
            ix = x - font * 0.25 - size
            tx = (ix if icon else x) - font * 0.25
        else:
            ix = x + node_w + font * 0.25
            tx = (ix + size if icon else x + node_w) + font * 0.25
        anchor = "end" if side == "L" else "start"
        parts.append(
            f'<text class="node-label" x="{tx:.1f}" y="{cy:.1f}" font-size="{font}" font-weight="700" '
            f'text-anchor="{anchor}" fill="{ink}">{word}</text>'
        )
        if icon:
            parts.append(
                f'<g transform="translate({ix:.1f} {y + h / 2 - size / 2:.1f}) scale({size / 24:.3f})" '
                f'fill="{ink}" stroke="{ink}" aria-hidden="true">{icon}</g>'
            )
    # Counts: on each band where it leaves its answer, in a white pill; pushed apart so none overlap.
    pill_h = font * 1.1
    for key, items in counts.items():
        items.sort(key=lambda item: item[0])
        node = nodes[("L", key)]
        ys = _spread([y for y, _ in items], pill_h + 2, node["y"] + pill_h / 2, height - pill_h / 2)
        for y, (_, f) in zip(ys, items, strict=True):
            text = str(f["n"])
            w = len(text) * font * 0.66 + font * 0.5
            px = x0 + font * 0.25
            parts.append(
                f'<g class="count" data-from="{escape(f["from"])}" data-to="{escape(f["to"])}">'
                f'<rect x="{px:.1f}" y="{y - pill_h / 2:.1f}" width="{w:.1f}" height="{pill_h:.1f}" '
                f'rx="{pill_h / 4:.1f}" fill="#ffffff" stroke="#111111" stroke-width="{font / 18:.1f}"/>'
                f'<text x="{px + w / 2:.1f}" y="{y + font * 0.36:.1f}" font-size="{font}" font-weight="700" '
                f'text-anchor="middle" fill="#111111">{text}</text></g>'
            )
    if other:
        lo, ro = nodes[("L", OTHER)], nodes[("R", OTHER)]
        cy = (lo["y"] + lo["h"] / 2 + ro["y"] + ro["h"] / 2) / 2
        text = f"Other moves: {other}"
        w = len(text) * font * 0.64 + font * 0.6
        parts.append(
            f'<g class="count other-count"><rect x="{mid - w / 2:.1f}" y="{cy - pill_h / 2:.1f}" '
            f'width="{w:.1f}" height="{pill_h:.1f}" rx="{pill_h / 4:.1f}" fill="#ffffff" stroke="#111111" '
            f'stroke-width="{font / 18:.1f}"/><text x="{mid:.1f}" y="{cy + font * 0.36:.1f}" font-size="{font}" '
            f'font-weight="700" text-anchor="middle" fill="#111111">{escape(text)}</text></g>'
        )
    if not flows and not other:
        parts.append(
            f'<text x="{width / 2:.1f}" y="{height / 2:.1f}" font-size="{font}" text-anchor="middle" '
            f'fill="{ink}">{escape(empty)}</text>'
        )
    desc = "; ".join(summary) or "No flows to show"
    return Markup(
        f'<svg class="sankey sankey-{theme}" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" height="100%" preserveAspectRatio="xMidYMid meet" role="img" '
        f'aria-labelledby="{uid}-t {uid}-d" data-chart="{uid}"><title id="{uid}-t">{escape(title)}</title>'
        f'<desc id="{uid}-d">{escape(desc)}</desc><g font-family="system-ui, \'DejaVu Sans\', sans-serif">'
        + "".join(parts)
        + "</g></svg>"
    )
