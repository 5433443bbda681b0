"""Real storenode processes and a headless Chromium for the console's browser
tests (issue 11 item 7). Nodes run on 127.0.0.1 with free ports and a temp
dir each, in their own process group, killed with the test whatever happens
(setpriv --pdeathsig, atexit, finally). Every wait polls an outcome with a
deadline; nothing sleeps to wait for a condition.
"""
import atexit
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

LOCALHOST = "127.0.0.1"
ADMIN_PIN = "135790"


def poll(cond, timeout, interval=0.05, what="condition"):
    """cond() until truthy (returned) or timeout (AssertionError naming what)."""
    deadline = time.monotonic() + timeout
    last_error = None
    while True:
        try:
            v = cond()
            if v:
                return v
        except Exception as e:  # a flaky read counts as "not yet"
            last_error = e
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}" + (f" (last error: {last_error})" if last_error else ""))
        time.sleep(interval)


def _port_free(p):
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((LOCALHOST, p))
            return True
        except OSError:
            return False


def free_port():
    with socket.socket() as s:
        s.bind((LOCALHOST, 0))
        return s.getsockname()[1]


def free_pair():
    """A port P with P+1 and P+2 free too (a node's ROUTER, PUB and door)."""
    for _ in range(200):
        p = free_port()
        if p < 65000 and _port_free(p + 1) and _port_free(p + 2):
            return p
    raise RuntimeError("no three adjacent free ports")


