"""Operations: /healthz, /readyz, /metrics, request log lines, request ids,
body limits, graceful shutdown under load."""
import json
import os
import re
import signal
import socket
import subprocess
import tempfile
import threading
import time

from portico import (BUILD, RFC3339_UTC_RE, Gateway, Sim, MediaServer, expect_error, free_port, ok, wait_active)


def test_health_and_ready(gw):
    st, _, body = gw.get("/healthz")
    assert st == 200, (st, body)
    st, _, body = gw.get("/readyz")
    assert st == 200, "readyz with a healthy store and simulator: %d %r" % (st, body)
    # Ops endpoints need no key; the Action endpoint does. /metrics is on
    # the admin listener only (API.md §7).
    st, _, _ = gw.admin_get("/metrics")
    assert st == 200
    st, _, _ = gw.get("/metrics")
    assert st == 404


def test_readyz_and_upstream_down():
    dead = free_port()
    gw = Gateway(upstream="http://127.0.0.1:%d" % dead,
                 env={"PORTICO_VOLC_AK": "AK", "PORTICO_VOLC_SK": "SK"})
    st, _, _ = gw.get("/healthz")
    assert st == 200
    st, _, body = gw.get("/readyz", timeout=30)
    assert st == 503, "readyz while the upstream is unreachable: %d %r" % (st, body)
    k = gw.create_key("acme")
    r = gw.action(k, "CreateAssetGroup", {"Name": "x", "GroupType": "AIGC"}, timeout=60)
    expect_error(r, "UpstreamError")
    assert gw.call(k, "ListAssetGroups", {})["TotalCount"] == 0, "a failed create was recorded"
    gw.stop()


def _metric_lines(text, name):
    return [l for l in text.splitlines() if l.startswith(name + "{") or l.startswith(name + " ")]


def _samples(text, name):
    """[(labels dict, value)] of one metric family member."""
    out = []
    for l in _metric_lines(text, name):
        m = re.match(r"^%s(?:\{(.*)\})? ([-+0-9.eEInfNa]+)$" % re.escape(name), l)
        assert m, "bad sample line %r" % l
        labels = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(1) or ""))
        out.append((labels, float(m.group(2))))
    return out


def _sum(text, name, *values):
    """Sum of the samples whose label values include every one of values."""
    return sum(v for labels, v in _samples(text, name) if all(x in labels.values() for x in values))


def test_metrics(gw, media):
    k = gw.create_key("acme")
    gid = gw.create_group(k, "m")
    good = gw.create_asset(k, gid, media.png_url())
    bad = gw.create_asset(k, gid, media.url("/missing.png"))
    wait_active(gw, k, good)
    assert gw.call(k, "GetAsset", {"Id": bad}) is not None
    for _ in range(50):
        if gw.call(k, "GetAsset", {"Id": bad})["UpstreamStatus"] == "Failed":
            break
        time.sleep(0.1)
    st, h, body = gw.admin_get("/metrics")
    assert st == 200, st
    assert (h.get("Content-Type") or "").startswith("text/plain"), h.get("Content-Type")
    text = body.decode()
    for name in ("portico_requests_total", "portico_request_duration_seconds_bucket",
                 "portico_upstream_calls_total", "portico_assets"):
        assert _metric_lines(text, name), "no %s in /metrics:\n%s" % (name, text[:3000])
    buckets = _metric_lines(text, "portico_request_duration_seconds_bucket")
    assert any('le="+Inf"' in l for l in buckets), "histogram without +Inf bucket"
    assert _sum(text, "portico_assets", "Active") == 1, "portico_assets Active != 1:\n" + text
    assert _sum(text, "portico_assets", "Failed") == 1, "portico_assets Failed != 1:\n" + text
    assert _sum(text, "portico_assets", "Processing") == 0, "portico_assets Processing != 0:\n" + text
    up0 = _sum(text, "portico_upstream_calls_total")
    assert up0 >= 4, "upstream calls not counted (%s):\n%s" % (up0, text)

    lag0 = _sum(text, "portico_requests_total", "ListAssetGroups")
    fb0 = _sum(text, "portico_requests_total", "GetAssetGroup", "Forbidden")
    cnt0 = _sum(text, "portico_request_duration_seconds_count")
    for _ in range(5):
        gw.call(k, "ListAssetGroups", {})
    for _ in range(2):
        expect_error(gw.action(k, "GetAssetGroup", {"Id": "group-20240101000000-zzzzz"}), "Forbidden")
    gw.call(k, "DeleteAsset", {"Id": good})
    text = gw.admin_get("/metrics")[2].decode()
    assert _sum(text, "portico_requests_total", "ListAssetGroups") - lag0 == 5, \
        "5 ListAssetGroups did not add 5 to requests_total:\n" + text
    assert _sum(text, "portico_requests_total", "GetAssetGroup", "Forbidden") - fb0 == 2, \
        "requests_total not by action and code:\n" + text
    assert _sum(text, "portico_request_duration_seconds_count") - cnt0 >= 8, text
    assert _sum(text, "portico_assets", "Active") == 0, "a deleted asset still counted:\n" + text
    assert _sum(text, "portico_upstream_calls_total") > up0, "DeleteAsset did not count an upstream call"


