"""The soak (issue 16): a room of phones joining, voting, asking, upvoting and reconnecting for minutes on end,
while the server's memory is sampled. `python -m bench.run --soak 600` (make bench-soak).

What the room does, all at once, for the whole soak:

- **rounds**: the control screen opens a new run of the poll every ``round_seconds``; phones vote at
  ``vote_rate``/s (a phone's k-th vote in a run picks answer k, so every acknowledged vote adds exactly 1
  to Q, as in the ladder); at the end of each run acks, the database and the projector's last tally must agree;
- **churn**: every second ``churn_per_second`` phones leave for good and as many new ones join (a new
  participant over HTTP, then a socket), and ``reconnects_per_second`` phones drop and rejoin with their token;
- **question wall**: ``askers`` phones hold a `/questions` socket too; one asks every ``ask_every`` seconds
  (each at most once a minute, under the app's 3 a minute), upvotes (toggles) go at ``upvotes_per_second``;
  now and then an asker's `/questions` socket reconnects.

Every ``sample_every`` seconds: the worker's VmRSS (/proc/<pid>/status), its CPU and the swarm's CPU since
the last sample, phones online. The verdict: RSS growth after the first minute < 10 %, zero errors (any
refused or failed event, join or reconnect, any server traceback), acks = store for votes, questions and
upvotes.
"""

import asyncio
import random
import time
from collections import Counter
from datetime import UTC, datetime

from . import rawsio
from .rawsio import RawClient
from .swarm import Phone, Swarm, new_key

SOAK = {"phones": 500, "vote_rate": 50, "round_seconds": 30, "churn_per_second": 1, "reconnects_per_second": 2,
        "askers": 100, "ask_every": 2.0, "upvotes_per_second": 2, "questions_reconnect_every": 5.0,
        "sample_every": 5.0, "warm_seconds": 60}
GROWTH_TARGET = 0.10


