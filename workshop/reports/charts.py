"""The report's charts: which SVG charts (svg.py) each part of a report gets, from the report's figures."""

from markupsafe import Markup

from ..live.sankey import sankey_svg
from .gap import gap_chart
from .svg import bar_chart, grouped_chart, median_chart, pattern_index, stacked_chart, timeline_chart


def _num(value) -> str:
    return "–" if value is None else f"{value:g}"


def _answer_bars(counts: dict, labels: dict) -> list[dict]:
    return [{"label": labels.get(k, k), "value": n, "pattern": pattern_index(k, i)} for i, (k, n) in enumerate(counts.items())]


def _stance_rows(by_stance: list[dict], item: int | None = None) -> list[dict]:
    return [{"label": g["stance"], "hidden": g.get("hidden", False),
             "counts": {} if g.get("hidden") else (g["counts"][item] if item is not None else g["counts"])}
            for g in by_stance]


def round_charts(poll: dict, run: dict) -> dict:
    """Overall and by-stance charts for one run of a poll."""
    uid, labels, keys = f"poll{poll['id']}-r{run['round']}", poll["labels"], list(poll["labels"])
    note = f"Hidden so no one's vote can be worked out (groups under {run['min_group']} votes)"
    name = f"Poll {poll['position'] + 1}, round {run['round']}"
    if poll["kind"] == "text":  # the words most people gave; the report's table lists every answer
        bars = [{"label": w["key"], "value": w["n"], "pattern": 3 if w["shared"] else 4} for w in run["words"][:15]]
        return {"overall": bar_chart(f"{uid}-all", f"{name}: the words most people gave", bars, run["total"]),
                "by_stance": None}
    if poll["kind"] == "scale":
        bars = [{"label": labels.get(k, k), "value": n, "pattern": 4} for k, n in run["counts"].items()]
        overall = bar_chart(f"{uid}-all", f"{name}: all votes (median {_num(run['median'])}, mean {_num(run['mean'])})",
                            bars, run["total"])
        rows = [{"label": "Everyone", "median": run["median"]},
                *({"label": g["stance"], "median": g.get("median"), "hidden": g.get("hidden", False)} for g in run["by_stance"])]
        split = median_chart(f"{uid}-stance", f"{name}: median by stance", rows, poll["scale"]["min"],
                             poll["scale"]["max"], note)
    elif poll["kind"] == "classic":
        overall = stacked_chart(f"{uid}-all", f"{name}: all votes", [
            {"label": item, "counts": run["counts"][i]} for i, item in enumerate(poll["options"])], keys, labels, note)
        rows = []
        for i, item in enumerate(poll["options"]):
            rows += [{"heading": item}, *_stance_rows(run["by_stance"], i)]
        split = stacked_chart(f"{uid}-stance", f"{name}: by stance", rows, keys, labels, note)
    else:
        overall = bar_chart(f"{uid}-all", f"{name}: all votes", _answer_bars(run["counts"], labels), run["total"])
        split = stacked_chart(f"{uid}-stance", f"{name}: by stance", _stance_rows(run["by_stance"]), keys, labels, note)
    gap = run.get("perception") and gap_chart(f"{uid}-gap", f"{name}: predict the other side", run["perception"])
    return {"overall": overall, "by_stance": split, "perception": gap}


def shift_chart(poll: dict) -> Markup:
    """First run against last run, all votes, as stacked bars."""
    first, last = poll["rounds"][0], poll["rounds"][-1]
    if poll["kind"] == "scale":  # how each side's median moved (people who answered both runs)
        shift = poll["shift"]
        rows = [{"label": "Everyone", "median": shift["median"]["last"], "from": shift["median"]["first"]},
                *({"label": g["stance"], "hidden": g.get("hidden", False), "median": (g.get("median") or {}).get("last"),
                   "from": (g.get("median") or {}).get("first")} for g in shift["by_stance"])]
        return median_chart(f"poll{poll['id']}-shift", f"Poll {poll['position'] + 1}: median in round {first['round']} "
                            f"(hollow) and round {last['round']} (filled)", rows, poll["scale"]["min"], poll["scale"]["max"],
                            "Hidden so no one's answer can be worked out")
    keys, labels, rows = list(poll["labels"]), poll["labels"], []
    if poll["kind"] == "classic":
        for i, item in enumerate(poll["options"]):
            rows += [{"heading": item}, *({"label": f"Round {r['round']}", "counts": r["counts"][i]} for r in (first, last))]
    else:
        rows = [{"label": f"Round {r['round']}", "counts": r["counts"]} for r in (first, last)]
    return stacked_chart(f"poll{poll['id']}-shift", f"Poll {poll['position'] + 1}: round {first['round']} against round {last['round']}",
                         rows, keys, labels, "")


