"""Targets, ratios to the baseline, the text table, the plot and docs/performance.md's figures."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "performance.md"
PLOT = ROOT / "docs" / "performance-p99.png"
START, END = "<!-- bench:results -->", "<!-- /bench:results -->"
P99_SUSTAINED_MS, P99_BURST_MS, P99_OPEN_MS = 250, 1000, 300


def _main(server: dict, plan: dict) -> dict:
    return server["sizes"].get(plan["main"]) or server["sizes"].get(str(plan["main"])) or {}


def _rows(server: dict) -> list[tuple[int, dict]]:
    """Room sizes whose connect, poll open and burst all ran."""
    return sorted((int(k), v) for k, v in server["sizes"].items() if "burst" in v)


def _stopped(server: dict) -> list[str]:
    return [f"{k} phones: {v['error']}" for k, v in server["sizes"].items() if "error" in v]


def rung_passes(rate: float, rung: dict) -> bool:
    """Sustained at ``rate``: p99 vote-to-projector within 250 ms, every vote acked and intact, rate kept."""
    p99 = rung["to_projector"]["p99"]
    return (p99 is not None and p99 <= P99_SUSTAINED_MS and rung["intact"] is True and rung["refused"] == 0
            and rung["skipped_busy"] == 0 and (rung["achieved_rate"] or 0) >= 0.9 * rate)


def max_sustained(main: dict) -> float:
    """Highest rate of the ladder that passes (0 when none does)."""
    return max((float(rate) for rate, rung in main.get("sustained", {}).items() if rung_passes(float(rate), rung)),
               default=0.0)


def integrity_failures(name: str, server: dict) -> list[str]:
    """Every phase where acks, store and projector disagree."""
    broken = []
    for size, row in _rows(server):
        phases = {"burst": row["burst"], **{f"{rate}/s": rung for rate, rung in row.get("sustained", {}).items()}}
        broken += [f"{name} {size} phones {label}" for label, phase in phases.items() if phase["intact"] is not True]
        if row.get("storm", {}).get("wrong_my_vote"):
            broken.append(f"{name} storm: my_vote lost")
        questions = row.get("questions")
        if questions and questions["stored"]["questions"] != questions["asked"]:
            broken.append(f"{name} question wall: asks acked != stored")
    return broken


def summarise(server: dict, plan: dict) -> dict:
    """The headline figures of one server."""
    main = _main(server, plan)
    if "burst" not in main:
        return {"connect_failures": None, "connect_per_second": None, "max_sustained": 0.0, "burst_p99": None,
                "burst_acked": 0, "burst_phones": plan["main"], "open_p99": None, "open_reached": 0,
                "peak_rss_mib": server["peak_rss_mib"]}
    return {"connect_failures": sum(row["connect"]["failures"] for _, row in _rows(server)),
            "connect_per_second": main["connect"]["per_second"], "max_sustained": max_sustained(main),
            "burst_p99": main["burst"]["to_projector"]["p99"], "burst_acked": main["burst"]["acked"],
            "burst_phones": main["burst"]["planned"], "open_p99": main["poll_open"]["latency"]["p99"],
            "open_reached": main["poll_open"]["reached"], "peak_rss_mib": server["peak_rss_mib"]}


def analyse(result: dict) -> dict:
    """Headlines, ratios app/baseline, targets met or missed, integrity failures."""
    plan = result["plan"]
    heads = {name: summarise(server, plan) for name, server in result["servers"].items()}
    app, base = heads.get("app"), heads.get("baseline")
    ratio = lambda key: round(app[key] / base[key], 2) if app and base and base[key] else None  # noqa: E731
    main = plan["main"]
    targets = {}
    if app and main >= 2000 and max(plan["rates"]) >= 1500:  # a smoke or smaller run judges integrity only
        targets = {
            f"{main} phones connected, zero failures": app["connect_failures"] == 0 and app["burst_phones"] == main,
            ">= 1500 votes/s sustained with p99 <= 250 ms": app["max_sustained"] >= 1500,
            ">= 0.75 of the baseline's sustained rate": (ratio("max_sustained") or 0) >= 0.75,
            f"burst of {main}: all acked, p99 <= 1 s": app["burst_acked"] == app["burst_phones"]
            and (app["burst_p99"] or 1e9) <= P99_BURST_MS,
            f"poll open reaches all {main} phones, p99 <= 300 ms": app["open_reached"] == main
            and (app["open_p99"] or 1e9) <= P99_OPEN_MS,
        }
    broken = [b for name, server in result["servers"].items() for b in integrity_failures(name, server)]
    targets["zero lost or double-counted votes"] = not broken
    return {"headline": heads, "ratios": {k: ratio(k) for k in ("max_sustained", "connect_per_second",
                                                                "burst_p99", "open_p99", "peak_rss_mib")},
            "targets": targets, "integrity_failures": broken}


def _ms(value) -> str:
    return "-" if value is None else f"{value:.0f}"


def table(result: dict) -> str:
    """The short text table (markdown)."""
    servers = result["servers"]
    names = [n for n in ("baseline", "app") if n in servers]
    lines = ["| phones | server | connect/s | fail | open p99 ms | burst ack p99 ms | burst to-projector p50/p99 ms "
             "| burst CPU ms/vote | intact |", "|---:|---|---:|---:|---:|---:|---:|---:|---|"]
    for size in sorted({int(k) for n in names for k in servers[n]["sizes"]}):
        for name in names:
            row = dict(_rows(servers[name])).get(size)
            if row is None:
                continue
            burst = row["burst"]
            dropped = size - burst["planned"]
            fail = f"{row['connect']['failures']}" + (f" (+{dropped} dropped later)" if dropped > 0 else "")
            lines.append(f"| {size} | {name} | {row['connect']['per_second']} | {fail} | "
                         f"{_ms(row['poll_open']['latency']['p99'])} | {_ms(burst['ack']['p99'])} | "
                         f"{_ms(burst['to_projector']['p50'])} / {_ms(burst['to_projector']['p99'])} | "
                         f"{burst['server'].get('cpu_ms_per_vote')} | {burst['intact']} |")
    lines += ["", f"Sustained at {result['plan']['main']} phones ({result['plan']['seconds']:.0f} s per rate, "
              "new run per rate, answers change every vote):", "",
              "| rate/s | server | achieved/s | ack p50/p99 ms | to-projector p50/p95/p99 ms | server CPU % "
              "| CPU ms/vote | swarm CPU % | intact | within 250 ms |",
              "|---:|---|---:|---:|---:|---:|---:|---:|---|---|"]
    for rate in result["plan"]["rates"]:
        for name in names:
            sustained = _main(servers[name], result["plan"]).get("sustained", {})
            rung = sustained.get(rate) or sustained.get(str(rate))
            if rung is None:
                lines.append(f"| {rate} | {name} | not run: a lower rate was already overloaded | | | | | | | NO |")
                continue
            tp = rung["to_projector"]
            lines.append(f"| {rate} | {name} | {rung['achieved_rate']} | {_ms(rung['ack']['p50'])} / {_ms(rung['ack']['p99'])} | "
                         f"{_ms(tp['p50'])} / {_ms(tp['p95'])} / {_ms(tp['p99'])} | {rung['server']['cpu_percent']} | "
                         f"{rung['server'].get('cpu_ms_per_vote')} | {rung['server'].get('swarm_cpu_percent')} | "
                         f"{rung['intact']} | {'yes' if rung_passes(rate, rung) else 'NO'} |")
    lines += ["", "| server | max sustained/s | storm: rejoined, p99 ms | wall: asked, upvotes, ask p99 ms | peak RSS MiB |",
              "|---|---:|---|---|---:|"]
    for name in names:
        main, head = _main(servers[name], result["plan"]), result["analysis"]["headline"][name]
        if "storm" not in main or "questions" not in main:
            lines.append(f"| {name} | {head['max_sustained']:.0f} | not run | not run | {head['peak_rss_mib']} |")
            continue
        storm, wall = main["storm"], main["questions"]
        lines.append(f"| {name} | {head['max_sustained']:.0f} | {storm['phones'] - storm['failures']}/{storm['phones']}, "
                     f"{_ms(storm['rejoin']['p99'])} | {wall['asked']}/{wall['askers']}, {wall['upvoted']}, "
                     f"{_ms(wall['ask_ack']['p99'])} | {head['peak_rss_mib']} |")
    stopped = [f"{name} {text}" for name in names for text in _stopped(servers[name])]
    if stopped:
        lines += ["", "Stopped early: " + "; ".join(stopped)]
    analysis = result["analysis"]
    lines += ["", "Ratios app / baseline: " + ", ".join(f"{k} {v}" for k, v in analysis["ratios"].items()), "",
              "Targets:"] + [f"- [{'x' if ok else ' '}] {name}" for name, ok in analysis["targets"].items()]
    return "\n".join(lines)


def plot(result: dict, path: Path = PLOT) -> None:
    """p99 vote-to-projector (burst) and poll-open p99 against phones, app and baseline."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4), dpi=110)
    for name, style in (("baseline", "--"), ("app", "-")):
        if name not in result["servers"]:
            continue
        rows = _rows(result["servers"][name])
        sizes = [s for s, _ in rows]
        ax.plot(sizes, [r["burst"]["to_projector"]["p99"] for _, r in rows], style, marker="o",
                label=f"{name}: burst vote-to-projector p99")
        ax.plot(sizes, [r["poll_open"]["latency"]["p99"] for _, r in rows], style, marker="s",
                label=f"{name}: poll open reaches phones p99")
    ax.axhline(P99_BURST_MS, color="grey", linewidth=0.8)
    ax.set_xlabel("phones in the room (each votes once within one second)")
    ax.set_ylabel("p99 latency (ms)")
    ax.set_title(f"One gevent process, SQLite ({result['started']})")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)


