"""Overload and slow clients (issue 8, point 5): per-key rate limits,
clients that trickle their request, the connection limit, and memory with
10 000 idle connections."""
import json
import resource
import socket
import time

from portico import Gateway, expect_error, http_request, ok, parallel


def _rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def _healthy(gw, timeout=2):
    st, _, _ = gw.get("/healthz", timeout=timeout)
    return st == 200


def test_per_key_rate_limit():
    gw = Gateway(env={"PORTICO_KEY_RATE": "5", "PORTICO_KEY_BURST": "5"})
    k1, k2 = gw.create_key("flood"), gw.create_key("calm")
    res = [gw.action(k1, "ListAssetGroups", {}) for _ in range(20)]
    limited = [r for r in res if r.status == 429]
    assert 10 <= len(limited) <= 16, "expected most of 20 quick requests over a 5/s limit to be refused, got %d" % len(limited)
    for r in limited:
        expect_error(r, "TooManyRequests")
        assert int(r.headers.get("Retry-After", "0")) >= 1, r.describe()
    # Another key is not affected by the first one's flood.
    ok(gw.action(k2, "ListAssetGroups", {}))
    time.sleep(1.2)
    ok(gw.action(k1, "ListAssetGroups", {}))
    print("    5/s key limit: %d of 20 back-to-back requests refused with 429" % len(limited))
    gw.stop()


def _trickle(port, data, every_s, limit_s):
    """Sends data a byte at a time; returns seconds until the server hung up."""
    s = socket.create_connection(("127.0.0.1", port))
    t0 = time.monotonic()
    try:
        for b in data:
            s.sendall(bytes([b]))
            time.sleep(every_s)
            if time.monotonic() - t0 > limit_s:
                return None
    except (BrokenPipeError, ConnectionResetError):
        return time.monotonic() - t0
    s.settimeout(limit_s)
    try:
        s.recv(1)  # EOF or reset once cut
    except OSError:
        pass
    return time.monotonic() - t0
    

def test_trickling_clients_are_cut_off_and_others_served():
    gw = Gateway(args=["--header-timeout", "2", "--body-timeout", "2"])
    key = gw.create_key("c")
    head = b"POST /v1/portrait/?Action=ListAssetGroups&Version=2024-01-01 HTTP/1.1\r\nHost: x\r\n" + b"X-Pad: " + b"a" * 200
    body_req = (b"POST /v1/portrait/?Action=ListAssetGroups&Version=2024-01-01 HTTP/1.1\r\nHost: x\r\n"
                b"Authorization: Bearer " + key.encode() + b"\r\nContent-Length: 500\r\n\r\n")

    def slow_body(_):
        s = socket.create_connection(("127.0.0.1", gw.port))
        s.sendall(body_req)
        t0 = time.monotonic()
        try:
            for _ in range(500):
                s.sendall(b" ")
                time.sleep(0.2)
                if time.monotonic() - t0 > 15:
                    return None
        except (BrokenPipeError, ConnectionResetError):
            pass
        return time.monotonic() - t0

    jobs = [("head", i) for i in range(5)] + [("body", i) for i in range(5)]
    t0 = time.monotonic()
    served = []

    def run(job):
        if job[0] == "head":
            return _trickle(gw.port, head, 0.2, 15)
        return slow_body(job)

    import threading
    out = {}

    def bg():
        out["res"] = parallel(run, jobs, workers=10)
    th = threading.Thread(target=bg)
    th.start()
    while th.is_alive() and time.monotonic() - t0 < 20:
        t = time.monotonic()
        ok(gw.action(key, "ListAssetGroups", {}))
        served.append(time.monotonic() - t)
        time.sleep(0.1)
    th.join()
    res = out["res"]
    assert all(isinstance(r, float) for r in res), "a trickling client was never cut off: %r" % res
    assert all(r < 6 for r in res), "cut off too late: %r" % res
    assert served and max(served) < 1.0, "others were not served promptly: max %.2fs" % max(served)
    print("    10 trickling clients cut after %.1f-%.1fs; %d other requests served, slowest %.0f ms"
          % (min(res), max(res), len(served), 1000 * max(served)))
    gw.stop()


