#!/usr/bin/env python3
"""Nemesis test of storenode (issue 13 item 5): real storenode processes on
127.0.0.1, every peer link through the fault proxy, a seeded random schedule
of partitions (cuts and blackholes), flaky links (delay, jitter; duplicated and
reordered messages on plaintext links only, so not in these CURVE stores:
faultproxy.py), SIGSTOP/SIGCONT pauses, kill -9 + restart and wall-clock
steps (clock_shift.c, an LD_PRELOAD library, per process), while client threads sell with
Idempotency-Key. After every episode everything is healed and the store must
agree on one master and converge; at the end the acknowledged sales are
checked against every node. docs/reliability.md describes the design, the
checks and the figures of a long run.

Usage: nemesis.py --storenode PATH [--seed N] [--quorum any|majority]
                  [--nodes 4] [--seconds S | --minutes M] [--json-out FILE]
                  [--artifacts DIR] [--keep]

Prints its seed first and again on failure; the same --seed gives the same
schedule (episode i is drawn from its own RNG seeded with (seed, i)). Exit 0
when every check holds, 1 when one failed, 2 on a set-up error.
"""

from __future__ import annotations

import argparse
import calendar
import http.client
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections import Counter, defaultdict
from typing import Callable, Optional

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from faultproxy import LOCALHOST, Proxy, bind_pair  # noqa: E402

T0 = time.monotonic()
T0_WALL = time.time()
# How long a clock step may take to show in a node (clock_shift re-reads the offset file once
# the copy in hand is a second old; allow for a node that is busy or paused around then).
STEP_LAG_S = 2.5


def log(msg: str) -> None:
    print(f"[{time.monotonic() - T0:8.2f}] {msg}", flush=True)


def poll(cond: Callable[[], bool], timeout: float, interval: float = 0.05) -> bool:
    """Polls cond until it holds or timeout seconds pass (bounded: never a bare sleep-and-hope)."""
    deadline = time.monotonic() + timeout
    for _ in range(int(timeout / interval) + 2):  # bounded in count as well as in time
        if cond():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)
    return cond()


# ---------------------------------------------------------------------------
# Ports: below the kernel's ephemeral range, so that nothing else is handed
# them by chance while a killed node is down (as tests/integration does).
# ---------------------------------------------------------------------------

def _ephemeral_low() -> int:
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            return max(12000, int(f.read().split()[0]))
    except OSError:
        return 32768


class Ports:
    def __init__(self, rng: random.Random):
        self.rng = rng
        self.used: set[int] = set()
        self.high = _ephemeral_low()

    def _free(self, p: int) -> bool:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            s.bind((LOCALHOST, p))
            return True
        except OSError:
            return False
        finally:
            s.close()

    def range(self, count: int) -> int:
        """P with P..P+count-1 free now (the caller's process binds them later)."""
        for _ in range(1000):
            p = self.rng.randrange(10000, self.high - count)
            if any(p + k in self.used for k in range(count)):
                continue
            if all(self._free(p + k) for k in range(count)):
                self.used.update(p + k for k in range(count))
                return p
        raise RuntimeError("no free port range")

    def bound_pair(self, count: int = 3):
        """Sockets bound to P..P+count-1 (ROUTER, PUB, door), held by this process."""
        for _ in range(1000):
            p = self.rng.randrange(10000, self.high - count)
            if any(p + k in self.used for k in range(count)):
                continue
            socks = bind_pair(p, count)
            if socks:
                self.used.update(p + k for k in range(count))
                return socks
        raise RuntimeError("no free port pair")


# ---------------------------------------------------------------------------
# HTTP
# ---------------------------------------------------------------------------

# Every request but /healthz and the sign-in carries a staff session
# (docs/api.md): each node bootstraps the admin from STORENODE_ADMIN_PIN (its
# environment, never its command line) and the test signs in at each node,
# again after a 401 (sessions live in the node's memory: a restart ends them).
ADMIN_PIN = "246810"
OPEN_PATHS = ("/healthz", "/v1/sessions")
_tokens: dict = {}
_tokens_lock = threading.Lock()


def sign_in(port: int, timeout: float) -> str:
    """A fresh admin token at the node on `port` ("" when refused or unreachable)."""
    st, j = _raw_call(port, "POST", "/v1/sessions", {"staff_id": "admin", "pin": ADMIN_PIN}, None, timeout)
    token = j.get("token", "") if st == 201 and isinstance(j, dict) else ""
    with _tokens_lock:
        _tokens[port] = token
    return token


def auth_headers(port: int, timeout: float, fresh: bool = False) -> dict:
    with _tokens_lock:
        token = "" if fresh else _tokens.get(port, "")
    if not token:
        token = sign_in(port, timeout)
    return {"Authorization": f"Bearer {token}"} if token else {}


def http_call(port: int, method: str, path: str, body=None, headers=None, timeout: float = 5.0):
    """(status, parsed JSON or text) or (None, error string) when there is no answer; signed in."""
    if path.split("?")[0] in OPEN_PATHS:
        return _raw_call(port, method, path, body, headers, timeout)
    st, j = _raw_call(port, method, path, body, {**(headers or {}), **auth_headers(port, timeout)}, timeout)
    if st == 401:  # the node restarted since the sign-in
        st, j = _raw_call(port, method, path, body, {**(headers or {}), **auth_headers(port, timeout, True)}, timeout)
    return st, j


def _raw_call(port: int, method: str, path: str, body, headers, timeout: float):
    conn = http.client.HTTPConnection(LOCALHOST, port, timeout=timeout)
    try:
        data = None if body is None else json.dumps(body).encode()
        h = {"Content-Type": "application/json"} if data is not None else {}
        h.update(headers or {})
        conn.request(method, path, body=data, headers=h)
        r = conn.getresponse()
        raw = r.read()
        try:
            return r.status, json.loads(raw)
        except ValueError:
            return r.status, raw.decode("utf-8", "replace")
    except (OSError, http.client.HTTPException) as e:
        return None, f"{type(e).__name__}: {e}"
    finally:
        conn.close()


class KeepAlive:
    """GETs over one persistent connection to a node (the final checks make thousands)."""

    def __init__(self, port: int):
        self.port = port
        self.conn: Optional[http.client.HTTPConnection] = None

    def get(self, path: str, timeout: float = 10.0):
        for attempt in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(LOCALHOST, self.port, timeout=timeout)
            try:
                self.conn.request("GET", path, headers=auth_headers(self.port, timeout))
                r = self.conn.getresponse()
                raw = r.read()
                if r.status == 401 and attempt == 0:  # signed out by a restart: sign in again
                    auth_headers(self.port, timeout, True)
                    continue
                try:
                    return r.status, json.loads(raw)
                except ValueError:
                    return r.status, raw.decode("utf-8", "replace")
            except (OSError, http.client.HTTPException) as e:
                self.conn.close()
                self.conn = None
                if attempt == 1:
                    return None, f"{type(e).__name__}: {e}"
        return None, "unreachable"

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()


# ---------------------------------------------------------------------------
# Nodes
# ---------------------------------------------------------------------------

def find_clock_lib(explicit: str = "") -> str:
    """The clock_shift preload library (tests/chaos/clock_shift.c; ctest passes its path)."""
    here = os.path.dirname(os.path.abspath(__file__))
    candidates = [explicit] if explicit else [
        os.path.join(here, "..", "..", "build", "tests", "chaos", "libclock_shift.so")]
    for c in candidates:
        if c and os.path.exists(c):
            return os.path.abspath(c)
    return ""


