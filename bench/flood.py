"""A phone that floods: one abusive participant sends every event it can, ``rate`` a second of each kind,
while the room votes (issue 16). Run by `make bench` as its own phase (see ``flood_phase``).

The flooder runs in its own process (``python -m bench.flood``), so its sending does not slow the swarm that
measures the others, and speaks Engine.IO / Socket.IO frames over a bare aiohttp websocket with pre-built
frames (a python-socketio client would spend more CPU than the server it floods). One websocket per namespace,
as two pages of a phone would open:

- ``/live``: ``state``, ``vote`` (answer "0", which adds nothing to the swarm's Q: integrity stays exact),
  and an event no handler knows;
- ``/questions``: ``state``, ``ask``, ``upvote`` (of a question another phone asked).

It counts per kind what it sent, what was acknowledged ok, every refusal by message, what went unanswered,
when the server disconnected it, and (with ``--reconnect``) how often it came back.
"""

import argparse
import asyncio
import json
import resource
import sys
import time
from collections import Counter
from pathlib import Path

import aiohttp

from . import rawsio

ENGINE_PATH = "/socket.io/?EIO=4&transport=websocket"
ACK_WAIT = 2.0  # seconds the flooder waits for late acks after it stops


class RawSocket:
    """One websocket speaking Socket.IO to one namespace, flooding pre-built event frames."""

    def __init__(self, http, url: str, ns: str, auth: dict, events: dict[str, str]):
        self.http, self.url, self.ns, self.auth = http, url, ns, auth
        self.events = events  # kind -> JSON array text, e.g. '["state",{}]'
        self.ws = None
        self.next_id = 0
        self.pending: dict[int, str] = {}
        self.sent = Counter()
        self.ok = Counter()
        self.refused: dict[str, Counter] = {kind: Counter() for kind in events}
        self.other_acks = Counter()
        self.connects, self.refused_connects, self.disconnects = 0, [], []  # disconnects: (seconds, how)
        self.connected = False
        self.t0 = time.perf_counter()

    async def connect(self) -> bool:
        """Open the websocket and the namespace; False when refused."""
        self.ws = await self.http.ws_connect(self.url.replace("http", "ws", 1) + ENGINE_PATH, heartbeat=None,
                                             max_msg_size=0, timeout=aiohttp.ClientWSTimeout(ws_close=2))
        opened = await self.ws.receive(timeout=30)
        if not (opened.type == aiohttp.WSMsgType.TEXT and opened.data.startswith("0")):
            raise RuntimeError(f"no Engine.IO open packet: {opened.data!r:.80}")
        await self.ws.send_str(f"40{self.ns},{json.dumps(self.auth)}")
        while True:  # the server may send events (e.g. `state`) before its CONNECT packet
            message = await self.ws.receive(timeout=30)
            if message.type != aiohttp.WSMsgType.TEXT:
                raise RuntimeError(f"closed while connecting: {message.type}")
            if message.data == "2":
                await self.ws.send_str("3")
            elif message.data.startswith(f"40{self.ns},"):
                self.connects += 1
                self.connected = True
                return True
            elif message.data.startswith(f"44{self.ns},"):
                self.refused_connects.append(message.data[len(self.ns) + 3:][:120])
                await self.ws.close()
                return False

    async def read(self) -> None:
        """Answer pings, count acks, notice a disconnect (namespace packet or closed websocket)."""
        prefix, gone = f"43{self.ns},", f"41{self.ns}"
        while True:
            message = await self.ws.receive()
            if message.type != aiohttp.WSMsgType.TEXT:
                if self.connected:
                    self._gone(f"websocket {message.type.name.lower()}")
                return
            data = message.data
            if data == "2":
                await self.ws.send_str("3")
            elif data.startswith(prefix):
                self._ack(data[len(prefix):])
            elif data.startswith(gone):
                self._gone("namespace disconnect")
            elif data.startswith("1"):  # Engine.IO close
                self._gone("engine.io close")

    def _gone(self, how: str) -> None:
        if self.connected:
            self.connected = False
            self.disconnects.append((round(time.perf_counter() - self.t0, 3), how))

    def _ack(self, rest: str) -> None:
        digits = len(rest) - len(rest.lstrip("0123456789"))
        kind = self.pending.pop(int(rest[:digits]), None)
        payload = rest[digits:]
        if kind is None:
            self.other_acks["unknown id"] += 1
        elif payload.startswith(('[{"ok": true', '[{"ok":true')):
            self.ok[kind] += 1
        elif payload in ("[]", "[null]"):
            self.refused[kind]["(empty ack)"] += 1
        elif payload == '["",400]':  # Flask-SocketIO's answer to an event of a socket it already forgot
            self.refused[kind]["('', 400): socket already disconnected"] += 1
        else:
            try:
                first = (json.loads(payload) or [None])[0]
            except ValueError:
                first = None
            self.refused[kind][str(first.get("error")) if isinstance(first, dict) else f"{payload:.60}"] += 1

    async def send(self, kind: str) -> None:
        """One event with an ack id."""
        self.next_id += 1
        self.pending[self.next_id] = kind
        self.sent[kind] += 1
        await self.ws.send_str(f"42{self.ns},{self.next_id}{self.events[kind]}")

    def report(self) -> dict:
        """Counts per kind."""
        kinds = {kind: {"sent": self.sent[kind], "ok": self.ok[kind], "refused": sum(self.refused[kind].values()),
                        "unanswered": sum(1 for k in self.pending.values() if k == kind),
                        "errors": dict(self.refused[kind].most_common(4))} for kind in self.events}
        return {"kinds": kinds, "connects": self.connects, "refused_connects": self.refused_connects[:3],
                "refused_connect_count": len(self.refused_connects), "disconnects": self.disconnects[:20],
                "disconnect_count": len(self.disconnects), "other_acks": dict(self.other_acks)}


