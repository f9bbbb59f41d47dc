"""The reaction phase of `make bench`: does a room reacting once a second slow its voting? (issue #15)

A fresh app, 500 phones voting at 300 votes/s (as the flood phase), measured after a warm-up: alone; then
with 2,000 more phones in the room, silent ("without"); then with those 2,000 each reacting about once a second:
its first 10 s ("starting": every phone's first message and first stored tap of the segment) and after it, steady
("with"; bench/reactions.py, in a process of its own so its sending neither slows nor flatters the voting
swarm; its phones send as the page does, gathering taps at the pace the server names). Target: the voters' p99
vote-to-projector with the storm within 20 % of without it - the same room, reacting or not: a room of 2,500
phones costs more than one of 500 whatever they do (every phone gets the results once a second), and "alone"
shows how much. Every vote acknowledged, stored once and on the projector.
"""

import asyncio
import json
import sys

REACT = {"phones": 500, "rate": 300, "seconds": 10.0, "reactors": 2000, "warmup_seconds": 3.0}
REACT_SMOKE = {"phones": 30, "rate": 30, "seconds": 2.0, "reactors": 50, "warmup_seconds": 1.0}
RATIO_TARGET = 1.2


async def start_storm(server: dict, plan: dict) -> asyncio.subprocess.Process:
    """``storm_on_cue`` in its own process: it joins its phones, says ready, reacts on `go`, prints one JSON line."""
    code = ("import json, sys; from bench import rawsio; from bench.reactions import storm_on_cue; "
            "print(json.dumps(rawsio.run(storm_on_cue(sys.argv[1], sys.argv[2], int(sys.argv[3]), "
            "float(sys.argv[4])))), flush=True)")
    reacting = 2 * plan["seconds"] + 4  # starting (from `go`), a second's pause, steady; and some to spare
    return await asyncio.create_subprocess_exec(
        sys.executable, "-c", code, server["url"], server["code"], str(plan["reactors"]), str(reacting),
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL)


async def storm_ready(storm: asyncio.subprocess.Process, timeout: float = 180) -> dict:
    """Wait until the storm's phones have joined and connected (its ``ready`` line)."""
    ready = json.loads((await asyncio.wait_for(storm.stdout.readline(), timeout)) or b"{}")
    if not ready.get("ready"):
        raise RuntimeError(f"the reaction storm did not start: {ready}")
    return ready


async def reaction_phase(plan: dict, log) -> dict:
    """Warm-up, without, with the storm; each a new run of the poll at ``plan['rate']`` votes/s."""
    from .flood import measured
    from .run import code_version, joined_room

    out = {"plan": plan, "code": code_version()}
    async with joined_room("bench-react-", plan["phones"]) as room:
        server, proc, swarm, out["connect"] = room.server, room.proc, room.swarm, room.connect
        out["warmup"] = await measured(swarm, server, proc, plan, plan["warmup_seconds"])
        out["alone"] = await measured(swarm, server, proc, plan, plan["seconds"])
        storm = await start_storm(server, plan)
        try:
            out["storm_join"] = await storm_ready(storm)
            await asyncio.sleep(2)  # the joins' broadcasts settle
            out["without"] = await measured(swarm, server, proc, plan, plan["seconds"])
            storm.stdin.write(b"go\n")
            await storm.stdin.drain()
            # The first pace after `go` is the storm's worst moment: every phone's first message (a random
            # part of its pace in), and each phone's first tap of the segment stored as a Reactor row.
            out["starting"] = await measured(swarm, server, proc, plan, plan["seconds"])
            await asyncio.sleep(1)
            out["with"] = await measured(swarm, server, proc, plan, plan["seconds"])  # steady: once a second each
            line = await asyncio.wait_for(storm.stdout.readline(), 120)
            out["storm"] = json.loads(line or b'{"error": "no report"}')
        finally:
            if storm.returncode is None:
                storm.kill()
            await storm.wait()
        for name in ("alone", "without", "starting", "with"):
            phase = out[name]
            log(f"  {name}: p99 to projector {phase['to_projector']['p99']} ms, intact={phase['intact']}, "
                f"server CPU {phase['server']['cpu_percent']}%")
        storm_out = out["storm"]
        log(f"  storm: {storm_out.get('acked')} reactions acknowledged of {storm_out.get('sent')} in "
            f"{storm_out.get('messages')} messages, {storm_out.get('acked_per_second')}/s, paces "
            f"{storm_out.get('paces_ms')} ms, its own CPU {storm_out.get('cpu_seconds')} s")
    out.update(peak_rss_mib=room.peak_rss_mib, server_tracebacks=room.server_tracebacks)
    out["analysis"] = reaction_analyse(out)
    return out