class Soak:
    """The room and its counters."""

    def __init__(self, swarm: Swarm, server: dict, proc, plan: dict, seconds: float):
        self.swarm, self.server, self.proc, self.plan, self.seconds = swarm, server, proc, plan, seconds
        self.errors = Counter()
        self.counts = Counter()
        self.askers: list[dict] = []  # {"phone", "sio", "last_ask", "mine": set of question ids}
        self.asked: set[int] = set()
        self.upvoted: dict[tuple[int, int], bool] = {}  # (asker index, question id) -> upvoted after the last ack
        self.rounds: list[dict] = []
        self.samples: list[dict] = []
        self.start = time.perf_counter()
        self.stopping = False

    def error(self, where: str, what) -> None:
        """Count one failure (the soak's target is none)."""
        self.errors[f"{where}: {str(what)[:90]}"] += 1

    def elapsed(self) -> float:
        """Seconds since the soak began."""
        return time.perf_counter() - self.start

    # --- the room ---------------------------------------------------------------------------

    async def join_one(self) -> None:
        """A new participant over HTTP, then its socket."""
        key = new_key()
        try:
            async with self.swarm.http.post(f"{self.swarm.url}/api/w/{self.swarm.code}/participants",
                                            json={"stance": None}) as response:
                body = await response.json()
            if not body.get("ok"):
                raise RuntimeError(body.get("error") or response.status)
            phone = Phone(self.swarm, body["token"], key)
            await asyncio.wait_for(phone.connect(), 30)
            self.swarm.phones.append(phone)
            self.counts["joined"] += 1
        except Exception as exc:  # counted: a join the room would notice
            self.error("join", repr(exc))

    def free_phone(self, exclude: set) -> Phone | None:
        """A random phone not voting, not reconnecting and not one of the askers; marked busy."""
        for _ in range(20):
            phone = random.choice(self.swarm.phones)
            if not phone.busy and id(phone) not in exclude and phone.online():
                phone.busy = True
                return phone
        return None

    async def leave(self, phone: Phone) -> None:
        """A phone goes home for good."""
        self.swarm.phones.remove(phone)
        await phone.sio.disconnect()
        self.counts["left"] += 1

    async def reconnect(self, phone: Phone) -> None:
        """A phone drops and rejoins with its token; its vote must still be in `state.my_vote`."""
        expected, round_ = (str(phone.k) if phone.k else None), self.swarm.round
        try:
            await asyncio.wait_for(phone.reconnect(), 30)
            self.counts["reconnected"] += 1
            same_run = round_ == self.swarm.round == ((phone.state or {}).get("poll") or {}).get("round")
            if same_run and phone.k < self.swarm.options and phone.state.get("my_vote") != expected:
                self.error("reconnect", f"my_vote {phone.state.get('my_vote')!r}, expected {expected!r}")
        except Exception as exc:  # counted
            self.error("reconnect", repr(exc))
        finally:
            phone.busy = False

    async def churn(self) -> None:
        """Every second: some phones leave, as many new ones join, some reconnect; dropped ones come back."""
        askers = {id(a["phone"]) for a in self.askers}
        while not self.stopping:
            tick = time.perf_counter()
            jobs = []
            for phone in [p for p in self.swarm.phones if not p.busy and not p.online()][:50]:
                self.error("dropped", "a phone's socket closed without it asking (it rejoins, as the page would)")
                phone.busy = True
                jobs.append(self.reconnect(phone))
            for _ in range(self.plan["churn_per_second"]):
                phone = self.free_phone(askers)
                if phone:
                    jobs += [self.leave(phone), self.join_one()]
            for _ in range(self.plan["reconnects_per_second"]):
                phone = self.free_phone(askers)
                if phone:
                    jobs.append(self.reconnect(phone))
            await asyncio.gather(*jobs)
            await asyncio.sleep(max(0.0, 1.0 - (time.perf_counter() - tick)))

    async def open_askers(self) -> None:
        """The first ``askers`` phones also open the question wall."""
        for phone in self.swarm.phones[: self.plan["askers"]]:
            asker = {"phone": phone, "sio": None, "last_ask": -1e9, "mine": set(), "busy": False}
            await self.connect_questions(asker)
            self.askers.append(asker)

    async def connect_questions(self, asker: dict) -> None:
        """(Re)open one asker's `/questions` socket."""
        if asker["sio"] is not None:
            await asker["sio"].disconnect()
        sio = RawClient(self.swarm.http)
        await sio.connect(self.swarm.url, auth={"code": self.swarm.code, "role": "phone", "token": asker["phone"].token},
                          transports=["websocket"], namespaces=["/questions"], wait_timeout=30)
        asker["sio"] = sio

    async def call(self, asker: dict, event: str, data: dict) -> dict:
        """One `/questions` event; a refusal or failure is an error."""
        asker["busy"] = True
        try:
            if not (asker["sio"].connected and "/questions" in asker["sio"].namespaces):
                self.error("dropped", "a question wall's socket closed without it asking (it rejoins, as the page would)")
                await asyncio.wait_for(self.connect_questions(asker), 30)
            ack = await asker["sio"].call(event, data, namespace="/questions", timeout=30)
        except Exception as exc:  # counted
            ack = {"ok": False, "error": repr(exc)}
        finally:
            asker["busy"] = False
        if not ack.get("ok"):
            self.error(event, ack.get("error"))
        return ack

    async def wall(self) -> None:
        """Questions and upvotes at a steady pace; now and then an asker's socket reconnects."""
        words = "budget access consent ethics timeline evidence funding risk trust data".split()
        next_ask = next_reconnect = time.perf_counter()
        while not self.stopping:
            now = time.perf_counter()
            jobs = []
            if now >= next_ask:
                next_ask += self.plan["ask_every"]
                ready = [a for a in self.askers if now - a["last_ask"] > 61 and not a["busy"]]
                if ready:
                    asker = random.choice(ready)
                    asker["last_ask"], asker["busy"] = now, True
                    jobs.append(self.ask(asker, f"Q{len(self.asked)}: who owns the {random.choice(words)} risk?"))
            per_tick = self.plan["upvotes_per_second"] / 4
            for _ in range(int(per_tick) + (random.random() < per_tick % 1)):
                asker = random.choice(self.askers)
                others = [q for q in self.asked if q not in asker["mine"]]
                if others and not asker["busy"]:
                    asker["busy"] = True
                    jobs.append(self.upvote(asker, random.choice(others)))
            if now >= next_reconnect:
                next_reconnect += self.plan["questions_reconnect_every"]
                asker = random.choice(self.askers)
                if not asker["busy"]:
                    asker["busy"] = True
                    jobs.append(self.reconnect_questions(asker))
            for job in jobs:  # each asker does one thing at a time, like a phone
                asyncio.ensure_future(job)
            await asyncio.sleep(0.25)
        while any(a["busy"] for a in self.askers):
            await asyncio.sleep(0.1)

    async def ask(self, asker: dict, text: str) -> None:
        """Ask; remember the id when acknowledged."""
        ack = await self.call(asker, "ask", {"text": text})
        if ack.get("ok"):
            self.asked.add(ack["question"]["id"])
            asker["mine"].add(ack["question"]["id"])

    async def upvote(self, asker: dict, question_id: int) -> None:
        """Toggle an upvote; remember the state the ack reports."""
        ack = await self.call(asker, "upvote", {"question_id": question_id})
        if ack.get("ok"):
            self.upvoted[(self.askers.index(asker), ack["question_id"])] = ack["upvoted"]

    async def reconnect_questions(self, asker: dict) -> None:
        """One asker's question wall reconnects."""
        asker["busy"] = True
        try:
            await asyncio.wait_for(self.connect_questions(asker), 30)
            self.counts["questions_reconnected"] += 1
        except Exception as exc:  # counted
            self.error("questions reconnect", repr(exc))
        finally:
            asker["busy"] = False

    # --- votes, rounds and integrity ------------------------------------------------------------

    async def open_round(self) -> None:
        """The control screen closes the last run and opens a new one; a dropped screen reconnects and retries."""
        for attempt in range(5):
            try:
                return await self._open_round()
            except Exception as exc:  # counted; the room goes on, as a facilitator would reload
                self.error("control", repr(exc))
                await asyncio.sleep(1 + attempt)
        raise RuntimeError("the control screen could not open a new run five times")

    async def _open_round(self) -> None:
        _opened, closed = await self.swarm.new_run()
        if closed is not None and not closed.get("ok"):
            self.error("poll_close", closed.get("error"))
        await asyncio.sleep(0.5)  # phones hear the poll_state

    async def run_rounds(self) -> None:
        """Runs of the poll back to back until the time is up; integrity checked after each."""
        from .run import database_votes, integrity

        while self.elapsed() < self.seconds - 5:
            await self.open_round()
            seconds = min(self.plan["round_seconds"], max(2.0, self.seconds - self.elapsed() - 2))
            result = await self.swarm.votes(self.plan["vote_rate"], seconds)
            result = integrity(result, database_votes(self.server, self.swarm.round))
            if result["refused"]:
                self.errors["vote: " + " | ".join(result["errors"])[:120]] += result["refused"]
            row = {"round": self.swarm.round, "at": round(self.elapsed(), 1), **{k: result[k] for k in (
                "sent", "acked", "refused", "timeouts", "acked_q", "stored_q", "projector_q", "intact",
                "achieved_rate")}, "ack_p99": result["ack"]["p99"], "to_projector_p99": result["to_projector"]["p99"]}
            self.rounds.append(row)

    # --- sampling -------------------------------------------------------------------------

    async def sample(self) -> None:
        """VmRSS and CPU of the worker, CPU of the swarm, phones online, every ``sample_every`` seconds."""
        from .flood import self_cpu

        cpu0, own0, wall0 = self.proc.cpu(), self_cpu(), time.perf_counter()
        while True:
            cpu, own, wall = self.proc.cpu(), self_cpu(), time.perf_counter()
            span = (wall - wall0) or 1
            self.samples.append({"t": round(self.elapsed(), 1), "rss_mib": self.proc.memory()["rss_mib"],
                                 "server_cpu_percent": round(100 * (cpu - cpu0) / span, 1),
                                 "swarm_cpu_percent": round(100 * (own - own0) / span, 1),
                                 "phones_online": self.swarm.online(), "questions": len(self.asked)})
            cpu0, own0, wall0 = cpu, own, wall
            if self.stopping:
                return
            await asyncio.sleep(self.plan["sample_every"])

    async def run(self) -> None:
        """Everything at once for ``seconds``."""
        sampler = asyncio.create_task(self.sample())
        background = [asyncio.create_task(self.churn()), asyncio.create_task(self.wall())]
        try:
            await self.run_rounds()
        except Exception as exc:  # the result is still written, with this as an error
            self.error("harness stopped early", repr(exc))
        finally:
            self.stopping = True
            await asyncio.gather(*background, return_exceptions=True)
            await sampler
        for task in background:
            if task.exception():
                self.error("harness", repr(task.exception()))


