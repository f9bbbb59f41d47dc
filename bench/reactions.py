"""A reaction storm for the benchmark: many phones reacting about once a second while the room votes.

``await reaction_storm(base_url, code, phones=2000)`` joins ``phones`` phones (``POST /api/w/<code>/participants``,
then one raw Engine.IO websocket each, as bench/swarm.py's phones), has each send ``react`` (docs/realtime.md,
"Reactions") every ``1.1 / rate_per_phone`` seconds - just over the server's one-a-second limit, so a phone on
time is never refused - from a random start, for ``seconds`` or until ``stop`` is set, and returns what was sent,
acknowledged, refused and timed out, the ack latency and the storm's own CPU seconds (so a run can tell the
server's cost from the instrument's: pitfalls.md, "Measuring on a 2-core machine").

Kept cheap: frames are built as strings, acks are matched by id and read for ``"ok": true`` without decoding;
every other message (the connect ``state``, tallies) is dropped unread, except one phone's first ``state``,
decoded once for the workshop's reaction set. The workshop must have reactions on (the planner's switch or the
control screen's ``reactions_switch``).

Used by the lead's harness (``make bench``); on its own: ``python -m bench.reactions URL CODE [PHONES] [SECONDS]``.
"""

import asyncio
import json
import os
import random
import resource
import sys
import time

import aiohttp

NS = "/live"
DEFAULT_SET = ("clap", "heart", "laugh", "think", "wow")
ACK_TIMEOUT = 10.0
SLACK = 1.1  # a phone's period over the server's 1 s limit: network jitter never makes a tap too early


async def reaction_storm(
    base_url: str,
    code: str,
    phones: int = 2000,
    rate_per_phone: float = 1.0,
    seconds: float = 20.0,
    stop: asyncio.Event | None = None,
) -> dict:
    """Join ``phones`` phones and have each react about ``rate_per_phone`` times a second; the counts and CPU."""
    cpu0, thread0, wall0 = time.process_time(), _thread_cpu(), time.perf_counter()
    storm = _Storm(base_url.rstrip("/"), code)
    stop = stop or asyncio.Event()
    connector = aiohttp.TCPConnector(limit=0, force_close=False)
    async with aiohttp.ClientSession(connector=connector) as http:
        storm.http = http
        joined = await storm.join(phones)
        started = time.perf_counter()
        period = SLACK / max(rate_per_phone, 0.01)
        deadline = started + seconds
        await asyncio.gather(*(p.run(period, deadline, stop) for p in storm.phones))
        ran = time.perf_counter() - started
        await storm.settle()
        dropped = sum(1 for p in storm.phones if p.closed)  # sockets the server closed during the storm
        await storm.close()
    latencies = sorted(storm.latencies)
    return {
        "phones": len(storm.phones),
        "join_failures": joined["failures"],
        "join_errors": joined["errors"],
        "join_seconds": joined["seconds"],
        "seconds": round(ran, 2),
        "sent": storm.sent,
        "acked": storm.acked,
        "errors": storm.errors,
        "limited": storm.limited,
        "timeouts": storm.timeouts,
        "disconnected": dropped,
        "acked_per_second": round(storm.acked / ran, 1) if ran else None,
        "ack_ms": {"p50": _pct(latencies, 50), "p99": _pct(latencies, 99), "max": _pct(latencies, 100)},
        "error_samples": storm.samples,
        "cpu_seconds": round(time.process_time() - cpu0, 2),  # the whole process (the harness too, if it shares it)
        "thread_cpu_seconds": round(_thread_cpu() - thread0, 2),  # this event loop's thread only
        "wall_seconds": round(time.perf_counter() - wall0, 2),
    }


def _thread_cpu() -> float:
    usage = resource.getrusage(getattr(resource, "RUSAGE_THREAD", resource.RUSAGE_SELF))
    return usage.ru_utime + usage.ru_stime


def _pct(values: list[float], p: float) -> float | None:
    if not values:
        return None
    return round(1000 * values[min(len(values) - 1, int(len(values) * p / 100))], 1)


class _Storm:
    """The phones and the counts they share."""

    def __init__(self, url: str, code: str):
        self.url, self.code, self.http = url, code, None
        self.phones: list[_Phone] = []
        self.reactions: tuple[str, ...] = DEFAULT_SET
        self.sent = self.acked = self.errors = self.limited = self.timeouts = 0
        self.latencies: list[float] = []
        self.samples: list[str] = []

    async def join(self, n: int, concurrency: int = 100) -> dict:
        """A token each over HTTP, then a websocket each (``concurrency`` at a time)."""
        gate, failures = asyncio.Semaphore(concurrency), []
        start = time.perf_counter()

        async def one(index: int):
            async with gate:
                try:
                    key = os.urandom(6).hex()  # one simulated address (X-Sticky: the cluster's nginx hashes on it)
                    async with self.http.post(
                        f"{self.url}/api/w/{self.code}/participants", json={"stance": None}, headers={"X-Sticky": key}
                    ) as response:
                        token = (await response.json())["token"]
                    phone = _Phone(self, token, key, learn=index == 0)
                    await asyncio.wait_for(phone.connect(), 60)
                    self.phones.append(phone)
                except Exception as exc:  # counted and reported, the storm goes on
                    failures.append(repr(exc)[:120])

        await asyncio.gather(*(one(i) for i in range(n)))
        return {"failures": len(failures), "errors": failures[:3], "seconds": round(time.perf_counter() - start, 2)}

    def answered(self, phone: "_Phone", sent_at: float, body: str) -> None:
        """One ack: ok, or refused (the one-a-second limit counted apart)."""
        if '"ok": true' in body or '"ok":true' in body:
            self.acked += 1
            self.latencies.append(time.perf_counter() - sent_at)
            return
        self.errors += 1
        if "One reaction a second" in body:
            self.limited += 1
        elif len(self.samples) < 5:
            self.samples.append(body[:160])

    async def settle(self, wait: float = ACK_TIMEOUT) -> None:
        """Wait for the acks still on their way; what never comes counts as a timeout."""
        end = time.perf_counter() + wait
        while any(p.pending for p in self.phones) and time.perf_counter() < end:
            await asyncio.sleep(0.1)
        for phone in self.phones:
            self.timeouts += len(phone.pending)
            phone.pending.clear()

    async def close(self) -> None:
        await asyncio.gather(*(p.close() for p in self.phones), return_exceptions=True)


