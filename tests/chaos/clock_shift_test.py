#!/usr/bin/env python3
"""Test of clock_shift (clock_shift.c), the LD_PRELOAD library that steps one
process's wall clock in the nemesis test: the wall clock (clock_gettime,
gettimeofday, time) moves by the file's offset and follows a step within
STEP_LAG_S, the monotonic clock does not move, an unreadable offset keeps the
last one, and storenode (linked with jemalloc) starts under it.

Usage: clock_shift_test.py --lib PATH/libclock_shift.so --storenode PATH
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

STEP_LAG_S = 2.5  # the nemesis's bound on how long a step takes to show (nemesis.py)

# A child that reports its clocks: shifted wall clock three ways and the
# monotonic clock, every 50 ms for the given seconds, one JSON line each.
CHILD = r"""
import ctypes, json, sys, time
libc = ctypes.CDLL(None)
libc.time.restype = ctypes.c_long
class timeval(ctypes.Structure):
    _fields_ = [("tv_sec", ctypes.c_long), ("tv_usec", ctypes.c_long)]
end = time.monotonic() + float(sys.argv[1])
while True:
    tv = timeval()
    assert libc.gettimeofday(ctypes.byref(tv), None) == 0
    print(json.dumps({"mono": time.monotonic(), "wall": time.time(), "time": libc.time(None),
                      "tod": tv.tv_sec + tv.tv_usec / 1e6}), flush=True)
    if time.monotonic() >= end:
        break
    time.sleep(0.05)
"""


def fail(msg: str) -> None:
    print(f"clock_shift_test: FAIL: {msg}", flush=True)
    sys.exit(1)


def write_offset(path: str, text: str) -> None:
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def start_child(lib: str, clock_file: str, seconds: float) -> subprocess.Popen:
    env = dict(os.environ, LD_PRELOAD=lib, STORENODE_CLOCK_FILE=clock_file)
    return subprocess.Popen([sys.executable, "-c", CHILD, str(seconds)], env=env, stdout=subprocess.PIPE, text=True)


def offsets(lines: list[str], wall0: float, mono0: float) -> list[tuple[float, dict]]:
    """Each reading as (real time, offsets of its three wall clocks from real time): the
    monotonic clock is the machine's in every process, so real = wall0 + (mono - mono0)."""
    out = []
    for line in lines:
        r = json.loads(line)
        real = wall0 + (r["mono"] - mono0)
        out.append((real, {"wall": r["wall"] - real, "time": r["time"] - real, "tod": r["tod"] - real}))
    return out


def near(x: float, want: float, tol: float) -> bool:
    return abs(x - want) <= tol


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--lib", required=True)
    ap.add_argument("--storenode", required=True)
    args = ap.parse_args()
    lib = os.path.abspath(args.lib)
    with tempfile.TemporaryDirectory(prefix="storenode-clock-shift-") as root:
        clock = os.path.join(root, "n.clock")

        # 1. A fixed offset: every wall clock an hour ahead, time() to the second.
        write_offset(clock, "+3600\n")
        mono0, wall0 = time.monotonic(), time.time()
        out = subprocess.run([sys.executable, "-c", CHILD, "0"], env=dict(os.environ, LD_PRELOAD=lib,
                             STORENODE_CLOCK_FILE=clock), capture_output=True, text=True, timeout=30)
        if out.returncode != 0:
            fail(f"child exited {out.returncode}: {out.stderr}")
        (real, off), = offsets(out.stdout.splitlines(), wall0, mono0)
        if not (near(off["wall"], 3600, 0.5) and near(off["tod"], 3600, 0.5) and near(off["time"], 3600, 1.5)):
            fail(f"+3600: offsets {off}")
        print(f"fixed +3600: offsets {off}")

        # 2. Steps while running: 0, then -120, then garbage (keeps -120), then +45.
        write_offset(clock, "0\n")
        mono0, wall0 = time.monotonic(), time.time()
        child = start_child(lib, clock, 9.0)
        steps = [(1.5, "-120\n", -120), (4.0, "not a number\n", -120), (6.0, "+45", 45)]
        step_at = []
        for at, text, want in steps:
            time.sleep(max(0.0, mono0 + at - time.monotonic()))
            write_offset(clock, text)
            step_at.append((wall0 + (time.monotonic() - mono0), want))
        lines, _ = child.communicate(timeout=30)
        if child.returncode != 0:
            fail(f"stepping child exited {child.returncode}")
        readings = offsets(lines.splitlines(), wall0, mono0)
        if len(readings) < 50:
            fail(f"only {len(readings)} readings")
        allowed_before = 0
        for real, off in readings:
            # the offset in force: the last step written more than STEP_LAG_S ago (or the one
            # before, while a step may still be on its way)
            want_now, want_maybe = 0, {0}
            for t, want in step_at:
                if real >= t:
                    want_maybe.add(want)
                if real >= t + STEP_LAG_S:
                    want_now, want_maybe = want, {want}
            if not any(near(off["wall"], w, 0.5) for w in want_maybe):
                fail(f"at +{real - wall0:.2f} s the wall clock was off by {off['wall']:.2f} s, expected one of "
                     f"{sorted(want_maybe)}")
            if real - wall0 < step_at[0][0] - wall0:
                allowed_before += 1
        last = readings[-1][1]["wall"]
        if not near(last, 45, 0.5):
            fail(f"last offset {last:.2f}, expected +45")
        if allowed_before < 10:
            fail(f"only {allowed_before} readings before the first step")
        print(f"steps 0 -> -120 -> (garbage) -> +45 followed in {len(readings)} readings")

        # 3. The monotonic clock is not shifted: the child's monotonic readings lie
        # within the parent's monotonic bounds around it (same machine clock).
        write_offset(clock, "+86400")
        before = time.monotonic()
        out = subprocess.run([sys.executable, "-c", "import time; print(time.monotonic())"], capture_output=True,
                             env=dict(os.environ, LD_PRELOAD=lib, STORENODE_CLOCK_FILE=clock), text=True, timeout=30)
        after = time.monotonic()
        child_mono = float(out.stdout.strip())
        if not (before <= child_mono <= after):
            fail(f"monotonic moved: child {child_mono}, parent {before}..{after}")
        print("monotonic clock untouched")

        # 4. storenode, linked with jemalloc, starts under it (libfaketime's set-up
        # recursed through jemalloc's and exited here).
        out = subprocess.run([args.storenode, "--version"], capture_output=True, text=True, timeout=30,
                             env=dict(os.environ, LD_PRELOAD=lib, STORENODE_CLOCK_FILE=clock))
        if out.returncode != 0 or "storenode" not in out.stdout:
            fail(f"storenode --version under clock_shift: rc {out.returncode}, out {out.stdout!r} err {out.stderr!r}")
        print(f"storenode starts under clock_shift: {out.stdout.strip()}")
    print("clock_shift_test: OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
