#!/usr/bin/env python3
"""The store console in a real browser (issue 11 item 7): headless Chromium
driven by Selenium against real storenode processes on 127.0.0.1.

Usage: console_test.py --storenode PATH --artifacts DIR SCENARIO
Scenarios (one ctest test each, label `browser`):
  sign_in        security headers; wrong PIN; sign in on the PIN pad; who and
                 role shown; token in sessionStorage only; switch person; sign
                 out; first paint from Navigation Timing (figure)
  sell_cash      two lines by keyboard, cash, change and receipt (print
                 stylesheet); 20 sales timing Pay -> receipt on screen (figure)
  void_approval  a cashier's void asks for approval; a supervisor's PIN does it
  failover       2 nodes: kill -9 the master; the client's console shows the
                 notice and its new role within 2 s
  offline        2 nodes: stop the peer; Offline; pending rises by one per
                 sale; restart the peer; pending falls to 0 and Synced
  reload         reload mid-sale and finish it; reload while a sale is being
                 sent; the node killed mid-sale and restarted: each sold once
  reports_partial  the day's report warns that its figures are incomplete
                 while the daily projection is paused or catching up (after
                 an update), and no more once it has folded again
  manager_screens  a product with a tax rate typed as a percent (and one
                 refused); the report's per-staff figures under their names
Each saves a screenshot of its last screen in DIR/<scenario>.png; figures go
to DIR/<scenario>.json.
"""
import argparse
import json
from datetime import datetime
from zoneinfo import ZoneInfo
import os
import statistics
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Store, browser, http, poll  # noqa: E402

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402

WAIT = 30  # generous: a loaded 2-core machine; waits end as soon as the outcome shows


def q(d, css):
    return d.find_element(By.CSS_SELECTOR, css)


def text(d, css):
    els = d.find_elements(By.CSS_SELECTOR, css)
    return els[0].text if els else None


def wait_text(d, css, want, timeout=WAIT):
    """Until the text of css satisfies want (a string: equal; else a predicate)."""
    pred = (lambda t: t == want) if isinstance(want, str) else want
    return poll(lambda: (lambda t: t is not None and pred(t) and t)(text(d, css)), timeout, what=f"{css} to show {want}")


def sign_in(d, node, staff, pin, go=True):
    if go:
        d.get(node.url)
    wait_text(d, "h1", "Sign in")
    sid = q(d, "#staff-id")
    sid.clear()
    sid.send_keys(staff)
    q(d, "#pin").clear()
    for k in pin:  # the touch PIN pad
        q(d, f'.pinpad button[data-key="{k}"]').click()
    q(d, "#signin").click()


def signed_in(d, node, staff, pin, role):
    sign_in(d, node, staff, pin)
    wait_text(d, "#who-role", role)
    wait_text(d, "#sb-device", node.device_id)


def scan(d, code):
    s = q(d, "#scan")
    s.send_keys(code + Keys.ENTER)


def sale_lines(d):
    return len(d.find_elements(By.CSS_SELECTOR, "tr.line"))


def sell_one(d, code):
    """Scans one item, pays (the default: cash) and returns the receipt number."""
    scan(d, code)
    poll(lambda: sale_lines(d) == 1, WAIT, what="line")
    q(d, "#pay").click()
    return wait_text(d, "#receipt-no", lambda r: r.startswith("POS1-"))


def sales_count(node):
    return node.api("GET", "/v1/sales")["count"]


# ---- scenarios -----------------------------------------------------------------