def http(port, method, path, body=None, token=None, headers=None, timeout=10.0):
    """(status, parsed JSON or text, headers) of one request."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(f"http://{LOCALHOST}:{port}{path}", data=data, method=method)
    if body is not None:
        req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            raw, status, hdrs = r.read(), r.status, dict(r.headers)
    except urllib.error.HTTPError as e:
        raw, status, hdrs = e.read(), e.code, dict(e.headers)
    try:
        return status, json.loads(raw), hdrs
    except ValueError:
        return status, raw.decode(errors="replace"), hdrs


class Node:
    """One storenode process."""

    def __init__(self, storenode, root, device_id, priority, peers=(), admin=False, extra=()):
        self.storenode = storenode
        self.device_id = device_id
        self.priority = priority
        self.dir = os.path.join(root, device_id)
        os.makedirs(self.dir, exist_ok=True)
        self.http_port = free_port()
        self.bind_port = free_pair()
        self.peers = list(peers)
        self.admin = admin
        self.extra = list(extra)
        self.proc = None
        self.logf = None
        self._token = None
        self.join_code = None  # the one-time code of the first start of a device that joins (issue 9)

    @property
    def address(self):
        return f"tcp://{LOCALHOST}:{self.bind_port}"

    @property
    def url(self):
        return f"http://{LOCALHOST}:{self.http_port}/"

    def start(self):
        args = ["setpriv", "--pdeathsig", "KILL", "--", self.storenode, "--device-id", self.device_id,
                "--priority", str(self.priority), "--data-dir", os.path.join(self.dir, "data"),
                "--http", f"{LOCALHOST}:{self.http_port}", "--bind", self.address, "--http-threads", "8"]
        for p in self.peers:
            args += ["--peer", p]
        args += self.extra
        env = dict(os.environ)
        env.pop("STORENODE_ADMIN_PIN", None)
        env.pop("STORENODE_JOIN_CODE", None)
        if self.admin:
            env["STORENODE_ADMIN_PIN"] = ADMIN_PIN
        fresh = not os.path.exists(os.path.join(self.dir, "data"))
        if fresh and self.join_code:
            env["STORENODE_JOIN_CODE"] = self.join_code  # the device joins the store (docs/operations.md)
        elif fresh:
            args.append("--create-store")  # the store's first device
        self.logf = open(os.path.join(self.dir, "node.log"), "ab")
        self.proc = subprocess.Popen(args, stdout=self.logf, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        _live.add(self)
        poll(lambda: http(self.http_port, "GET", "/healthz", timeout=2)[0] == 200, 30, what=f"{self.device_id} healthy")
        self._token = None

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def kill9(self):
        if self.running():
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def stop(self):
        """SIGTERM (a master hands off first), then SIGKILL after 15 s."""
        if not self.running():
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.kill9()

    def token(self):
        if not self._token:
            st, body, _ = http(self.http_port, "POST", "/v1/sessions", {"staff_id": "admin", "pin": ADMIN_PIN})
            assert st == 201, (st, body)
            self._token = body["token"]
        return self._token

    def api(self, method, path, body=None, headers=None, expect=None):
        st, out, _ = http(self.http_port, method, path, body, self.token(), headers)
        if st == 401:  # a restart ended the session
            self._token = None
            st, out, _ = http(self.http_port, method, path, body, self.token(), headers)
        if expect is not None:
            assert st in (expect if isinstance(expect, tuple) else (expect,)), (method, path, st, out)
        return out

    def status(self):
        return self.api("GET", "/v1/status", expect=200)

    def log_tail(self, n=3000):
        try:
            with open(os.path.join(self.dir, "node.log"), "rb") as f:
                return f.read()[-n:].decode(errors="replace")
        except OSError:
            return ""


_live = set()


def _kill_all():
    for n in list(_live):
        try:
            n.kill9()
        except Exception:
            pass


atexit.register(_kill_all)
for _sig in (signal.SIGTERM, signal.SIGINT):
    signal.signal(_sig, lambda *_: (_kill_all(), os._exit(1)))


class Store:
    """A store of 1 or 2 nodes in a temp dir, seeded with products and staff."""

    STAFF = {"c1": ("Cara Cashier", "cashier", "1111"), "s1": ("Sam Supervisor", "supervisor", "2222"),
             "m1": ("Mia Manager", "manager", "3333")}
    PRODUCTS = [{"sku": "COFFEE", "name": "Coffee", "barcode": "4001", "price_cents": 450, "tax_rate_bp": 2000},
                {"sku": "TEA", "name": "Green tea", "barcode": "4002", "price_cents": 300, "tax_rate_bp": 2000},
                {"sku": "MUG", "name": "Mug", "barcode": "4003", "price_cents": 1200, "tax_rate_bp": 2000}]

    # The store's zone (store.time_zone): far from UTC, so that a time or a
    # day shown in UTC or in the browser's zone (UTC here) shows as wrong.
    TIME_ZONE = "Pacific/Auckland"

    def __init__(self, storenode, devices=1):
        self.root = tempfile.mkdtemp(prefix="sn-browser-")
        self.nodes = []
        zone = ("--store.time-zone", self.TIME_ZONE)
        first = Node(storenode, self.root, "POS1", 30, admin=True, extra=zone)
        self.nodes.append(first)
        if devices > 1:
            second = Node(storenode, self.root, "POS2", 20, extra=zone)
            first.peers = [second.address]
            second.peers = [first.address]
            self.nodes.append(second)

    def start(self):
        a = self.nodes[0]
        a.start()
        for n in self.nodes[1:]:
            if not os.path.exists(os.path.join(n.dir, "data")):
                n.join_code = a.api("POST", f"/v1/devices/{n.device_id}/enrollment", {"priority": n.priority},
                                    expect=201)["code"]
            n.start()
        poll(lambda: a.status()["role"] == "master", 30, what="POS1 master")
        for sid, (name, role, pin) in self.STAFF.items():
            a.api("POST", "/v1/staff", {"staff_id": sid, "name": name, "role": role, "pin": pin}, expect=(201, 409))
        for p in self.PRODUCTS:
            a.api("POST", "/v1/products", p, expect=(200, 201))
            a.api("POST", "/v1/stock/receipts", {"sku": p["sku"], "qty": 100}, expect=201)
        if len(self.nodes) > 1:
            b = self.nodes[1]
            # POS2 signs in with the admin replicated from POS1.
            poll(lambda: http(b.http_port, "POST", "/v1/sessions", {"staff_id": "m1", "pin": "3333"})[0] == 201, 60,
                 what="staff replicated to POS2")
            poll(lambda: b.api("GET", "/v1/products")["count"] == len(self.PRODUCTS), 60, what="products on POS2")
        return self

    def close(self, keep_logs_in=None):
        for n in self.nodes:
            n.kill9()
            _live.discard(n)
            if n.logf:
                n.logf.close()
        if keep_logs_in:
            os.makedirs(keep_logs_in, exist_ok=True)
            for n in self.nodes:
                src = os.path.join(n.dir, "node.log")
                if os.path.exists(src):
                    shutil.copy(src, os.path.join(keep_logs_in, f"{n.device_id}.log"))
        shutil.rmtree(self.root, ignore_errors=True)


def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    o = webdriver.ChromeOptions()
    for a in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,900",
              "--disable-gpu", "--no-first-run", "--disable-extensions", "--disable-background-networking"):
        o.add_argument(a)
    o.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    o.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = shutil.which("chromedriver") or "/usr/bin/chromedriver"
    d = webdriver.Chrome(service=Service(driver), options=o)
    d.set_page_load_timeout(60)
    d.set_script_timeout(60)
    return d