def reaction_analyse(out: dict) -> dict:
    """The p99 ratio with/without the storm; integrity of every phase."""
    base, stormy = out["without"]["to_projector"]["p99"], out["with"]["to_projector"]["p99"]
    ratio = round(stormy / base, 2) if base and stormy is not None else None
    starting = out["starting"]["to_projector"]["p99"]
    phases = ("warmup", "alone", "without", "starting", "with")
    broken = [f"reactions {name}" for name in phases if out[name]["intact"] is not True]
    storm = out.get("storm", {})
    return {"ratio": ratio, "starting_ratio": round(starting / base, 2) if base and starting is not None else None,
            "integrity_failures": broken,
            "targets": {f"vote-to-projector p99 with {out['plan']['reactors']} phones reacting once a second "
                        f"within {round(100 * (RATIO_TARGET - 1))} % of without": ratio is not None and ratio <= RATIO_TARGET,
                        "the storm's reactions acknowledged (none lost to errors or timeouts)":
                            bool(storm.get("acked")) and not storm.get("errors") and not storm.get("timeouts"),
                        "zero lost or double-counted votes (reaction phases)": not broken}}


def reaction_table(out: dict) -> str:
    """Markdown: the two measured phases and the storm."""
    plan, storm = out["plan"], out.get("storm", {})
    lines = [f"{plan['phones']} phones voting at {plan['rate']}/s for {plan['seconds']:.0f} s: alone; with "
             f"{plan['reactors']} more phones in the room, silent (without) and each reacting about once a second "
             "(their own process): the first 10 s from their first tap (starting), then steady (with).", "",
             "| phase | ack p50/p99 ms | to-projector p50/p99 ms | server CPU % | swarm CPU % | intact |",
             "|---|---:|---:|---:|---:|---|"]
    for name in ("alone", "without", "starting", "with"):
        p = out[name]
        lines.append(f"| {name} | {p['ack']['p50']} / {p['ack']['p99']} | {p['to_projector']['p50']} / "
                     f"{p['to_projector']['p99']} | {p['server']['cpu_percent']} | {p['server']['swarm_cpu_percent']} | "
                     f"{p['intact']} |")
    lines += ["", f"Starting / without: {out['analysis']['starting_ratio']}.", "", f"Storm: {storm.get('phones')} phones, {storm.get('sent')} taps in {storm.get('messages')} "
              f"messages (paces {storm.get('paces_ms')} ms), {storm.get('acked')} acknowledged "
              f"({storm.get('acked_per_second')}/s), {storm.get('limited')} refused by the one-a-second limit, "
              f"{storm.get('errors')} errors, {storm.get('timeouts')} timeouts, message ack p99 "
              f"{storm.get('ack_ms', {}).get('p99')} ms, tap to ack p50/p99 {storm.get('tap_to_ack_ms', {}).get('p50')} / "
              f"{storm.get('tap_to_ack_ms', {}).get('p99')} ms; the storm process used {storm.get('cpu_seconds')} s of "
              f"CPU in {storm.get('wall_seconds')} s.", "", f"Ratio with / without: **{out['analysis']['ratio']}** "
              f"(target <= {RATIO_TARGET}).", "", "Targets:"]
    lines += [f"- [{'x' if ok else ' '}] {name}" for name, ok in out["analysis"]["targets"].items()]
    return "\n".join(lines)