def scenario_sign_in(store, d, figures):
    n = store.nodes[0]
    st, body, h = http(n.http_port, "GET", "/")
    assert st == 200 and "<!doctype html>" in body.lower(), st
    assert "default-src 'self'" in h.get("Content-Security-Policy", ""), h
    assert h.get("X-Content-Type-Options") == "nosniff", h
    assert not any(k.lower().startswith("access-control-") for k in h), h
    st, _, h = http(n.http_port, "GET", "/console/app.js", headers={"Origin": "http://evil.example"})
    assert st == 200 and h.get("Content-Type", "").startswith("text/javascript"), (st, h)
    assert not any(k.lower().startswith("access-control-") for k in h), h
    st, _, h = http(n.http_port, "GET", "/v1/status", headers={"Origin": "http://evil.example"})
    assert st == 401 and not any(k.lower().startswith("access-control-") for k in h), (st, h)

    # Cold first paint: a fresh browser profile, nothing cached.
    d.get(n.url)
    wait_text(d, "h1", "Sign in")
    nav = d.execute_script("""
      const n = performance.getEntriesByType('navigation')[0];
      const p = Object.fromEntries(performance.getEntriesByType('paint').map(e => [e.name, e.startTime]));
      const r = performance.getEntriesByType('resource').map(e => ({name: e.name, size: e.transferSize, body: e.decodedBodySize}));
      return {ttfb: n.responseStart, dcl: n.domContentLoadedEventEnd, load: n.loadEventEnd,
              first_paint: p['first-paint'], fcp: p['first-contentful-paint'], resources: r,
              html_bytes: n.decodedBodySize};""")
    figures["first_paint_ms"] = nav["first_paint"]
    figures["first_contentful_paint_ms"] = nav["fcp"]
    figures["dom_content_loaded_ms"] = nav["dcl"]
    figures["assets_bytes"] = nav["html_bytes"] + sum(r["body"] for r in nav["resources"])
    assert figures["assets_bytes"] <= 300 * 1024, figures
    assert nav["first_paint"] is not None and nav["first_paint"] < 3000, nav  # the figure is 300 ms; a loaded box is slower

    # A wrong PIN: refused, nothing stored.
    sign_in(d, n, "c1", "9999", go=False)
    wait_text(d, "#signin-error", lambda t: "wrong PIN" in t)
    assert d.execute_script("return sessionStorage.getItem('sn.session')") is None
    # The PIN pad signs in; who and the role are shown; the status bar is filled.
    sign_in(d, n, "c1", "1111", go=False)
    wait_text(d, "#who-role", "cashier")
    wait_text(d, "#who-name", "Cara Cashier")
    wait_text(d, "#sb-device", "POS1")
    wait_text(d, "#sb-role", "master")
    wait_text(d, "#sb-master", "POS1")
    # The store's only device: nobody to sync with, which is not "Offline".
    wait_text(d, "#sb-state", "Standalone")
    assert "only device" in q(d, "#sb-conn").get_attribute("title")
    assert d.execute_script("return localStorage.length") == 0
    assert json.loads(d.execute_script("return sessionStorage.getItem('sn.session')"))["staff_id"] == "c1"
    # A cashier sees Sell, Returns and Stock, not Products, Reports or Store.
    tabs = [a.text for a in d.find_elements(By.CSS_SELECTOR, "nav a")]
    assert tabs == ["Sell", "Returns", "Stock"], tabs
    # The status bar on every screen.
    for tab in ("returns", "stock", "sell"):
        d.get(n.url + "#" + tab)
        wait_text(d, "#sb-device", "POS1")
    # Switch person: a manager signs in at the same till.
    q(d, "#switch").click()
    wait_text(d, "h1", "Sign in")
    sign_in(d, n, "m1", "3333", go=False)
    wait_text(d, "#who-role", "manager")
    tabs = [a.text for a in d.find_elements(By.CSS_SELECTOR, "nav a")]
    assert tabs == ["Sell", "Returns", "Stock", "Products", "Reports", "Store"], tabs
    d.get(n.url + "#store")
    wait_text(d, "#devices", lambda t: "POS1" in t)
    # The device's creation date is the shop's date (store.time_zone), the
    # exact time in the tooltip.
    created = n.api("GET", "/v1/devices")["devices"][0]["created_at"]
    shop_day = datetime.fromisoformat(created.replace("Z", "+00:00")).astimezone(ZoneInfo(store.TIME_ZONE))
    cell = poll(lambda: d.find_element(By.CSS_SELECTOR, f'#devices span[title="{created}"]'), WAIT, what="created cell")
    assert f"{shop_day.month}/{shop_day.day}/" in cell.text or f"{shop_day.day}/{shop_day.month}/" in cell.text, (cell.text, created)
    d.save_screenshot(figures["_shot_store"])
    q(d, "#signout").click()
    wait_text(d, "h1", "Sign in")
    assert d.execute_script("return sessionStorage.getItem('sn.session')") is None