def write_docs(result: dict, json_path: Path) -> None:
    """Replace the figures block of docs/performance.md and redraw the plot."""
    plot(result)
    m = result["machine"]
    block = "\n".join([START, "", f"Run `{result['started']}` (`{json_path.relative_to(ROOT)}`) on {m['cpu']}, "
                       f"{m['cores']} cores, {m['memory_gib']} GiB, Python {m['python']}; load average at start "
                       f"{m['load_average_at_start']}; CPU pressure (PSI) at start `{m.get('cpu_pressure')}`, at end "
                       f"`{result.get('cpu_pressure_at_end')}` (other work on the cores shows here and makes figures noisy).", "",
                       table(result), "", f"![p99 against phones]({PLOT.name})", "", END])
    text = DOCS.read_text() if DOCS.exists() else f"# Performance\n\n{START}\n{END}\n"
    before, rest = text.split(START, 1)
    DOCS.write_text(before + block + rest.split(END, 1)[1])


# --- cluster mode (python -m bench.run --cluster 1,2,4) ---------------------------------------------------

CLUSTER_START, CLUSTER_END = "<!-- bench:cluster -->", "<!-- /bench:cluster -->"
CLUSTER_TARGET = (2, 2000)  # 2 processes sustain >= 2,000 votes/s with p99 <= 250 ms (issue #9)