def _store_socket_inodes(pid):
    """With the suite on PostgreSQL (PORTICO_TEST_STORE=pg), the inodes of
    the process's connections to the test server: the store's pool opens
    them as it pleases, and they are not client connections."""
    import os
    import portico
    if not portico.store_is_pg():
        return set()
    port = int(os.environ["PORTICO_TEST_PG"].rsplit(":", 1)[1].split("/")[0])
    inodes = set()
    for name in ("tcp", "tcp6"):
        try:
            with open("/proc/%d/net/%s" % (pid, name)) as f:
                rows = f.read().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            cols = row.split()
            if len(cols) > 9 and int(cols[2].rsplit(":", 1)[1], 16) == port:
                inodes.add(cols[9])
    return inodes


def _socket_fds(pid):
    import os
    n = 0
    store = _store_socket_inodes(pid)
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            link = os.readlink("/proc/%d/fd/%s" % (pid, fd))
            if link.startswith("socket:") and link[8:-1] not in store:
                n += 1
        except OSError:
            pass
    return n


def test_connection_limit():
    # Past the limit the gateway accepts no more connections: the rest wait
    # in the kernel's backlog until a slot frees, costing the process nothing.
    gw = Gateway(args=["--max-connections", "40"])
    key = gw.create_key("c")
    base = _socket_fds(gw.proc.pid)
    socks = [socket.create_connection(("127.0.0.1", gw.port)) for _ in range(60)]
    time.sleep(0.5)
    held = _socket_fds(gw.proc.pid) - base
    assert held <= 40, "the gateway holds %d connections with a limit of 40" % held
    assert held >= 30, "the gateway accepted only %d of 60 connections with a limit of 40" % held
    for s in socks:
        s.close()
    time.sleep(0.5)
    ok(gw.action(key, "ListAssetGroups", {}))
    print("    limit 40: 60 clients connected, the gateway held %d; service continues after" % held)
    gw.stop()


def test_ten_thousand_idle_connections_bounded_memory():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = 10200
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, hard), hard))
    assert resource.getrlimit(resource.RLIMIT_NOFILE)[0] >= want, "cannot open 10 000 sockets here"
    gw = Gateway(args=["--max-connections", "10100", "--header-timeout", "120", "--idle-timeout", "120"])
    key = gw.create_key("c")
    before = _rss_kib(gw.proc.pid)
    socks = []
    try:
        for _ in range(10000):
            socks.append(socket.create_connection(("127.0.0.1", gw.port)))
        time.sleep(1.0)
        rss = _rss_kib(gw.proc.pid)
        t = time.monotonic()
        ok(gw.action(key, "ListAssetGroups", {}))
        latency = time.monotonic() - t
        print("    10000 idle connections: RSS %d -> %d KiB (%.1f KiB each); a request took %.0f ms"
              % (before, rss, (rss - before) / 10000.0, latency * 1000))
        assert rss - before < 200 * 1024, "RSS grew by %d KiB for 10000 idle connections" % (rss - before)
        assert latency < 2, "a request took %.1fs beside 10000 idle connections" % latency
    finally:
        for s in socks:
            s.close()
    gw.stop()


WORKER_QUEUE = 4096  # http/server.c: workers_start(.., 4096)


def _black_hole():
    """A TCP listener that accepts and never answers: an upstream call to it
    holds its worker until the client's timeout."""
    import threading
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 0))
    srv.listen(64)
    held = []

    def run():
        while True:
            try:
                c, _ = srv.accept()
            except OSError:
                return
            held.append(c)
    threading.Thread(target=run, daemon=True).start()
    return srv, held