def sell_keyboard(d):
    """COFFEE by SKU and two TEA by barcode, cash 20.00, all from the keyboard."""
    scan(d, "COFFEE")
    poll(lambda: sale_lines(d) == 1, WAIT, what="first line")
    scan(d, "2*4002")
    poll(lambda: sale_lines(d) == 2, WAIT, what="second line")
    wait_text(d, "#total", "10.50")
    q(d, "#scan").send_keys(Keys.ENTER)  # empty code field: on to the payment
    poll(lambda: d.switch_to.active_element.get_attribute("id") == "tender", WAIT, what="focus on tender")
    t = d.switch_to.active_element
    t.send_keys(Keys.CONTROL, "a")
    t.send_keys("20" + Keys.ENTER)
    return wait_text(d, "#receipt-no", lambda r: r.startswith("POS1-"))


def scenario_sell_cash(store, d, figures):
    n = store.nodes[0]
    signed_in(d, n, "c1", "1111", "cashier")
    receipt = sell_keyboard(d)
    wait_text(d, "#change", "9.50")
    wait_text(d, "#receipt-total", "10.50")
    assert d.switch_to.active_element.get_attribute("id") == "new-sale"  # Enter starts the next sale
    s = n.api("GET", f"/v1/sales/{receipt}", expect=200)
    assert s["total_cents"] == 1050 and s["change_cents"] == 950 and len(s["lines"]) == 2, s
    # The receipt shows the sale's time in the shop's zone, not the API's UTC.
    meta = text(d, "#receipt-meta")
    local = datetime.fromisoformat(s["time"].replace("Z", "+00:00")).astimezone(ZoneInfo(store.TIME_ZONE))
    clock = f"{local.minute:02d}:{local.second:02d}"
    hours = {f"{local.hour}:{clock}", f"{local.hour:02d}:{clock}", f"{local.hour % 12 or 12}:{clock}"}
    assert any(h in meta for h in hours) and "T" not in meta.split("·")[-1], (meta, s["time"], local)
    assert str(local.day) in meta.split("·")[-1], (meta, local)
    assert text(d, "#receipt-staff") == "Served by Cara Cashier", text(d, "#receipt-staff")
    # The print stylesheet shows the receipt alone.
    d.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    assert not q(d, ".sell-right").is_displayed() and not q(d, "#statusbar").is_displayed()
    assert q(d, "#receipt").is_displayed()
    d.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
    d.save_screenshot(figures["_shot"])
    # Enter starts the next sale; 20 sales, Pay -> receipt on screen.
    times = []
    for _ in range(20):
        q(d, "#new-sale").click()
        poll(lambda: d.switch_to.active_element.get_attribute("id") == "scan", WAIT, what="scan focused")
        before = text(d, "#receipt-no")
        scan(d, "MUG")
        poll(lambda: sale_lines(d) == 1, WAIT, what="line")
        q(d, "#pay").click()
        wait_text(d, "#receipt-no", lambda r: r != before and r.startswith("POS1-"))
        ms = poll(lambda: d.execute_script(
            "const m = performance.getEntriesByName('pay-to-receipt'); return m.length ? m[m.length-1].duration : null"),
            WAIT, what="pay-to-receipt measure")
        times.append(ms)
    times.sort()
    figures["pay_to_receipt_ms"] = {"n": len(times), "p50": statistics.median(times),
                                    "p95": times[int(0.95 * len(times)) - 1], "max": times[-1]}
    assert figures["pay_to_receipt_ms"]["p95"] < 2000, figures  # the figure is 100 ms; a loaded box is slower
    assert sales_count(n) == 21


