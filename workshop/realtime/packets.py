"""Socket.IO packets that can never raise: whatever a client sends becomes an event answered with an error ack.

``GuardedPacket`` (the server's packet class) and ``SafeJSON`` (its JSON module) turn JSON nested 20,000 deep,
a bad packet, a binary frame or an event called ``connect`` into an ordinary event that the namespace
(``guard.GuardedNamespace``) answers with an error ack. python-socketio decodes packets outside any handler,
so an exception there was a logged traceback and no ack.
"""

import time

from engineio import json as engineio_json
from socketio import packet

MAX_DEPTH = 32  # the deepest payload the app sends or expects is 4 levels
MAX_ATTACHMENTS = 10
MALFORMED = "\x00malformed"  # what a packet that could not be read becomes: an event nobody handles
BINARY = "\x00binary"  # the app never uses binary attachments
RESERVED = "\x00reserved"  # a client-sent connect/disconnect event
CLIENT_RESERVED = {"connect", "disconnect", "connect_error"}
ERRORS = {MALFORMED: "That message could not be read.", BINARY: "Binary messages are not accepted.",
          RESERVED: "That event name is reserved."}
TOO_MANY = "Too many requests: slow down."
CLIENT_PACKETS = {packet.CONNECT, packet.DISCONNECT, packet.EVENT, packet.ACK, packet.BINARY_EVENT,
                  packet.BINARY_ACK}


class SafeJSON:
    """The JSON module for Socket.IO packets: refuses documents nested deeper than MAX_DEPTH."""

    dumps = staticmethod(engineio_json.dumps)

    @staticmethod
    def loads(text, **kwargs):
        """engineio's loads (it refuses huge integers), raising ValueError for overly deep documents."""
        try:
            value = engineio_json.loads(text, **kwargs)
        except RecursionError as exc:  # the C decoder's own limit (about 1,000 levels)
            raise ValueError("JSON nested too deeply") from exc
        brackets = text.count("[") + text.count("{") if isinstance(text, str) else MAX_DEPTH + 1
        if brackets > MAX_DEPTH and _too_deep(value):  # fewer brackets than the limit cannot be too deep
            raise ValueError("JSON nested too deeply")
        return value


def _too_deep(value) -> bool:
    # Iterative, so a deep value cannot exhaust the stack while it is measured.
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > MAX_DEPTH:
                return True
            stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return False


class GuardedPacket(packet.Packet):
    """A Socket.IO packet whose decoding never raises: bad input becomes an event answered with an error ack."""

    json = SafeJSON

    def decode(self, encoded_packet):
        """Decode; a malformed or reserved client packet becomes an event the namespace refuses."""
        # Yield first: the reader of a websocket decodes every frame it has buffered without yielding, so a
        # flooding phone kept the whole (gevent) process to itself, the guard that refuses it included.
        time.sleep(0)  # gevent.sleep(0) once monkey-patched; lets other greenlets run between frames
        try:
            count = super().decode(encoded_packet)
        except (ValueError, TypeError, IndexError, RecursionError):
            return self._refuse(MALFORMED)
        if self.packet_type not in CLIENT_PACKETS:
            return self._refuse(MALFORMED)
        if self.packet_type == packet.CONNECT:
            if self.data is not None and not isinstance(self.data, dict):
                self.data = None  # refused by the connect handler with its usual message
            return count
        if self.packet_type in (packet.EVENT, packet.BINARY_EVENT):
            if not (isinstance(self.data, list) and self.data and isinstance(self.data[0], str)):
                return self._refuse(MALFORMED)
            if self.data[0] in CLIENT_RESERVED:
                return self._refuse(RESERVED)
        if count and count > MAX_ATTACHMENTS:
            return self._refuse(MALFORMED)
        return count

    def add_attachment(self, attachment):
        """Collect a binary attachment; the complete event is refused (the app never uses binary)."""
        try:
            done = super().add_attachment(attachment)
        except (ValueError, TypeError, IndexError, KeyError, RecursionError):
            done = True
        if done:
            self.data = [BINARY]  # stays a BINARY_EVENT/BINARY_ACK, so the server routes it as one
        return done

    def _refuse(self, event: str) -> int:
        # Namespace and id, when they were read, are kept: the error ack reaches the client.
        if self.packet_type == packet.CONNECT:
            self.data = None
        else:
            self.packet_type, self.data = packet.EVENT, [event]
        self.attachment_count = 0
        return 0