# --- analysis and the table ------------------------------------------------------------------

def memory_verdict(samples: list[dict], warm: float) -> dict:
    """RSS after the first minute: growth to the end and to the peak, and the trend (MiB per minute)."""
    after = [s for s in samples if s["t"] >= warm]
    if len(after) < 2:
        return {"error": "too short: fewer than two samples after the first minute"}
    base, end, peak = after[0]["rss_mib"], after[-1]["rss_mib"], max(s["rss_mib"] for s in after)
    ts, rs = [s["t"] / 60 for s in after], [s["rss_mib"] for s in after]
    mt, mr = sum(ts) / len(ts), sum(rs) / len(rs)
    slope = sum((t - mt) * (r - mr) for t, r in zip(ts, rs, strict=True)) / (sum((t - mt) ** 2 for t in ts) or 1)
    return {"at_first_minute_mib": base, "end_mib": end, "peak_mib": peak, "growth_to_end": round(end / base - 1, 4),
            "growth_to_peak": round(peak / base - 1, 4), "trend_mib_per_minute": round(slope, 2),
            "first_sample_mib": samples[0]["rss_mib"]}


def soak_analyse(result: dict) -> dict:
    """The three verdicts: memory, errors, integrity."""
    memory = result.get("memory") or {}
    rounds = result.get("rounds") or []
    votes_acked = sum(r["acked_q"] for r in rounds)
    votes_stored = sum(r["stored_q"] for r in rounds)
    stored = result.get("stored") or {}
    broken = [f"soak round {r['round']}" for r in rounds if r["intact"] is not True]
    if stored.get("questions") != result.get("questions_acked"):
        broken.append("soak: questions acked != stored")
    if stored.get("upvotes") != result.get("upvotes_standing"):
        broken.append("soak: upvotes standing after the acks != stored")
    errors = sum(result.get("errors", {}).values()) + result.get("server_tracebacks", 0)
    targets = {f"RSS growth after the first minute < {GROWTH_TARGET:.0%} (to the peak)":
               memory.get("growth_to_peak") is not None and memory["growth_to_peak"] < GROWTH_TARGET,
               "zero errors (refusals, failed joins or reconnects, server tracebacks)": errors == 0,
               "acknowledged votes = stored votes (every run)": votes_acked == votes_stored and not broken,
               "acknowledged questions = stored questions; upvotes as acked = stored": not broken}
    return {"votes_acked": votes_acked, "votes_stored": votes_stored, "error_count": errors, "targets": targets,
            "integrity_failures": broken}