def scenario_void_approval(store, d, figures):
    n = store.nodes[0]
    signed_in(d, n, "c1", "1111", "cashier")
    receipt = sell_one(d, "COFFEE")
    d.get(n.url + "#returns")
    r = poll(lambda: d.find_element(By.ID, "ret-receipt"), WAIT, what="receipt field")
    r.send_keys(receipt + Keys.ENTER)
    wait_text(d, "#ret-sale", lambda t: receipt in t)
    q(d, "#void-reason").send_keys("customer changed mind")
    q(d, "#do-void").click()
    # A cashier may not void: the approval dialog asks for a supervisor.
    poll(lambda: q(d, "#approval").is_displayed(), WAIT, what="approval dialog")
    wait_text(d, "#approval .why", lambda t: "supervisor" in t)
    q(d, "#approver-id").send_keys("s1")
    for k in "2222":
        q(d, f'#approval .pinpad button[data-key="{k}"]').click()
    d.save_screenshot(figures["_shot_dialog"])
    q(d, "#approve").click()
    wait_text(d, "#void-done", lambda t: receipt in t)
    s = n.api("GET", f"/v1/sales/{receipt}", expect=200)
    assert s["voided"], s
    ev = n.api("GET", "/v1/events?type=sale.voided", expect=200)["events"]
    assert ev and ev[-1]["payload"].get("approver_id") == "s1" and ev[-1]["payload"].get("staff_id") == "c1", ev
    d.save_screenshot(figures["_shot"])


def scenario_failover(store, d, figures):
    a, b = store.nodes
    poll(lambda: b.status()["master"] == "POS1", WAIT, what="POS2 follows POS1")
    signed_in(d, b, "c1", "1111", "cashier")
    wait_text(d, "#sb-master", "POS1")
    wait_text(d, "#sb-role", "client")
    t0 = time.monotonic()
    a.kill9()
    wait_text(d, "#notices", lambda t: "Master changed to POS2" in t or "now master" in t, timeout=WAIT)
    wait_text(d, "#sb-role", "master", timeout=WAIT)
    elapsed = time.monotonic() - t0
    figures["kill_to_console_s"] = elapsed
    wait_text(d, "#sb-master", "POS2")
    wait_text(d, "#notices", lambda t: "POS1 went offline" in t)
    d.save_screenshot(figures["_shot"])
    assert elapsed <= 2.0, f"the new role showed {elapsed:.2f} s after kill -9 (issue 11: within 2 s)"


def pending(d):
    return int(text(d, "#sb-pending"))


def scenario_offline(store, d, figures):
    a, b = store.nodes
    signed_in(d, a, "c1", "1111", "cashier")
    wait_text(d, "#sb-state", "Synced", timeout=60)
    wait_text(d, "#sb-pending", "0", timeout=60)
    # "went offline" is a change from alive: POS1 must have heard POS2, and
    # the console's status stream (polled every 250 ms, node/status_events.hpp)
    # must have seen it so, before POS2 stops. "Synced" alone can show first
    # (a master with nothing pending), and the notice then never comes.
    poll(lambda: any(p.get("device_id") == "POS2" and p.get("alive") for p in a.status().get("peers", [])),
         WAIT, what="POS1 to hear POS2")
    time.sleep(1.0)
    b.stop()
    # The notice first: it is pushed within a second and a notice lasts 8 s
    # (web/status.js), while the sync state may turn Offline later than that.
    wait_text(d, "#notices", lambda t: "POS2 went offline" in t)
    wait_text(d, "#sb-state", "Offline", timeout=60)
    p0 = pending(d)
    for i in range(1, 4):
        before = text(d, "#receipt-no")
        if before:
            q(d, "#new-sale").click()
        scan(d, "TEA")
        poll(lambda: sale_lines(d) == 1, WAIT, what="line")
        q(d, "#pay").click()
        wait_text(d, "#receipt-no", lambda r, before=before: r != before and r.startswith("POS1-"))
        wait_text(d, "#sb-pending", str(p0 + i))
        wait_text(d, "#sb-state", "Offline")
    d.save_screenshot(figures["_shot_offline"])
    b.start()
    wait_text(d, "#notices", lambda t: "POS2 is back online" in t, timeout=60)
    wait_text(d, "#sb-pending", "0", timeout=60)
    wait_text(d, "#sb-state", "Synced", timeout=60)
    wait_text(d, "#sb-last", lambda t: t.endswith("s ago"))
    d.save_screenshot(figures["_shot"])
    assert b.api("GET", "/v1/sales", expect=200)["count"] == 3