class _Phone:
    """One raw websocket on /live: ``40/live,{auth}``, then ``42/live,<id>["react",{...}]``, acks ``43/live,<id>[...]``."""

    def __init__(self, storm: _Storm, token: str, key: str, learn: bool = False):
        self.storm, self.token, self.key, self.learn = storm, token, key, learn
        self.ws = None
        self.reader = None
        self.ids = 0
        self.pending: dict[int, float] = {}
        self.closed = False
        self.joined: asyncio.Future | None = None

    async def connect(self) -> None:
        url = self.storm.url.replace("http", "ws", 1) + "/socket.io/?EIO=4&transport=websocket"
        self.ws = await self.storm.http.ws_connect(
            url, headers={"X-Sticky": self.key}, autoping=True, max_msg_size=0, compress=0
        )
        self.joined = asyncio.get_running_loop().create_future()
        self.reader = asyncio.create_task(self._read())
        auth = json.dumps({"code": self.storm.code, "role": "phone", "token": self.token}, separators=(",", ":"))
        await self.ws.send_str(f"40{NS},{auth}")
        await self.joined

    async def _read(self) -> None:
        prefix_ack, prefix_event = f"43{NS},", f"42{NS},"
        try:
            async for message in self.ws:
                if message.type != aiohttp.WSMsgType.TEXT:
                    continue
                data = message.data
                if data == "2":  # Engine.IO ping: answer or the server lets the socket go
                    await self.ws.send_str("3")
                elif data.startswith(prefix_ack):
                    self._ack(data[len(prefix_ack) :])
                elif data.startswith(prefix_event):
                    if self.learn and data.startswith(f'{prefix_event}["state"'):
                        self._learn(data[len(prefix_event) :])  # the server may send state before CONNECT's answer
                elif data.startswith(f"40{NS},") and not self.joined.done():
                    self.joined.set_result(True)
                elif data.startswith(f"44{NS},") and not self.joined.done():
                    self.joined.set_exception(ConnectionRefusedError(data[:160]))
        except Exception:  # a dropped socket: counted as disconnected, its pending acks as timeouts
            pass
        finally:
            self.closed = True
            if self.joined and not self.joined.done():
                self.joined.set_exception(ConnectionError("closed before the namespace connected"))

    def _ack(self, rest: str) -> None:
        cut = rest.find("[")
        if cut <= 0 or not rest[:cut].isdigit():
            return
        sent_at = self.pending.pop(int(rest[:cut]), None)
        if sent_at is not None:
            self.storm.answered(self, sent_at, rest[cut:])

    def _learn(self, frame: str) -> None:
        self.learn = False
        try:
            offered = json.loads(frame)[1].get("reactions") or {}
            keys = tuple(r["key"] for r in offered.get("set") or ())
            if keys:
                self.storm.reactions = keys
        except (ValueError, LookupError, AttributeError, TypeError):
            pass

    async def run(self, period: float, deadline: float, stop: asyncio.Event) -> None:
        """React every ``period`` seconds from a random start until the deadline or ``stop``."""
        await asyncio.sleep(random.random() * period)  # spread the room over the period
        turn = random.randrange(len(DEFAULT_SET))
        next_at = time.perf_counter()
        while not stop.is_set() and not self.closed and time.perf_counter() < deadline:
            reactions = self.storm.reactions
            self.ids += 1
            frame = f'42{NS},{self.ids}["react",{{"reaction":"{reactions[turn % len(reactions)]}"}}]'
            turn += 1
            self.pending[self.ids] = time.perf_counter()
            try:
                await self.ws.send_str(frame)
            except Exception:  # the socket went: its pending tap times out
                break
            self.storm.sent += 1
            next_at += period
            delay = next_at - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)  # ``stop`` is seen within a period: no task per tap to wait on it
            else:
                next_at = time.perf_counter()  # behind (a slow loop): never burst to catch up

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        if self.reader is not None:
            self.reader.cancel()


if __name__ == "__main__":
    url, room = sys.argv[1], sys.argv[2]
    count = int(sys.argv[3]) if len(sys.argv) > 3 else 200
    length = float(sys.argv[4]) if len(sys.argv) > 4 else 10.0
    print(json.dumps(asyncio.run(reaction_storm(url, room, phones=count, seconds=length)), indent=2))