def _overloaded_answers(socks, want, limit_s):
    """Reads the sockets that answer within limit_s; returns their raw
    answers once `want` of them said 503."""
    import selectors
    sel = selectors.DefaultSelector()  # epoll: thousands of sockets
    for s in socks:
        sel.register(s, selectors.EVENT_READ)
    got, t0 = [], time.monotonic()
    try:
        while sum(g.startswith(b"HTTP/1.1 503") for g in got) < want and time.monotonic() - t0 < limit_s:
            for k, _ in sel.select(0.2):
                sel.unregister(k.fileobj)
                try:
                    got.append(k.fileobj.recv(4096))
                except OSError:
                    pass
    finally:
        sel.close()
    return got


def test_overloaded_video_surface_answers_in_its_own_envelope():
    # Issue 13: when no worker can take a request, the router answered the
    # video surface in the Volcengine envelope. One worker, held by a create
    # whose upstream never answers, and a full queue behind it: the next
    # slow request of each surface is refused at once, in its own envelope.
    need = WORKER_QUEUE + 400
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < need:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(need, hard), hard))
    assert resource.getrlimit(resource.RLIMIT_NOFILE)[0] >= need, "cannot open %d sockets here" % need
    hole, held = _black_hole()
    gw = Gateway(upstream="http://127.0.0.1:%d" % hole.getsockname()[1], args=["--workers", "1"],
                 env={"PORTICO_VOLC_AK": "AK", "PORTICO_VOLC_SK": "SK"})
    key = gw.create_key("c")
    import threading
    blocker = threading.Thread(target=lambda: gw.action(key, "CreateAssetGroup", {"Name": "b", "GroupType": "AIGC"},
                                                        timeout=60))
    blocker.start()
    t0 = time.monotonic()
    while not held and time.monotonic() - t0 < 5:
        time.sleep(0.05)
    assert held, "the create never reached the upstream"
    # Fill the queue with slow requests (a video result is fetched upstream)
    # and a few more, which must be refused.
    socks = []
    try:
        for _ in range(WORKER_QUEUE + 50):
            s = socket.create_connection(("127.0.0.1", gw.port))
            s.sendall(b"GET /v1/videos/results/x HTTP/1.1\r\nHost: x\r\n\r\n")
            socks.append(s)
        early = _overloaded_answers(socks, 10, 8)
        refused = [a for a in early if a.startswith(b"HTTP/1.1 503")]
        assert len(refused) >= 10, "the queue never filled: %d early answers %r" % (len(early), early[:2])
        for raw in refused[:3]:
            body = raw.split(b"\r\n\r\n", 1)[1]
            assert b'"error":{"code":"service_unavailable"' in body and b"ResponseMetadata" not in body, raw
        # The probes, while the queue is still full.
        st, h, raw = http_request(gw.port, "POST", "/v1/videos/generations",
                                  json.dumps({"model": "seedance-2.0", "prompt": "x"}).encode(),
                                  {"Authorization": "Bearer " + key, "Content-Type": "application/json"},
                                  timeout=5)
        assert st == 503, (st, raw)
        err = json.loads(raw)
        assert list(err) == ["error"], raw
        assert err["error"]["code"] == "service_unavailable" and err["error"]["message"], raw
        assert h.get("X-Request-Id"), "no X-Request-Id"
        # The Action surface keeps the Volcengine envelope.
        r = gw.action(key, "CreateAsset", {"GroupId": "g", "URL": "http://127.0.0.1:9/a.png", "AssetType": "Image"},
                      timeout=5)
        expect_error(r, "ServiceUnavailable", action="", version="")
        print("    one worker busy, queue of %d full: %d early refusals; video create -> 503 %s"
              % (WORKER_QUEUE, len(refused), raw.decode()))
    finally:
        # The upstream goes away: the held create fails at once, the queue
        # drains, and the gateway can stop.
        hole.close()
        for c in held:
            c.close()
        for s in socks:
            s.close()
        blocker.join(60)
    gw.stop()
