"""A lean Socket.IO client for the benchmark: Engine.IO v4 / Socket.IO v5 text frames over an aiohttp websocket.

python-socketio's AsyncClient decodes every packet into Python objects and runs a task per event; a swarm
of 2,000 of them used 60-95 % of a core above 1,500 votes/s, so the upper rungs measured the swarm. This
client speaks the frames of docs/realtime.md directly and decodes only the events it has a handler for:
the phones' once-a-second tallies are read off the socket and dropped unparsed.

It offers the part of AsyncClient's interface the harness uses: ``on``, ``connect``, ``call``, ``emit``,
``disconnect``, ``connected`` and ``namespaces``. One client, one namespace.
"""

import asyncio
import inspect
import json

import aiohttp
import uvloop

ENGINE_PING, ENGINE_PONG, ENGINE_MESSAGE = "2", "3", "4"


def run(coroutine):
    """Run the harness on uvloop: the same asyncio program, a cheaper event loop (less of the swarm's CPU)."""
    return uvloop.run(coroutine)


class ConnectRefused(ConnectionError):
    """The server answered the namespace CONNECT with CONNECT_ERROR."""


class RawClient:
    """One websocket, one namespace; acks by id; events decoded only when someone listens."""

    def __init__(self, http: aiohttp.ClientSession, **_ignored):
        self.http = http
        self.handlers: dict[str, object] = {}
        self.namespace = "/"
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.reader: asyncio.Task | None = None
        self.acks: dict[int, asyncio.Future] = {}
        self.ids = 0
        self.connected = False
        self._joined: asyncio.Future | None = None

    @property
    def namespaces(self) -> tuple:
        """The namespace this client is connected to (AsyncClient's shape: ``NS in client.namespaces``)."""
        return (self.namespace,) if self.connected else ()

    def on(self, event: str, handler, namespace: str = "/") -> None:
        """Listen to one event (its JSON is decoded only for events with a listener)."""
        self.handlers[event] = handler

    async def connect(self, url: str, headers: dict | None = None, auth: dict | None = None,
                      namespaces: list | None = None, wait_timeout: float = 30, **_ignored) -> None:
        """Open the websocket, finish the Engine.IO handshake and CONNECT to the namespace."""
        self.namespace = (namespaces or ["/"])[0]
        self._prefix = "" if self.namespace == "/" else f"{self.namespace},"
        ws_url = url.replace("http", "ws", 1) + "/socket.io/?EIO=4&transport=websocket"
        self.ws = await asyncio.wait_for(self.http.ws_connect(ws_url, headers=headers or {}, autoping=True,
                                                              max_msg_size=0, compress=0), wait_timeout)
        self._joined = asyncio.get_running_loop().create_future()
        self.reader = asyncio.create_task(self._read())
        await self.ws.send_str(f"40{self._prefix}{json.dumps(auth or {}, separators=(',', ':'))}")
        try:
            await asyncio.wait_for(asyncio.shield(self._joined), wait_timeout)
        except BaseException:
            await self.disconnect()
            raise

    async def emit(self, event: str, data=None, namespace: str | None = None) -> None:
        """Send an event without an ack."""
        await self.ws.send_str(f"42{self._prefix}{self._args(event, data)}")

    async def call(self, event: str, data=None, namespace: str | None = None, timeout: float = 60):
        """Send an event and wait for its ack's first argument; TimeoutError when none comes in time."""
        if not self.connected:
            raise ConnectionError("not connected")
        self.ids += 1
        loop = asyncio.get_running_loop()
        ack_id, future = self.ids, loop.create_future()
        self.acks[ack_id] = future
        # A timer on the future rather than asyncio.wait_for, which wraps every call in another task.
        timer = loop.call_later(timeout, _expire, future)
        try:
            await self.ws.send_str(f"42{self._prefix}{ack_id}{self._args(event, data)}")
            return await future
        finally:
            timer.cancel()
            self.acks.pop(ack_id, None)

    async def disconnect(self) -> None:
        """Leave the namespace and close the websocket."""
        ws, self.connected = self.ws, False
        if ws is not None and not ws.closed:
            try:
                await ws.send_str(f"41{self._prefix}")
            except Exception:  # already going: nothing to tell the server
                pass
            await ws.close()
        if self.reader is not None and self.reader is not asyncio.current_task():
            self.reader.cancel()
        self._fail_pending(ConnectionError("disconnected"))

    @staticmethod
    def _args(event: str, data) -> str:
        return json.dumps([event] if data is None else [event, data], separators=(",", ":"))

    async def _read(self) -> None:
        try:
            async for message in self.ws:
                if message.type != aiohttp.WSMsgType.TEXT:
                    break
                await self._frame(message.data)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a broken socket: the phone is offline, its pending calls fail
            self._fail_pending(exc)
        finally:
            self.connected = False
            self._fail_pending(ConnectionError("socket closed"))

    async def _frame(self, frame: str) -> None:
        if frame == ENGINE_PING:
            await self.ws.send_str(ENGINE_PONG)
            return
        if not frame.startswith(ENGINE_MESSAGE):
            return  # the Engine.IO open packet (0{...}) and noops
        kind, body = frame[1], frame[2:]
        if self._prefix:
            if not body.startswith(self._prefix):
                return
            body = body[len(self._prefix):]
        if kind == "2":
            await self._event(body)
        elif kind == "3":
            self._ack(body)
        elif kind == "0":
            self.connected = True
            if not self._joined.done():
                self._joined.set_result(True)
        elif kind == "4" and not self._joined.done():
            self._joined.set_exception(ConnectRefused(json.loads(body or "{}").get("message", body)))
        elif kind == "1":
            self.connected = False

    async def _event(self, body: str) -> None:
        # The event name sits between the first two quotes: look it up before paying for the JSON.
        start = body.find('"') + 1
        handler = self.handlers.get(body[start:body.find('"', start)])
        if handler is None:
            return
        args = json.loads(body[body.find("["):])[1:]
        result = handler(*args)
        if inspect.isawaitable(result):
            await result

    def _ack(self, body: str) -> None:
        split = body.find("[")
        future = self.acks.get(int(body[:split]))
        if future is not None and not future.done():
            values = json.loads(body[split:])
            future.set_result(values[0] if values else None)

    def _fail_pending(self, exc: Exception) -> None:
        for future in self.acks.values():
            if not future.done():
                future.set_exception(exc)
        if self._joined is not None and not self._joined.done():
            self._joined.set_exception(exc)


def _expire(future: asyncio.Future) -> None:
    if not future.done():
        future.set_exception(TimeoutError("no ack in time"))