def _wait_lines(gw, rids, timeout=3):
    deadline = time.monotonic() + timeout
    while True:
        lines = gw.log_lines()
        got = [l for l in lines if l.get("request_id") in rids]
        if len({l["request_id"] for l in got}) == len(rids) or time.monotonic() > deadline:
            return lines, got
        time.sleep(0.1)


def test_request_log_lines(gw):
    k = gw.create_key("acme")
    bogus = "pk_bogus_" + "q" * 24
    calls = [
        (k, "CreateAssetGroup", {"Name": "logged", "GroupType": "AIGC"}, 200, None),
        (k, "ListAssetGroups", {}, 200, None),
        (k, "CreateAssetGroup", {"GroupType": "AIGC"}, 400, "InvalidParameter"),
        (k, "GetAssetGroup", {"Id": "group-20240101000000-zzzzz"}, 403, "Forbidden"),
        (k, "Nope", {}, 400, "InvalidAction"),
        (bogus, "ListAssetGroups", {}, 401, "Unauthorized"),
        (None, "ListAssetGroups", {}, 401, "Unauthorized"),
    ]
    sent = {}
    for key, action, body, status, code in calls:
        r = gw.action(key, action, body)
        assert r.status == status, r.describe()
        sent[r.json["ResponseMetadata"]["RequestId"]] = (key, action, status, code)
    lines, got = _wait_lines(gw, set(sent))
    for rid, (key, action, status, code) in sent.items():
        mine = [l for l in got if l.get("request_id") == rid]
        assert len(mine) == 1, "request %s (%s) has %d log lines" % (rid, action, len(mine))
        l = mine[0]
        for f in ("time", "request_id", "customer", "method", "path", "action", "status", "error", "duration_ms"):
            assert f in l, "log line lacks %r: %r" % (f, l)
        assert l["method"] == "POST" and l["path"].startswith("/v1/portrait"), l
        if code != "InvalidAction":
            assert l["action"] == action, l
        assert l["status"] == status, l
        if code:
            assert l["error"] == code, "log error %r != %r: %r" % (l["error"], code, l)
        else:
            assert not l["error"], "a success logged with an error: %r" % l
        assert isinstance(l["duration_ms"], (int, float)) and l["duration_ms"] >= 0, l
        assert isinstance(l["time"], str) and RFC3339_UTC_RE.match(l["time"]), "time not RFC 3339 UTC: %r" % l
        if status != 401:
            assert l["customer"] not in (None, ""), "authenticated request without customer: %r" % l
    # One customer id for all of acme's requests.
    custs = {l["customer"] for l in got if sent[l["request_id"]][2] != 401}
    assert len(custs) == 1, custs
    out = gw.stdout_text()
    err = gw.stderr_text()
    for secret in (k, bogus):
        assert secret not in out and secret not in err, "an API key appears in the server's output"


