"""The reaction phase of `make bench`: does a room reacting once a second slow its voting? (issue #15)

A fresh app, 500 phones voting at 300 votes/s (as the flood phase), measured three times: a warm-up, without
reactions, and with 2,000 more phones each reacting about once a second (bench/reactions.py, in a process of
its own so its sending neither slows nor flatters the voting swarm). Target: the voters' p99 vote-to-projector
with the storm within 20 % of without it; every vote acknowledged, stored once and on the projector.
"""

import asyncio
import json
import sqlite3
import sys
import time

REACT = {"phones": 500, "rate": 300, "seconds": 10.0, "reactors": 2000, "warmup_seconds": 3.0}
REACT_SMOKE = {"phones": 30, "rate": 30, "seconds": 2.0, "reactors": 50, "warmup_seconds": 1.0}
RATIO_TARGET = 1.2


async def start_storm(server: dict, plan: dict) -> asyncio.subprocess.Process:
    """``reaction_storm`` in its own process: it joins its phones, reacts, prints one JSON line."""
    code = ("import json, sys; from bench import rawsio; from bench.reactions import reaction_storm; "
            "print(json.dumps(rawsio.run(reaction_storm(sys.argv[1], sys.argv[2], int(sys.argv[3]), "
            "seconds=float(sys.argv[4])))), flush=True)")
    reacting = plan["seconds"] + 6  # the measured phase starts ~3 s after the storm's phones have joined
    return await asyncio.create_subprocess_exec(
        sys.executable, "-c", code, server["url"], server["code"], str(plan["reactors"]), str(reacting),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL)


async def storm_joined(server: dict, expected: int, timeout: float = 120) -> None:
    """Wait until the storm's phones hold participant tokens (they connect right after)."""
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        with sqlite3.connect(f"file:{server['db']}?mode=ro", uri=True) as con:
            if con.execute("SELECT count(*) FROM participant").fetchone()[0] >= expected:
                return
        await asyncio.sleep(0.5)
    raise RuntimeError("the reaction storm's phones did not join in time")


async def reaction_phase(plan: dict, log) -> dict:
    """Warm-up, without, with the storm; each a new run of the poll at ``plan['rate']`` votes/s."""
    from .flood import measured
    from .run import code_version, joined_room

    out = {"plan": plan, "code": code_version()}
    async with joined_room("bench-react-", plan["phones"]) as room:
        server, proc, swarm, out["connect"] = room.server, room.proc, room.swarm, room.connect
        out["warmup"] = await measured(swarm, server, proc, plan, plan["warmup_seconds"])
        out["without"] = await measured(swarm, server, proc, plan, plan["seconds"])
        storm = await start_storm(server, plan)
        try:
            await storm_joined(server, plan["phones"] + plan["reactors"])
            await asyncio.sleep(3)  # their sockets open and the reacting begins
            out["with"] = await measured(swarm, server, proc, plan, plan["seconds"])
            line = await asyncio.wait_for(storm.stdout.readline(), 120)
            out["storm"] = json.loads(line or b'{"error": "no report"}')
        finally:
            if storm.returncode is None:
                storm.kill()
            await storm.wait()
        for name in ("without", "with"):
            phase = out[name]
            log(f"  {name} reactions: p99 to projector {phase['to_projector']['p99']} ms, intact={phase['intact']}, "
                f"server CPU {phase['server']['cpu_percent']}%")
        log(f"  storm: {out['storm'].get('acked')} reactions acknowledged of {out['storm'].get('sent')}, "
            f"{out['storm'].get('acked_per_second')}/s, its own CPU {out['storm'].get('cpu_seconds')} s")
    out.update(peak_rss_mib=room.peak_rss_mib, server_tracebacks=room.server_tracebacks)
    out["analysis"] = reaction_analyse(out)
    return out


def reaction_analyse(out: dict) -> dict:
    """The p99 ratio with/without the storm; integrity of every phase."""
    base, stormy = out["without"]["to_projector"]["p99"], out["with"]["to_projector"]["p99"]
    ratio = round(stormy / base, 2) if base and stormy is not None else None
    broken = [f"reactions {name}" for name in ("warmup", "without", "with") if out[name]["intact"] is not True]
    storm = out.get("storm", {})
    return {"ratio": ratio, "integrity_failures": broken,
            "targets": {f"vote-to-projector p99 with {out['plan']['reactors']} phones reacting once a second "
                        f"within {round(100 * (RATIO_TARGET - 1))} % of without": ratio is not None and ratio <= RATIO_TARGET,
                        "the storm's reactions acknowledged (none lost to errors or timeouts)":
                            bool(storm.get("acked")) and not storm.get("errors") and not storm.get("timeouts"),
                        "zero lost or double-counted votes (reaction phases)": not broken}}


def reaction_table(out: dict) -> str:
    """Markdown: the two measured phases and the storm."""
    plan, storm = out["plan"], out.get("storm", {})
    lines = [f"{plan['phones']} phones voting at {plan['rate']}/s for {plan['seconds']:.0f} s; with: "
             f"{plan['reactors']} more phones reacting about once a second (their own process).", "",
             "| phase | ack p50/p99 ms | to-projector p50/p99 ms | server CPU % | swarm CPU % | intact |",
             "|---|---:|---:|---:|---:|---|"]
    for name in ("without", "with"):
        p = out[name]
        lines.append(f"| {name} reactions | {p['ack']['p50']} / {p['ack']['p99']} | {p['to_projector']['p50']} / "
                     f"{p['to_projector']['p99']} | {p['server']['cpu_percent']} | {p['server']['swarm_cpu_percent']} | "
                     f"{p['intact']} |")
    lines += ["", f"Storm: {storm.get('phones')} phones, {storm.get('sent')} reactions sent, {storm.get('acked')} "
              f"acknowledged ({storm.get('acked_per_second')}/s), {storm.get('limited')} refused by the one-a-second "
              f"limit, {storm.get('errors')} errors, {storm.get('timeouts')} timeouts, ack p99 "
              f"{storm.get('ack_ms', {}).get('p99')} ms; the storm process used {storm.get('cpu_seconds')} s of CPU in "
              f"{storm.get('wall_seconds')} s.", "", f"Ratio with / without: **{out['analysis']['ratio']}** "
              f"(target <= {RATIO_TARGET}).", "", "Targets:"]
    lines += [f"- [{'x' if ok else ' '}] {name}" for name, ok in out["analysis"]["targets"].items()]
    return "\n".join(lines)