def attendance_chart(attendance: dict) -> Markup:
    """Registered, checked in and joined live, per stance."""
    groups = [(g["stance"], [g["confirmed"], g["checked_in"], g["joined_live"]]) for g in attendance["by_stance"]]
    return grouped_chart("attendance", "Attendance by stance", groups, ["Registered", "Checked in", "Joined live"])


def questions_chart(wall: dict) -> Markup:
    """Questions by outcome."""
    outcomes = [("Answered", wall["answered"]), ("Open", wall["open"]), ("Held, never approved", wall["pending"]),
                ("Dismissed", wall["dismissed"]), ("Merged", wall["merged"])]
    bars = [{"label": label, "value": n, "pattern": i} for i, (label, n) in enumerate(outcomes)]
    return bar_chart("questions", "Questions by outcome", bars, wall["total"])


def agenda_chart(agenda: list[dict]) -> Markup:
    """Planned against actual segment times."""
    return timeline_chart("agenda", "The agenda: planned against actual", agenda)


def reaction_charts(reactions: dict | None) -> dict | None:
    """Reactions per segment and per stance: each row one bar split by reaction (a texture and a name each)."""
    if not reactions:
        return None
    keys = [r["key"] for r in reactions["reactions"]]
    labels = {r["key"]: r["name"] for r in reactions["reactions"]}  # names, not emoji: they print in any font
    # Segment titles are long: the chart's label column holds about 22 characters (the table has them whole).
    segments = [{"label": row["title"] if len(row["title"]) <= 22 else row["title"][:21] + "…", "counts": row["counts"]}
                for row in reactions["segments"]]
    stances = [{"label": g["stance"], "hidden": g.get("hidden", False), "counts": g.get("counts", {})}
               for g in reactions["by_stance"]]
    return {"segments": stacked_chart("reactions-segments", "Reactions per segment", segments, keys, labels, ""),
            "by_stance": stacked_chart("reactions-stance", "Reactions per stance, the whole session", stances, keys,
                                       labels, "Hidden so no one's reactions can be worked out")}


def moves_charts(poll: dict) -> dict:
    """Who moved from the first run to the last (live/sankey.py, as on the projector but for paper): everyone, then
    each side (None for a side hidden whole, or whose every flow is merged: the report says it in words)."""
    moves = poll["moves"]
    uid, name = f"poll{poll['id']}-moves", f"Poll {poll['position'] + 1}: who moved from round {moves['first']} to round {moves['last']}"

    def chart(key: str, table: dict, who: str):
        return sankey_svg(f"{uid}-{key}", table, moves["labels"], moves["answers"], "print", f"{name}: {who}",
                          moves["first"], moves["last"])

    sides = [(g, chart(f"s{i}", g, g["stance"]) if g.get("flows") else None)  # hidden, or every flow merged: words
             for i, g in enumerate(moves["by_stance"])]
    return {"overall": chart("all", moves, "everyone"), "sides": sides}


def report_charts(report: dict) -> dict:
    """Every chart of a report, keyed for the template."""
    charts = {"attendance": attendance_chart(report["attendance"]), "questions": questions_chart(report["questions"]),
              "agenda": agenda_chart(report["agenda"]) if report["agenda"] else None, "polls": {},
              "reactions": reaction_charts(report.get("reactions"))}
    for poll in report["polls"]:
        charts["polls"][poll["id"]] = {
            "rounds": {run["round"]: round_charts(poll, run) for run in poll["rounds"]},
            "shift": shift_chart(poll) if poll["shift"] else None,
            "moves": moves_charts(poll) if poll.get("moves") else None,
        }
    return charts