class Node:
    """One storenode process in its own process group (killed with it), that
    also dies with the test (setpriv --pdeathsig KILL). Its wall clock runs
    through clock_shift (an LD_PRELOAD library) at an offset read from a file,
    so that it can be stepped without touching the machine's clock; the
    monotonic clocks are left alone."""

    def __init__(self, storenode: str, root: str, device_id: str, priority: int, http_port: int, bind_port: int,
                 advertised: str, peers: list[str], extra: list[str], clock_lib: str):
        self.storenode = storenode
        self.device_id = device_id
        self.priority = priority
        self.http_port = http_port
        self.bind_port = bind_port
        self.advertised = advertised
        self.peers = peers
        self.extra = extra
        self.data_dir = os.path.join(root, device_id)
        self.log_path = os.path.join(root, device_id + ".log")
        self.clock_path = os.path.join(root, device_id + ".clock")
        self.clock_lib = clock_lib
        self.clock_offset = 0
        self.offsets: list[tuple[float, int]] = [(0.0, 0)]  # (real time set, offset), in order
        self.proc: Optional[subprocess.Popen] = None
        self.paused = False
        self.starts = 0
        self.join_code = ""  # the one-time code of a device's first start (issue 9); "" = create the store
        self._write_clock()

    def args(self) -> list[str]:
        a = ["setpriv", "--pdeathsig", "KILL", "--", self.storenode,
             "--device-id", self.device_id, "--priority", str(self.priority),
             "--data-dir", self.data_dir, "--http", f"{LOCALHOST}:{self.http_port}",
             "--bind", f"tcp://{LOCALHOST}:{self.bind_port}", "--advertised", self.advertised,
             "--log-level", os.environ.get("STORENODE_TEST_LOG_LEVEL", "info")]
        for p in self.peers:
            a += ["--peer", p]
        if not os.path.exists(self.data_dir) and not self.join_code:
            a.append("--create-store")  # the store's first device
        return a + self.extra

    def env(self) -> dict:
        e = dict(os.environ)
        e["STORENODE_ADMIN_PIN"] = ADMIN_PIN  # the first admin of a store without staff
        if self.join_code and not os.path.exists(self.data_dir):
            e["STORENODE_JOIN_CODE"] = self.join_code  # joins through its first --peer (the link to N1)
        if self.clock_lib:
            e.update({"LD_PRELOAD": self.clock_lib, "STORENODE_CLOCK_FILE": self.clock_path})
        return e

    def _write_clock(self) -> None:
        tmp = self.clock_path + ".tmp"
        with open(tmp, "w") as f:
            f.write(f"{'+' if self.clock_offset >= 0 else '-'}{abs(self.clock_offset)}\n")
        os.replace(tmp, self.clock_path)

    def step_clock(self, offset_s: int) -> None:
        """Sets the wall-clock offset (seconds from real time); takes effect within ~1 s."""
        self.clock_offset = offset_s
        self.offsets.append((time.time(), offset_s))
        self._write_clock()

    def furthest_wall(self, t1: float) -> float:
        """The furthest time this node's wall clock may have shown up to real time t1 (a step
        back takes up to STEP_LAG_S to show): its HLC, which never goes back, is at most this plus
        clock.max_skew_ms (what it may take from others), whatever other clocks did."""
        out = t1 + self.clock_offset if self.offsets[-1][0] <= t1 else float("-inf")
        for k, (t, off) in enumerate(self.offsets):
            if t > t1:
                break
            nxt = self.offsets[k + 1][0] + STEP_LAG_S if k + 1 < len(self.offsets) else t1
            out = max(out, min(nxt, t1) + off)
        return out

    def offsets_between(self, t0: float, t1: float) -> set:
        """Clock offsets the node may have used between real times t0 and t1 (clock_shift
        re-reads the offset file once its copy is a second old: a step takes up to STEP_LAG_S)."""
        out = set()
        for k, (t, off) in enumerate(self.offsets):
            nxt = self.offsets[k + 1][0] if k + 1 < len(self.offsets) else float("inf")
            if t <= t1 and nxt + STEP_LAG_S >= t0:
                out.add(off)
        return out

    def start(self) -> None:
        self.starts += 1
        with open(self.log_path, "ab") as logf:
            logf.write(f"\n==== start #{self.starts} at +{time.monotonic() - T0:.2f}s ====\n".encode())
            logf.flush()
            self.proc = subprocess.Popen(self.args(), stdin=subprocess.DEVNULL, stdout=logf, stderr=subprocess.STDOUT,
                                         start_new_session=True, env=self.env())
        self.paused = False

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def wait_healthy(self, timeout: float = 20.0) -> bool:
        return poll(lambda: self.running() and http_call(self.http_port, "GET", "/healthz", timeout=1)[0] == 200, timeout)

    def signal_group(self, sig: int) -> None:
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                pass

    def kill9(self) -> None:
        if self.proc is None:
            return
        self.signal_group(signal.SIGKILL)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            pass
        self.paused = False

    def pause(self) -> None:
        self.signal_group(signal.SIGSTOP)
        self.paused = True

    def resume(self) -> None:
        self.signal_group(signal.SIGCONT)
        self.paused = False

    def up(self) -> bool:
        return self.running() and not self.paused

    def get(self, path: str, timeout: float = 3.0):
        return http_call(self.http_port, "GET", path, timeout=timeout)

    def get_json(self, path: str, timeout: float = 3.0) -> dict:
        st, j = self.get(path, timeout)
        return j if st == 200 and isinstance(j, dict) else {}

    def metric(self, series: str) -> int:
        """One series of /metrics (0 when absent or unreachable); counters restart with the process."""
        st, text = self.get("/metrics")
        if st != 200 or not isinstance(text, str):
            return 0
        for line in text.splitlines():
            if line.startswith(series + " "):
                try:
                    return int(float(line.split()[-1]))
                except ValueError:
                    return 0
        return 0

    def log_tail(self, n: int = 4000) -> str:
        try:
            with open(self.log_path, "rb") as f:
                f.seek(0, 2)
                size = f.tell()
                f.seek(max(0, size - n))
                return f.read().decode("utf-8", "replace")
        except OSError:
            return "(no log)"


