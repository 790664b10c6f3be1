"""portico.py — the black-box fixture library.

Starts real porticod / portico-sim processes on loopback ports, talks to them
over HTTP only (http.client), and serves test media from a local HTTP server.
Python 3 standard library only.

Every process and server a test starts registers itself here; the runner
(tests/run.py) calls cleanup_all() after each test, which stops whatever is
left and fails the test if a process printed a sanitizer report.
"""
import http.client
import http.server
import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import threading
import time
import zlib
from concurrent.futures import ThreadPoolExecutor

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.path.join(ROOT, os.environ.get("PORTICO_BUILD", "build"))
VERSION = "2024-01-01"

SANITIZER_PATTERNS = ("ERROR: AddressSanitizer", "runtime error:", "LeakSanitizer")

# API.md §6: code -> HTTP status.
ERROR_STATUS = {
    "InvalidParameter": 400, "InvalidAction": 400, "Unauthorized": 401,
    "AIGCNotAvailable": 403, "Forbidden": 403, "ValidatePending": 409,
    "InvalidToken": 400, "TokenExpired": 410, "QuotaExceeded": 400,
    "PayloadTooLarge": 413, "UnsupportedMediaType": 415, "TooManyRequests": 429,
    "InternalError": 500, "UpstreamError": 502, "ServiceUnavailable": 503,
}

# The simulator's test endpoints (/_sim/stats, /_sim/faults, /_sim/objects)
# exist only with a test token; every simulator the tests start gets this one,
# and http_request sends it on /_sim/ paths (headers={"Authorization": None}
# sends none).
SIM_TEST_TOKEN = "portico-test-" + os.urandom(12).hex()

GROUP_ID_RE = re.compile(r"^group-\d{14}-[a-z0-9]{5}$")
ASSET_ID_RE = re.compile(r"^asset-\d{14}-[a-z0-9]{5}$")
RFC3339_UTC_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|\+00:00)$")

# ---------------------------------------------------------------- registry

_lock = threading.Lock()
_live = []       # objects with _cleanup() -> list of problem strings
_problems = []   # problems found outside any object (e.g. a CLI run)
_keep = os.environ.get("PORTICO_KEEP_TMP") == "1"


def _register(obj):
    with _lock:
        _live.append(obj)


def _problem(msg):
    with _lock:
        _problems.append(msg)


def cleanup_all():
    """Stops everything the current test started; returns problems found
    (sanitizer reports). Called by the runner after every test."""
    with _lock:
        objs = list(_live)
        _live.clear()
        probs = list(_problems)
        _problems.clear()
    for o in reversed(objs):
        try:
            probs.extend(o._cleanup())
        except Exception as e:  # cleanup must not hide the other objects
            probs.append("cleanup of %r failed: %s" % (o, e))
    return probs


def diagnostics():
    """Tail of the stderr of every live process: printed on a failure."""
    out = []
    with _lock:
        objs = list(_live)
    for o in objs:
        d = getattr(o, "diagnostics", None)
        if d:
            out.append(d())
    return "\n".join(x for x in out if x)


def sanitizer_report(text):
    for p in SANITIZER_PATTERNS:
        i = text.find(p)
        if i >= 0:
            return text[max(0, i - 200): i + 2000]
    return None


def _scan_file(path, what):
    try:
        with open(path, "r", errors="replace") as f:
            text = f.read()
    except OSError:
        return []
    rep = sanitizer_report(text)
    return ["sanitizer report in %s:\n%s" % (what, rep)] if rep else []


# ---------------------------------------------------------------- helpers


