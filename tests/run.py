#!/usr/bin/env python3
"""run.py — runs every Portico test and prints one verdict.

    python3 tests/run.py [--build build|build/san] [-k SUBSTRING] [-j JOBS]

1. Every BUILD/tests/test_* unit binary (cwd = repo root): counts its
   "ok NAME" / "FAIL NAME" lines; a binary that exits non-zero without a FAIL
   line, crashes, or prints a sanitizer report is one more failure.
2. Every tests/blackbox/test_*.py module: each module runs in a child
   process (`run.py --module FILE`, which imports it and calls its test_*
   functions in order); modules run in parallel. A test function may take
   parameters `gw` (a fresh started Gateway) and `media` (a MediaServer).
   An exception is a failure; so is a sanitizer report in the stderr of any
   process the test started (tests/blackbox/portico.py keeps the registry).

3. The black-box modules again against PostgreSQL (lines tagged "[pg]"):
   the runner starts one throwaway server (tests/pg/pgserver.py) and each
   child runs with PORTICO_TEST_STORE=pg, so every Gateway gets its own
   database in it. --stores sqlite skips this pass.

Prints "ok NAME" / "FAIL NAME" per test, a time per module, and ends with
exactly one line "N passed, N failed"; exit status 0 only if nothing failed.
"""
import argparse
import glob
import importlib.util
import inspect
import os
import signal
import subprocess
import sys
import threading
import time
import traceback
from concurrent.futures import ThreadPoolExecutor

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
BLACKBOX = os.path.join(ROOT, "tests", "blackbox")
SAN_PATTERNS = ("ERROR: AddressSanitizer", "runtime error:", "LeakSanitizer")

UNIT_TIMEOUT = 300
MODULE_TIMEOUT = 540
TEST_TIMEOUT = 240


def san_env(build):
    """Sanitizer options for every spawned binary when the build is ASan."""
    if os.path.basename(os.path.normpath(build)) != "san" and os.environ.get("PORTICO_SAN") != "1":
        return
    os.environ.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0:halt_on_error=1:"
                          "strict_string_checks=1:detect_stack_use_after_return=1")
    os.environ.setdefault("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1")
    os.environ.setdefault("LSAN_OPTIONS", "report_objects=0")


def find_san(text):
    for p in SAN_PATTERNS:
        i = text.find(p)
        if i >= 0:
            return text[max(0, i - 200): i + 1500]
    return None


# ------------------------------------------------------------------ unit tests

def run_unit(path, k):
    """Returns (name, lines_to_print, passed, failed, seconds)."""
    name = os.path.basename(path)
    t0 = time.monotonic()
    lines = []
    passed = failed = 0
    try:
        cp = subprocess.run([path], cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, timeout=UNIT_TIMEOUT)
        out, err, rc = cp.stdout.decode("utf-8", "replace"), cp.stderr.decode("utf-8", "replace"), cp.returncode
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode("utf-8", "replace")
        err = (e.stderr or b"").decode("utf-8", "replace") + "\n(timeout after %ds)" % UNIT_TIMEOUT
        rc = -9
    whole = k is None or k in name
    saw_fail = False
    for line in out.splitlines():
        if line.startswith("ok "):
            t = line[3:].strip()
            if whole or k in t:
                passed += 1
                lines.append("ok %s.%s" % (name, t))
        elif line.startswith("FAIL "):
            saw_fail = True
            t = line[5:].strip()
            if whole or k in t:
                failed += 1
                lines.append("FAIL %s.%s" % (name, t))
    rep = find_san(err)
    if whole and rep:
        failed += 1
        lines.append("FAIL %s (sanitizer report)\n%s" % (name, rep))
    elif whole and rc != 0 and not saw_fail:
        failed += 1
        lines.append("FAIL %s (exit status %d)\n%s" % (name, rc, err[-3000:]))
    if failed and err.strip() and not rep and (rc == 0 or saw_fail):
        lines.append("  stderr of %s:\n%s" % (name, "\n".join("    " + x for x in err[-3000:].splitlines())))
    return name, lines, passed, failed, time.monotonic() - t0


# ------------------------------------------------------------------ black-box, parent side

