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
import re
import resource
import sys
import time

import aiohttp

NS = "/live"
DEFAULT_SET = ("clap", "heart", "laugh", "think", "wow")
ACK_TIMEOUT = 10.0
PACE = re.compile(r'"pace_ms": ?(\d+)')
SLACK = 1.1  # a phone's period over the server's 1 s limit: network jitter never makes a tap too early


async def reaction_storm(
    base_url: str,
    code: str,
    phones: int = 2000,
    rate_per_phone: float = 1.0,
    seconds: float = 20.0,
    stop: asyncio.Event | None = None,
    go=None,
) -> dict:
    """Join ``phones`` phones and have each react about ``rate_per_phone`` times a second; the counts and CPU.

    ``go``, when given, is awaited between joining and reacting (the harness measures the silent room first).
    """
    cpu0, thread0, wall0 = time.process_time(), _thread_cpu(), time.perf_counter()
    storm = _Storm(base_url.rstrip("/"), code)
    stop = stop or asyncio.Event()
    connector = aiohttp.TCPConnector(limit=0, force_close=False)
    async with aiohttp.ClientSession(connector=connector) as http:
        storm.http = http
        joined = await storm.join(phones)
        if go is not None:
            await go(joined)
        started = time.perf_counter()
        period = SLACK / max(rate_per_phone, 0.01)
        deadline = started + seconds
        await asyncio.gather(*(p.run(period, deadline, stop) for p in storm.phones))
        ran = time.perf_counter() - started
        await storm.settle()
        dropped = sum(1 for p in storm.phones if p.closed)  # sockets the server closed during the storm
        await storm.close()
    latencies, taps = sorted(storm.latencies), sorted(storm.tap_latencies)
    return {
        "phones": len(storm.phones),
        "join_failures": joined["failures"],
        "join_errors": joined["errors"],
        "join_seconds": joined["seconds"],
        "seconds": round(ran, 2),
        "sent": storm.sent - storm.unsent,
        "messages": storm.messages,
        "taps_per_message": round((storm.sent - storm.unsent) / storm.messages, 2) if storm.messages else None,
        "paces_ms": sorted({int(1000 * p.pace) for p in storm.phones}),
        "acked": storm.acked,
        "errors": storm.errors,
        "limited": storm.limited,
        "timeouts": storm.timeouts,
        "disconnected": dropped,
        "acked_per_second": round(storm.acked / ran, 1) if ran else None,
        "ack_ms": {"p50": _pct(latencies, 50), "p99": _pct(latencies, 99), "max": _pct(latencies, 100)},
        "tap_to_ack_ms": {"p50": _pct(taps, 50), "p99": _pct(taps, 99), "max": _pct(taps, 100)},
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
        self.sent = self.messages = self.acked = self.errors = self.limited = self.timeouts = 0
        self.latencies: list[float] = []  # per message: sent to acknowledged
        self.tap_latencies: list[float] = []  # per tap: tapped (gathered for the pace) to acknowledged
        self.samples: list[str] = []
        self.unsent = 0

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

    def answered(self, sent_at: float, keys: list, body: str) -> None:
        """One message's ack: its taps counted, or refused (the one-a-second limit counted apart)."""
        now = time.perf_counter()
        if '"ok": true' in body or '"ok":true' in body:
            self.acked += len(keys)
            self.latencies.append(now - sent_at)
            self.tap_latencies.extend(now - tapped for _, tapped in keys)
            return
        self.errors += len(keys)
        if "One reaction a second" in body:
            self.limited += 1
        elif len(self.samples) < 5:
            self.samples.append(body[:160])

    async def settle(self, wait: float = ACK_TIMEOUT) -> None:
        """Wait for the acks still on their way; what never comes counts as a timeout."""
        end = time.perf_counter() + wait
        while any(p.in_flight for p in self.phones) and time.perf_counter() < end:
            await asyncio.sleep(0.1)
        for phone in self.phones:
            self.timeouts += len(phone.in_flight[2]) if phone.in_flight else 0
            self.unsent += len(phone.gathered)  # tapped after the end, still gathering: never sent, not counted
            phone.in_flight, phone.gathered = None, []

    async def close(self) -> None:
        await asyncio.gather(*(p.close() for p in self.phones), return_exceptions=True)


class _Phone:
    """One raw websocket on /live: ``40/live,{auth}``, then ``42/live,<id>["react",{...}]``, acks ``43/live,<id>[...]``."""

    def __init__(self, storm: _Storm, token: str, key: str, learn: bool = False):
        self.storm, self.token, self.key, self.learn = storm, token, key, learn
        self.ws = None
        self.reader = None
        self.ids = 0
        self.gathered: list[tuple[str, float]] = []  # (reaction, tapped at) not sent yet
        self.in_flight: tuple[int, float, list] | None = None  # (ack id, sent at, taps): one message at a time
        self.pace, self.next_send_at = 0.0, None
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
                    if data.startswith(f'{prefix_event}["state"'):  # may come before CONNECT's answer
                        if (pace := PACE.search(data)) is not None:
                            self.pace = int(pace.group(1)) / 1000  # the page's first message waits part of it
                            self.next_send_at = None
                        if self.learn:
                            self._learn(data[len(prefix_event) :])
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
        if cut <= 0 or not rest[:cut].isdigit() or self.in_flight is None or int(rest[:cut]) != self.in_flight[0]:
            return
        _, sent_at, keys = self.in_flight
        self.in_flight = None
        body = rest[cut:]
        if (pace := PACE.search(body)) is not None:
            self.pace = int(pace.group(1)) / 1000
            self.next_send_at = self._after(sent_at)
        self.storm.answered(sent_at, keys, body)

    def _after(self, sent_at: float) -> float:
        return sent_at + self.pace * (0.5 + random.random())  # as the page: phones that start together drift apart

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
        """Tap every ``period`` seconds from a random start until the deadline or ``stop``; send as the page does
        (static/js/reactions.js): what was gathered, once no message is in flight and the pace has passed."""
        await asyncio.sleep(random.random() * period)  # spread the room over the period
        turn = random.randrange(len(DEFAULT_SET))
        next_tap = time.perf_counter()
        while not stop.is_set() and not self.closed and time.perf_counter() < deadline:
            now = time.perf_counter()
            if now >= next_tap:
                reactions = self.storm.reactions
                self.gathered.append((reactions[turn % len(reactions)], now))
                turn += 1
                self.storm.sent += 1
                next_tap = next_tap + period if next_tap + period > now else now + period  # never burst to catch up
            if self.next_send_at is None:  # as the page: the first message waits a random part of the pace
                self.next_send_at = now + self.pace * random.random()
            if self.gathered and self.in_flight is None and now >= self.next_send_at:
                if not await self._send(now):
                    break
            wake = next_tap
            if self.gathered:  # in flight: look again soon (the ack lands within milliseconds, mostly)
                wake = min(wake, now + 0.05 if self.in_flight is not None else self.next_send_at)
            await asyncio.sleep(max(0.0, wake - time.perf_counter()))

    async def _send(self, now: float) -> bool:
        keys, self.gathered = self.gathered, []
        self.ids += 1
        body = json.dumps({"reactions": [k for k, _ in keys]} if len(keys) > 1 else {"reaction": keys[0][0]})
        self.in_flight = (self.ids, now, keys)
        self.next_send_at = self._after(now)
        try:
            await self.ws.send_str(f'42{NS},{self.ids}["react",{body}]')
        except Exception:  # the socket went: its taps time out
            return False
        self.storm.messages += 1
        return True

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        if self.reader is not None:
            self.reader.cancel()


async def storm_on_cue(base_url: str, code: str, phones: int, seconds: float) -> dict:
    """The storm as bench/reacting.py runs it in a process of its own: join, print ``{"ready"}``, wait for
    ``go`` on stdin, react for ``seconds``; the report is printed by the caller."""

    async def cue(joined: dict) -> None:
        print(json.dumps({"ready": True, **joined}), flush=True)
        if (await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)).strip() != "go":
            raise RuntimeError("the harness went away before `go`")

    return await reaction_storm(base_url, code, phones, seconds=seconds, go=cue)


if __name__ == "__main__":
    url, room = sys.argv[1], sys.argv[2]
    count = int(sys.argv[3]) if len(sys.argv) > 3 else 200
    length = float(sys.argv[4]) if len(sys.argv) > 4 else 10.0
    print(json.dumps(asyncio.run(reaction_storm(url, room, phones=count, seconds=length)), indent=2))