async def flood_one(sock: RawSocket, rate: float, seconds: float, reconnect: bool) -> None:
    """Send ``rate`` events a second of each kind for ``seconds`` (catching up when sends lag); reconnect if asked."""
    reader = asyncio.create_task(sock.read())
    start = time.perf_counter()
    done = {kind: 0 for kind in sock.events}
    while (elapsed := time.perf_counter() - start) < seconds:
        if not sock.connected:
            if not reconnect:
                break
            await asyncio.wait({reader}, timeout=1)
            reader.cancel()
            try:
                if not await sock.connect():
                    await asyncio.sleep(0.1)
                    continue
            except Exception as exc:  # the server refused or stalled: try again, count it
                sock.refused_connects.append(repr(exc)[:120])
                await asyncio.sleep(0.1)
                continue
            reader = asyncio.create_task(sock.read())
        due = int(rate * elapsed)
        try:
            for _ in range(due - min(done.values())):
                for kind in sock.events:
                    if done[kind] < due:
                        await sock.send(kind)
                        done[kind] += 1
        except (ConnectionError, RuntimeError, aiohttp.ClientError):
            sock._gone("send failed")
        await asyncio.sleep(0.005)
    await asyncio.sleep(ACK_WAIT)
    reader.cancel()
    if sock.ws is not None:
        await sock.ws.close()


async def main_async(args) -> dict:
    """Connect both namespaces, say ready, wait for `go` on stdin, flood, report."""
    auth = {"code": args.code, "role": "phone", "token": args.token}
    live = {"state": '["state",{}]', "vote": json.dumps(["vote", {"poll_id": args.poll_id, "choice": "0"}]),
            "unknown": '["no_such_event",{"x":1}]'}
    questions = {"state": '["state",{}]', "ask": '["ask",{"text":"Flooding the wall with one more question?"}]',
                 "upvote": json.dumps(["upvote", {"question_id": args.question_id}])}
    async with aiohttp.ClientSession() as http:
        socks = {"/live": RawSocket(http, args.url, "/live", auth, live),
                 "/questions": RawSocket(http, args.url, "/questions", auth, questions)}
        for sock in socks.values():
            await sock.connect()
        print(json.dumps({"ready": True}), flush=True)
        if (await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)).strip() != "go":
            return {"error": "the harness went away before `go`"}
        cpu0, wall0 = cpu_seconds(), time.perf_counter()
        for sock in socks.values():
            sock.t0 = wall0
        await asyncio.gather(*(flood_one(s, args.rate, args.seconds, args.reconnect) for s in socks.values()))
        wall = time.perf_counter() - wall0
        return {"rate_per_kind": args.rate, "seconds": args.seconds, "reconnect": args.reconnect,
                "cpu_percent": round(100 * (cpu_seconds() - cpu0) / wall, 1),
                "namespaces": {ns: sock.report() for ns, sock in socks.items()}}


