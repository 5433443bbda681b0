#!/usr/bin/python3
"""An outsider at a node's peer port (issue 9 item 3), as docs/protocol.md 2.5 says.

Starts one storenode (a new store, on free ports in a temp dir), then, from
this process: a plaintext DEALER and SUB, and a DEALER and SUB with a CURVE key
of no enrolled device (the server key learned by identify at the node's door).
Each sends a forged live event. Proves that none of them receives a frame, that
no event reaches the node's log or projections (event count, digest and frame
counters unchanged), and that the node counts every refusal in
storenode_peer_auth_denied_total. Control: a SUB with the node's own key (a
member's) does receive its heartbeats, so the silence above is the refusal.

Needs python3-zmq, python3-msgpack, python3-nacl (scripts/setup.sh).
Usage: outsider_peer.py --storenode PATH
"""
import argparse
import atexit
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

import msgpack
import nacl.public
import zmq
import zmq.utils.z85

PIN = "246810"


# The claims of tests/integration/node_process.hpp (port_claims): a port
# claimed there by another test process is skipped here, and one picked here
# is claimed until this process ends, so no test binds it in between.
CLAIMS = os.path.join(tempfile.gettempdir(), "storenode-test-ports")
CLAIMED = []


def claim(port):
    os.makedirs(CLAIMS, exist_ok=True)
    try:
        os.chmod(CLAIMS, 0o777)
    except OSError:
        pass
    path = os.path.join(CLAIMS, str(port))
    for _ in range(2):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            try:
                with open(path) as f:
                    owner = int(f.read().strip() or "0")
            except (OSError, ValueError):
                return False
            if owner <= 0 or owner == os.getpid():
                return False
            try:
                os.kill(owner, 0)
                return False  # its process is alive
            except ProcessLookupError:
                try:
                    os.unlink(path)  # its process is gone: take it over
                except OSError:
                    return False
                continue
            except PermissionError:
                return False
        os.write(fd, str(os.getpid()).encode())
        os.close(fd)
        CLAIMED.append(path)
        return True
    return False


def release_claims():
    for path in CLAIMED:
        try:
            os.unlink(path)
        except OSError:
            pass


atexit.register(release_claims)


def free_range(count):
    """A port P with P..P+count-1 free on 127.0.0.1 and claimed (see CLAIMS)."""
    low = 10000
    for _ in range(500):
        p = random.randint(low, 30000)
        ok = True
        for k in range(count):
            s = socket.socket()
            try:
                s.bind(("127.0.0.1", p + k))
            except OSError:
                ok = False
            finally:
                s.close()
            if not ok:
                break
        if ok and all(claim(p + k) for k in range(count)):
            return p
    raise RuntimeError("no free ports")


def poll(cond, timeout, interval=0.05):
    end = time.time() + timeout
    while time.time() < end:
        if cond():
            return True
        time.sleep(interval)
    return cond()