def npm_ci(directory, marker):
    """`npm ci` in directory (its committed package-lock.json) unless marker
    exists, under an exclusive file lock: modules run in parallel processes,
    and two `npm ci` in one folder at once break each other. Returns marker."""
    import fcntl
    if os.path.exists(marker):
        return marker
    npm = shutil.which("npm")
    assert npm, "npm is not installed; run `make deps` (tools/deps.sh installs nodejs and npm)"
    with open(os.path.join(directory, ".npm-ci.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not os.path.exists(marker):
            cp = subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=directory,
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                timeout=300)
            assert cp.returncode == 0 and os.path.exists(marker), \
                "npm ci in %s failed:\n%s" % (directory, cp.stdout.decode("utf-8", "replace")[-3000:])
    return marker

def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


# Every test serves media from loopback (MediaServer): the outbound URL
# policy refuses loopback unless the operator allows it, so the suite goes
# through the allow-list, never around it. A test of the policy itself
# passes env={"PORTICO_URL_ALLOW": ""} (none) or its own list.
URL_ALLOW = "127.0.0.0/8"


def _clean_env(extra=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTICO_")}
    env["PORTICO_URL_ALLOW"] = URL_ALLOW
    if extra:
        env.update({k: str(v) for k, v in extra.items()})
    return env


def http_request(port, method, path, body=None, headers=None, timeout=30):
    """One request on a fresh connection. Returns (status, headers, raw bytes).
    Tolerates a server that answers and closes before reading a large body."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        hdrs = {"Connection": "close"}
        if path.startswith("/_sim/"):
            hdrs["Authorization"] = "Bearer " + SIM_TEST_TOKEN
        if headers:
            hdrs.update(headers)
        hdrs = {k: v for k, v in hdrs.items() if v is not None}
        try:
            conn.request(method, path, body=body, headers=hdrs)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may reject early (413); its answer is still readable
        r = conn.getresponse()
        data = r.read()
        return r.status, r.headers, data
    finally:
        conn.close()


class Resp(tuple):
    """(status, headers, parsed_json) plus .raw (bytes), .elapsed (s), .req."""

    def __new__(cls, status, headers, parsed, raw, elapsed, req):
        r = tuple.__new__(cls, (status, headers, parsed))
        r.raw = raw
        r.elapsed = elapsed
        r.req = req
        return r

    status = property(lambda self: self[0])
    headers = property(lambda self: self[1])
    json = property(lambda self: self[2])

    def describe(self):
        return "request %s -> HTTP %s %s" % (self.req, self.status,
                                            self.raw[:600].decode("utf-8", "replace"))


def png_bytes(w, h, seed=0):
    """A real RGB PNG of w x h pixels (a gradient), made with zlib + struct."""
    rows = []
    for y in range(h):
        row = bytearray(b"\x00")
        v = (y * 255 // max(1, h - 1) + seed) & 0xFF
        for x in range(w):
            row += bytes(((x * 255 // max(1, w - 1)) & 0xFF, v, (seed * 37) & 0xFF))
        rows.append(bytes(row))
    raw = b"".join(rows)

    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 9))
            + chunk(b"IEND", b""))


GIF_BYTES = (b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00"
             b"\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;")


def parallel(fn, items, workers=None):
    """fn(item) for every item at once in threads; returns results in order
    (an exception raised by fn is returned in place of its result)."""
    items = list(items)
    workers = workers or max(1, len(items))
    # With one thread per item, all start together (a barrier); otherwise a
    # pool of workers drains the items.
    barrier = threading.Barrier(len(items)) if items and workers >= len(items) else None

    def run(it):
        try:
            if barrier is not None:
                try:
                    barrier.wait(timeout=10)
                except threading.BrokenBarrierError:
                    pass
            return fn(it)
        except Exception as e:
            return e

    with ThreadPoolExecutor(max_workers=workers) as ex:
        return list(ex.map(run, items))


# ---------------------------------------------------------------- envelope checks

def check_envelope(resp, action=None, version=VERSION):
    """The Volcengine envelope of API.md §2 on any Action response."""
    assert resp.json is not None, "body is not JSON: " + resp.describe()
    assert isinstance(resp.json, dict), "body is not an object: " + resp.describe()
    md = resp.json.get("ResponseMetadata")
    assert isinstance(md, dict), "no ResponseMetadata: " + resp.describe()
    rid = md.get("RequestId")
    assert isinstance(rid, str) and rid, "no RequestId: " + resp.describe()
    assert resp.headers.get("X-Request-Id") == rid, \
        "X-Request-Id %r != RequestId %r: %s" % (resp.headers.get("X-Request-Id"), rid, resp.describe())
    assert md.get("Service") == "portrait", "Service != portrait: " + resp.describe()
    assert isinstance(md.get("Region"), str) and md.get("Region"), "no Region: " + resp.describe()
    if action is not None:
        assert md.get("Action") == action, "Action %r != %r: %s" % (md.get("Action"), action, resp.describe())
    if version is not None:
        assert md.get("Version") == version, "Version %r != %r: %s" % (md.get("Version"), version, resp.describe())
    return md


def ok(resp, action=None):
    """Asserts a 200 success envelope; returns Result."""
    assert resp.status == 200, "expected 200: " + resp.describe()
    md = check_envelope(resp, action or resp.req.get("action"))
    assert "Error" not in md, "success carries an Error: " + resp.describe()
    assert isinstance(resp.json.get("Result"), dict), "no Result object: " + resp.describe()
    return resp.json["Result"]


def expect_error(resp, code, status=None, action=True, version=VERSION):
    """Asserts an error envelope with Error.Code == code and the §6 status."""
    status = status or ERROR_STATUS[code]
    act = resp.req.get("action") if action is True else action
    assert resp.status == status and resp.json is not None, \
        "expected %s (%d): %s" % (code, status, resp.describe())
    md = check_envelope(resp, act, version)
    err = md.get("Error")
    assert isinstance(err, dict), "no Error object: " + resp.describe()
    assert err.get("Code") == code, "expected %s: %s" % (code, resp.describe())
    assert isinstance(err.get("Message"), str) and err["Message"].strip(), "empty Message: " + resp.describe()
    assert "\n" not in err["Message"], "Message is not one sentence: " + resp.describe()
    assert "Result" not in resp.json or resp.json["Result"] in (None, {}), "error carries Result: " + resp.describe()
    return err


def blank_request_id(raw):
    """The raw body with the RequestId value replaced by a fixed string."""
    return re.sub(rb'("RequestId"\s*:\s*")[^"]*(")', rb"\1-\2", raw)


# ---------------------------------------------------------------- processes

class _Proc:
    """A spawned server process with stdout/stderr in files."""

    def _spawn(self, argv, env, tag):
        self.out_path = os.path.join(self.tmp, "%s.stdout" % tag)
        self.err_path = os.path.join(self.tmp, "%s.stderr" % tag)
        self._out = open(self.out_path, "ab")
        self._err = open(self.err_path, "ab")
        self.argv = argv
        self.proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                                     stdout=self._out, stderr=self._err)

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def stderr_text(self):
        try:
            with open(self.err_path, "r", errors="replace") as f:
                return f.read()
        except (OSError, AttributeError):
            return ""

    def stdout_text(self):
        try:
            with open(self.out_path, "r", errors="replace") as f:
                return f.read()
        except (OSError, AttributeError):
            return ""

    def diagnostics(self):
        t = self.stderr_text()
        if not t:
            return ""
        return "--- tail of %s stderr (%s):\n%s" % (self.name, self.err_path, t[-3000:])

    def _terminate(self, timeout):
        """SIGTERM, wait; returns the exit status (SIGKILL after timeout)."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError("%s did not exit within %ss of SIGTERM" % (self.name, timeout))
        return self.proc.returncode

    def stop(self, timeout=20):
        """SIGTERM and assert exit status 0 and no sanitizer report."""
        rc = self._terminate(timeout)
        self._close_files()
        rep = sanitizer_report(self.stderr_text())
        assert rep is None, "%s printed a sanitizer report:\n%s" % (self.name, rep)
        assert rc == 0, "%s exited with status %s after SIGTERM\n%s" % (self.name, rc, self.diagnostics())

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self._close_files()

    def _close_files(self):
        for f in (getattr(self, "_out", None), getattr(self, "_err", None)):
            if f and not f.closed:
                f.close()

    def _cleanup_proc(self):
        probs = []
        if self.proc is not None and self.proc.poll() is None:
            try:
                self._terminate(10)
            except AssertionError as e:
                probs.append(str(e))
        self._close_files()
        for path in self._all_err_paths:
            probs.extend(_scan_file(path, "%s (%s)" % (self.name, path)))
        return probs


# ---------------------------------------------------------------- store under test

def store_is_pg():
    """True when the suite runs against PostgreSQL (tests/run.py's second
    pass sets PORTICO_TEST_STORE=pg and PORTICO_TEST_PG to the shared test
    server's URL, postgres://portico@127.0.0.1:PORT)."""
    return os.environ.get("PORTICO_TEST_STORE") == "pg"


def _pgserver():
    import sys
    d = os.path.join(ROOT, "tests", "pg")
    if d not in sys.path:
        sys.path.insert(0, d)
    import pgserver
    return pgserver


def store_for(data_dir):
    """(store URL, database name) for a gateway on data_dir: (None, None)
    for SQLite; with PostgreSQL, a database named after the data dir,
    created on first use, so gateways sharing a data dir share records."""
    if not store_is_pg():
        return None, None
    base = os.environ.get("PORTICO_TEST_PG")
    assert base, "PORTICO_TEST_STORE=pg needs PORTICO_TEST_PG (the test server's URL)"
    import hashlib
    name = "t_" + hashlib.sha1(os.path.abspath(data_dir).encode()).hexdigest()[:20]
    marker = os.path.join(data_dir, ".pg-test-db")
    if not os.path.exists(marker):
        _pgserver().create_database_at(base, name)
        with open(marker, "w") as f:
            f.write(name + "\n")
    return "%s/%s" % (base, name), name


def drop_test_database(name):
    base = os.environ.get("PORTICO_TEST_PG")
    if base:
        _pgserver().drop_database_at(base, name)


class Gateway(_Proc):
    """A porticod on free loopback ports with its embedded simulator (with
    PostgreSQL, which a fleet may share, a portico-sim of its own instead:
    _start_own_sim).

    Gateway(processing_ms=300, args=[...], env={...}, data_dir=None,
            upstream=None, start=True)
    """

    def __init__(self, processing_ms=300, args=(), env=None, data_dir=None, upstream=None,
                 start=True, build=None):
        self.name = "porticod"
        self.build = build or BUILD
        self.binary = os.path.join(self.build, "porticod")
        self.tmp = tempfile.mkdtemp(prefix="portico-bb-")
        self.own_data_dir = data_dir is None
        self.data_dir = data_dir or os.path.join(self.tmp, "data")
        os.makedirs(self.data_dir, exist_ok=True)
        self.store_url, self.store_db = store_for(self.data_dir)
        self.processing_ms = processing_ms
        self.extra_args = list(args)
        self.extra_env = dict(env or {})
        self.upstream = upstream
        self.proc = None
        self.port = None
        self.admin_port = None  # the operators' listener (API.md §7)
        self.sim_port = None
        self.own_sim = None  # PostgreSQL: this gateway's own portico-sim (_start_own_sim)
        self._all_err_paths = []
        self._runs = 0
        self.usage_verify_skipped = None  # skip_usage_verify
        _register(self)
        if start:
            self.start()

    def __repr__(self):
        return "Gateway(port=%s, data=%s)" % (self.port, self.data_dir)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.running():
            self.stop()

    def start(self, timeout=15):
        if not os.path.exists(self.binary):
            raise FileNotFoundError("%s is not built" % self.binary)
        last = ""
        for _attempt in range(3):  # a free port may be taken between pick and bind
            self.port = free_port()
            self.admin_port = free_port()
            self.sim_port = free_port()
            env = {"PORTICO_SIM_PROCESSING_MS": self.processing_ms, "PORTICO_SIM_PORT": self.sim_port,
                   "PORTICO_SIM_TEST_TOKEN": SIM_TEST_TOKEN}
            if self.store_url:  # PORTICO_TEST_STORE=pg: this data dir's database
                env["PORTICO_STORE"] = self.store_url
            env.update(self.extra_env)
            argv = [self.binary, "--listen", "127.0.0.1:%d" % self.port,
                    "--admin-listen", "127.0.0.1:%d" % self.admin_port, "--data-dir", self.data_dir]
            if self.upstream:
                argv += ["--upstream", self.upstream]
            elif self.store_url:
                argv += self._start_own_sim(env)
            argv += self.extra_args
            self._runs += 1
            self._spawn(argv, _clean_env(env), "porticod%d" % self._runs)
            self._all_err_paths.append(self.err_path)
            deadline = time.time() + timeout
            while time.time() < deadline:
                if self.proc.poll() is not None:
                    break
                try:
                    st, _, _ = http_request(self.port, "GET", "/healthz", timeout=2)
                    if st == 200:
                        return self
                except OSError:
                    pass
                time.sleep(0.05)
            last = self.stderr_text()[-2000:]
            if self.proc.poll() is None:
                self.kill()
                raise AssertionError("porticod did not answer /healthz 200 within %ss\n%s" % (timeout, last))
            self._close_files()
            if "in use" not in last.lower() and "listen" not in last.lower():
                break
        raise AssertionError("porticod exited during start-up (status %s): %s\nstderr:\n%s"
                             % (self.proc.returncode, " ".join(self.argv), last))

    def restart(self):
        """Stops (asserting exit 0) and starts again on the same data dir."""
        if self.running():
            self.stop()
        return self.start()

    def _start_own_sim(self, env):
        """PORTICO_TEST_STORE=pg: porticod refuses its embedded simulator on
        PostgreSQL, a store a fleet may share (each node would be an upstream
        account of its own). So this gateway gets a portico-sim of its own,
        started and ended with each porticod process exactly as the embedded
        one is on SQLite: same settings (the gateway's PORTICO_SIM_* and
        friends), same allow-list (the operator's plus the gateway's own
        public URL, from which it fetches uploads), a fresh upstream on every
        start. Returns porticod's --upstream arguments; env gets the keys."""
        self._end_own_sim(kill=False)
        allow = ",".join(x for x in (env.get("PORTICO_URL_ALLOW", URL_ALLOW), "127.0.0.1:%d" % self.port) if x)
        ark_key = env.get("PORTICO_ARK_API_KEY") or "ark-" + os.urandom(12).hex()
        sim_env = dict(self.extra_env, PORTICO_URL_ALLOW=allow, PORTICO_ARK_API_KEY=ark_key)
        sim_env.setdefault("PORTICO_SIM_TEST_TOKEN", SIM_TEST_TOKEN)
        sim = Sim(access_key="AKLT" + os.urandom(12).hex(), secret_key=os.urandom(20).hex(),
                  processing_ms=self.processing_ms, env=sim_env, start=False, build=self.build)
        try:
            sim.start()
        except AssertionError:
            # A setting the simulator refuses (a malformed allow-list): porticod
            # is started anyway, against nothing, to refuse it in its own words.
            sim.kill()
            return ["--upstream", "http://127.0.0.1:%d" % free_port()]
        self.own_sim = sim
        self.sim_port = sim.port
        env.update({"PORTICO_VOLC_AK": sim.access_key, "PORTICO_VOLC_SK": sim.secret_key,
                    "PORTICO_ARK_API_KEY": ark_key})
        return ["--upstream", sim.url, "--ark-endpoint", sim.url]

    def _end_own_sim(self, kill):
        sim, self.own_sim = getattr(self, "own_sim", None), None
        if sim is not None:
            if kill:
                sim.kill()
            else:
                sim.stop()

    def stop(self, timeout=20):
        try:
            super().stop(timeout)
        finally:
            self._end_own_sim(kill=False)

    def kill(self):
        super().kill()
        self._end_own_sim(kill=True)
    def skip_usage_verify(self, why):
        """For a test that changes records behind the store's back (a lost
        row): the usage counters cannot equal a recount of such records, so
        teardown does not check them. why is kept for the record."""
        self.usage_verify_skipped = why

    def verify_usage(self):
        """`porticod usage verify` on this gateway's store: (exit status,
        output). 0 when every usage counter equals a recount of the records."""
        cp = self.cli("usage", "verify", check=False, timeout=60)
        return cp.returncode, (cp.stdout + cp.stderr).decode("utf-8", "replace")

    def _cleanup(self):
        probs = self._cleanup_proc()
        # InternalError means a bug (API.md §6), whatever the test accepted.
        bugs = [l for l in self.log_lines() if l.get("error") == "InternalError" or l.get("status") == 500]
        if bugs:
            probs.append("porticod answered InternalError/500 %d time(s) during the test, e.g. %s"
                         % (len(bugs), json.dumps(bugs[0])))
        # Usage metering (API.md §7): after whatever the test did, every
        # counter equals a recount of the records (issue 16), on SQLite and
        # PostgreSQL alike. Run while the store still exists.
        if self._runs and not self.usage_verify_skipped:
            try:
                rc, out = self.verify_usage()
            except Exception as e:  # a hung or missing binary is a problem too
                rc, out = -1, str(e)
            if rc != 0:
                probs.append("porticod usage verify failed after the test (exit %s): the usage counters do not "
                             "equal a recount of the records:\n%s" % (rc, out[-3000:]))
        if not _keep:
            shutil.rmtree(self.tmp, ignore_errors=True)
            if self.store_db and self.own_data_dir:
                drop_test_database(self.store_db)
        return probs

    # -------------------------------------------------------- CLI

    def cli(self, *args, check=True, timeout=30):
        """Runs `porticod keys|admin VERB --data-dir DIR REST...` (the data dir
        right after the subcommand words); returns CompletedProcess."""
        args = list(args)
        n = 2 if args[:1] in (["keys"], ["admin"]) else 1
        argv = [self.binary] + args[:n] + ["--data-dir", self.data_dir] + args[n:]
        env = _clean_env({"PORTICO_STORE": self.store_url} if self.store_url else None)
        cp = subprocess.run(argv, cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
        err = cp.stderr.decode("utf-8", "replace")
        rep = sanitizer_report(err)
        if rep:
            _problem("sanitizer report in %s:\n%s" % (" ".join(argv), rep))
        if check and cp.returncode != 0:
            raise AssertionError("%s exited %d\nstdout: %s\nstderr: %s" % (
                " ".join(argv), cp.returncode, cp.stdout.decode("utf-8", "replace"), err))
        return cp

    def create_key(self, customer, aigc=True):
        args = ["keys", "create", "--customer", customer]
        if not aigc:
            args.append("--no-aigc")
        cp = self.cli(*args)
        key = cp.stdout.decode().strip()
        assert key and "\n" not in key and " " not in key, \
            "keys create must print the key alone on one line, got %r" % cp.stdout
        return key

    def list_keys(self):
        """[(prefix, whole line)] from `keys list` (prefix = first field)."""
        cp = self.cli("keys", "list")
        rows = []
        for line in cp.stdout.decode("utf-8", "replace").splitlines():
            f = line.split()
            if f:
                rows.append((f[0], line))
        return rows

    def key_prefix(self, key, customer=None):
        """The prefix `keys list` shows for key: the first field that key
        starts with; else the only line naming the customer."""
        rows = self.list_keys()
        hits = [p for p, _ in rows if len(p) >= 4 and key.startswith(p)]
        if hits:
            return max(hits, key=len)
        if customer:
            named = [p for p, line in rows if customer in line.split()]
            if len(named) == 1:
                return named[0]
        raise AssertionError("cannot find the prefix of the key in `keys list`:\n%s"
                             % "\n".join(line for _, line in rows))

    def revoke_key(self, prefix):
        return self.cli("keys", "revoke", prefix)

    def create_admin_key(self):
        """`porticod admin create`: a new operator's admin key (API.md §7)."""
        cp = self.cli("admin", "create")
        key = cp.stdout.decode().strip()
        assert key and "\n" not in key and " " not in key, \
            "admin create must print the key alone on one line, got %r" % cp.stdout
        return key

    # -------------------------------------------------------- HTTP

    def action_raw(self, key, action, body=None, version=VERSION, headers=None, query=None,
                   timeout=30):
        """POST /v1/portrait/?Action=..&Version=..; body: dict (JSON-encoded),
        bytes/str (sent as is) or None (empty). Returns Resp."""
        return self._action(self.port, "/v1/portrait/", key, action, body, version, headers, query, timeout)

    def admin_action(self, admin_key, action, body=None, version=VERSION, headers=None, query=None,
                     timeout=30, port=None):
        """POST /admin/?Action=..&Version=.. on the admin listener (API.md §7)
        with admin_key as the Bearer key; as action_raw. port: another
        listener to send it to (the public one, to see it refused)."""
        return self._action(port or self.admin_port, "/admin/", admin_key, action, body, version, headers,
                            query, timeout)

    def admin_call(self, admin_key, action, body=None, **kw):
        """admin_action() that must succeed; returns Result."""
        return ok(self.admin_action(admin_key, action, body, **kw), action)

    def admin_get(self, path, timeout=10, headers=None):
        """GET on the admin listener (/metrics lives there only)."""
        return http_request(self.admin_port, "GET", path, None, headers, timeout=timeout)

    def _action(self, port, base, key, action, body, version, headers, query, timeout):
        if query is None:
            parts = []
            if action is not None:
                parts.append("Action=" + action)
            if version is not None:
                parts.append("Version=" + version)
            query = "&".join(parts)
        path = base + ("?" + query if query else "")
        if isinstance(body, (dict, list)):
            data = json.dumps(body).encode()
        elif isinstance(body, str):
            data = body.encode()
        elif body is None:
            data = b""
        else:
            data = body
        hdrs = {"Content-Type": "application/json"}
        if key is not None:
            hdrs["Authorization"] = "Bearer " + key
        if headers:
            hdrs.update(headers)
        hdrs = {k: v for k, v in hdrs.items() if v is not None}
        t0 = time.monotonic()
        st, h, raw = http_request(port, "POST", path, data, hdrs, timeout=timeout)
        el = time.monotonic() - t0
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = None
        shown = body if isinstance(body, dict) and len(json.dumps(body)) < 300 else "<%d bytes>" % len(data)
        return Resp(st, h, parsed, raw, el, {"action": action, "path": path, "body": shown})

    action = action_raw

    def call(self, key, action, body=None, **kw):
        """action() that must succeed; returns Result."""
        return ok(self.action(key, action, body, **kw), action)

    def get(self, path, timeout=10, headers=None):
        return http_request(self.port, "GET", path, None, headers, timeout=timeout)

    def sim_stats(self, port=None):
        st, _, raw = http_request(port or self.sim_port, "GET", "/_sim/stats", timeout=10)
        assert st == 200, "/_sim/stats answered %d: %r" % (st, raw[:300])
        return json.loads(raw)

    def log_lines(self):
        """Every JSON object line the gateway printed on stdout (all runs)."""
        out = []
        for i in range(1, self._runs + 1):
            p = os.path.join(self.tmp, "porticod%d.stdout" % i)
            try:
                with open(p, "r", errors="replace") as f:
                    for line in f:
                        line = line.strip()
                        if line.startswith("{"):
                            try:
                                out.append(json.loads(line))
                            except ValueError:
                                pass
            except OSError:
                pass
        return out

    # -------------------------------------------------------- shortcuts

    def create_group(self, key, name="g", **extra):
        body = {"Name": name, "GroupType": "AIGC"}
        body.update(extra)
        return self.call(key, "CreateAssetGroup", body)["Id"]

    def create_asset(self, key, group_id, url, asset_type="Image", name=None):
        body = {"GroupId": group_id, "URL": url, "AssetType": asset_type}
        if name is not None:
            body["Name"] = name
        return self.call(key, "CreateAsset", body)["Id"]


class Sim(_Proc):
    """A standalone portico-sim on a free loopback port."""

    def __init__(self, access_key="AKTEST", secret_key="SKTEST", processing_ms=300, args=(),
                 env=None, start=True, build=None):
        self.name = "portico-sim"
        self.binary = os.path.join(build or BUILD, "portico-sim")
        self.tmp = tempfile.mkdtemp(prefix="portico-sim-")
        self.access_key = access_key
        self.secret_key = secret_key
        self.processing_ms = processing_ms
        self.extra_args = list(args)
        self.extra_env = dict(env or {})
        self.proc = None
        self.port = None
        self._all_err_paths = []
        _register(self)
        if start:
            self.start()

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def start(self, timeout=15):
        if not os.path.exists(self.binary):
            raise FileNotFoundError("%s is not built" % self.binary)
        for attempt in range(3):  # a free port may be taken between pick and bind
            self.port = free_port()
            env = {"PORTICO_SIM_PROCESSING_MS": self.processing_ms, "PORTICO_SIM_TEST_TOKEN": SIM_TEST_TOKEN}
            env.update(self.extra_env)
            argv = [self.binary, "--listen", "127.0.0.1:%d" % self.port, "--quiet",
                    "--access-key", self.access_key, "--secret-key", self.secret_key] + self.extra_args
            self._spawn(argv, _clean_env(env), "sim")
            self._all_err_paths.append(self.err_path)
            deadline = time.time() + timeout
            while time.time() < deadline and self.proc.poll() is None:
                try:
                    socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                    return self
                except OSError:
                    time.sleep(0.05)
            if self.proc.poll() is None:
                self.kill()
                raise AssertionError("portico-sim did not listen within %ss" % timeout)
            last = self.stderr_text()[-2000:]
            self._close_files()
            if attempt == 2 or "cannot listen" not in last:
                raise AssertionError("portico-sim exited during start-up (status %s)\n%s"
                                     % (self.proc.returncode, last))

    def stats(self):
        st, _, raw = http_request(self.port, "GET", "/_sim/stats", timeout=10)
        assert st == 200, "/_sim/stats answered %d" % st
        return json.loads(raw)

    def _cleanup(self):
        probs = self._cleanup_proc()
        if not _keep:
            shutil.rmtree(self.tmp, ignore_errors=True)
        return probs


# ---------------------------------------------------------------- media

class MediaServer:
    """Serves generated media on a free loopback port:
      /img/WxH.png   a real PNG of that size (any query string ignored)
      /img/a.gif     a GIF;  /doc.txt  text;  anything else 404.
    """

    def __init__(self):
        self.hits = {}
        self._cache = {}
        lock = threading.Lock()
        media = self

        class H(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def log_message(self, *a):
                pass

            def _body(self):
                path = self.path.split("?", 1)[0]
                with lock:
                    media.hits[path] = media.hits.get(path, 0) + 1
                m = re.match(r"^/img/(\d+)x(\d+)(?:-\w+)?\.png$", path)
                if m:
                    w, h = int(m.group(1)), int(m.group(2))
                    with lock:
                        b = media._cache.get((w, h))
                        if b is None:
                            b = media._cache[(w, h)] = png_bytes(w, h)
                    return 200, "image/png", b
                if re.match(r"^/img/\w+\.gif$", path):
                    return 200, "image/gif", GIF_BYTES
                if path == "/doc.txt":
                    return 200, "text/plain", b"this is not an image\n" * 50
                return 404, "text/plain", b"not found\n"

            def do_GET(self):
                st, ct, b = self._body()
                self.send_response(st)
                self.send_header("Content-Type", ct)
                self.send_header("Content-Length", str(len(b)))
                self.end_headers()
                self.wfile.write(b)

            def do_HEAD(self):
                st, ct, b = self._body()
                self.send_response(st)
                self.send_header("Content-Type", ct)
                self.send_header("Content-Length", str(len(b)))
                self.end_headers()

        class S(http.server.ThreadingHTTPServer):
            def handle_error(self, request, client_address):
                pass  # a client (the upstream) that hangs up early is not our failure

        self.server = S(("127.0.0.1", 0), H)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        _register(self)

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def png_url(self, w=640, h=640, tag=None):
        return self.url("/img/%dx%d%s.png" % (w, h, "-" + tag if tag else ""))

    def close(self):
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def _cleanup(self):
        self.close()
        return []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


# ---------------------------------------------------------------- polling

def get_asset(gw, key, asset_id):
    return gw.call(key, "GetAsset", {"Id": asset_id})


def wait_status(gw, key, asset_id, want=("Active", "Failed"), timeout=10, interval=0.1):
    """Polls GetAsset until UpstreamStatus is in want; returns the Asset."""
    deadline = time.monotonic() + timeout
    a = None
    while True:
        a = get_asset(gw, key, asset_id)
        if a.get("UpstreamStatus") in want:
            return a
        if time.monotonic() > deadline:
            raise AssertionError("asset %s still %r after %ss (want %s): %r"
                                 % (asset_id, a.get("UpstreamStatus"), timeout, want, a))
        time.sleep(interval)


def wait_sim_count(stats_fn, field, want, timeout=5):
    """Polls a simulator's /_sim/stats until stats[field] == want (the
    upstream's own count of live groups/assets); returns the stats."""
    deadline = time.monotonic() + timeout
    while True:
        st = stats_fn()
        if st.get(field) == want:
            return st
        if time.monotonic() > deadline:
            raise AssertionError("upstream %s is %r, want %r (after %ss): %r"
                                 % (field, st.get(field), want, timeout, st))
        time.sleep(0.1)


def wait_active(gw, key, asset_id, timeout=10):
    a = wait_status(gw, key, asset_id, ("Active", "Failed"), timeout)
    assert a["UpstreamStatus"] == "Active", "asset %s became %r, not Active: %r" % (
        asset_id, a["UpstreamStatus"], a)
    return a
