"""A bounded asyncio swarm of simulated phones against one server (the app or the bare baseline).

Every phone is a RawClient (bench/rawsio.py): Socket.IO frames over an aiohttp websocket, docs/realtime.md.
A vote's answer is its ordinal in the run (a phone's k-th vote picks answer "k"), so each accepted vote,
first or changed, adds exactly 1 to Q = sum(k * count_k): the projector's tally shows Q, the database
holds Q, and the acks count Q. A vote ranked r-th by acknowledgement is on the projector in the first
tally with Q >= r: that tally's arrival minus the vote's send time is its vote-to-projector latency.
"""

import asyncio
import bisect
import gc
import os
import random
import re
import time

import aiohttp

from .rawsio import RawClient

NS = "/live"
VERDICTS = ("snog", "marry", "avoid")
VOTE_TIMEOUT = 10  # seconds without an ack: reported as a timeout
PROJECTOR_WAIT = 20  # seconds the projector may take to catch up with the acks before the phase is judged


def pct(values: list[float], p: float) -> float | None:
    """The p-th percentile (nearest rank) in milliseconds, None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, max(0, int(round(p / 100 * len(ordered))) - 1))] * 1000, 1)


def summary(values: list[float]) -> dict:
    """p50/p95/p99/max in ms."""
    return {"n": len(values), "p50": pct(values, 50), "p95": pct(values, 95), "p99": pct(values, 99),
            "max": pct(values, 100)}


class Phone:
    """One simulated phone: a token, a socket, its votes in the current run."""

    def __init__(self, swarm: "Swarm", token: str, key: str = ""):
        self.swarm, self.token, self.key = swarm, token, key  # key: its X-Sticky value (its "address")
        self.sio = self._client()
        self.state_at = None
        self.state = None
        self.opened: dict[tuple, float] = {}  # (poll id, round) -> when poll_state(open) arrived
        self.k = 0  # votes accepted in this run
        self.choice: str | None = None  # its last acknowledged answer in this run
        self.busy = False

    def _client(self) -> RawClient:
        sio = RawClient(self.swarm.http)
        sio.on("state", self._on_state, namespace=NS)
        sio.on("poll_state", self._on_poll_state, namespace=NS)
        return sio

    async def _on_state(self, data):
        self.state, self.state_at = data, time.perf_counter()
        self.swarm.arrived.set()

    async def _on_poll_state(self, data):
        if data.get("state") == "open":
            self.opened.setdefault((data.get("id"), data.get("round")), time.perf_counter())
            self.swarm.arrived.set()

    async def connect(self) -> float:
        """Connect and wait for the state message; seconds taken."""
        start, self.state_at = time.perf_counter(), None
        await self.sio.connect(self.swarm.url, headers=self.swarm.sticky(self.key),
                               auth={"code": self.swarm.code, "role": "phone", "token": self.token},
                               transports=["websocket"], namespaces=[NS], wait_timeout=60)
        while self.state_at is None:
            await asyncio.sleep(0.01)
        return self.state_at - start

    def online(self) -> bool:
        """Still connected to /live (a starved server or swarm can miss pings and drop sockets)."""
        return self.sio.connected and NS in self.sio.namespaces

    async def reconnect(self) -> float:
        """Drop the socket and join again with the same token."""
        await self.sio.disconnect()
        self.sio = self._client()
        return await self.connect()


class Swarm:
    """The phones, one projector and one control socket against one server."""

    def __init__(self, url: str, code: str, poll_id: int, cookie: str | None = None, spread: bool = False,
                 stances: list | None = None):
        self.url, self.code, self.poll_id, self.cookie = url, code, poll_id, cookie
        self.kind = "choice"  # the ladder's poll; "verdict" for the live-results scenario (use_poll)
        self.stances = stances or [None]  # phones join with these in turn: a room of mixed stances
        # Behind nginx with STICKY=header every client on 127.0.0.1 would hash to one process unless each
        # sends its own X-Sticky value, like phones with their own addresses (scripts/cluster.sh).
        self.spread = spread
        self.keys = {"projector": new_key(), "control": new_key()}
        self.http = None
        self.phones: list[Phone] = []
        self.tallies: list[tuple] = []  # (arrival, poll id, round, Q, server read time, counts)
        self.round = 0
        self.arrived = asyncio.Event()
        self.cursor = 0
        self.timeouts = 0
        self.reconnected = 0  # projector/control sockets that had dropped and were reopened
        self.options = 48  # answers in the benchmark poll (bench/seed.py)

    async def start(self) -> None:
        """Open the shared HTTP session, the projector and the control socket."""
        self.http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0, force_close=False))
        self.projector = RawClient(self.http)
        self.projector.on("poll_tally", self._on_tally, namespace=NS)
        await self.projector.connect(self.url, headers=self.sticky(self.keys["projector"]),
                                     auth={"code": self.code, "role": "projector"},
                                     transports=["websocket"], namespaces=[NS], wait_timeout=30)
        self.control = RawClient(self.http)
        headers = {"Cookie": self.cookie} if self.cookie else {}
        headers.update(self.sticky(self.keys["control"]))
        await self.control.connect(self.url, headers=headers, auth={"code": self.code, "role": "control"},
                                   transports=["websocket"], namespaces=[NS], wait_timeout=30)

    def sticky(self, key: str) -> dict:
        """The X-Sticky header for one client (none unless the swarm spreads over processes)."""
        return {"X-Sticky": key} if self.spread else {}

    async def stop(self) -> None:
        """Close every socket."""
        clients = [p.sio for p in self.phones] + [self.projector, self.control]
        await asyncio.gather(*(c.disconnect() for c in clients), return_exceptions=True)
        await self.http.close()

    async def _on_tally(self, data):
        counts = (data.get("results") or {}).get("counts") or {}
        q = sum(int(k) * n for k, n in counts.items()) if self.kind == "choice" else None
        self.tallies.append((time.perf_counter(), data.get("id"), data.get("round"), q, data.get("at"), counts))

    def use_poll(self, poll_id: int, kind: str) -> None:
        """Vote on another poll from the next run on (the verdict poll of the live-results scenario)."""
        self.poll_id, self.kind, self.round = poll_id, kind, 0

    # --- phases -------------------------------------------------------------------------

    async def join(self, n: int, concurrency: int = 100) -> dict:
        """Grow the room to n phones: a token each over HTTP, then a socket each; rate and failures."""
        gate, failures, times = asyncio.Semaphore(concurrency), [], []
        new = n - len(self.phones)
        stances = iter([self.stances[i % len(self.stances)] for i in range(len(self.phones), n)])

        async def one():
            async with gate:
                try:
                    key, stance = new_key(), next(stances)
                    async with self.http.post(f"{self.url}/api/w/{self.code}/participants", json={"stance": stance},
                                              headers=self.sticky(key)) as response:
                        token = (await response.json())["token"]
                    phone = Phone(self, token, key)
                    times.append(await asyncio.wait_for(phone.connect(), 60))
                    self.phones.append(phone)
                except Exception as exc:  # counted and reported, the run goes on
                    failures.append(repr(exc)[:120])

        start = time.perf_counter()
        await asyncio.gather(*(one() for _ in range(new)))
        elapsed = time.perf_counter() - start
        # The harness is the measuring instrument: its own collector pauses would show as server latency.
        gc.freeze()
        gc.set_threshold(100_000, 50, 100)
        return {"phones": len(self.phones), "new": new, "failures": len(failures), "errors": failures[:3],
                "seconds": round(elapsed, 2), "per_second": round(new / elapsed, 1) if elapsed else None,
                "join": summary(times)}

    async def _ensure(self, name: str, role: str) -> None:
        client = getattr(self, name)
        if client.connected and NS in client.namespaces:
            return
        await client.disconnect()
        fresh = RawClient(self.http)
        if role == "projector":
            fresh.on("poll_tally", self._on_tally, namespace=NS)
        headers = {"Cookie": self.cookie} if self.cookie and role == "control" else {}
        headers.update(self.sticky(self.keys[role]))
        await fresh.connect(self.url, headers=headers, auth={"code": self.code, "role": role},
                            transports=["websocket"], namespaces=[NS], wait_timeout=30)
        setattr(self, name, fresh)
        self.reconnected += 1

    def online(self) -> int:
        """Phones still connected."""
        return sum(1 for p in self.phones if p.online())

    async def new_run(self) -> tuple[float, dict | None]:
        """The control screen closes the current run and opens the next: (when it opened, the close's ack)."""
        await self._ensure("control", "control")
        await self._ensure("projector", "projector")
        closed = None
        if self.round:  # a closed poll re-opens as a new round; opening another poll closes this one
            closed = await self.control.call("poll_close", {"poll_id": self.poll_id}, namespace=NS, timeout=30)
        start = time.perf_counter()
        ack = await self.control.call("poll_open", {"poll_id": self.poll_id}, namespace=NS, timeout=30)
        if not ack.get("ok"):
            raise RuntimeError(f"poll_open refused: {ack}")
        self.round = ack["poll"]["round"]
        for phone in self.phones:
            phone.k, phone.choice = 0, None
        return start, closed

    async def open_poll(self, timeout: float = 15) -> dict:
        """Close and (re)open the poll: a new run. Time until every (connected) phone has it."""
        phones = [p for p in self.phones if p.online()]
        start, _closed = await self.new_run()
        deadline = start + timeout
        run = (self.poll_id, self.round)
        while time.perf_counter() < deadline and not all(run in p.opened for p in phones):
            self.arrived.clear()
            try:
                await asyncio.wait_for(self.arrived.wait(), 0.2)
            except TimeoutError:
                pass
        got = [p.opened[run] - start for p in phones if run in p.opened]
        return {"round": self.round, "phones": len(self.phones), "connected": len(phones), "reached": len(got),
                "latency": summary(got)}

    def _pick(self) -> Phone | None:
        for _ in range(len(self.phones)):
            phone = self.phones[self.cursor % len(self.phones)]
            self.cursor += 1
            if not phone.busy and (phone.k + 1 < self.options or self.kind == "verdict") and phone.online():
                phone.busy = True  # now, not when its task first runs: the loop may lap the room before that
                return phone
        return None

    async def _vote(self, phone: Phone, records: list) -> None:
        phone.busy = True  # one vote in flight per phone, so its answers arrive in order
        # Choice poll: the k-th vote picks answer k (Q grows by 1 a vote). Verdict poll: every vote a change.
        choice = str(phone.k + 1) if self.kind == "choice" else VERDICTS[(phone.k + id(phone)) % 3]
        sent = time.perf_counter()
        try:
            ack = await phone.sio.call("vote", {"poll_id": self.poll_id, "choice": choice}, namespace=NS,
                                       timeout=VOTE_TIMEOUT)
        except TimeoutError:  # no ack in time: the vote may still land, so the phone stops this run
            ack = {"ok": False, "error": "no ack within 10 s", "timeout": True}
            phone.k = self.options
        except Exception as exc:  # the phone's socket dropped (e.g. missed pings while the CPU was starved): never sent
            ack = {"ok": False, "error": f"not sent: {exc!r}"[:80]}
            phone.k = self.options
        acked = time.perf_counter()
        if ack.get("ok"):
            phone.k, phone.choice = phone.k + 1, choice
        records.append((sent, acked, bool(ack.get("ok")), ack.get("error"), time.time()))
        self.timeouts += bool(ack.get("timeout"))
        phone.busy = False

    async def votes(self, rate: float, seconds: float) -> dict:
        """Open-loop votes at ``rate``/s for ``seconds`` (a phone votes again only once its last vote is acked)."""
        records, tasks, skipped, self.timeouts = [], [], 0, 0
        total = int(rate * seconds)
        start = time.perf_counter() + 0.02
        for i in range(total):
            delay = start + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            phone = self._pick()
            if phone is None:
                skipped += 1
                continue
            tasks.append(asyncio.create_task(self._vote(phone, records)))
        sent_for = time.perf_counter() - start
        await asyncio.gather(*tasks)
        return await self._measure(records, total, skipped, sent_for)

    async def burst(self) -> dict:
        """Every phone votes once, spread over one second."""
        records, self.timeouts = [], 0
        phones = [p for p in self.phones if p.online()]
        random.shuffle(phones)
        start = time.perf_counter()

        async def later(phone, at):
            await asyncio.sleep(at)
            await self._vote(phone, records)

        await asyncio.gather(*(later(p, i / len(phones)) for i, p in enumerate(phones)))
        return await self._measure(records, len(phones), 0, time.perf_counter() - start)

    async def _measure(self, records: list, planned: int, skipped: int, sent_for: float) -> dict:
        if self.kind == "verdict":
            return await self._measure_verdict(records, planned, skipped, sent_for)
        ok = sorted((r for r in records if r[2]), key=lambda r: r[1])
        acked = len(ok)
        deadline = time.perf_counter() + PROJECTOR_WAIT
        while time.perf_counter() < deadline and self._projector_q() < acked:
            await asyncio.sleep(0.05)
        mine = [(t[0], t[3]) for t in self._run_tallies()]
        to_projector, unseen, j = [], 0, 0
        for rank, (sent, _acked, _ok, _err, _wall) in enumerate(ok, start=1):
            while j < len(mine) and mine[j][1] < rank:
                j += 1
            if j == len(mine):
                unseen += 1
            else:
                to_projector.append(mine[j][0] - sent)
        errors = [r[3] for r in records if not r[2]]
        t0 = min((r[0] for r in records), default=0.0)
        worst = {}  # second of the phase -> its slowest ack: shows when a stall happened, not only that it did
        for sent, acked_at, *_rest in ok:
            second = int(sent - t0)
            worst[second] = max(worst.get(second, 0.0), acked_at - sent)
        return {"ack_worst_ms_by_second": [round(1000 * worst.get(s, 0.0)) for s in range(max(worst, default=-1) + 1)],
                "planned": planned, "sent": len(records), "skipped_busy": skipped, "acked": acked,
                "refused": len(errors), "timeouts": self.timeouts, "errors": sorted(set(map(str, errors)))[:3],
                "send_seconds": round(sent_for, 2), "achieved_rate": round(len(records) / sent_for, 1) if sent_for else None,
                "ack": summary([r[1] - r[0] for r in ok]), "to_projector": summary(to_projector),
                "unseen_on_projector": unseen, "projector_q": self._projector_q(), "acked_q": acked}

    def _run_tallies(self) -> list[tuple]:
        return [t for t in self.tallies if t[1] == self.poll_id and t[2] == self.round]

    def _projector_q(self) -> int:
        qs = [t[3] for t in self._run_tallies()]
        return qs[-1] if qs else 0

    def expected_counts(self) -> dict:
        """What the room's acknowledged votes add up to: each phone's last acknowledged answer."""
        counts = dict.fromkeys(VERDICTS, 0)
        for phone in self.phones:
            if phone.choice is not None:
                counts[phone.choice] += 1
        return counts

    async def _measure_verdict(self, records: list, planned: int, skipped: int, sent_for: float) -> dict:
        """Vote-to-projector on a poll where votes change answers: each tally carries ``at``, when the server
        read the votes it counts, and the server acks only after commit, so the first projector tally read at
        or after a vote's ack arrived holds it (on one machine, one clock; an upper bound by at most one tick).
        The last votes of a phase may be in a tally read before their ack arrived: for them, the first tally
        showing the final counts. Integrity: the final projector counts equal the acknowledged answers."""
        expected = self.expected_counts()
        deadline = time.perf_counter() + PROJECTOR_WAIT
        while time.perf_counter() < deadline and self._projector_counts() != expected:
            await asyncio.sleep(0.05)
        mine = self._run_tallies()
        final = next((t[0] for t in mine if t[5] == expected), None)
        ok = [r for r in records if r[2]]
        reads = [t[4] for t in mine]
        to_projector, unseen = [], 0
        for sent, _acked, _ok, _err, wall in ok:
            j = bisect.bisect_left(reads, wall)
            seen = mine[j][0] if j < len(mine) else final
            if seen is None:
                unseen += 1
            else:
                to_projector.append(max(0.0, seen - sent))
        errors = [r[3] for r in records if not r[2]]
        return {"planned": planned, "sent": len(records), "skipped_busy": skipped, "acked": len(ok),
                "refused": len(errors), "timeouts": self.timeouts, "errors": sorted(set(map(str, errors)))[:3],
                "send_seconds": round(sent_for, 2), "achieved_rate": round(len(records) / sent_for, 1) if sent_for else None,
                "ack": summary([r[1] - r[0] for r in ok]), "to_projector": summary(to_projector),
                "unseen_on_projector": unseen, "expected_counts": expected, "projector_counts": self._projector_counts(),
                "projector_q": None, "acked_q": None}

    def _projector_counts(self) -> dict | None:
        mine = self._run_tallies()
        return mine[-1][5] if mine else None

    async def storm(self, fraction: float = 0.25) -> dict:
        """A quarter of the phones drop and rejoin at once; their state must still hold their vote."""
        phones = random.sample(self.phones, max(1, int(len(self.phones) * fraction)))
        # A phone whose last vote timed out cannot know what the server kept: not checked.
        expected = {id(p): p.choice for p in phones if p.k < self.options or self.kind == "verdict"}
        start = time.perf_counter()
        results = await asyncio.gather(*(asyncio.wait_for(p.reconnect(), 60) for p in phones), return_exceptions=True)
        elapsed = time.perf_counter() - start
        times = [r for r in results if isinstance(r, float)]
        wrong = sum(1 for p in phones if id(p) in expected and p.state and p.state.get("my_vote") != expected[id(p)])
        return {"phones": len(phones), "failures": len(phones) - len(times), "seconds": round(elapsed, 2),
                "rejoin": summary(times), "wrong_my_vote": wrong, "unchecked_after_timeout": len(phones) - len(expected)}

    async def questions(self, askers: int, upvotes_each: int = 5) -> dict:
        """A question wall: ``askers`` phones open /questions, ask one question each, then upvote others."""
        clients = []
        for phone in self.phones[:askers]:
            sio = RawClient(self.http)
            await sio.connect(self.url, headers=self.sticky(phone.key),
                              auth={"code": self.code, "role": "phone", "token": phone.token},
                              transports=["websocket"], namespaces=["/questions"], wait_timeout=30)
            clients.append(sio)
        asks, ups, errors = [], [], []

        async def call(sio, event, data, at, into):
            await asyncio.sleep(at)
            sent = time.perf_counter()
            try:
                ack = await sio.call(event, data, namespace="/questions", timeout=30)
            except Exception as exc:  # a timeout is a refusal the room would notice: counted
                ack = {"ok": False, "error": repr(exc)[:80]}
            (into.append(time.perf_counter() - sent) if ack.get("ok") else errors.append(ack.get("error")))
            return ack

        words = "budget access consent ethics timeline evidence funding risk trust data".split()
        acks = await asyncio.gather(*(call(s, "ask", {"text": f"Q{i}: how do we handle {random.choice(words)} "
                                                                f"for group {i}?"}, i / len(clients), asks)
                                      for i, s in enumerate(clients)))
        ids = [a["question"]["id"] for a in acks if a.get("ok")]
        plans = []
        for i, sio in enumerate(clients):
            others = [q for j, q in enumerate(ids) if j != i]
            for n, qid in enumerate(random.sample(others, min(upvotes_each, len(others)))):
                plans.append(call(sio, "upvote", {"question_id": qid}, (n + random.random()) / 2, ups))
        await asyncio.gather(*plans)
        await asyncio.gather(*(c.disconnect() for c in clients), return_exceptions=True)
        return {"askers": len(clients), "asked": len(asks), "upvoted": len(ups), "refused": len(errors),
                "errors": sorted(set(map(str, errors)))[:3], "ask_ack": summary(asks), "upvote_ack": summary(ups)}


def new_key() -> str:
    """A random X-Sticky value: one simulated client address."""
    return os.urandom(6).hex()


async def login_cookie(url: str, email: str, password: str) -> str:
    """Sign the facilitator in over HTTP; the session cookie for the control socket."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:  # 127.0.0.1 cookies
        async with http.get(f"{url}/login") as response:
            page = await response.text()
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        form = {"csrf_token": token, "email": email, "password": password}
        async with http.post(f"{url}/login", data=form, allow_redirects=False) as response:
            if response.status != 302:
                raise RuntimeError(f"login failed: {response.status}")
        return "; ".join(f"{c.key}={c.value}" for c in http.cookie_jar)