def scenario_reload(store, d, figures):
    n = store.nodes[0]
    signed_in(d, n, "c1", "1111", "cashier")
    # 1. Reload mid-sale: the lines and the key survive; finished once.
    scan(d, "COFFEE")
    scan(d, "MUG")
    poll(lambda: sale_lines(d) == 2, WAIT, what="two lines")
    key = json.loads(d.execute_script("return sessionStorage.getItem('sn.sale')"))["key"]
    d.refresh()
    poll(lambda: sale_lines(d) == 2, WAIT, what="lines after reload")
    assert json.loads(d.execute_script("return sessionStorage.getItem('sn.sale')"))["key"] == key
    q(d, "#pay").click()
    first = wait_text(d, "#receipt-no", lambda r: r.startswith("POS1-"))
    assert sales_count(n) == 1
    # 2. Reload while the sale is on its way: the page sends it again with the same key.
    q(d, "#new-sale").click()
    scan(d, "TEA")
    poll(lambda: sale_lines(d) == 1, WAIT, what="line")
    d.execute_script("document.getElementById('pay').click(); location.reload();")
    # Either the reloaded page sent it again (same key: the node answers the
    # first reply or runs it once) and shows the receipt, or the answer came
    # before the page went away; either way it is sold exactly once.
    poll(lambda: sales_count(n) == 2 and d.execute_script("return sessionStorage.getItem('sn.sale')") is None, WAIT,
         what="the sale acknowledged")
    second = [s["receipt"] for s in n.api("GET", "/v1/sales", expect=200)["sales"] if s["receipt"] != first][0]
    # The page shows that receipt (sent again after the reload) or a new sale
    # (answered before the reload went through).
    poll(lambda: text(d, "#receipt-no") == second or (bool(d.find_elements(By.ID, "scan")) and not text(d, "#receipt-no")),
         WAIT, what="the receipt or a new sale")
    # 3. The node dies mid-sale: the page says so and retries with backoff;
    #    after the restart (sessions end with it) the sale finishes once.
    if d.find_elements(By.CSS_SELECTOR, "#new-sale"):
        q(d, "#new-sale").click()
    scan(d, "MUG")
    poll(lambda: sale_lines(d) == 1, WAIT, what="line")
    n.kill9()
    q(d, "#pay").click()
    wait_text(d, "#sale-state", lambda t: "does not answer" in t)
    wait_text(d, "#sb-state", "Offline")
    d.save_screenshot(figures["_shot_unreachable"])
    n.start()
    wait_text(d, "h1", "Sign in", timeout=60)  # the restart ended the session
    sign_in(d, n, "c1", "1111", go=False)
    third = wait_text(d, "#receipt-no", lambda r: r.startswith("POS1-") and r not in (first, second), timeout=60)
    assert sales_count(n) == 3, sales_count(n)
    sales = n.api("GET", "/v1/sales", expect=200)["sales"]
    assert sorted(s["receipt"] for s in sales) == sorted([first, second, third]), sales
    assert d.execute_script("return sessionStorage.getItem('sn.sale')") is None
    d.save_screenshot(figures["_shot"])


def scenario_reports_partial(store, d, figures):
    n = store.nodes[0]
    signed_in(d, n, "m1", "3333", "manager")
    sell_one(d, "COFFEE")
    # Folded: the day's report carries no warning.
    d.get(n.url + "#reports")
    # Today is the shop's business day (store.time_zone), not the browser's
    # (UTC here): the sale just made is in it.
    shop_today = datetime.now(ZoneInfo(store.TIME_ZONE)).date().isoformat()
    wait_text(d, "#report h3", lambda t: t.startswith("Day "))
    assert text(d, "#report h3") == f"Day {shop_today}", (text(d, "#report h3"), shop_today)
    assert n.api("GET", f"/v1/reports/daily?day={shop_today}", expect=200)["transactions"] == 1
    assert not text(d, "#r-partial"), text(d, "#r-partial")
    # The daily projection paused (as it is behind while a node rebuilds its
    # reports after an update): the figures say they are incomplete.
    n.api("POST", "/v1/projections/daily/pause", expect=200)
    q(d, "#r-load").click()
    wait_text(d, "#r-partial", lambda t: "incomplete" in t and "paused" in t)
    d.save_screenshot(figures["_shot"])
    n.api("POST", "/v1/projections/daily/resume", expect=200)
    poll(lambda: not n.api("GET", "/v1/projections")["projections"]["daily"]["paused"], WAIT, what="daily resumed")
    q(d, "#r-load").click()
    poll(lambda: not text(d, "#r-partial"), WAIT, what="the warning gone once daily folds again")