def soak_table(result: dict) -> str:
    """Markdown summary of one soak."""
    plan, memory, a = result["plan"], result.get("memory") or {}, result["analysis"]
    samples = result.get("samples") or []
    cpu = lambda key: round(sum(s[key] for s in samples[1:]) / max(1, len(samples) - 1), 1)  # noqa: E731
    rounds = result.get("rounds") or []
    worst = max((r["to_projector_p99"] or 0 for r in rounds), default=None)
    lines = [f"{result['seconds_planned']:.0f} s soak: {plan['phones']} phones, votes at {plan['vote_rate']}/s in runs of "
             f"{plan['round_seconds']} s, {plan['churn_per_second']} phone/s leaving and as many joining, "
             f"{plan['reconnects_per_second']} reconnects/s, {plan['askers']} phones on the question wall asking every "
             f"{plan['ask_every']:.0f} s and upvoting {plan['upvotes_per_second']}/s.", "",
             "| RSS MiB: start, at 1 min, end, peak after 1 min | growth after 1 min: to end, to peak | trend MiB/min | "
             "server CPU % (mean) | swarm CPU % (mean) | errors | votes acked = stored | questions acked = stored | "
             "upvotes as acked = stored | worst run p99 to projector ms |",
             "|---|---|---:|---:|---:|---:|---|---|---|---:|"]
    stored = result.get("stored") or {}
    lines.append(f"| {memory.get('first_sample_mib')}, {memory.get('at_first_minute_mib')}, {memory.get('end_mib')}, "
                 f"{memory.get('peak_mib')} | {_pct(memory.get('growth_to_end'))}, {_pct(memory.get('growth_to_peak'))} | "
                 f"{memory.get('trend_mib_per_minute')} | {cpu('server_cpu_percent')} | {cpu('swarm_cpu_percent')} | "
                 f"{a['error_count']} | {a['votes_acked']} = {a['votes_stored']} | {result.get('questions_acked')} = "
                 f"{stored.get('questions')} | {result.get('upvotes_standing')} = {stored.get('upvotes')} | {worst} |")
    counts = result.get("counts") or {}
    lines += ["", f"Runs of the poll: {len(rounds)}; phones joined during the soak {counts.get('joined', 0)}, left "
              f"{counts.get('left', 0)}, reconnected {counts.get('reconnected', 0)}; question-wall reconnects "
              f"{counts.get('questions_reconnected', 0)}; server tracebacks {result.get('server_tracebacks')}; "
              f"code {result['code']['commit']}" + (" with uncommitted app changes" if result["code"]["dirty"] else "")]
    errors = {k: v for k, v in (result.get("errors") or {}).items() if v}
    if errors:
        lines.append("Errors: " + "; ".join(f"{n} x {k}" for k, v in errors.items() for n in [v]))
    lines += ["", "Targets:"] + [f"- [{'x' if ok else ' '}] {name}" for name, ok in a["targets"].items()]
    return "\n".join(lines)


