"""The open-text phase (issue 14): every phone sends one answer within a second; the projector's cloud.

A fresh app (production command, SQLite), ``phones`` phones joined; the control screen opens the open-text
poll, then every phone sends one answer (from a vocabulary of 60 words, so the cloud has words shared by
many people and words given once), spread over one second. Measured: the answer's acknowledgement, and its
answer-to-projector latency: the k-th acknowledged answer has reached the screen when a cloud update arrives
whose ``total`` (people who answered) is at least k. Integrity: acknowledged = stored rows = the last cloud's
total. Target: every acknowledged answer stored and counted; p99 answer-to-projector <= 1 s.
"""

import asyncio
import random
import sqlite3
import time

from .swarm import NS, summary

TEXT = {"phones": 2000}
TEXT_SMOKE = {"phones": 50}
WORDS = [f"word{n:02d}" for n in range(60)]
TARGET_P99_MS = 1000


async def text_phase(plan: dict, log) -> dict:
    """Fresh app and room; one answer from every phone within a second; the measures and the verdict."""
    from .run import code_version, joined_room

    out = {"plan": plan, "code": code_version()}
    async with joined_room("bench-text-", plan["phones"]) as room:
        out["connect"] = room.connect
        log(f"  {plan['phones']} phones: connected in {room.connect['seconds']} s, {room.connect['failures']} failures")
        swarm, server = room.swarm, room.server
        totals = []  # (arrival, total) of the open-text poll's cloud updates on the projector
        swarm.projector.on("poll_tally", lambda data: _on_cloud(data, server["text_poll_id"], totals, swarm),
                           namespace=NS)
        ack = await swarm.control.call("poll_open", {"poll_id": server["text_poll_id"]}, namespace=NS, timeout=30)
        if not ack.get("ok"):
            raise RuntimeError(f"poll_open refused: {ack}")
        round_ = ack["poll"]["round"]
        await asyncio.sleep(1.0)  # phones hear the poll
        room.proc.mark()
        records = await _answer_all(swarm, server["text_poll_id"])
        acked, deadline = sum(1 for r in records if r[2]), time.perf_counter() + 10
        while time.perf_counter() < deadline and (not totals or totals[-1][1] < acked):
            await asyncio.sleep(0.05)  # the last cloud updates may still be on their way
        out["server"] = room.proc.phase()
        out.update(_measure(records, totals))
        out["stored"] = _stored(server, round_)
        out["projector_total"] = totals[-1][1] if totals else 0
    out.update(peak_rss_mib=room.peak_rss_mib, server_tracebacks=room.server_tracebacks)
    out["analysis"] = text_analyse(out)
    return out


def _on_cloud(data: dict, poll_id: int, totals: list, swarm) -> None:
    if data.get("id") == poll_id:
        totals.append((time.perf_counter(), (data.get("results") or {}).get("total") or 0))
    else:
        asyncio.get_event_loop().create_task(swarm._on_tally(data))


async def _answer_all(swarm, poll_id: int) -> list:
    """Every online phone sends one answer, spread over one second: (sent, acked, ok, error) each."""
    phones = [p for p in swarm.phones if p.online()]
    random.shuffle(phones)
    records = []

    async def answer(phone, at: float) -> None:
        await asyncio.sleep(at)
        sent = time.perf_counter()
        try:
            ack = await phone.sio.call("answer", {"poll_id": poll_id, "text": random.choice(WORDS)}, namespace=NS,
                                       timeout=10)
        except Exception as exc:  # noqa: BLE001 - a timeout or a dropped socket is a failure to count
            ack = {"ok": False, "error": repr(exc)[:80]}
        records.append((sent, time.perf_counter(), bool(ack.get("ok")), ack.get("error")))

    await asyncio.gather(*(answer(p, i / len(phones)) for i, p in enumerate(phones)))
    return records


def _measure(records: list, totals: list) -> dict:
    ok = sorted((r for r in records if r[2]), key=lambda r: r[1])
    latencies, j = [], 0
    for rank, (sent, _acked, _ok, _err) in enumerate(ok, start=1):
        while j < len(totals) and totals[j][1] < rank:
            j += 1
        if j < len(totals):
            latencies.append(totals[j][0] - sent)
    errors = sorted({str(r[3]) for r in records if not r[2]})[:3]
    return {"sent": len(records), "acked": len(ok), "refused": len(records) - len(ok), "errors": errors,
            "ack": summary([r[1] - r[0] for r in ok]), "to_projector": summary(latencies),
            "unseen_on_projector": len(ok) - len(latencies), "cloud_updates": len(totals)}


def _stored(server: dict, round_: int) -> int:
    with sqlite3.connect(server["db"]) as conn:
        return conn.execute("SELECT count(DISTINCT participant_id) FROM text_answer WHERE poll_id = ? AND round = ?",
                            (server["text_poll_id"], round_)).fetchone()[0]


def text_analyse(out: dict) -> dict:
    """Integrity (acked = stored = the projector's last total) and the latency target."""
    intact = out["acked"] == out["stored"] == out["projector_total"]
    p99 = out["to_projector"].get("p99")
    return {"integrity_failures": [] if intact else [f"open text: acked {out['acked']}, stored {out['stored']}, "
                                                     f"projector {out['projector_total']}"],
            "targets": {"every acknowledged answer stored and counted": intact,
                        f"p99 answer-to-projector <= {TARGET_P99_MS} ms":
                            p99 is not None and p99 <= TARGET_P99_MS and out["unseen_on_projector"] == 0}}


def text_table(out: dict) -> str:
    """The phase's row and its targets, as Markdown."""
    ack, proj, srv = out["ack"], out["to_projector"], out["server"]
    lines = [f"{out['plan']['phones']} phones, one open-text answer each within a second.", "",
             "| sent | acked | refused | ack p50/p99 ms | to-projector p50/p95/p99 ms | cloud updates | stored | "
             "projector total | server CPU % |", "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
             f"| {out['sent']} | {out['acked']} | {out['refused']} | {ack.get('p50')} / {ack.get('p99')} | "
             f"{proj.get('p50')} / {proj.get('p95')} / {proj.get('p99')} | {out['cloud_updates']} | {out['stored']} | "
             f"{out['projector_total']} | {srv.get('cpu_percent')} |", "", "Targets:"]
    lines += [f"- [{'x' if ok else ' '}] {name}" for name, ok in out["analysis"]["targets"].items()]
    if out["errors"]:
        lines.append(f"Errors: {out['errors']}")
    return "\n".join(lines)
