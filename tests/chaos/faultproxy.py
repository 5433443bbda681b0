"""Test-only fault proxy for storenode peer links (issue 13 item 5).

One `Pipe` is a TCP listener on 127.0.0.1 that forwards every connection it
accepts to one upstream port (a node's ROUTER port or its PUB port). One
`Link` is the pair of pipes of one *directed* link: node A dials node B
through link (A, B), i.e. A's DEALER reaches B's ROUTER through `link.router`
and A's SUB reaches B's PUB through `link.pub` (listening on PORT and PORT+1,
so that A's `--peer tcp://127.0.0.1:PORT` goes through both). A `Proxy` owns
the links and runs every socket on one asyncio loop in a background thread;
its methods are thread-safe and take effect before they return.

Faults, per pipe (a Link applies them to both of its pipes unless told):

- cut: every open connection is reset (SO_LINGER 0: RST to both ends) and
  every new one is accepted by the kernel and reset at once, so the dialer sees
  its connection fail right after connecting and retries. Nothing crosses.
- blackhole: connections are accepted and kept open, nothing is forwarded in
  either direction, nothing is read (no byte is lost: the bytes wait in the
  kernel buffers, the sender's writes block once those are full, as on a
  network that drops every packet while TCP keeps retransmitting). New
  connections are accepted but not dialled upstream. Healing resumes every
  connection where it stopped (unless an end gave up on it meanwhile, e.g.
  ZeroMQ's heartbeat timeout) and dials the waiting ones upstream.
- delay (delay_ms, jitter_ms): every unit the pipe forwards (a ZMTP frame or
  message once the greeting is parsed, a raw chunk before that) leaves
  delay_ms + uniform(0, jitter_ms) after it arrived, never before the unit
  before it (TCP keeps order: jitter spreads, it never reorders). Both
  directions.
- duplicate (dup_p): each whole ZMTP *message* (all its frames up to the one
  without MORE; never a command) in the data direction is sent twice in a row
  with probability dup_p. The data direction is the one storenode's frames
  flow in: dialer -> target on a router pipe (direct frames), target ->
  dialer on a pub pipe (published frames); subscriptions, greetings, ZMTP
  commands (READY, PING, PONG, ...) are never duplicated or reordered.
- reorder (reorder_p, reorder_hold_ms): with probability reorder_p a message
  in the data direction is held back and sent right after the next message of
  that direction (swapping the two), or after reorder_hold_ms if none comes.

Message-level faults need the ZMTP 3 framing: the first 64 bytes of each
direction (the greeting, forwarded byte by byte as they come, since ZeroMQ
sends it in stages and waits for the other side) are followed by frames:
flags byte (bit 0 MORE, bit 1 LONG, bit 2 COMMAND), a 1-byte or (LONG) 8-byte
big-endian size, the body. A connection that does not start with the ZMTP 3
signature, or whose frame flags are invalid, is forwarded as raw bytes from
there on (delay, cut and blackhole still apply; duplicate and reorder do
not). Duplicate and reorder act only on connections whose greeting names
the NULL mechanism: with CURVE every message travels encrypted in a MESSAGE
(sent by libzmq 4.3.4 as a one-frame data message), and repeating or
swapping one would break the nonces, a corruption TCP never produces.

The proxy only ever listens on and connects to 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import random
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Optional

LOCALHOST = "127.0.0.1"
GREETING_BYTES = 64


@dataclass
class Faults:
    """The faults of one pipe; see the module docstring for what each does."""

    mode: str = "pass"  # pass | cut | blackhole
    delay_ms: float = 0.0
    jitter_ms: float = 0.0
    dup_p: float = 0.0
    reorder_p: float = 0.0
    reorder_hold_ms: float = 50.0

    def clean(self) -> bool:
        return self.mode == "pass" and not self.delay_ms and not self.jitter_ms and not self.dup_p and not self.reorder_p


@dataclass
class PipeStats:
    accepted: int = 0
    refused: int = 0  # connections reset at accept while cut
    reset: int = 0  # open connections reset by a cut
    units: int = 0  # frames/messages/chunks forwarded
    bytes: int = 0
    duplicated: int = 0
    reordered: int = 0
    delayed: int = 0
    raw_fallbacks: int = 0  # connections forwarded raw (not ZMTP 3 / bad flags)


class ZmtpSplitter:
    """Cuts one direction of a ZMTP 3 stream into units.

    feed(data) returns a list of (kind, bytes) with kind one of 'raw'
    (greeting bytes or a raw chunk), 'command' (one command frame) or
    'message' (every frame of one message). Holds back only incomplete frames
    and incomplete multi-frame messages."""

    def __init__(self) -> None:
        self.greeting_left = GREETING_BYTES
        self.greeting = bytearray()
        self.raw = False
        self.buf = bytearray()
        self.msg = bytearray()  # frames of the current message so far (MORE set)
        self.mechanism = ""

    def feed(self, data: bytes) -> list[tuple[str, bytes]]:
        out: list[tuple[str, bytes]] = []
        if self.raw:
            return [("raw", bytes(data))] if data else []
        if self.greeting_left:
            take = data[: self.greeting_left]
            data = data[len(take) :]
            self.greeting += take
            self.greeting_left -= len(take)
            out.append(("raw", bytes(take)))
            g = self.greeting
            # ZMTP 3 signature: 0xFF, 8 bytes, 0x7F; then the major version (3).
            if g[0] != 0xFF or (len(g) >= 10 and g[9] != 0x7F) or (len(g) >= 11 and g[10] < 3):
                self.raw = True
            if self.raw:
                if data:
                    out.append(("raw", bytes(data)))
                return out
            if self.greeting_left == 0:
                self.mechanism = bytes(self.greeting[12:32]).rstrip(b"\0").decode("ascii", "replace")
        if not data:
            return out
        self.buf += data
        pos = 0
        n = len(self.buf)
        while True:
            if n - pos < 2:
                break
            flags = self.buf[pos]
            if flags & ~0x07:
                # Not a frame: give up parsing, forward the rest as it comes.
                self.raw = True
                rest = bytes(self.msg) + bytes(self.buf[pos:])
                self.msg.clear()
                self.buf.clear()
                if rest:
                    out.append(("raw", rest))
                return out
            if flags & 0x02:
                if n - pos < 9:
                    break
                size = struct.unpack_from(">Q", self.buf, pos + 1)[0]
                hdr = 9
            else:
                size = self.buf[pos + 1]
                hdr = 2
            end = pos + hdr + size
            if end > n:
                break
            frame = bytes(self.buf[pos:end])
            pos = end
            if flags & 0x04:
                out.append(("command", frame))
            else:
                self.msg += frame
                if not flags & 0x01:
                    out.append(("message", bytes(self.msg)))
                    self.msg.clear()
        del self.buf[:pos]
        return out


class _Direction:
    """One direction of one proxied connection: parse, fault, schedule, write."""

    def __init__(self, pipe: "Pipe", conn: "_Conn", reader: asyncio.StreamReader, writer: asyncio.StreamWriter, data_dir: bool):
        self.pipe = pipe
        self.conn = conn
        self.reader = reader
        self.writer = writer
        self.data_dir = data_dir  # duplicate/reorder apply here
        self.split = ZmtpSplitter()
        self.queue: asyncio.Queue = asyncio.Queue()
        self.last_release = 0.0
        self.held: Optional[bytes] = None
        self.held_timer: Optional[asyncio.TimerHandle] = None
        self.counted_raw = False

    def _enqueue(self, unit: Optional[bytes]) -> None:
        f = self.pipe.faults
        now = time.monotonic()
        d = f.delay_ms + (self.pipe.rng.uniform(0, f.jitter_ms) if f.jitter_ms else 0.0)
        release = max(self.last_release, now + d / 1000.0)
        self.last_release = release
        if d > 0:
            self.pipe.stats.delayed += 1
        self.queue.put_nowait((release, unit))

    def _flush_held(self) -> None:
        if self.held_timer:
            self.held_timer.cancel()
            self.held_timer = None
        if self.held is not None:
            held, self.held = self.held, None
            self._enqueue(held)

    def _unit(self, kind: str, data: bytes) -> None:
        f = self.pipe.faults
        # Only plaintext (NULL) messages are duplicated or reordered. libzmq
        # 4.3.4 sends each CURVE MESSAGE as a one-frame *data* message (flags
        # 0, curve_encoding_t::encode), not as a command: reordering or
        # repeating one breaks the nonce order, the receiver drops the
        # connection with a protocol error, and the fault becomes a corrupted
        # stream, which TCP never delivers.
        if kind != "message" or not self.data_dir or self.split.mechanism != "NULL":
            self._enqueue(data)
            return
        rng = self.pipe.rng
        if self.held is None and f.reorder_p and rng.random() < f.reorder_p:
            self.held = data
            self.pipe.stats.reordered += 1
            self.held_timer = asyncio.get_running_loop().call_later(f.reorder_hold_ms / 1000.0, self._flush_held)
            return
        self._enqueue(data)
        if f.dup_p and rng.random() < f.dup_p:
            self.pipe.stats.duplicated += 1
            self._enqueue(data)
        self._flush_held()

    async def pump_in(self) -> None:
        try:
            while True:
                await self.pipe.flowing.wait()
                data = await self.reader.read(65536)
                if not data:
                    break
                await self.pipe.flowing.wait()  # a blackhole that started while reading holds this chunk too
                for kind, unit in self.split.feed(data):
                    self._unit(kind, unit)
                if self.split.raw and not self.counted_raw:
                    self.counted_raw = True
                    self.pipe.stats.raw_fallbacks += 1
        except (ConnectionError, OSError, asyncio.IncompleteReadError):
            self.conn.abort()
            return
        except asyncio.CancelledError:
            raise
        self._flush_held()
        self.queue.put_nowait((self.last_release, None))  # EOF after what is queued

    async def pump_out(self) -> None:
        try:
            while True:
                release, unit = await self.queue.get()
                wait = release - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                await self.pipe.flowing.wait()
                if unit is None:
                    if self.writer.can_write_eof():
                        self.writer.write_eof()
                    break
                self.writer.write(unit)
                self.pipe.stats.units += 1
                self.pipe.stats.bytes += len(unit)
                await self.writer.drain()
        except (ConnectionError, OSError):
            self.conn.abort()
        except asyncio.CancelledError:
            raise


class _Conn:
    def __init__(self, pipe: "Pipe", down_r, down_w):
        self.pipe = pipe
        self.down_r, self.down_w = down_r, down_w
        self.up_r = self.up_w = None
        self.tasks: list[asyncio.Task] = []
        self.closed = False

    async def run(self) -> None:
        pipe = self.pipe
        try:
            await pipe.flowing.wait()  # blackhole: accepted, not dialled upstream until healed
            if pipe.faults.mode == "cut" or self.closed:
                self.abort()
                return
            try:
                self.up_r, self.up_w = await asyncio.open_connection(LOCALHOST, pipe.upstream_port)
            except OSError:
                self.abort()  # target down: the dialer sees its connection reset, as if refused
                return
            if self.closed:
                self.abort()
                return
            c2s = _Direction(pipe, self, self.down_r, self.up_w, data_dir=pipe.kind == "router")
            s2c = _Direction(pipe, self, self.up_r, self.down_w, data_dir=pipe.kind == "pub")
            self.tasks = [asyncio.ensure_future(t) for t in (c2s.pump_in(), c2s.pump_out(), s2c.pump_in(), s2c.pump_out())]
            # Done when both writers finished (EOF both ways) or on abort.
            await asyncio.gather(self.tasks[1], self.tasks[3], return_exceptions=True)
        except asyncio.CancelledError:
            pass
        finally:
            self.close()

    def _rst(self, w) -> None:
        if w is None:
            return
        try:
            s = w.get_extra_info("socket")
            if s is not None:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        try:
            w.transport.abort()
        except Exception:
            pass

    def abort(self) -> None:
        """Resets both ends (RST)."""
        if self.closed:
            return
        self.closed = True
        self._rst(self.down_w)
        self._rst(self.up_w)
        for t in self.tasks:
            t.cancel()
        self.pipe.conns.discard(self)

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        for w in (self.down_w, self.up_w):
            if w is not None:
                try:
                    w.close()
                except Exception:
                    pass
        for t in self.tasks:
            t.cancel()
        self.pipe.conns.discard(self)


class Pipe:
    """A listener on `port` forwarding to 127.0.0.1:`upstream_port`. `kind` is
    'router' or 'pub' (which direction carries storenode's frames)."""

    def __init__(self, proxy: "Proxy", name: str, kind: str, sock: socket.socket, upstream_port: int, seed: int):
        self.proxy = proxy
        self.name = name
        self.kind = kind
        self.sock = sock
        self.port = sock.getsockname()[1]
        self.upstream_port = upstream_port
        self.faults = Faults()
        self.stats = PipeStats()
        self.rng = random.Random(seed)
        self.conns: set[_Conn] = set()
        self.flowing = asyncio.Event()
        self.flowing.set()
        self.server: Optional[asyncio.AbstractServer] = None

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._accept, sock=self.sock)

    async def _accept(self, r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        conn = _Conn(self, r, w)
        if self.faults.mode == "cut":
            self.stats.refused += 1
            conn.abort()
            return
        self.stats.accepted += 1
        self.conns.add(conn)
        await conn.run()

    def _set(self, faults: Faults) -> None:
        old = self.faults
        self.faults = faults
        if faults.mode == "cut" and old.mode != "cut":
            for c in list(self.conns):
                self.stats.reset += 1
                c.abort()
        if faults.mode == "blackhole":
            self.flowing.clear()
        else:
            self.flowing.set()

    async def stop(self) -> None:
        if self.server:
            self.server.close()
        self.flowing.set()
        for c in list(self.conns):
            c.abort()


class Link:
    """The pipes of the directed link dialer -> target: ROUTER, PUB and, when
    given a third socket, the node's door (PORT+2: identify and joins)."""

    def __init__(self, dialer: str, target: str, router: Pipe, pub: Pipe, door: Optional[Pipe] = None):
        self.dialer, self.target = dialer, target
        self.router, self.pub, self.door = router, pub, door

    @property
    def port(self) -> int:
        return self.router.port

    @property
    def address(self) -> str:
        return f"tcp://{LOCALHOST}:{self.router.port}"

    def pipes(self) -> tuple:
        return (self.router, self.pub) if self.door is None else (self.router, self.pub, self.door)


def bind_pair(port: int, count: int = 2) -> Optional[tuple]:
    """Binds 127.0.0.1:port .. port+count-1 (not listening yet); None if one is taken."""
    socks = []
    for p in range(port, port + count):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            s.bind((LOCALHOST, p))
        except OSError:
            s.close()
            for x in socks:
                x.close()
            return None
        socks.append(s)
    return tuple(socks)


class Proxy:
    """Owns the links; runs them on one asyncio loop in a daemon thread.

    Every public method may be called from any thread and returns once the
    change is in effect on the loop."""

    def __init__(self, seed: int = 0):
        self.seed = seed
        self.loop = asyncio.new_event_loop()
        self.links: dict[tuple[str, str], Link] = {}
        self._thread = threading.Thread(target=self._run, name="faultproxy", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def _call(self, fn: Callable, *args):
        async def wrap():
            r = fn(*args)
            if asyncio.iscoroutine(r):
                r = await r
            return r

        return asyncio.run_coroutine_threadsafe(wrap(), self.loop).result(timeout=30)

    def add_link(self, dialer: str, target: str, socks: tuple, target_port: int) -> Link:
        """A link listening on the bound sockets (PORT, PORT+1 and optionally
        PORT+2) that forwards to target_port (ROUTER), target_port+1 (PUB) and
        target_port+2 (the door)."""
        s_router, s_pub = socks[0], socks[1]
        for s in socks:
            s.setblocking(False)
            s.listen(64)
        seed = random.Random(f"{self.seed}/{dialer}/{target}").getrandbits(32)
        router = Pipe(self, f"{dialer}->{target}/router", "router", s_router, target_port, seed)
        pub = Pipe(self, f"{dialer}->{target}/pub", "pub", s_pub, target_port + 1, seed ^ 0x5A5A5A5A)
        self._call(router.start)
        self._call(pub.start)
        door = None
        if len(socks) > 2:
            socks[2].setblocking(False)
            socks[2].listen(64)
            door = Pipe(self, f"{dialer}->{target}/door", "door", socks[2], target_port + 2, seed ^ 0x3C3C3C3C)
            self._call(door.start)
        link = Link(dialer, target, router, pub, door)
        self.links[(dialer, target)] = link
        return link

    def set_faults(self, pipes, **kw) -> None:
        """Sets the faults of each pipe in `pipes` (fields of Faults; others reset to their defaults)."""

        def apply():
            for p in pipes:
                p._set(Faults(**kw))

        self._call(apply)

    def heal(self, pipes=None) -> None:
        """Clears every fault of `pipes` (default: every pipe)."""
        if pipes is None:
            pipes = [p for l in self.links.values() for p in l.pipes()]
        self.set_faults(pipes)

    def faults_of(self, pipe: Pipe) -> Faults:
        return pipe.faults

    def stats(self) -> dict[str, PipeStats]:
        return {p.name: p.stats for l in self.links.values() for p in l.pipes()}

    def close(self) -> None:
        async def stop_all():
            for l in self.links.values():
                for p in l.pipes():
                    await p.stop()

        async def cancel_rest():
            me = asyncio.current_task()
            rest = [t for t in asyncio.all_tasks() if t is not me]
            for t in rest:
                t.cancel()
            await asyncio.gather(*rest, return_exceptions=True)

        for fn in (stop_all, cancel_rest):
            try:
                self._call(fn)
            except Exception:
                pass
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=5)