class Store:
    """N nodes, a fault proxy, and the address plan:

    - node i binds its ROUTER/PUB on B_i/B_i+1 (only the proxies dial them);
    - node i advertises tcp://127.0.0.1:D_i, a port pair this process holds
      bound but not listening: a dial there is refused. Frames and gossip name
      D_i, so a node that learns an address from gossip never reaches anyone
      through it; the name D_j becomes an alias of the configured link (i, j)
      on node i as soon as j's first heartbeat arrives through it;
    - for each ordered pair (i, j), link (i, j) listens on P_ij/P_ij+1 and
      forwards to B_j/B_j+1; node i's --peer list is every P_ij.

    So every byte between two nodes crosses exactly one link, and each link
    is controlled on its own: link (i, j) carries i's direct frames to j and
    j's published frames (heartbeats, live events) to i."""

    def __init__(self, args, seed: int, root: str):
        self.rng = random.Random(f"ports/{seed}/{os.getpid()}")
        self.ports = Ports(self.rng)
        self.proxy = Proxy(seed)
        self.root = root
        self.held = []  # advertised (dead) port pairs, held until the end
        n = args.nodes
        ids = [f"N{i + 1}" for i in range(n)]
        bind = {}
        http_ports = {}
        adv = {}
        for d in ids:
            base = self.ports.range(4)  # HTTP, then ROUTER, PUB and door
            http_ports[d], bind[d] = base, base + 1
            socks = self.ports.bound_pair()
            self.held += socks
            adv[d] = f"tcp://{LOCALHOST}:{socks[0].getsockname()[1]}"
        self.links = {}
        for a in ids:
            for b in ids:
                if a != b:
                    self.links[(a, b)] = self.proxy.add_link(a, b, self.ports.bound_pair(), bind[b])
        extra = ["--election.quorum", args.quorum, "--clock.max-skew-ms", str(args.max_skew_ms)]
        self.nodes = []
        for k, d in enumerate(ids):
            peers = [self.links[(d, b)].address for b in ids if b != d]
            self.nodes.append(Node(args.storenode, root, d, 10 * (n - k), http_ports[d], bind[d], adv[d], peers, extra,
                                   args.clock_lib))
        self.by_id = {x.device_id: x for x in self.nodes}

    def describe_plan(self) -> str:
        lines = []
        for x in self.nodes:
            lines.append(f"  {x.device_id}: http {x.http_port}, bind {x.bind_port}/{x.bind_port + 1}, "
                         f"advertised {x.advertised} (refusing), peers {' '.join(x.peers)}")
        return "\n".join(lines)

    def start_all(self) -> None:
        # N1 creates the store; the others join it with a code from its admin
        # (their first --peer is their link to N1), all at once.
        first = self.nodes[0]
        first.start()
        if not first.wait_healthy(30):
            raise RuntimeError(f"{first.device_id} did not start:\n{first.log_tail()}")
        for x in self.nodes[1:]:
            st, j = http_call(first.http_port, "POST", f"/v1/devices/{x.device_id}/enrollment",
                              {"priority": x.priority}, timeout=10.0)
            if st != 201:
                raise RuntimeError(f"no join code for {x.device_id}: {st} {j}")
            x.join_code = j["code"]
        for x in self.nodes[1:]:
            x.start()
        for x in self.nodes:
            if not x.wait_healthy(30):
                raise RuntimeError(f"{x.device_id} did not start:\n{x.log_tail()}")

    def stop(self) -> None:
        for x in self.nodes:
            if x.proc is not None:
                x.signal_group(signal.SIGCONT)
                x.kill9()
        self.proxy.close()
        for s in self.held:
            s.close()

    # --- views -------------------------------------------------------------
    def statuses(self, timeout: float = 2.0) -> dict:
        return {x.device_id: x.get_json("/v1/status", timeout) for x in self.nodes}

    def one_master(self) -> Optional[tuple[str, bool]]:
        """(master, same_term) when every node answers, exactly one is master and every node names it
        as its master; same_term tells whether they also report the same term (a split-brain loser
        that elected itself at a higher term keeps that term as the winner's client)."""
        st = self.statuses()
        if any(not s for s in st.values()):
            return None
        masters = [d for d, s in st.items() if s.get("role") == "master"]
        named = {s.get("master") for s in st.values()}
        if len(masters) != 1 or named != {masters[0]}:
            return None
        return masters[0], len({s.get("term") for s in st.values()}) == 1

    def converged(self) -> tuple[bool, str]:
        first = None
        for x in self.nodes:
            s = x.get_json("/v1/status")
            if not s or s.get("projections", {}).get("lag", 1) != 0:
                return False, f"{x.device_id}: projections lag or no status"
            d = x.get_json("/v1/digest", timeout=10)
            if "projections" not in d:
                return False, f"{x.device_id}: no digest"
            if first is None:
                first = d
            elif d != first:
                return False, f"digests differ: {json.dumps(first)} vs {x.device_id} {json.dumps(d)}"
        return True, ""

    def describe(self, tail: int = 3000) -> str:
        out = []
        for x in self.nodes:
            s = x.get_json("/v1/status", 2)
            state = "running" if x.running() else f"exited {x.proc.returncode if x.proc else '-'}"
            if s:
                peers = ", ".join(f"{p.get('device_id')}@{p.get('address')}:{'up' if p.get('alive') else 'down'}"
                                  for p in s.get("peers", []))
                out.append(f"{x.device_id} ({state}{', paused' if x.paused else ''}, clock {x.clock_offset:+d}s): "
                           f"role={s.get('role')} term={s.get('term')} master={s.get('master')} "
                           f"vv={json.dumps(s.get('version_vector'))} pending={s.get('pending_changes')} peers=[{peers}]")
            else:
                out.append(f"{x.device_id} ({state}{', paused' if x.paused else ''}): no status")
            out.append("  log tail:\n    " + x.log_tail(tail).replace("\n", "\n    "))
        return "\n".join(out)


# ---------------------------------------------------------------------------
# Clients: sell with Idempotency-Key, retry the same key until a definitive answer
# ---------------------------------------------------------------------------

MILK = "MILK"
MILK_STOCK = 1_000_000


class Ledger:
    def __init__(self):
        self.lock = threading.Lock()
        self.sales: dict[str, dict] = {}  # key -> {node, qty, receipt, day, total}
        self.refused: list[str] = []  # definitive answers other than 201
        self.abandoned: list[str] = []  # keys without a definitive answer
        self.attempts = 0
        self.retries = 0

    def ack(self, key: str, rec: dict) -> None:
        with self.lock:
            self.sales[key] = rec


class Client(threading.Thread):
    ATTEMPTS_MAX = 100_000  # tries of one key (>= 1.4 h at the 50 ms back-off)

    def __init__(self, store: Store, node: Node, name: str, seed: int, ledger: Ledger, gate: threading.Event,
                 stop: threading.Event, retry_deadline: list):
        super().__init__(name=name, daemon=True)
        self.store, self.node, self.ledger = store, node, ledger
        self.rng = random.Random(seed)
        self.gate, self.stop_ev, self.retry_deadline = gate, stop, retry_deadline
        self.tag = name

    def run(self) -> None:
        for i in range(1, 10**7):  # bounded; in practice the run's stop event ends it
            if self.stop_ev.is_set():
                break
            if not self.gate.wait(timeout=0.5):
                continue
            if self.stop_ev.is_set():
                break
            qty = 1 + self.rng.randrange(3)
            key = f"{self.tag}-{i}"
            self.sell(key, qty)
            time.sleep(self.rng.uniform(0.05, 0.15))  # think time between sales (load shape, not a wait)

    def sell(self, key: str, qty: int) -> None:
        body = {"lines": [{"sku": MILK, "qty": qty}], "payments": [{"method": "cash", "amount_cents": 100000}]}
        first = True
        t_first = time.time()
        for attempt in range(self.ATTEMPTS_MAX):
            with self.ledger.lock:
                self.ledger.attempts += 1
                if not first:
                    self.ledger.retries += 1
            first = False
            st, j = http_call(self.node.http_port, "POST", "/v1/sales", body, {"Idempotency-Key": key}, timeout=3)
            if st is not None and st != 503:
                if st == 201 and isinstance(j, dict) and isinstance(j.get("receipt"), str):
                    self.ledger.ack(key, {"node": self.node.device_id, "qty": qty, "receipt": j["receipt"],
                                          "day": j.get("day", ""), "total": j.get("total_cents", 0), "body": body,
                                          "time": j.get("time", ""), "window": (t_first, time.time())})
                else:
                    with self.ledger.lock:
                        self.ledger.refused.append(f"{key} on {self.node.device_id}: {st} {j}")
                return
            if self.stop_ev.is_set() and time.monotonic() > self.retry_deadline[0]:
                with self.ledger.lock:
                    self.ledger.abandoned.append(f"{key} on {self.node.device_id}: last {st} {j}")
                return
            time.sleep(0.05)  # back-off before the retry
        with self.ledger.lock:
            self.ledger.abandoned.append(f"{key} on {self.node.device_id}: {self.ATTEMPTS_MAX} attempts")


# ---------------------------------------------------------------------------
# Monitor: who claims master at which term, sampled all along
# ---------------------------------------------------------------------------

class Monitor(threading.Thread):
    def __init__(self, store: Store, stop: threading.Event):
        super().__init__(name="monitor", daemon=True)
        self.store, self.stop_ev = store, stop
        self.masters_by_term: dict[int, set] = defaultdict(set)
        self.samples = 0
        self.max_simultaneous_masters = 0

    def run(self) -> None:
        for _ in range(10**8):  # bounded; the run's stop event ends it
            if self.stop_ev.wait(0.25):
                break
            now_masters = set()
            for x in self.store.nodes:
                if not x.up():
                    continue
                s = x.get_json("/v1/status", 1.0)
                if s.get("role") == "master":
                    self.masters_by_term[int(s.get("term", 0))].add(x.device_id)
                    now_masters.add(x.device_id)
            self.samples += 1
            self.max_simultaneous_masters = max(self.max_simultaneous_masters, len(now_masters))