class node:
    def __init__(self, binary, root):
        self.http = free_range(1)
        self.port = free_range(3)
        self.data = os.path.join(root, "BO")
        self.log_path = self.data + ".log"
        env = dict(os.environ, STORENODE_ADMIN_PIN=PIN)
        self.proc = subprocess.Popen(
            [binary, "--device-id", "BO", "--data-dir", self.data, "--http", f"127.0.0.1:{self.http}",
             "--bind", f"tcp://127.0.0.1:{self.port}", "--create-store", "--log-level", "info"],
            stdout=open(self.log_path, "w"), stderr=subprocess.STDOUT, env=env)
        self.token = None

    def call(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(f"http://127.0.0.1:{self.http}{path}", data=data, method=method)
        req.add_header("Content-Type", "application/json")
        if self.token:
            req.add_header("Authorization", "Bearer " + self.token)
        with urllib.request.urlopen(req, timeout=10) as r:
            text = r.read().decode()
            return json.loads(text) if text.startswith(("{", "[")) else text

    def healthy(self):
        try:
            return self.call("GET", "/healthz") is not None
        except Exception:
            return False

    def metric(self, series):
        for line in self.call("GET", "/metrics").splitlines():
            if line.startswith(series + " "):
                return int(float(line.split()[-1]))
        return -1

    def log(self):
        return open(self.log_path).read()

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def header(msg_type, sender):
    return bytes([1, msg_type, len(sender)]) + sender.encode()


def forged_event_body():
    # A live-events frame (type 10) carrying one made-up event: whatever its
    # shape, a refused peer's frame must never reach the sync code at all.
    return msgpack.packb([[["EVIL", 1, 0, 0, 301, 1, b"\x00" * 32, b"\x00" * 32, b"payload"]]])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--storenode", required=True)
    args = ap.parse_args()
    root = tempfile.mkdtemp(prefix="storenode-outsider-")
    n = node(args.storenode, root)
    ctx = zmq.Context()
    sockets = []
    failures = []

    def check(cond, what):
        if not cond:
            failures.append(what)
            print("FAIL:", what, flush=True)

    try:
        if not poll(n.healthy, 20):
            raise RuntimeError("node did not start:\n" + n.log())
        n.token = n.call("POST", "/v1/sessions", {"staff_id": "admin", "pin": PIN})["token"]
        poll(lambda: n.call("GET", "/v1/status").get("role") == "master", 10)
        before_events = len(n.call("GET", "/v1/events?from=1&limit=100")["events"])
        before_digest = n.call("GET", "/v1/digest")
        before_in = n.metric('storenode_peer_frames_total{direction="in",channel="direct"}')
        before_denied = n.metric("storenode_peer_auth_denied_total")
        router = f"tcp://127.0.0.1:{n.port}"
        pub = f"tcp://127.0.0.1:{n.port + 1}"

        # Identify at the door: the node's server key (public information).
        door = ctx.socket(zmq.REQ)
        door.setsockopt(zmq.LINGER, 0)
        door.setsockopt(zmq.RCVTIMEO, 5000)
        door.connect(f"tcp://127.0.0.1:{n.port + 2}")
        door.send(bytes([1, 1]))
        reply = door.recv()
        check(reply[:2] == bytes([1, 2]) and reply[42:] == b"BO", "identify answers version 1, kind 2, key, device id")
        server_key = reply[2:42]
        door.close()

        # Our own listening ROUTER: the address forged frames name as sender,
        # where an admitted request's answer would arrive.
        mine = ctx.socket(zmq.ROUTER)
        mine.setsockopt(zmq.LINGER, 0)
        my_port = free_range(1)
        mine.bind(f"tcp://127.0.0.1:{my_port}")
        sockets.append(mine)
        sender = f"tcp://127.0.0.1:{my_port}"

        stranger_pub, stranger_sec = zmq.curve_keypair()
        subs = []
        for kind in ("plaintext", "unknown key"):
            d = ctx.socket(zmq.DEALER)
            s = ctx.socket(zmq.SUB)
            for sock in (d, s):
                sock.setsockopt(zmq.LINGER, 0)
                if kind == "unknown key":
                    sock.curve_serverkey = server_key
                    sock.curve_publickey = stranger_pub
                    sock.curve_secretkey = stranger_sec
            s.setsockopt(zmq.SUBSCRIBE, b"")
            d.connect(router)
            s.connect(pub)
            sockets += [d, s]
            subs.append((kind, s))
            for _ in range(5):
                d.send_multipart([header(10, sender), forged_event_body()], zmq.NOBLOCK)
                d.send_multipart([header(11, sender), msgpack.packb([{}])], zmq.NOBLOCK)  # a sync request

        # Control: a member's key (the node's own) hears its heartbeats.
        raw = open(os.path.join(n.data, "identity", "curve.key"), "rb").read()
        own_secret = zmq.utils.z85.encode(raw)
        own_public = zmq.utils.z85.encode(bytes(nacl.public.PrivateKey(raw).public_key))
        control = ctx.socket(zmq.SUB)
        control.setsockopt(zmq.LINGER, 0)
        control.curve_serverkey = server_key
        control.curve_publickey = own_public
        control.curve_secretkey = own_secret
        control.setsockopt(zmq.SUBSCRIBE, b"")
        control.connect(pub)
        sockets.append(control)
        check(control.poll(5000) != 0, "a member's SUB receives the node's heartbeats (control)")

        # The refusals show in the counter (each socket redials and is refused again).
        check(poll(lambda: n.metric("storenode_peer_auth_denied_total") >= before_denied + 4, 15),
              "storenode_peer_auth_denied_total counts the plaintext and unknown-key peers")
        # Meanwhile nothing reached any outsider socket, and nothing came in.
        for kind, s in subs:
            check(s.poll(0) == 0, f"{kind} SUB received nothing")
        check(mine.poll(0) == 0, "no answer reached the outsiders' address")
        check(n.metric('storenode_peer_frames_total{direction="in",channel="direct"}') == before_in,
              "no direct frame was delivered")
        check(len(n.call("GET", "/v1/events?from=1&limit=100")["events"]) == before_events, "no event was appended")
        check(n.call("GET", "/v1/digest") == before_digest, "the projections did not change")
        log = n.log()
        check("refused a CURVE client" in log, "the log names the refused key")
        check("failed handshake" in log, "the log names the refused plaintext peer")
        check(n.proc.poll() is None, "the node is still running")
    finally:
        for s in sockets:
            s.close(0)
        ctx.term()
        n.stop()
        if failures:
            print(n.log()[-4000:])
        shutil.rmtree(root, ignore_errors=True)
    if failures:
        print(f"{len(failures)} check(s) failed")
        return 1
    print("outsider peer: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