def _pct(value) -> str:
    return "-" if value is None else f"{100 * value:+.1f} %"


# --- entry point -------------------------------------------------------------------------------

async def soak_async(seconds: float, log) -> dict:
    """Fresh app, the room joins, then the soak; the result dict."""
    from .run import code_version, database_questions, joined_room, machine, raise_fd_limit

    plan = dict(SOAK)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    result = {"started": stamp, "machine": machine(), "fd_limit": raise_fd_limit(), "plan": plan,
              "seconds_planned": seconds, "code": code_version()}
    async with joined_room("bench-soak-", plan["phones"]) as room:
        result["connect"] = room.connect
        log(f"soak: {plan['phones']} phones connected in {result['connect']['seconds']} s; "
            f"{seconds:.0f} s of joining, voting, asking, reconnecting")
        soak = Soak(room.swarm, room.server, room.proc, plan, seconds)
        await soak.open_askers()
        progress = asyncio.create_task(report_progress(soak, log))
        try:
            await soak.run()
        finally:
            progress.cancel()
        await asyncio.sleep(2)  # the last acks' effects are committed before counting
        result["stored"] = database_questions(room.server)
        result.update({"samples": soak.samples, "rounds": soak.rounds, "errors": dict(soak.errors),
                       "counts": dict(soak.counts), "questions_acked": len(soak.asked),
                       "upvotes_standing": sum(soak.upvoted.values())})
    result["memory"] = memory_verdict(result.get("samples") or [], plan["warm_seconds"])
    result.update(peak_rss_mib=room.peak_rss_mib, server_tracebacks=room.server_tracebacks,
                  server_log=room.server_log)
    return result


async def report_progress(soak: Soak, log) -> None:
    """A line a minute while the soak runs."""
    while True:
        await asyncio.sleep(60)
        last = soak.samples[-1] if soak.samples else {}
        log(f"  {soak.elapsed():.0f} s: RSS {last.get('rss_mib')} MiB, server CPU {last.get('server_cpu_percent')}%, "
            f"swarm {last.get('swarm_cpu_percent')}%, phones {last.get('phones_online')}, runs {len(soak.rounds)}, "
            f"questions {len(soak.asked)}, errors {sum(soak.errors.values())}")


def main(args) -> int:
    """`python -m bench.run --soak SECONDS`: run, save bench/results/<stamp>-soak.json, print; 1 when broken."""
    from .run import report

    log = lambda text: print(text, flush=True)  # noqa: E731
    started = time.perf_counter()
    result = rawsio.run(soak_async(args.soak, log))
    result["seconds"] = round(time.perf_counter() - started, 1)
    return report(result, args, "-soak", soak_analyse, soak_table,
                  lambda *_a: print("--docs: the soak figures in docs/performance.md are written by hand"))