def scenario_manager_screens(store, d, figures):
    n = store.nodes[0]
    signed_in(d, n, "m1", "3333", "manager")
    # A tax rate is typed as a percent; the node gets basis points.
    d.get(n.url + "#products")
    wait_text(d, "#product-list", lambda t: "COFFEE" in t)
    for field, value in (("#p-sku", "CAKE"), ("#p-name", "Cake"), ("#p-price", "3.80"), ("#p-tax", "7,5")):
        q(d, field).clear()
        q(d, field).send_keys(value)
    q(d, "#p-save").click()
    wait_text(d, ".result", lambda t: "Saved CAKE" in t)
    assert n.api("GET", "/v1/products/CAKE", expect=200)["tax_rate_bp"] == 750
    wait_text(d, "#product-list", lambda t: "CAKE" in t)
    row = [r.text for r in d.find_elements(By.CSS_SELECTOR, "#product-list tr") if r.text.startswith("CAKE")][0]
    assert " 7.5 " in f" {row} ", row
    # Editing shows the percent back; a rate that is not one is refused, and nothing is sent.
    q(d, "#p-tax").clear()
    q(d, "#p-tax").send_keys("120")
    q(d, "#p-save").click()
    wait_text(d, ".result", lambda t: "Tax: a rate from 0 to 100" in t)
    assert n.api("GET", "/v1/products/CAKE", expect=200)["tax_rate_bp"] == 750
    # The report's per-staff figures name the person.
    d.get(n.url + "#sell")
    poll(lambda: d.find_elements(By.ID, "scan"), WAIT, what="the Sell screen")
    sell_one(d, "COFFEE")
    d.get(n.url + "#reports")
    wait_text(d, "#report", lambda t: "Mia Manager (m1)" in t)
    d.save_screenshot(figures["_shot"])


SCENARIOS = {
    "sign_in": (1, scenario_sign_in),
    "sell_cash": (1, scenario_sell_cash),
    "void_approval": (1, scenario_void_approval),
    "failover": (2, scenario_failover),
    "offline": (2, scenario_offline),
    "reload": (1, scenario_reload),
    "reports_partial": (1, scenario_reports_partial),
    "manager_screens": (1, scenario_manager_screens),
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--storenode", required=True)
    ap.add_argument("--artifacts", required=True)
    ap.add_argument("scenario", choices=sorted(SCENARIOS))
    args = ap.parse_args()
    os.makedirs(args.artifacts, exist_ok=True)
    devices, fn = SCENARIOS[args.scenario]
    base = os.path.join(args.artifacts, args.scenario)
    figures = {"_shot": base + ".png"}
    for extra in ("store", "dialog", "offline", "unreachable"):
        figures[f"_shot_{extra}"] = f"{base}-{extra}.png"
    store = Store(args.storenode, devices)
    d = None
    ok = False
    try:
        store.start()
        d = browser()
        fn(store, d, figures)
        ok = True
    except Exception:
        traceback.print_exc()
        if d is not None:
            try:
                d.save_screenshot(base + "-failure.png")
                for entry in d.get_log("browser")[-30:]:
                    print("browser:", entry.get("message"))
            except Exception:
                pass
        for n in store.nodes:
            print(f"--- {n.device_id} log tail ---\n{n.log_tail()}")
    finally:
        if d is not None:
            try:
                d.quit()
            except Exception:
                pass
        store.close(keep_logs_in=None if ok else base + "-logs")
    out = {k: v for k, v in figures.items() if not k.startswith("_")}
    with open(base + ".json", "w") as f:
        json.dump(out, f, indent=1)
    print(json.dumps(out))
    print("PASS" if ok else "FAIL", args.scenario)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