def cpu_seconds() -> float:
    """This process's user + system CPU."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    """`python -m bench.flood URL CODE TOKEN POLL_ID QUESTION_ID --rate 1000 --seconds 10`; prints JSON."""
    parser = argparse.ArgumentParser()
    for name in ("url", "code", "token"):
        parser.add_argument(name)
    parser.add_argument("poll_id", type=int)
    parser.add_argument("question_id", type=int)
    parser.add_argument("--rate", type=float, default=1000)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--reconnect", action="store_true", help="come back after each disconnect")
    args = parser.parse_args()
    try:
        print(json.dumps(rawsio.run(main_async(args))), flush=True)
    except Exception as exc:  # the harness reads one JSON line whatever happened
        print(json.dumps({"error": repr(exc)[:300]}), flush=True)


# --- the phase (run by bench/run.py in the harness process) -----------------------------------------------

FLOOD = {"phones": 500, "rate": 300, "seconds": 10.0, "flood_rate": 1000, "warmup_seconds": 3.0}
FLOOD_SMOKE = {"phones": 30, "rate": 30, "seconds": 2.0, "flood_rate": 200, "warmup_seconds": 1.0}
RATIO_TARGET = 1.2  # the others' p99 with the flooder within 20 % of without it


def self_cpu() -> float:
    """CPU seconds of the harness process alone (the swarm; not the flooder, which reports its own)."""
    return cpu_seconds()


async def start_flooder(server: dict, swarm, question_id: int, plan: dict, reconnect: bool):
    """A participant of its own, then ``python -m bench.flood`` connected and waiting for `go`."""
    async with swarm.http.post(f"{server['url']}/api/w/{server['code']}/participants", json={"stance": None}) as response:
        token = (await response.json())["token"]
    command = [sys.executable, "-m", "bench.flood", server["url"], server["code"], token, str(server["poll_id"]),
               str(question_id), "--rate", str(plan["flood_rate"]), "--seconds", str(plan["seconds"])]
    process = await asyncio.create_subprocess_exec(*command, *(["--reconnect"] if reconnect else []),
                                                   stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
                                                   cwd=Path(__file__).resolve().parent.parent)
    ready = json.loads((await asyncio.wait_for(process.stdout.readline(), 60)) or b"{}")
    if not ready.get("ready"):
        process.kill()
        raise RuntimeError(f"flooder did not start: {ready}")
    return process


async def ask_one(swarm, phone) -> int:
    """One phone of the room asks a question (the flooder upvotes it); its id."""
    from .rawsio import RawClient

    sio = RawClient(swarm.http)
    await sio.connect(swarm.url, auth={"code": swarm.code, "role": "phone", "token": phone.token},
                      transports=["websocket"], namespaces=["/questions"], wait_timeout=30)
    ack = await sio.call("ask", {"text": "What happens when one phone floods the room?"}, namespace="/questions",
                         timeout=30)
    await sio.disconnect()
    if not ack.get("ok"):
        raise RuntimeError(f"ask refused: {ack}")
    return ack["question"]["id"]


async def measured(swarm, server: dict, proc, plan: dict, seconds: float, flooder=None) -> dict:
    """A new run of the poll, the room voting at ``plan['rate']``/s for ``seconds``, a flooder alongside or not."""
    from .run import database_votes, integrity

    await swarm.open_poll()
    await asyncio.sleep(0.3)
    reopened = swarm.reconnected
    proc.mark()
    own0, wall0 = self_cpu(), time.perf_counter()
    if flooder is not None:
        if flooder.returncode is not None:
            raise RuntimeError(f"the flooder exited ({flooder.returncode}) before its phase began")
        flooder.stdin.write(b"go\n")
        await flooder.stdin.drain()
    result = await swarm.votes(plan["rate"], seconds)
    result["server"] = proc.phase()
    result["server"]["swarm_cpu_percent"] = round(100 * (self_cpu() - own0) / (time.perf_counter() - wall0), 1)
    result["server"]["cpu_ms_per_vote"] = round(1000 * result["server"]["cpu_seconds"] / max(1, result["acked"]), 3)
    result["control_connected"] = swarm.control.connected and "/live" in swarm.control.namespaces
    result["projector_connected"] = swarm.projector.connected and "/live" in swarm.projector.namespaces
    result["phones_online"] = swarm.online()
    if flooder is not None:
        line = await asyncio.wait_for(flooder.stdout.readline(), plan["seconds"] + 60)
        await flooder.wait()
        result["flooder"] = json.loads(line or b'{"error": "no report"}')
    result["screens_reopened_before"] = swarm.reconnected - reopened
    return integrity(result, database_votes(server, swarm.round))


async def flood_phase(plan: dict, log, reconnect: bool = False) -> dict:
    """Fresh app, ``plan['phones']`` phones; warm-up, then without, with and right after the flooder."""
    from .run import code_version, joined_room

    out = {"plan": plan, "reconnect": reconnect, "code": code_version()}
    started = time.perf_counter()
    async with joined_room("bench-flood-", plan["phones"]) as room:
        server, proc, swarm, out["connect"] = room.server, room.proc, room.swarm, room.connect
        log(f"  {plan['phones']} phones: connected in {out['connect']['seconds']} s, "
            f"{out['connect']['failures']} failures")
        question_id = await ask_one(swarm, swarm.phones[0])
        out["warmup"] = await measured(swarm, server, proc, plan, plan["warmup_seconds"])
        for name in ("without", "with", "after"):
            flooder = await start_flooder(server, swarm, question_id, plan, reconnect) if name == "with" else None
            try:
                out[name] = phase = await measured(swarm, server, proc, plan, plan["seconds"], flooder)
            except Exception as exc:  # e.g. the control screen could not reopen the poll: recorded, go on
                out[name] = {"error": f"{type(exc).__name__}: {exc}"[:300]}
                log(f"  {name} flooder: failed, {out[name]['error']}")
                if flooder is not None and flooder.returncode is None:
                    flooder.kill()
                continue
            log(f"  {name} flooder: {plan['rate']}/s, p99 to projector {phase['to_projector']['p99']} ms, "
                f"ack p99 {phase['ack']['p99']} ms, refused {phase['refused']}, timeouts {phase['timeouts']}, "
                f"intact={phase['intact']}, server CPU {phase['server']['cpu_percent']}%, "
                f"swarm {phase['server']['swarm_cpu_percent']}%")
    out.update(peak_rss_mib=room.peak_rss_mib, server_tracebacks=room.server_tracebacks, server_log=room.server_log)
    out["seconds"] = round(time.perf_counter() - started, 1)
    out["analysis"] = flood_analyse(out)
    return out


def _ratio(out: dict, key: str) -> float | None:
    if "error" in out["without"] or "error" in out["with"]:
        return None
    base, flooded = out["without"][key]["p99"], out["with"][key]["p99"]
    return round(flooded / base, 2) if base and flooded is not None else None


def flood_summary(flooder: dict) -> dict:
    """Sent, accepted, refused per namespace and when the server cut it off."""
    out = {}
    for ns, report in (flooder.get("namespaces") or {}).items():
        kinds = report["kinds"].values()
        out[ns] = {"sent": sum(k["sent"] for k in kinds), "ok": sum(k["ok"] for k in kinds),
                   "refused": sum(k["refused"] for k in kinds), "unanswered": sum(k["unanswered"] for k in kinds),
                   "first_disconnect_s": report["disconnects"][0][0] if report["disconnects"] else None,
                   "disconnects": report["disconnect_count"], "connects": report["connects"]}
    return out


def flood_analyse(out: dict) -> dict:
    """Ratios with / without, the target, integrity failures."""
    if "with" not in out:
        return {"ratios": {}, "targets": {}, "integrity_failures": ["flood: did not run"]}
    ratios = {"to_projector_p99": _ratio(out, "to_projector"), "ack_p99": _ratio(out, "ack")}
    broken = [f"flood {name}" for name in ("warmup", "without", "with", "after") if out[name].get("intact") is not True]
    summary = flood_summary(out["with"].get("flooder") or {})
    targets = {f"the others' p99 vote-to-projector with the flooder <= {RATIO_TARGET} x without it":
               (ratios["to_projector_p99"] or 1e9) <= RATIO_TARGET,
               "every other phone's vote acknowledged in every flood phase":
               all(out[n].get("refused") == 0 for n in ("without", "with", "after")),
               "the flooder is refused and disconnected on both namespaces":
               bool(summary) and all(s["refused"] > 0 and s["disconnects"] > 0 for s in summary.values()),
               "no server tracebacks": out.get("server_tracebacks", 0) == 0,
               "zero lost or double-counted votes (flood phases)": not broken}
    return {"ratios": ratios, "flooder": summary, "targets": targets, "integrity_failures": broken}


def flood_table(out: dict) -> str:
    """Markdown: the phases side by side, then what happened to the flooder."""
    plan = out["plan"]
    lines = [f"{plan['phones']} phones voting at {plan['rate']}/s for {plan['seconds']:.0f} s per phase (a new run of "
             f"the poll each); the flooder sends {plan['flood_rate']} events/s of each of its six kinds"
             + (" and reconnects after every disconnect" if out.get("reconnect") else "") + ".", "",
             "| phase | achieved/s | acked | refused / timeouts | ack p50/p99 ms | to-projector p50/p95/p99 ms | "
             "server CPU % | swarm CPU % | flooder CPU % | control, projector stayed | intact |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|"]
    for name in ("without", "with", "after"):
        phase = out.get(name)
        if phase is None:
            continue
        if "error" in phase:
            lines.append(f"| {name} flooder | did not finish: {phase['error']} | | | | | | | | | |")
            continue
        tp, ack, s = phase["to_projector"], phase["ack"], phase["server"]
        stayed = "yes" if phase["control_connected"] and phase["projector_connected"] else "NO"
        lines.append(f"| {name} flooder | {phase['achieved_rate']} | {phase['acked']}/{phase['sent']} | "
                     f"{phase['refused']} / {phase['timeouts']} | {_ms(ack['p50'])} / {_ms(ack['p99'])} | "
                     f"{_ms(tp['p50'])} / {_ms(tp['p95'])} / {_ms(tp['p99'])} | {s['cpu_percent']} | "
                     f"{s['swarm_cpu_percent']} | {(phase.get('flooder') or {}).get('cpu_percent', '-')} | "
                     f"{stayed} | {phase['intact']} |")
    analysis = out["analysis"]
    lines += ["", "Ratios with / without: " + ", ".join(f"{k} {v}" for k, v in analysis["ratios"].items()), "",
              "| flooder's event | sent | acked ok | refused | unanswered | refusals |", "|---|---:|---:|---:|---:|---|"]
    flooder = (out.get("with") or {}).get("flooder") or {}
    for ns, report in (flooder.get("namespaces") or {}).items():
        for kind, k in report["kinds"].items():
            errors = "; ".join(f"{n} x {e}" for e, n in k["errors"].items()) or "-"
            lines.append(f"| {ns} {kind} | {k['sent']} | {k['ok']} | {k['refused']} | {k['unanswered']} | {errors} |")
    for ns, s in analysis.get("flooder", {}).items():
        cut = f"disconnected after {s['first_disconnect_s']} s" if s["first_disconnect_s"] is not None else "never disconnected"
        lines.append(f"\n- {ns}: {cut}; {s['disconnects']} disconnects, {s['connects']} connects")
    if flooder.get("error"):
        lines.append(f"\n- flooder failed: {flooder['error']}")
    lines += ["", f"Server tracebacks logged: {out.get('server_tracebacks')}; peak RSS {out.get('peak_rss_mib')} MiB; "
              f"code {out['code']['commit']}" + (" with uncommitted app changes" if out['code']['dirty'] else ""), "",
              "Targets:"] + [f"- [{'x' if ok else ' '}] {name}" for name, ok in analysis["targets"].items()]
    return "\n".join(lines)


def _ms(value) -> str:
    return "-" if value is None else f"{value:.0f}"


if __name__ == "__main__":
    main()
