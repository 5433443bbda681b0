"""Self-test of the fault proxy (ctest chaos_faultproxy): a fake ZMTP 3 peer
pair on 127.0.0.1 talks through one Link and every fault is checked on the
bytes that arrive. Polls with deadlines; no storenode needed."""

from __future__ import annotations

import os
import socket
import struct
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import faultproxy  # noqa: E402
from faultproxy import Proxy, bind_pair  # noqa: E402

GREETING = b"\xff" + b"\0" * 8 + b"\x7f" + b"\x03\x01" + b"NULL".ljust(20, b"\0") + b"\0" + b"\0" * 31
assert len(GREETING) == 64


def frame(body: bytes, more=False, command=False) -> bytes:
    flags = (1 if more else 0) | (4 if command else 0)
    if len(body) > 255:
        return bytes([flags | 2]) + struct.pack(">Q", len(body)) + body
    return bytes([flags, len(body)]) + body


READY = frame(b"\x05READY\x0bSocket-Type\0\0\0\x06DEALER", command=True)


def message(i: int, parts: int = 2, size: int = 10) -> bytes:
    body = f"m{i:04d}".encode().ljust(size, b".")
    return b"".join(frame(body, more=(k < parts - 1)) for k in range(parts))


def free_pair() -> tuple:
    import random

    for _ in range(200):
        p = random.randint(20000, 30000)
        s = bind_pair(p)
        if s:
            return s
    raise RuntimeError("no free port pair")


class Fixture:
    """A listening 'target' (ROUTER and PUB ports) and a Link to it."""

    def __init__(self):
        self.proxy = Proxy(seed=1)
        self.target = []
        tsocks = free_pair()
        for s in tsocks:
            s.listen(8)
            s.settimeout(5)
            self.target.append(s)
        self.link = self.proxy.add_link("A", "B", free_pair(), tsocks[0].getsockname()[1])

        self.opened = []

    def connect(self, which=0):
        """(client socket at the proxy, server socket accepted at the target)."""
        pipe = self.link.pipes()[which]
        c = self.dial(pipe.port)
        s, _ = self.target[which].accept()
        s.settimeout(5)
        self.opened.append(s)
        return c, s

    def dial(self, port):
        c = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.opened.append(c)
        return c

    def close(self):
        self.proxy.close()
        for s in self.target + self.opened:
            s.close()


def recv_exactly(s: socket.socket, n: int, timeout=5.0) -> bytes:
    s.settimeout(timeout)
    out = b""
    deadline = time.monotonic() + timeout
    while len(out) < n and time.monotonic() < deadline:
        chunk = s.recv(n - len(out))
        if not chunk:
            break
        out += chunk
    return out


def handshake(c, s):
    c.sendall(GREETING + READY)
    assert recv_exactly(s, 64 + len(READY)) == GREETING + READY
    s.sendall(GREETING + READY)
    assert recv_exactly(c, 64 + len(READY)) == GREETING + READY