def _rungs(main: dict) -> list[tuple[int, dict]]:
    return sorted((int(rate), rung) for rate, rung in main.get("sustained", {}).items())


def cluster_analyse(result: dict) -> dict:
    """Headline per process count, the issue's target, integrity failures."""
    plan, clusters = result["plan"], result["clusters"]
    heads = {n: summarise(server, plan) if "peak_rss_mib" in server else {"error": server.get("error")}
             for n, server in clusters.items()}
    broken = [b for n, server in clusters.items() for b in integrity_failures(f"{n} processes", server)]
    broken += [f"{n} processes: {server['error']}" for n, server in clusters.items()
               if server.get("error") and not server["error"].startswith("skipped")]
    n, rate = CLUSTER_TARGET
    sustained = (heads.get(str(n)) or {}).get("max_sustained")
    if plan["main"] < 2000 or max(plan["rates"]) < rate:  # a smoke or partial run cannot judge the target
        sustained = None
    targets = {f"{n} processes sustain >= {rate} votes/s with p99 <= {P99_SUSTAINED_MS} ms at {plan['main']} phones":
               None if sustained is None else sustained >= rate,
               "zero lost or double-counted votes": not broken}
    return {"headline": heads, "targets": targets, "integrity_failures": broken}


def _intact(server: dict, main: dict) -> str:
    phases = [main["burst"], *(rung for _, rung in _rungs(main))]
    ok = all(phase["intact"] is True for phase in phases) and not main.get("storm", {}).get("wrong_my_vote")
    return "yes" if ok else "NO"