def run_module_child(path, build, k, pg_url=None):
    """Runs one black-box module in a child process, in its own process group;
    with pg_url, against PostgreSQL (the server at pg_url) and tagged [pg]."""
    name = os.path.basename(path)[:-3]
    t0 = time.monotonic()
    argv = [sys.executable, os.path.abspath(__file__), "--build", build, "--module", path]
    if k:
        argv += ["-k", k]
    env = None
    if pg_url:
        env = dict(os.environ, PORTICO_TEST_STORE="pg", PORTICO_TEST_PG=pg_url)
    p = subprocess.Popen(argv, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, start_new_session=True, env=env)
    timer = threading.Timer(MODULE_TIMEOUT, lambda: _killpg(p))
    timer.start()
    out = p.stdout.read().decode("utf-8", "replace")
    p.wait()
    timer.cancel()
    _killpg(p)  # leftovers (servers) of a child that died
    passed = failed = 0
    lines = []
    for line in out.splitlines():
        if line.startswith("ok "):
            passed += 1
        elif line.startswith("FAIL "):
            failed += 1
        if not line.startswith("#summary"):
            lines.append(line)
    summary = [x for x in out.splitlines() if x.startswith("#summary")]
    if not summary:
        failed += 1
        why = "timeout after %ds" % MODULE_TIMEOUT if time.monotonic() - t0 >= MODULE_TIMEOUT else \
            "exit status %s" % p.returncode
        lines.append("FAIL %s (module runner died: %s)" % (name, why))
    if pg_url:
        name = "[pg] " + name
        lines = [("ok [pg] " + x[3:]) if x.startswith("ok ") else
                 ("FAIL [pg] " + x[5:]) if x.startswith("FAIL ") else x for x in lines]
    return name, lines, passed, failed, time.monotonic() - t0