class FaultProxyTest(unittest.TestCase):
    def setUp(self):
        self.f = Fixture()

    def tearDown(self):
        self.f.close()

    def test_pass_forwards_both_ways_byte_for_byte(self):
        c, s = self.f.connect()
        handshake(c, s)
        data = b"".join(message(i, parts=1 + i % 3, size=5 + 100 * i) for i in range(6))
        c.sendall(data)
        self.assertEqual(recv_exactly(s, len(data)), data)
        s.sendall(b"\x00\x03abc")
        self.assertEqual(recv_exactly(c, 5), b"\x00\x03abc")

    def test_duplicate_sends_each_whole_message_twice_and_commands_once(self):
        self.f.proxy.set_faults([self.f.link.router], dup_p=1.0)
        c, s = self.f.connect()
        handshake(c, s)
        ping = frame(b"\x04PING\0\0", command=True)
        msgs = [message(i, parts=3, size=300) for i in range(3)]
        c.sendall(msgs[0] + ping + msgs[1] + msgs[2])
        want = msgs[0] + msgs[0] + ping + msgs[1] + msgs[1] + msgs[2] + msgs[2]
        self.assertEqual(recv_exactly(s, len(want)), want)
        self.assertEqual(self.f.link.router.stats.duplicated, 3)

    def test_curve_messages_are_neither_duplicated_nor_reordered(self):
        # libzmq 4.3.4 sends a CURVE MESSAGE as a one-frame data message: a
        # repeated or swapped one would break the nonce order.
        self.f.proxy.set_faults([self.f.link.router], dup_p=1.0, reorder_p=1.0, reorder_hold_ms=2000)
        c, s = self.f.connect()
        curve = GREETING[:12] + b"CURVE".ljust(20, b"\0") + GREETING[32:]
        c.sendall(curve)
        self.assertEqual(recv_exactly(s, 64), curve)
        s.sendall(curve)
        self.assertEqual(recv_exactly(c, 64), curve)
        msgs = [message(i, parts=1, size=40) for i in range(4)]
        c.sendall(b"".join(msgs))
        self.assertEqual(recv_exactly(s, sum(map(len, msgs))), b"".join(msgs))
        self.assertEqual(self.f.link.router.stats.duplicated, 0)
        self.assertEqual(self.f.link.router.stats.reordered, 0)

    def test_reorder_swaps_a_held_message_with_the_next(self):
        self.f.proxy.set_faults([self.f.link.router], reorder_p=1.0, reorder_hold_ms=2000)
        c, s = self.f.connect()
        handshake(c, s)
        msgs = [message(i) for i in range(4)]
        c.sendall(b"".join(msgs))
        want = msgs[1] + msgs[0] + msgs[3] + msgs[2]
        self.assertEqual(recv_exactly(s, len(want)), want)

    def test_a_held_message_leaves_after_the_hold_time(self):
        self.f.proxy.set_faults([self.f.link.router], reorder_p=1.0, reorder_hold_ms=100)
        c, s = self.f.connect()
        handshake(c, s)
        t0 = time.monotonic()
        c.sendall(message(7))
        self.assertEqual(recv_exactly(s, len(message(7))), message(7))
        self.assertGreaterEqual(time.monotonic() - t0, 0.09)

    def test_duplicate_acts_on_published_messages_on_the_pub_pipe_only_downstream(self):
        self.f.proxy.set_faults([self.f.link.pub], dup_p=1.0)
        c, s = self.f.connect(which=1)
        handshake(c, s)
        sub = message(0, parts=1, size=1)
        c.sendall(sub)  # a subscription (dialer -> target): never duplicated
        self.assertEqual(recv_exactly(s, len(sub)), sub)
        pub = message(1)
        s.sendall(pub)
        self.assertEqual(recv_exactly(c, 2 * len(pub)), pub + pub)

    def test_delay_holds_every_unit_and_keeps_order(self):
        self.f.proxy.set_faults([self.f.link.router], delay_ms=200, jitter_ms=100)
        c, s = self.f.connect()
        t0 = time.monotonic()
        c.sendall(GREETING + READY)
        self.assertEqual(recv_exactly(s, 64 + len(READY)), GREETING + READY)
        self.assertGreaterEqual(time.monotonic() - t0, 0.19)
        msgs = b"".join(message(i) for i in range(20))
        c.sendall(msgs)
        self.assertEqual(recv_exactly(s, len(msgs)), msgs)

    def test_cut_resets_open_connections_and_refuses_new_ones_until_healed(self):
        c, s = self.f.connect()
        handshake(c, s)
        self.f.proxy.set_faults(self.f.link.pipes(), mode="cut")
        for sock in (c, s):
            sock.settimeout(5)
            try:
                got = sock.recv(10)
            except ConnectionResetError:
                got = b""
            self.assertEqual(got, b"")
        # The proxy accepts and resets at once: the reset may reach the
        # client while connect() is still returning, or on its first read.
        try:
            c2 = self.f.dial(self.f.link.router.port)
            got = c2.recv(10)
        except ConnectionResetError:
            got = b""
        self.assertEqual(got, b"")
        self.assertGreaterEqual(self.f.link.router.stats.refused, 1)
        self.f.proxy.heal()
        c3, s3 = self.f.connect()
        handshake(c3, s3)

    def test_blackhole_forwards_nothing_and_resumes_losslessly_on_heal(self):
        c, s = self.f.connect()
        handshake(c, s)
        self.f.proxy.set_faults(self.f.link.pipes(), mode="blackhole")
        msgs = b"".join(message(i) for i in range(5))
        c.sendall(msgs)
        s.settimeout(0.3)
        with self.assertRaises(socket.timeout):
            s.recv(10)
        # A new connection is accepted but not dialled upstream meanwhile.
        c2 = self.f.dial(self.f.link.router.port)
        c2.sendall(GREETING)
        self.f.target[0].settimeout(0.3)
        with self.assertRaises(socket.timeout):
            self.f.target[0].accept()
        self.f.proxy.heal()
        self.assertEqual(recv_exactly(s, len(msgs)), msgs)
        self.f.target[0].settimeout(5)
        s2, _ = self.f.target[0].accept()
        self.f.opened.append(s2)
        self.assertEqual(recv_exactly(s2, 64), GREETING)

    def test_not_zmtp_is_forwarded_raw(self):
        self.f.proxy.set_faults([self.f.link.router], dup_p=1.0)
        c, s = self.f.connect()
        data = b"GET / HTTP/1.0\r\n\r\n" * 10
        c.sendall(data)
        self.assertEqual(recv_exactly(s, len(data)), data)
        self.assertEqual(self.f.link.router.stats.duplicated, 0)
        self.assertEqual(self.f.link.router.stats.raw_fallbacks, 1)

    def test_bad_flags_after_the_greeting_fall_back_to_raw(self):
        self.f.proxy.set_faults([self.f.link.router], dup_p=1.0)
        c, s = self.f.connect()
        handshake(c, s)
        data = message(1) + b"\xf0garbage" + message(2)
        c.sendall(data)
        want = message(1) + message(1) + b"\xf0garbage" + message(2)
        self.assertEqual(recv_exactly(s, len(want)), want)


class SplitterTest(unittest.TestCase):
    def test_byte_by_byte_feed_gives_the_same_units(self):
        stream = GREETING + READY + message(1, parts=3, size=400) + frame(b"\x04PING", command=True) + message(2)
        whole = faultproxy.ZmtpSplitter().feed(stream)
        sp = faultproxy.ZmtpSplitter()
        units = []
        for b in stream:
            units += sp.feed(bytes([b]))
        joined = []
        for kind, data in units:  # the greeting comes byte by byte: merge raw runs
            if joined and kind == "raw" and joined[-1][0] == "raw":
                joined[-1] = ("raw", joined[-1][1] + data)
            else:
                joined.append((kind, data))
        self.assertEqual(joined, whole)
        self.assertEqual([k for k, _ in whole], ["raw", "command", "message", "command", "message"])
        self.assertEqual(sp.mechanism, "NULL")


if __name__ == "__main__":
    unittest.main(verbosity=2)