def test_payload_limit(gw):
    k = gw.create_key("acme")
    limit = 64 * 1024

    def padded(n):
        head = b'{"Pad": "'
        tail = b'"}'
        return head + b"x" * (n - len(head) - len(tail)) + tail

    exact = padded(limit)
    assert len(exact) == limit
    r = gw.action(k, "ListAssetGroups", exact)
    assert ok(r) is not None, "a body of exactly 64 KiB was refused: " + r.describe()
    r = gw.action(k, "ListAssetGroups", padded(limit + 1))
    expect_error(r, "PayloadTooLarge")
    r = gw.action(k, "CreateAssetGroup", padded(4 * 1024 * 1024))
    assert r.status == 413, r.describe()
    expect_error(r, "PayloadTooLarge")
    assert gw.call(k, "ListAssetGroups", {})["TotalCount"] == 0
    st, _, _ = gw.get("/healthz")
    assert st == 200


def test_sigterm_under_load():
    """Every request that got 200 before/while SIGTERM is durable; exit 0."""
    gw = Gateway()
    media = MediaServer()
    custs = []
    for c in range(4):
        k = gw.create_key("load%d" % c)
        custs.append((k, gw.create_group(k, "base")))
    acked_groups, acked_assets, bad = [], [], []
    lock = threading.Lock()
    stop = threading.Event()

    def worker(w):
        k, gid = custs[w % 4]
        n = 0
        while not stop.is_set() and n < 24:
            try:
                if n % 2 == 0:
                    r = gw.action(k, "CreateAssetGroup", {"Name": "w%d-%d" % (w, n), "GroupType": "AIGC"}, timeout=30)
                else:
                    r = gw.action(k, "CreateAsset", {"GroupId": gid, "URL": media.png_url(tag="w%d" % w),
                                                     "AssetType": "Image"}, timeout=30)
            except OSError:
                return  # connection refused / reset: the server is going away
            n += 1
            with lock:
                if r.status == 200:
                    (acked_groups if r.req["action"] == "CreateAssetGroup" else acked_assets).append(
                        (k, r.json["Result"]["Id"]))
                else:
                    want = {429: "TooManyRequests", 503: "ServiceUnavailable"}.get(r.status)
                    try:
                        assert want, "unexpected status"
                        expect_error(r, want)
                    except AssertionError as e:
                        bad.append(str(e))

    threads = [threading.Thread(target=worker, args=(w,)) for w in range(8)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        with lock:
            if len(acked_groups) + len(acked_assets) >= 12:
                break
        time.sleep(0.02)
    gw.proc.send_signal(signal.SIGTERM)
    try:
        rc = gw.proc.wait(timeout=20)
    finally:
        stop.set()
        for t in threads:
            t.join(60)
    assert rc == 0, "porticod exited %s on SIGTERM under load\n%s" % (rc, gw.diagnostics())
    gw.stop()  # already exited: checks status and sanitizer output
    assert not bad, "requests during shutdown got unexpected answers:\n" + "\n".join(bad[:5])
    assert len(acked_groups) + len(acked_assets) >= 5, "too little load before SIGTERM"
    print("    acknowledged before/while SIGTERM: %d groups, %d assets" % (len(acked_groups), len(acked_assets)))
    gw.start()
    for k, gid in acked_groups:
        r = gw.action(k, "GetAssetGroup", {"Id": gid})
        assert r.status == 200, "acknowledged group lost after restart: " + r.describe()
    for k, aid in acked_assets:
        r = gw.action(k, "GetAsset", {"Id": aid})
        assert r.status == 200, "acknowledged asset lost after restart: " + r.describe()
    for k, gid in custs:
        mine = [g for kk, g in acked_groups if kk == k]
        lst = gw.call(k, "ListAssetGroups", {"PageSize": 100})
        assert lst["TotalCount"] >= len(mine) + 1, lst["TotalCount"]
    gw.stop()


def test_connection_made_while_draining_is_closed_unanswered():
    """While SIGTERM's drain waits for an upload still sending its body, a
    new connection is closed as soon as it is accepted (no answer, nothing
    served), the stalled upload does not hold the exit past a few seconds,
    and porticod exits 0."""
    gw = Gateway()
    k = gw.create_key("acme")
    stalled = socket.create_connection(("127.0.0.1", gw.port), timeout=10)
    stalled.sendall(("POST /v1/portrait/upload HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
                     "Content-Type: multipart/form-data; boundary=b\r\nContent-Length: 100000\r\n\r\n--b\r\n"
                     % k).encode())
    time.sleep(0.3)  # the head is read: a request in flight, reading its body
    gw.proc.send_signal(signal.SIGTERM)
    time.sleep(0.5)
    assert gw.proc.poll() is None, "porticod did not wait for the upload in flight"
    late = socket.create_connection(("127.0.0.1", gw.port), timeout=10)
    try:
        late.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        got = late.recv(4096)
    except ConnectionResetError:
        got = b""
    finally:
        late.close()
    assert got == b"", "a connection made while draining was answered: %r" % got[:200]
    rc = gw.proc.wait(timeout=20)
    stalled.close()
    assert rc == 0, "porticod exited %s after SIGTERM\n%s" % (rc, gw.diagnostics())
    gw.stop()  # already exited: checks status and sanitizer output


def test_a_second_server_on_a_taken_port_refuses_to_start(gw):
    """porticod and portico-sim listen without SO_REUSEPORT: a second one
    started on a port already served must exit with an error, not share
    the port and take part of its connections (as it did before)."""
    sim = Sim()
    with tempfile.TemporaryDirectory(prefix="portico-taken-") as data:
        for argv, port in (
                ([os.path.join(BUILD, "porticod"), "--listen", "127.0.0.1:%d" % gw.port,
                  "--admin-listen", "127.0.0.1:%d" % free_port(), "--data-dir", data, "--upstream", sim.url,
                  "--quiet"], gw.port),
                ([os.path.join(BUILD, "portico-sim"), "--listen", "127.0.0.1:%d" % sim.port, "--quiet"], sim.port)):
            env = {k: v for k, v in os.environ.items() if not k.startswith("PORTICO_")}
            env.update(PORTICO_VOLC_AK=sim.access_key, PORTICO_VOLC_SK=sim.secret_key)
            p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
            try:
                out = p.communicate(timeout=15)[0].decode("utf-8", "replace")
            except subprocess.TimeoutExpired:
                p.kill()
                p.communicate()
                raise AssertionError("%s started on port %d, which another server holds" % (argv[0], port))
            assert p.returncode != 0 and "cannot listen" in out, (argv[0], p.returncode, out[-500:])
    # The first ones still answer.
    assert gw.get("/healthz")[0] == 200
    sim.stop()


def test_sigterm_idle_exit_zero(gw):
    k = gw.create_key("acme")
    gw.create_group(k, "x")
    t0 = time.monotonic()
    gw.stop(timeout=10)
    assert time.monotonic() - t0 < 5, "an idle gateway took %.1fs to stop" % (time.monotonic() - t0)


def test_log_lines_are_json(gw):
    k = gw.create_key("acme")
    for _ in range(5):
        gw.call(k, "ListAssetGroups", {})
    time.sleep(0.3)
    gw.stop()
    for line in gw.stdout_text().splitlines():
        if line.strip():
            try:
                obj = json.loads(line)
            except ValueError:
                raise AssertionError("stdout line is not JSON: %r" % line)
            assert isinstance(obj, dict), line
    for line in gw.stderr_text().splitlines():
        if line.strip() and not line.startswith(("=", " ", "#", "SUMMARY", "Direct", "Indirect")):
            try:
                json.loads(line)
            except ValueError:
                raise AssertionError("stderr diagnostic line is not JSON: %r" % line)