def cluster_table(result: dict) -> str:
    """One row per process count, then every rung of each ladder (markdown)."""
    plan = result["plan"]
    lines = [f"| processes | phones | connect/s | burst p99 to projector ms | max sustained votes/s, p99 <= "
             f"{P99_SUSTAINED_MS} ms | p99 to projector ms at each rate | server CPU % (sum), top rung | "
             "swarm CPU %, top rung | intact |", "|---:|---:|---:|---:|---:|---|---:|---:|---|"]
    rungs = ["", f"Every rung ({plan['seconds']:.0f} s per rate, new run per rate; CPU in % of one core, app "
             "workers summed with each worker in brackets; connections nginx -> each process):", "",
             "| processes | rate/s | achieved/s | ack p99 ms | to-projector p50/p99 ms | app CPU % | nginx | "
             "PostgreSQL | Redis | swarm | intact | within 250 ms |", "|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---|---|"]
    notes = []
    for n, server in sorted(result["clusters"].items(), key=lambda item: int(item[0])):
        main = _main(server, plan)
        if "burst" not in main:
            why = server.get("error") or main.get("error") or "did not run"
            lines.append(f"| {n} | - | - | - | - | {why} | - | - | NO |")
            continue
        ladder = _rungs(main)
        top = ladder[-1][1]["server"] if ladder else main["burst"]["server"]
        each = ", ".join(f"{rate}: {_ms(rung['to_projector']['p99'])}" for rate, rung in ladder) or "-"
        spread = main["connect"]["server"].get("connections")
        lines.append(f"| {n} | {main['connect']['phones']} | {main['connect']['per_second']} | "
                     f"{_ms(main['burst']['to_projector']['p99'])} | {max_sustained(main):.0f} | {each} | "
                     f"{top['cpu_percent']} | {top['swarm_cpu_percent']} | {_intact(server, main)} |")
        for rate, rung in ladder:
            s, tp = rung["server"], rung["to_projector"]
            workers = "/".join(f"{c:.0f}" for c in s.get("worker_cpu_percent", []))
            rungs.append(f"| {n} | {rate} | {rung['achieved_rate']} | {_ms(rung['ack']['p99'])} | {_ms(tp['p50'])} / "
                         f"{_ms(tp['p99'])} | {s['cpu_percent']} ({workers}) | {s.get('nginx_cpu_percent')} | "
                         f"{s.get('postgres_cpu_percent')} | {s.get('redis_cpu_percent')} | {s['swarm_cpu_percent']} | "
                         f"{rung['intact']} | {'yes' if rung_passes(rate, rung) else 'NO'} |")
        storm = main.get("storm")
        notes.append(f"- {n} process{'es' if int(n) > 1 else ''}: connections per process after joining "
                     f"{spread}; burst acked {main['burst']['acked']}/{main['burst']['planned']}; "
                     + (f"reconnect storm {storm['phones'] - storm['failures']}/{storm['phones']} rejoined, p99 "
                        f"{_ms(storm['rejoin']['p99'])} ms, my_vote wrong {storm['wrong_my_vote']}; " if storm else "")
                     + f"peak RSS {server['peak_rss_mib']} MiB (all workers); {server.get('seconds')} s")
    analysis = result["analysis"]
    targets = [f"- [{'x' if ok else ' '}] {name}" + (" (not judged by this run)" if ok is None else "")
               for name, ok in analysis["targets"].items()]
    return "\n".join(lines + rungs + ["", *notes, "", "Targets:", *targets])


def _code(result: dict) -> str:
    code = result.get("code")
    if not code:
        return ""
    return f", commit {code['commit']}" + (" with uncommitted app changes" if code["dirty"] else "")


def write_cluster_docs(result: dict, json_path: Path) -> None:
    """Replace the cluster block of docs/performance.md (markers must be there; the rest is left alone)."""
    m = result["machine"]
    block = "\n".join([CLUSTER_START, "", f"Run `{result['started']}` (`{json_path.relative_to(ROOT)}`, "
                       f"{result['seconds']:.0f} s) on {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB, "
                       f"Python {m['python']}{_code(result)}; load average at start {m['load_average_at_start']}, CPU "
                       f"pressure `{m['cpu_pressure']}`.", "", cluster_table(result), "", CLUSTER_END])
    text = DOCS.read_text()
    if CLUSTER_START not in text:
        raise SystemExit(f"{DOCS} has no {CLUSTER_START} marker")
    before, rest = text.split(CLUSTER_START, 1)
    DOCS.write_text(before + block + rest.split(CLUSTER_END, 1)[1])