def _killpg(p):
    try:
        os.killpg(p.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


# ------------------------------------------------------------------ black-box, child side

class TestTimeout(Exception):
    pass


def _alarm(signum, frame):
    raise TestTimeout("test exceeded %ds" % TEST_TIMEOUT)


def module_main(path, k):
    sys.path.insert(0, BLACKBOX)
    import portico  # noqa: E402  (after the path is set)
    modname = os.path.basename(path)[:-3]
    try:
        spec = importlib.util.spec_from_file_location(modname, path)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
    except Exception:
        print("FAIL %s (import)\n%s" % (modname, traceback.format_exc()), flush=True)
        print("#summary 0 1", flush=True)
        return 1
    tests = [(n, f) for n, f in vars(mod).items()
             if n.startswith("test_") and inspect.isfunction(f) and f.__module__ == modname]
    tests.sort(key=lambda nf: nf[1].__code__.co_firstlineno)
    signal.signal(signal.SIGALRM, _alarm)
    passed = failed = 0
    for n, f in tests:
        full = "%s.%s" % (modname, n)
        if k and k not in full:
            continue
        t0 = time.monotonic()
        err = None
        diag = ""
        signal.alarm(TEST_TIMEOUT)
        try:
            kwargs = {}
            for p in inspect.signature(f).parameters:
                if p == "gw":
                    kwargs[p] = portico.Gateway()
                elif p == "media":
                    kwargs[p] = portico.MediaServer()
                else:
                    raise TypeError("unknown fixture %r" % p)
            f(**kwargs)
        except BaseException as e:  # noqa: B902 — a test may raise anything
            if isinstance(e, KeyboardInterrupt):
                raise
            err = traceback.format_exc()
            diag = portico.diagnostics()
        finally:
            signal.alarm(0)
        probs = portico.cleanup_all()
        dt = time.monotonic() - t0
        if err is None and not probs:
            passed += 1
            print("ok %s (%.1fs)" % (full, dt), flush=True)
        else:
            failed += 1
            print("FAIL %s (%.1fs)" % (full, dt), flush=True)
            if err:
                print(_indent(err), flush=True)
            if diag:
                print(_indent(diag), flush=True)
            for pr in probs:
                print(_indent(pr), flush=True)
    print("#summary %d %d" % (passed, failed), flush=True)
    return 1 if failed else 0


def _indent(s):
    return "\n".join("    " + x for x in s.rstrip().splitlines())


# ------------------------------------------------------------------ PostgreSQL pass

# Black-box modules not run a second time against PostgreSQL: multinode
# and fleet_budget pick their stores themselves (several nodes on one
# PostgreSQL; fleet_budget's one-node runs on each store); blob_s3 tests
# the S3 client, not the store.
PG_SKIP = ("test_multinode", "test_fleet_budget", "test_blob_s3")


def start_pg():
    """The shared PostgreSQL server of the [pg] pass, or None (a failure is printed)."""
    sys.path.insert(0, os.path.join(ROOT, "tests", "pg"))
    try:
        import pgserver
        return pgserver.PgServer().start()
    except Exception:
        print("FAIL [pg] (cannot start the PostgreSQL test server)\n%s" % _indent(traceback.format_exc()))
        sys.stdout.flush()
        return None


# ------------------------------------------------------------------ main

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("-k", default=None, help="only tests whose name contains this")
    ap.add_argument("-j", type=int, default=int(os.environ.get("PORTICO_TEST_JOBS", "4")),
                    help="modules run at once (default 4)")
    ap.add_argument("--module", help=argparse.SUPPRESS)
    ap.add_argument("--no-unit", action="store_true", help="skip the unit binaries")
    ap.add_argument("--no-blackbox", action="store_true", help="skip the black-box modules")
    ap.add_argument("--stores", default=os.environ.get("PORTICO_TEST_STORES", "sqlite,pg"),
                    help="stores the black-box modules run against (default sqlite,pg)")
    a = ap.parse_args()
    os.chdir(ROOT)
    build = os.path.normpath(a.build)
    os.environ["PORTICO_BUILD"] = build
    san_env(build)
    if a.module:
        return module_main(a.module, a.k)

    jobs = []
    if not a.no_unit:
        for p in sorted(glob.glob(os.path.join(ROOT, build, "tests", "test_*"))):
            if os.access(p, os.X_OK) and not p.endswith((".o", ".d")) and os.path.isfile(p):
                jobs.append(("unit", p))
    if not a.no_blackbox:
        for p in sorted(glob.glob(os.path.join(BLACKBOX, "test_*.py"))):
            jobs.append(("bb", p))

    t_all = time.monotonic()
    total_p = total_f = 0
    print_lock = threading.Lock()

    stores = [x.strip() for x in a.stores.split(",") if x.strip()]
    if "sqlite" not in stores:
        jobs = [j for j in jobs if j[0] != "bb"]
    pg = None
    if "pg" in stores:
        # One throwaway server for the whole run: the [pg] modules and the
        # PostgreSQL unit test (build/tests/test_store_pg) use it.
        pg = start_pg()
        if pg is None:
            total_f += 1
        else:
            os.environ["PORTICO_TEST_PG"] = pg.base_url
    if pg is not None and not a.no_blackbox:
        # The same modules against PostgreSQL, but not those that start
        # their own servers or test no store (PG_SKIP).
        for p in sorted(glob.glob(os.path.join(BLACKBOX, "test_*.py"))):
            if not any(s in p for s in PG_SKIP):
                jobs.append(("bbpg", p))

    def run(job):
        kind, p = job
        if kind == "unit":
            r = run_unit(p, a.k)
        elif kind == "bbpg":
            r = run_module_child(p, build, a.k, pg.base_url)
        else:
            r = run_module_child(p, build, a.k)
        name, lines, ps, fs, dt = r
        with print_lock:
            for line in lines:
                print(line)
            if lines:
                print("# %s: %d passed, %d failed in %.1fs" % (name, ps, fs, dt))
            sys.stdout.flush()
        return ps, fs

    # Unit binaries first (fast, CPU-bound), then the modules in parallel.
    # The slowest modules start first so that the wall time is the longest one.
    bb = [j for j in jobs if j[0] in ("bb", "bbpg")]
    order = ["test_multinode", "test_fleet_budget", "test_upload", "test_liveness", "test_assets", "test_quota", "test_upstream_budget",
             "test_ops", "test_groups", "test_isolation", "test_auth_keys"]
    bb.sort(key=lambda j: (j[0] == "bbpg", next((i for i, o in enumerate(order) if o in j[1]), len(order))))
    try:
        with ThreadPoolExecutor(max_workers=2) as ex:
            for ps, fs in ex.map(run, [j for j in jobs if j[0] == "unit"]):
                total_p += ps
                total_f += fs
        with ThreadPoolExecutor(max_workers=max(1, a.j)) as ex:
            for ps, fs in ex.map(run, bb):
                total_p += ps
                total_f += fs
    finally:
        if pg is not None:
            pg.cleanup()
    print("# total time %.1fs" % (time.monotonic() - t_all))
    print("%d passed, %d failed" % (total_p, total_f))
    return 1 if total_f else 0


if __name__ == "__main__":
    sys.exit(main())
