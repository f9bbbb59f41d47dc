"""The perception gap as an SVG chart that prints (readable in black and white): per side, what it chose and
what the other sides predicted, as two 100 % bars with the verdicts' textures and percentages in words, and
the gap in the line the projector showed. Built from live/perception.py's figures (hidden groups already out).
"""

from markupsafe import Markup, escape

from .svg import BAR_H, LABEL_W, ROW_H, VALUE_W, WIDTH, _box, _legend, _short, _svg, pattern_index

VERDICTS = ("snog", "marry", "avoid")
LABELS = {"snog": "Snog", "marry": "Marry", "avoid": "Avoid"}
MARKS = ("\u25cf", "\u25b2", "\u25a0", "\u25c6", "\u25bc", "\u2605")  # ● ▲ ■ ◆ ▼ ★, the stances' order
LINE_CHARS = 92  # a gap line wraps at about this many characters of 13 px text across the chart


def _wrap(text: str, limit: int = LINE_CHARS) -> list[str]:
    lines, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > limit:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return [*lines, line] if line else lines


def _bar(y: float, label: str, shares: dict, right: str) -> str:
    """One 100 % bar: textured segments per verdict, each share in a white pill, ``right`` at the end."""
    span, x = WIDTH - LABEL_W - VALUE_W, LABEL_W
    parts = [f'<text x="{LABEL_W - 8}" y="{y + 14}" text-anchor="end">{escape(_short(label))}</text>']
    for i, verdict in enumerate(VERDICTS):
        w = span * shares[verdict] / 100
        if w:
            parts.append(_box(pattern_index(verdict, i), x, y + 1, w, BAR_H))
        if w >= 34:
            cx = x + w / 2
            parts.append(
                f'<rect x="{cx - 16:.1f}" y="{y + 3}" width="32" height="14" rx="4" fill="#fff"/>'
                f'<text x="{cx:.1f}" y="{y + 14}" text-anchor="middle" font-size="11">{shares[verdict]}%</text>'
            )
        x += w
    parts.append(f'<text x="{WIDTH - 4}" y="{y + 14}" text-anchor="end">{escape(right)}</text>')
    return "".join(parts)


def gap_chart(uid: str, title: str, gap: dict) -> Markup | None:
    """The chart of one run's perception gap (None when no side has predictions to show)."""
    shown = [s for s in gap["sides"] if not s.get("hidden")]
    if not any(s.get("line") for s in shown):
        return None
    legend, legend_h = _legend(uid, [(LABELS[v], pattern_index(v, i)) for i, v in enumerate(VERDICTS)], 2)
    parts, summary, y = [legend], [], legend_h
    for side in shown:
        mark = MARKS[side["mark"] % len(MARKS)]
        parts.append(
            f'<text x="0" y="{y + 16}" font-weight="700">{escape(mark)} {escape(_short(side["stance"], 80))}</text>'
        )
        y += ROW_H
        parts.append(_bar(y, "Chose", side["shares"], f"{side['votes']} votes"))
        y += ROW_H
        if side["predicted"]:
            predicted = side["predicted"]
            parts.append(_bar(y, "Predicted", predicted["shares"], f"{predicted['n']} guesses"))
            y += ROW_H
            for line in _wrap(side["line"]):
                parts.append(f'<text x="0" y="{y + 12}" font-style="italic">{escape(line)}</text>')
                y += 18
            summary.append(side["line"])
        else:
            note = f"Too few predictions about {side['stance']} to show (under {gap['min_group']})."
            parts.append(f'<text x="{LABEL_W}" y="{y + 14}" font-style="italic">{escape(note)}</text>')
            summary.append(note)
            y += ROW_H
        y += 8
    hidden = len(gap["sides"]) - len(shown)
    if hidden:
        note = f"{hidden} group{'s' if hidden > 1 else ''} hidden so no one's vote or prediction can be worked out."
        parts.append(f'<text x="0" y="{y + 12}" font-style="italic">{escape(note)}</text>')
        summary.append(note)
        y += 18
    return _svg(uid, title, y + 4, "".join(parts), " ".join(summary))