# ---------------------------------------------------------------------------
# The schedule
# ---------------------------------------------------------------------------

def draw_episode(seed: int, i: int, ids: list[str], clock_steps: bool) -> dict:
    """Episode i of the schedule of `seed`: independent of the others and of timing."""
    r = random.Random(f"episode/{seed}/{i}")
    n = len(ids)
    kinds = ["partition", "partition", "partition", "pause", "kill", "flaky"] + (["clock"] if clock_steps else [])
    kind = r.choice(kinds)
    # Mostly short faults; one in five outlasts ZeroMQ's heartbeat timeout (3 s) by far, so that
    # blackholed connections are given up and redialled while the fault holds.
    hold = r.uniform(1.5, 4.5) if r.random() < 0.8 else r.uniform(5.0, 12.0)
    ep: dict = {"index": i, "kind": kind, "hold_s": round(hold, 2)}
    if kind == "partition":
        shape = r.choice(["halves", "isolate", "bridge", "one_way"])
        order = ids[:]
        r.shuffle(order)
        if shape == "isolate":
            sides = [order[:1], order[1:]]
        elif shape == "bridge" and n >= 3:
            ep["bridge"] = order[0]
            rest = order[1:]
            k = max(1, len(rest) // 2)
            sides = [rest[:k], rest[k:]]
        else:
            k = r.randint(1, n // 2)
            sides = [order[:k], order[k:]]
        ep.update(shape=shape if not (shape == "bridge" and n < 3) else "halves", sides=sides,
                  how=r.choice(["cut", "blackhole"]))
    elif kind in ("pause", "kill"):
        ep["target"] = r.choice(["master", "master", "other"])
        ep["pick"] = r.random()
    elif kind == "clock":
        ep["target"] = r.choice(["master", "other"])
        ep["pick"] = r.random()
        mag = r.choice([r.randint(2, 30), r.randint(60, 900), 90000])
        ep["step_s"] = mag * r.choice([1, -1])
    if kind == "flaky" or r.random() < 0.35:
        ep["flaky"] = {"delay_ms": r.choice([0, 5, 20, 80]), "jitter_ms": r.choice([0, 10, 40]),
                       "dup_p": r.choice([0.0, 0.05, 0.2]), "reorder_p": r.choice([0.0, 0.05, 0.2]),
                       "share": r.choice([0.3, 0.6, 1.0]), "pick_seed": r.getrandbits(32)}
    if clock_steps and kind != "clock" and r.random() < 0.2:
        ep["clock_also"] = {"pick": r.random(), "step_s": r.choice([-1, 1]) * r.randint(2, 120)}
    return ep


def pctl(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    v = sorted(values)
    k = min(len(v) - 1, max(0, int(round(p / 100.0 * (len(v) - 1)))))
    return v[k]


# ---------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------

class Run:
    def __init__(self, args, seed: int, root: str):
        self.args, self.seed, self.root = args, seed, root
        self.store = Store(args, seed, root)
        self.ids = [x.device_id for x in self.store.nodes]
        self.failures: list[str] = []
        self.faults = Counter()
        self.heals: list[dict] = []
        self.ledger = Ledger()
        self.gate = threading.Event()
        self.stop_clients = threading.Event()
        self.retry_deadline = [float("inf")]
        self.clients: list[Client] = []
        self.stop_monitor = threading.Event()
        self.monitor = Monitor(self.store, self.stop_monitor)
        self.oversell: list[dict] = []  # {sku, sales: [(node, receipt)]}
        self.last_skus: list[str] = []
        self.oversell_days = Counter()
        self.oversell_cents = Counter()
        self.unexpected_exits: list[str] = []
        self.expected_failures: list[str] = []
        self.term_splits: list[str] = []  # heals after which the nodes named one master at different terms
        self.deadline = T0 + (args.budget if args.budget else float("inf"))
        self.base_s = 0  # the store's time offset from real time: moves forward when real time "catches up" (reset_clocks)
        self.final_reserve = 0.0

    # Known, reported storenode issues a check may fail on (none at present; `hlc_forward_step`
    # was fixed by clock.max_skew_ms, docs/reliability.md, Findings 1).
    KNOWN_ISSUES: dict = {}

    def known_failure(self, issue: str, what: str) -> None:
        """A check that fails because of a known, reported storenode issue: an expected failure unless
        --strict (then a failure like any other)."""
        if self.args.strict:
            self.fail(f"[{issue}] {what}")
        else:
            log(f"EXPECTED FAILURE [{issue}: {self.KNOWN_ISSUES[issue]}]: {what}")
            self.expected_failures.append(f"[{issue}] {what}")

    def fail(self, what: str, detail: str = "") -> None:
        log(f"FAILED: {what}")
        self.failures.append(what + ("\n" + detail if detail else ""))

    # --- set-up ------------------------------------------------------------
    def setup(self) -> None:
        s = self.store
        log(f"address plan (every peer link through the proxy):\n{s.describe_plan()}")
        s.start_all()
        if not poll(lambda: s.one_master() is not None, 30):
            raise RuntimeError("no single master after start\n" + s.describe())
        log(f"master {s.one_master()}")
        self.check_no_bypass()
        n0 = s.nodes[0]
        need_ok = lambda st, j: st in (200, 201)
        st, j = http_call(n0.http_port, "POST", "/v1/products", {"sku": MILK, "name": "Milk 1L", "price_cents": 129,
                                                                  "tax_rate_bp": 700}, {"Idempotency-Key": "setup-milk"})
        if not need_ok(st, j):
            raise RuntimeError(f"product: {st} {j}")
        st, j = http_call(n0.http_port, "POST", "/v1/stock/receipts", {"sku": MILK, "qty": MILK_STOCK},
                          {"Idempotency-Key": "setup-milk-stock"})
        if not need_ok(st, j):
            raise RuntimeError(f"stock: {st} {j}")
        for k in range(self.args.oversell_skus):
            sku = f"LAST-{k}"
            st, j = http_call(n0.http_port, "POST", "/v1/products", {"sku": sku, "name": f"Last unit {k}", "price_cents": 500},
                              {"Idempotency-Key": f"setup-{sku}"})
            if not need_ok(st, j):
                raise RuntimeError(f"product {sku}: {st} {j}")
            st, j = http_call(n0.http_port, "POST", "/v1/stock/receipts", {"sku": sku, "qty": 1},
                              {"Idempotency-Key": f"setup-{sku}-stock"})
            if not need_ok(st, j):
                raise RuntimeError(f"stock {sku}: {st} {j}")
            self.last_skus.append(sku)
        for x in s.nodes:
            ok = poll(lambda: x.get_json(f"/v1/inventory/{MILK}").get("on_hand") == MILK_STOCK and all(
                x.get_json(f"/v1/inventory/{sku}").get("on_hand") == 1 for sku in self.last_skus[-1:]), 30)
            if not ok:
                raise RuntimeError(f"{x.device_id} never saw the products\n" + s.describe())
        ok = poll(lambda: s.converged()[0], 30)
        if not ok:
            raise RuntimeError("no convergence after set-up: " + s.converged()[1])
        log(f"products set up: {MILK} x{MILK_STOCK}, {len(self.last_skus)} last-unit skus")

    def check_no_bypass(self) -> None:
        """Every peer a node reports must be one of its links or an advertised (dead) address, and
        isolating a node through the proxy must make it lose every peer (no path around the proxy)."""
        s = self.store
        allowed_adv = {x.advertised for x in s.nodes}
        for x in s.nodes:
            st = x.get_json("/v1/status")
            for p in st.get("peers", []):
                addr = p.get("address", "")
                if addr not in x.peers and addr not in allowed_adv:
                    self.fail(f"{x.device_id} reports peer {p.get('device_id')} at {addr}: not a proxy link (bypass)")
        victim = s.nodes[-1]
        pipes = [p for (a, b), l in s.links.items() if victim.device_id in (a, b) for p in l.pipes()]
        s.proxy.set_faults(pipes, mode="cut")

        def lost() -> bool:
            for x in s.nodes:
                peers = x.get_json("/v1/status").get("peers", [])
                alive = {p.get("device_id") for p in peers if p.get("alive")}
                if x is victim and alive:
                    return False
                if x is not victim and victim.device_id in alive:
                    return False
            return True

        if not poll(lost, 15):
            self.fail("isolating a node through the proxy did not cut it off: some path bypasses the proxy",
                      s.describe(800))
        else:
            log(f"proxy check: {victim.device_id} cut off through its links alone")
        s.proxy.heal()
        if not poll(lambda: s.one_master() is not None, 30):
            self.fail("no single master after the proxy check", s.describe())

    # --- clients -------------------------------------------------------------
    def start_clients(self) -> None:
        for x in self.store.nodes:
            for t in range(self.args.clients_per_node):
                c = Client(self.store, x, f"{x.device_id}-c{t}-s{self.seed}", random.Random(f"client/{self.seed}/{x.device_id}/{t}").getrandbits(32),
                           self.ledger, self.gate, self.stop_clients, self.retry_deadline)
                self.clients.append(c)
                c.start()
        self.gate.set()

    def stop_and_drain_clients(self, retry_for: float) -> None:
        self.retry_deadline[0] = time.monotonic() + retry_for
        self.stop_clients.set()
        self.gate.set()
        for c in self.clients:
            c.join(timeout=retry_for + 10)
            if c.is_alive():
                self.fail(f"client {c.name} still running after {retry_for + 10:.0f}s")

    # --- faults --------------------------------------------------------------
    def pick(self, target: str, pick: float, among: Optional[list] = None) -> Node:
        nodes = among or [x for x in self.store.nodes if x.up()]
        if target == "master":
            st = self.store.statuses(1.0)
            m = [x for x in nodes if st.get(x.device_id, {}).get("role") == "master"]
            if m:
                return m[0]
        return nodes[int(pick * len(nodes)) % len(nodes)]

    def partition_pipes(self, ep: dict) -> list:
        s = self.store
        a_side, b_side = ep["sides"]
        pipes = []
        for a in a_side:
            for b in b_side:
                pipes += s.links[(a, b)].pipes()
                if ep["shape"] != "one_way":
                    pipes += s.links[(b, a)].pipes()
        return pipes

    def apply(self, ep: dict) -> dict:
        """Injects the episode's faults; returns what to undo at heal."""
        s = self.store
        undo: dict = {"restart": [], "resume": [], "clock": []}
        kind = ep["kind"]
        if "flaky" in ep:
            f = ep["flaky"]
            r = random.Random(f["pick_seed"])
            links = sorted(s.links)
            chosen = [l for l in links if r.random() < f["share"]] or [links[0]]
            kw = {k: f[k] for k in ("delay_ms", "jitter_ms", "dup_p", "reorder_p")}
            s.proxy.set_faults([p for l in chosen for p in s.links[l].pipes()], **kw)
            self.faults["flaky_links"] += len(chosen)
            if kw["delay_ms"] or kw["jitter_ms"]:
                self.faults["delay_links"] += len(chosen)
            if kw["dup_p"]:
                self.faults["duplicate_links"] += len(chosen)
            if kw["reorder_p"]:
                self.faults["reorder_links"] += len(chosen)
        if kind == "partition":
            s.proxy.set_faults(self.partition_pipes(ep), mode=ep["how"])
            self.faults[f"partition_{ep['how']}"] += 1
            self.faults[f"partition_shape_{ep['shape']}"] += 1
            if ep["shape"] in ("halves", "isolate"):  # not bridge: its sides still reach each other through the bridge
                self.try_oversell(ep)
        elif kind == "pause":
            x = self.pick(ep["target"], ep["pick"])
            x.pause()
            undo["resume"].append(x)
            ep["node"] = x.device_id
            self.faults["pause"] += 1
        elif kind == "kill":
            x = self.pick(ep["target"], ep["pick"])
            x.kill9()
            undo["restart"].append(x)
            ep["node"] = x.device_id
            self.faults["kill9"] += 1
        elif kind == "clock":
            x = self.pick(ep["target"], ep["pick"])
            x.step_clock(self.base_s + ep["step_s"])
            undo["clock"].append(x)
            ep["node"] = x.device_id
            self.faults["clock_step"] += 1
        if "clock_also" in ep:
            c = ep["clock_also"]
            x = self.pick("other", c["pick"])
            x.step_clock(self.base_s + c["step_s"])
            undo["clock"].append(x)
            self.faults["clock_step"] += 1
        return undo

    def reset_clocks(self, stepped: list) -> None:
        """Heals clock steps. A node whose clock ran more than half of clock.max_skew_ms ahead may
        have written events the others hold until their clocks reach them (docs/protocol.md 3.2,
        "Clock skew"), and its own HLC stays there until real time catches up. Rather than wait
        that long (up to 25 h), the store's time moves forward: every node's clock jumps to the
        furthest such offset (the base of later steps), as if real time had caught up; the held
        events then replicate within a second. Other steps go back to the base."""
        ahead = [x.clock_offset for x in stepped if x.clock_offset - self.base_s > self.args.max_skew_ms / 2000.0]
        if ahead:
            self.base_s = max(ahead)
            log(f"  clocks: real time catches up with the furthest step: every node's clock to {self.base_s:+d}s")
            self.faults["clock_catch_up"] += 1
            stepped = [x for x in self.store.nodes]
        for x in stepped:
            if x.clock_offset != self.base_s:
                x.step_clock(self.base_s)
                self.faults["clock_step"] += 1

    def try_oversell(self, ep: dict) -> None:
        """Sells the last unit of a fresh sku on one node of each side of the partition."""
        if not self.last_skus:
            return
        side_nodes = []
        for side in ep["sides"]:
            up = [self.store.by_id[d] for d in side if self.store.by_id[d].up()]
            if not up:
                return
            side_nodes.append(up[0])
        sku = self.last_skus.pop(0)
        rec = {"sku": sku, "episode": ep["index"], "sales": []}
        for k, x in enumerate(side_nodes):
            inv = x.get_json(f"/v1/inventory/{sku}")
            if inv.get("on_hand") != 1:
                self.fail(f"oversell {sku}: {x.device_id} shows on_hand {inv.get('on_hand')} before selling on its side "
                          f"of partition {ep['sides']} (expected 1: the other side's sale crossed the partition?)")
            key = f"oversell-{sku}-{k}-s{self.seed}"
            body = {"lines": [{"sku": sku, "qty": 1}], "payments": [{"method": "card", "amount_cents": 500}]}
            got = None
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                st, j = http_call(x.http_port, "POST", "/v1/sales", body, {"Idempotency-Key": key}, timeout=3)
                if st is not None and st != 503:
                    got = (st, j)
                    break
                time.sleep(0.05)
            if not got or got[0] != 201:
                self.fail(f"oversell {sku} on {x.device_id}: no 201 ({got})")
                continue
            rec["sales"].append((x.device_id, got[1]["receipt"], key, body))
            self.oversell_days[got[1].get("day", "")] += 1
            self.oversell_cents[got[1].get("day", "")] += got[1].get("total_cents", 0)
        self.oversell.append(rec)
        self.faults["oversell_pairs"] += 1

    def heal(self, undo: dict) -> None:
        s = self.store
        s.proxy.heal()
        for x in undo["resume"]:
            x.resume()
        self.reset_clocks(undo["clock"])
        for x in undo["restart"]:
            x.start()
        for x in undo["restart"]:
            if not x.wait_healthy(30):
                self.fail(f"{x.device_id} did not come back after kill -9", x.log_tail())

    def check_processes(self) -> None:
        for x in self.store.nodes:
            if x.proc is not None and x.proc.poll() is not None and x.proc.returncode != -signal.SIGKILL:
                msg = f"{x.device_id} exited by itself with {x.proc.returncode}"
                if msg not in self.unexpected_exits:
                    self.unexpected_exits.append(msg)
                    self.fail(msg, x.log_tail())
                    x.start()
                    x.wait_healthy(30)

    def left(self, reserve: float) -> float:
        """Seconds left of the run's budget once `reserve` is kept for what follows (at least 5)."""
        return max(5.0, self.deadline - time.monotonic() - reserve)

    def measure_heal(self, label: str, timeout: float) -> dict:
        """Polls until one master (all nodes agree), then, clients paused, until digests are equal."""
        s = self.store
        timeout = min(timeout, self.left(self.final_reserve))
        t0 = time.monotonic()
        rec = {"label": label}
        if poll(lambda: s.one_master() is not None, timeout, 0.05):
            rec["master_s"] = time.monotonic() - t0
        else:
            rec["master_s"] = None
            self.fail(f"{label}: no single master agreed by every node within {timeout:.0f}s after the heal", s.describe())
        self.gate.clear()
        t1 = time.monotonic()
        why = [""]

        def conv() -> bool:
            ok, w = s.converged()
            why[0] = w
            return ok

        if poll(conv, timeout, 0.1):
            rec["converge_s"] = time.monotonic() - t1
        else:
            rec["converge_s"] = None
            self.fail(f"{label}: not converged within {timeout:.0f}s after the heal: {why[0]}", s.describe())
        m = s.one_master()
        rec["master"] = m[0] if m else None
        rec["same_term"] = m[1] if m else None
        if m and not m[1]:
            self.term_splits.append(f"{label}: " + ", ".join(
                f"{d}@{st.get('term')}" for d, st in s.statuses().items()))
        self.gate.set()
        self.heals.append(rec)
        return rec

    # --- the schedule --------------------------------------------------------
    def chaos(self, seconds: float) -> None:
        end = min(time.monotonic() + seconds, self.deadline - self.args.final_reserve)
        self.final_reserve = self.args.final_reserve
        i = 0
        while time.monotonic() < end and i < 100000:
            ep = draw_episode(self.seed, i, self.ids, self.args.clock_steps)
            undo = self.apply(ep)
            log(f"episode {i}: {json.dumps({k: v for k, v in ep.items() if k not in ('pick',)})}")
            # Hold the faults while the clients sell (a timed fault, not a wait for a condition).
            hold_end = time.monotonic() + ep["hold_s"]
            while time.monotonic() < hold_end:
                time.sleep(0.05)
            self.heal(undo)
            self.check_processes()
            rec = self.measure_heal(f"episode {i} ({ep['kind']})", self.args.heal_timeout)
            log(f"  healed: one master after {rec['master_s'] if rec['master_s'] is None else round(rec['master_s'], 2)}s, "
                f"converged after {rec['converge_s'] if rec['converge_s'] is None else round(rec['converge_s'], 2)}s, "
                f"master {rec['master']}; {len(self.ledger.sales)} sales acknowledged")
            i += 1
        self.episodes = i

    # --- final checks ----------------------------------------------------------
    def final(self) -> dict:
        s = self.store
        log("final heal: links, pauses, clocks; clients finish their open sales")
        s.proxy.heal()
        self.reset_clocks([x for x in s.nodes if x.clock_offset != self.base_s])
        for x in s.nodes:
            if x.paused:
                x.resume()
            if not x.running():
                x.start()
                x.wait_healthy(30)
        self.final_reserve = self.args.final_reserve / 2
        self.stop_and_drain_clients(min(self.args.drain_timeout, self.left(self.final_reserve)))
        self.check_processes()
        rec = self.measure_heal("final", max(60.0, self.args.heal_timeout))
        self.final_reserve = 0.0
        self.stop_monitor.set()
        self.monitor.join(timeout=10)
        led = self.ledger
        acked = dict(led.sales)
        log(f"checking {len(acked)} acknowledged sales on {len(s.nodes)} nodes")
        result = {"sales_acknowledged": len(acked), "requests": led.attempts, "retries": led.retries,
                  "refused": len(led.refused), "abandoned": len(led.abandoned)}
        if led.refused:
            self.fail(f"{len(led.refused)} sales got a definitive answer other than 201, first: {led.refused[0]}")
        if led.abandoned:
            self.fail(f"{len(led.abandoned)} sales never got a definitive answer, first: {led.abandoned[0]}")

        # Lost: every acknowledged receipt on every node: in the node's log (a scan of its
        # sale.completed events) and through GET /v1/sales/{receipt} (every receipt, or a sample
        # of --receipt-gets per node in long runs).
        lost = set()
        missing_pairs = 0
        receipts = [v["receipt"] for v in acked.values()] + [r for o in self.oversell for (_, r, _, _) in o["sales"]]
        rng = random.Random(f"gets/{self.seed}")
        for x in s.nodes:
            ka = KeepAlive(x.http_port)
            logged = set()
            pos = 1
            for _ in range(100000):
                st, j = ka.get(f"/v1/events?from={pos}&limit=10000&type=sale.completed", timeout=30)
                if st != 200 or not isinstance(j, dict):
                    self.fail(f"{x.device_id}: /v1/events from {pos}: {st} {j}")
                    break
                for e in j.get("events", []):
                    logged.add(e.get("payload", {}).get("receipt"))
                if not j.get("events") or j.get("next", pos) <= pos:
                    break
                pos = j["next"]
            to_get = set(receipts if len(receipts) <= self.args.receipt_gets else rng.sample(receipts, self.args.receipt_gets))
            got = set()
            for r in to_get:
                st, j = ka.get(f"/v1/sales/{r}")
                if st == 200:
                    got.add(r)
            for r in receipts:
                if r not in logged or (r in to_get and r not in got):
                    missing_pairs += 1
                    if r not in lost and len(lost) < 5:
                        log(f"  {x.device_id} lacks {r} (in its log: {r in logged}; GET: {r in got if r in to_get else '-'})")
                    lost.add(r)
            ka.close()
        result["lost"] = len(lost)
        if lost:
            self.fail(f"{len(lost)} acknowledged sales missing on some node ({missing_pairs} node/receipt pairs), "
                      f"e.g. {sorted(lost)[:5]}")

        # Duplicated: one receipt per key, distinct receipts; a replay of a key returns its receipt
        # and appends nothing; the totals add up exactly.
        by_receipt = Counter(v["receipt"] for v in acked.values())
        dup_receipts = [r for r, n in by_receipt.items() if n > 1]
        replay_mismatch = 0
        keys = sorted(acked)
        sample = keys if self.args.replay_all else random.Random(self.seed).sample(keys, min(len(keys), self.args.replay_keys))
        for k in sample:
            v = acked[k]
            x = s.by_id[v["node"]]
            st, j = http_call(x.http_port, "POST", "/v1/sales", v["body"], {"Idempotency-Key": k}, timeout=10)
            if st != 201 or not isinstance(j, dict) or j.get("receipt") != v["receipt"]:
                replay_mismatch += 1
                if replay_mismatch <= 5:
                    log(f"  replay of {k} on {x.device_id}: {st} {j if not isinstance(j, dict) else j.get('receipt')} "
                        f"(acknowledged {v['receipt']})")
        result["replayed_keys"] = len(sample)
        result["replay_mismatches"] = replay_mismatch
        if dup_receipts:
            self.fail(f"{len(dup_receipts)} receipts acknowledged for two keys: {dup_receipts[:5]}")
        if replay_mismatch:
            self.fail(f"{replay_mismatch} of {len(sample)} replayed Idempotency-Keys did not return their first receipt")
        ok_conv, why = s.converged()
        if not ok_conv:
            poll(lambda: s.converged()[0], 30, 0.2)
        qty = sum(v["qty"] for v in acked.values())
        per_node_count = Counter(v["node"] for v in acked.values())
        for o in self.oversell:
            for (d, _, _, _) in o["sales"]:
                per_node_count[d] += 1
        per_day = Counter()
        per_day_cents = Counter()
        for v in acked.values():
            per_day[v["day"]] += 1
            per_day_cents[v["day"]] += v["total"]
        duplicated = 0
        for x in s.nodes:
            inv = x.get_json(f"/v1/inventory/{MILK}", 10)
            if inv.get("sold_qty") != qty or inv.get("on_hand") != MILK_STOCK - qty:
                duplicated += 1
                self.fail(f"{x.device_id}: {MILK} sold_qty {inv.get('sold_qty')} on_hand {inv.get('on_hand')}, "
                          f"acknowledged qty {qty} (on_hand {MILK_STOCK - qty})")
            for d, n in per_node_count.items():
                lst = x.get_json(f"/v1/sales?device={d}", 10)
                if lst.get("count") != n:
                    self.fail(f"{x.device_id}: /v1/sales?device={d} count {lst.get('count')}, acknowledged {n}")
            for day in sorted(set(per_day) | set(self.oversell_days)):
                rep = x.get_json(f"/v1/reports/daily?day={day}", 10)
                n = per_day[day] + self.oversell_days[day]
                cents = per_day_cents[day] + self.oversell_cents[day]
                if rep.get("transactions") != n or rep.get("gross_cents") != cents:
                    self.fail(f"{x.device_id}: daily report {day}: transactions {rep.get('transactions')} gross "
                              f"{rep.get('gross_cents')}, acknowledged {n} / {cents}")
        result["totals_mismatch_nodes"] = duplicated
        result["days"] = len(set(per_day) | set(self.oversell_days))
        result["duplicated_receipts"] = len(dup_receipts)

        # Sale dates (issue 9 item 5, clocks cannot be dragged): a sale's HLC time lies between the
        # earliest its own till's clock showed while the sale was made and the furthest that clock
        # had shown by then plus clock.max_skew_ms (its HLC never goes back, and takes from other
        # devices only timestamps within max_skew of its own clock), and its day is a day of that
        # range. A forward step of another node, however large, must not move it: before the
        # bound, every till adopted a +25 h step and booked its sales to the next day.
        skew_s = self.args.max_skew_ms / 1000.0
        misdated = []
        dragged = []
        ahead = []
        for k, v in acked.items():
            x = s.by_id[v["node"]]
            w0, w1 = v["window"]
            offs = x.offsets_between(w0, w1)
            lo = w0 + min(offs)
            hi = max(x.furthest_wall(w1), w1 + max(offs)) + skew_s + 1.0
            days = set()
            d = lo - lo % 86400
            while d <= hi:
                days.add(time.strftime("%Y-%m-%d", time.gmtime(d)))
                d += 86400
            if v["day"] not in days:
                misdated.append(f"{v['receipt']} ({k}) dated {v['day']} {v['time']}, till days {sorted(days)} (sold "
                                f"{w0 - T0_WALL:.2f}..{w1 - T0_WALL:.2f} s into the run, till clock offsets {sorted(offs)})")
            try:
                ts = calendar.timegm(time.strptime(v["time"][:19], "%Y-%m-%dT%H:%M:%S"))
                ahead.append(ts - (w1 + max(offs)))
                if ts > hi:
                    dragged.append(f"{v['receipt']} ({k}) at {v['time']}: {ts - hi + skew_s + 1.0:.0f} s ahead of the "
                                   f"furthest its till's clock showed (max_skew {skew_s:.0f} s)")
            except (ValueError, TypeError):
                pass
        result["sales_misdated"] = len(misdated)
        result["sales_dragged"] = len(dragged)
        result["sale_time_ahead_s_max"] = round(max(ahead), 1) if ahead else None
        result["sales_dated_over_60s_ahead"] = sum(1 for a in ahead if a > 60)
        if misdated:
            self.fail(f"{len(misdated)} sales dated on another business day than their till's clock allows, "
                      f"e.g. {misdated[0]}")
        if dragged:
            self.fail(f"{len(dragged)} sales stamped beyond their till's clock + max_skew (a clock was dragged), "
                      f"e.g. {dragged[0]}")
        refused = sum(x.metric('storenode_events_refused_total{reason="clock_skew"}') for x in s.nodes)
        result["events_refused_clock_skew"] = refused
        held = [x.device_id for x in s.nodes if x.get_json("/v1/status").get("clock", {}).get("skew_warning")]
        if held:
            self.fail(f"clock.skew_warning still set after the final heal on {held}")

        # Sync's bookkeeping: once every node holds every event, no node has pending changes.
        def no_pending() -> bool:
            return all(x.get_json("/v1/status").get("pending_changes") == 0 for x in s.nodes)

        if not poll(no_pending, min(30.0, self.left(0)), 0.2):
            self.fail("pending_changes not 0 on every node after convergence: " + ", ".join(
                f"{x.device_id}={x.get_json('/v1/status').get('pending_changes')}" for x in s.nodes))

        # Every log's hash chains, seqs, index and heads intact after the kills (storectl, read-only).
        if self.args.storectl:
            for x in s.nodes:
                try:
                    p = subprocess.run([self.args.storectl, "audit", "verify", "--data", x.data_dir, "--json"],
                                       capture_output=True, text=True, timeout=max(10.0, min(120.0, self.left(0))))
                    if p.returncode != 0:
                        self.fail(f"{x.device_id}: storectl audit verify exit {p.returncode}: {p.stdout[-2000:]} {p.stderr[-1000:]}")
                except subprocess.TimeoutExpired:
                    self.fail(f"{x.device_id}: storectl audit verify did not finish")
            result["audited_logs"] = len(s.nodes)

        # Divergence.
        digests = {x.device_id: json.dumps(x.get_json("/v1/digest", 30).get("projections"), sort_keys=True) for x in s.nodes}
        common = Counter(digests.values()).most_common(1)[0][0] if digests else ""
        divergent = [d for d, g in digests.items() if g != common]
        result["divergent_nodes"] = len(divergent)
        if divergent:
            self.fail(f"projection digests differ after the heal on {divergent}", json.dumps(digests, indent=1))

        # Oversell flagged on every node.
        flagged_ok = 0
        for o in self.oversell:
            sold = len(o["sales"])
            for x in s.nodes:
                inv = x.get_json(f"/v1/inventory/{o['sku']}", 10)
                want = 1 - sold
                if inv.get("on_hand") != want or inv.get("oversold") != (want < 0):
                    self.fail(f"oversell {o['sku']} (episode {o['episode']}, sold on {[d for d, *_ in o['sales']]}): "
                              f"{x.device_id} shows on_hand {inv.get('on_hand')} oversold {inv.get('oversold')}, "
                              f"expected {want} / {want < 0}")
                else:
                    flagged_ok += 1
            if sold == 2:
                for x in s.nodes:
                    cnt = x.get_json("/v1/inventory", 10).get("oversold_count", 0)
                    if cnt < sum(1 for q in self.oversell if len(q["sales"]) == 2):
                        self.fail(f"{x.device_id}: oversold_count {cnt} below the oversold skus")
                        break
        result["oversell_pairs"] = len(self.oversell)

        # Masters per term: election records of every node plus what the monitor saw.
        per_term: dict[int, set] = defaultdict(set)
        split_records = set()
        for x in s.nodes:
            for e in x.get_json("/v1/elections", 10).get("elections", []):
                if e.get("reason") == "split_brain":
                    split_records.add((e.get("term"), e.get("previous_master"), e.get("new_master")))
                    continue  # the loser's step-down, recorded at the loser's term: not an election
                if e.get("new_master"):
                    per_term[int(e.get("term", 0))].add(e["new_master"])
        for t, ms in self.monitor.masters_by_term.items():
            per_term[t] |= ms
        multi = {t: sorted(ms) for t, ms in per_term.items() if len(ms) > 1}
        result["terms"] = len(per_term)
        result["max_masters_per_term"] = max((len(v) for v in per_term.values()), default=0)
        result["terms_with_two_masters"] = multi
        result["max_simultaneous_masters_seen"] = self.monitor.max_simultaneous_masters
        result["split_brain_records"] = len(split_records)
        result["heals_with_terms_differing"] = len(self.term_splits)
        if self.term_splits:
            log("heals after which the nodes followed one master at different terms (reported, not a failure): "
                + "; ".join(self.term_splits[:5]))
        if self.args.quorum == "majority" and multi:
            self.fail(f"majority mode: more than one master in a term: {multi}")
        if self.args.quorum == "majority" and split_records:
            self.fail(f"majority mode: split_brain recorded (two masters at once): {sorted(split_records, key=str)}")
        heals_ok = [h for h in self.heals if h.get("master_s") is not None and h.get("converge_s") is not None]
        ms = [h["master_s"] for h in heals_ok]
        cs = [h["converge_s"] for h in heals_ok]
        result["heals"] = len(self.heals)
        result["heals_without_one_master"] = sum(1 for h in self.heals if h.get("master_s") is None)
        result["heals_not_converged"] = sum(1 for h in self.heals if h.get("converge_s") is None)
        result["one_master_s"] = {"p50": pctl(ms, 50), "p99": pctl(ms, 99), "max": max(ms, default=float("nan"))}
        result["converge_s"] = {"p50": pctl(cs, 50), "p99": pctl(cs, 99), "max": max(cs, default=float("nan"))}
        result["faults"] = dict(self.faults)
        result["proxy"] = self.proxy_totals()
        result["restarts"] = sum(x.starts - 1 for x in s.nodes)
        return result

    def proxy_totals(self) -> dict:
        tot = Counter()
        for st in self.store.proxy.stats().values():
            for k, v in vars(st).items():
                tot[k] += v
        return dict(tot)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--storenode", required=True)
    ap.add_argument("--storectl", default="", help="storectl binary: audit every node's log at the end")
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--quorum", choices=["any", "majority"], default="any")
    ap.add_argument("--nodes", type=int, default=4)
    ap.add_argument("--seconds", type=float, default=45.0, help="length of the chaos phase (default 45)")
    ap.add_argument("--minutes", type=float, default=None, help="length of the chaos phase in minutes (long run)")
    ap.add_argument("--clients-per-node", type=int, default=2)
    ap.add_argument("--oversell-skus", type=int, default=4)
    ap.add_argument("--heal-timeout", type=float, default=30.0)
    ap.add_argument("--drain-timeout", type=float, default=60.0)
    ap.add_argument("--budget", type=float, default=0.0,
                    help="seconds the whole run may take (ctest's TIMEOUT less a margin); waits shrink to fit")
    ap.add_argument("--final-reserve", type=float, default=30.0,
                    help="seconds of the budget kept for the final heal and checks (default 30)")
    ap.add_argument("--replay-keys", type=int, default=300, help="acknowledged keys replayed at the end (default 300)")
    ap.add_argument("--receipt-gets", type=int, default=5000,
                    help="receipts fetched with GET /v1/sales/{receipt} per node (all when fewer; default 5000)")
    ap.add_argument("--replay-all", action="store_true", help="replay every acknowledged key at the end (default: 300)")
    ap.add_argument("--strict", action=argparse.BooleanOptionalAction, default=True,
                    help="known storenode issues fail the run too (default; --no-strict reports them as expected "
                         "failures; none is known at present)")
    ap.add_argument("--no-clock-steps", dest="clock_steps", action="store_false")
    ap.add_argument("--max-skew-ms", type=int, default=60000, help="the nodes' clock.max_skew_ms (default 60000)")
    ap.add_argument("--clock-lib", default="",
                    help="the clock_shift preload library (default: build/tests/chaos/libclock_shift.so)")
    ap.add_argument("--json-out", default="")
    ap.add_argument("--artifacts", default="", help="directory for the node logs when the run fails")
    ap.add_argument("--keep", action="store_true", help="keep the temp dir (data and logs)")
    args = ap.parse_args()
    if args.nodes < 3 or args.nodes > 7:
        ap.error("--nodes must be 3..7")
    if args.seed is None and os.environ.get("STORENODE_CHAOS_SEED"):
        args.seed = int(os.environ["STORENODE_CHAOS_SEED"])
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1, 2**31)
    chaos_s = args.minutes * 60 if args.minutes is not None else args.seconds
    print(f"nemesis: seed {seed} (replay: --seed {seed} --quorum {args.quorum} --nodes {args.nodes} "
          f"--seconds {chaos_s:g})", flush=True)
    if args.clock_steps:
        args.clock_lib = find_clock_lib(args.clock_lib)
        if not args.clock_lib:
            print("nemesis: the clock_shift library was not found (cmake target clock_shift, "
                  "build/tests/chaos/libclock_shift.so; or --clock-lib PATH); "
                  "run with --no-clock-steps to test without clock steps", flush=True)
            return 2
    else:
        args.clock_lib = ""
    root = tempfile.mkdtemp(prefix=f"storenode-chaos-{seed}-")
    run = None
    code = 2
    stopping = []

    def on_signal(signum, frame):
        stopping.append(signum)
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, on_signal)
    try:
        run = Run(args, seed, root)
        run.setup()
        run.monitor.start()
        run.start_clients()
        run.chaos(chaos_s)
        result = run.final()
        result.update(seed=seed, quorum=args.quorum, nodes=args.nodes, chaos_seconds=chaos_s, episodes=run.episodes,
                      wall_seconds=round(time.monotonic() - T0, 1), failures=len(run.failures),
                      expected_failures=run.expected_failures)
        print("nemesis: result " + json.dumps(result, indent=1, default=str), flush=True)
        if args.json_out:
            with open(args.json_out, "w") as f:
                json.dump(result, f, indent=1, default=str)
        code = 0 if not run.failures else 1
    except KeyboardInterrupt as e:
        print(f"nemesis: interrupted ({e})", flush=True)
        code = 1
    except Exception:
        traceback.print_exc()
        if run is not None:
            run.failures.append("exception: " + traceback.format_exc().splitlines()[-1])
            try:
                print(run.store.describe(), flush=True)
            except Exception:
                pass
        code = 1 if run is not None else 2
    finally:
        if run is not None and run.failures:
            print(f"nemesis: {len(run.failures)} check(s) FAILED with seed {seed} "
                  f"(replay: --seed {seed} --quorum {args.quorum} --nodes {args.nodes} --seconds {chaos_s:g}):", flush=True)
            for f in run.failures:
                print("  - " + f.replace("\n", "\n    "), flush=True)
            if args.artifacts:
                os.makedirs(args.artifacts, exist_ok=True)
                for x in run.store.nodes:
                    try:
                        shutil.copy(x.log_path, os.path.join(args.artifacts, f"{x.device_id}.log"))
                    except OSError:
                        pass
                print(f"nemesis: node logs copied to {args.artifacts}", flush=True)
        if run is not None:
            run.stop_clients.set()
            run.gate.set()
            run.stop_monitor.set()
            run.store.stop()
        if args.keep:
            print(f"nemesis: kept {root}", flush=True)
        else:
            shutil.rmtree(root, ignore_errors=True)
        print(f"nemesis: seed {seed}: {'PASSED' if code == 0 else 'FAILED'} in {time.monotonic() - T0:.1f}s", flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
