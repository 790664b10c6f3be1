"""test_events.py — API.md §4a: the event stream (GET /v1/portrait/events)
and WaitAsset.

Checks: a stream receives AssetActive for a created asset as an SSE record
whose id, event and data agree; another customer's events never appear;
Last-Event-ID (header or ?last_event_id=) resumes after a dropped
connection without losing or repeating anything, and an unknown id is
InvalidParameter; keep-alive comments arrive at the configured period and
keep the stream open past the idle timeout; WaitAsset answers Active without
client polling, Processing at its timeout, Forbidden for another customer's
asset byte-identically to a missing one, InvalidParameter for
TimeoutSeconds out of 1..30; 200 parked WaitAssets do not take the worker
pool; SIGTERM with open streams and parked waiters answers them and exits
0; and (PostgreSQL pass) a stream on one node sees events another node
recorded.
"""
import json
import socket
import threading
import time

import portico
from portico import Gateway, MediaServer, blank_request_id, expect_error, ok, wait_active

EVENTS_PATH = "/v1/portrait/events"


class Sse:
    """A client of the event stream on a raw socket (a read timeout leaves
    it usable): records as dicts {"id", "event", "data"} (data parsed) or
    {"comment": text}; None once the stream ended."""

    def __init__(self, port, key, last_event_id=None, query="", timeout=10):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        head = "GET %s%s HTTP/1.1\r\nHost: 127.0.0.1\r\n" % (EVENTS_PATH, query)
        if key:
            head += "Authorization: Bearer %s\r\n" % key
        if last_event_id:
            head += "Last-Event-ID: %s\r\n" % last_event_id
        self.sock.sendall((head + "\r\n").encode())
        raw = b""
        while b"\r\n\r\n" not in raw:
            chunk = self.sock.recv(65536)
            assert chunk, "the connection closed before the response head: %r" % raw
            raw += chunk
        head, self.raw = raw.split(b"\r\n\r\n", 1)
        lines = head.decode().split("\r\n")
        self.status = int(lines[0].split()[1])
        self.headers = {}
        for l in lines[1:]:
            n, _, v = l.partition(":")
            self.headers[n.strip().lower()] = v.strip()
        self.chunked = self.headers.get("transfer-encoding", "").lower() == "chunked"
        self.buf = b""  # decoded body not yet returned
        self.ended = False

    def _decode(self):
        if not self.chunked:
            self.buf += self.raw
            self.raw = b""
            return
        while True:
            line, sep, rest = self.raw.partition(b"\r\n")
            if not sep:
                return
            size = int(line.split(b";")[0], 16)
            if size == 0:
                self.ended = True
                self.raw = b""
                return
            if len(rest) < size + 2:
                return
            self.buf += rest[:size]
            self.raw = rest[size + 2:]

    def _fill(self, timeout):
        """More bytes within timeout: False on timeout, None at the end."""
        self._decode()
        if self.ended:
            return None
        self.sock.settimeout(max(0.01, timeout))
        try:
            chunk = self.sock.recv(65536)
        except (socket.timeout, TimeoutError):
            return False
        except ConnectionResetError:
            chunk = b""
        if not chunk:
            self.ended = True
            return None
        self.raw += chunk
        self._decode()
        return True

    def body(self):
        """The whole body of a plain (error) answer."""
        deadline = time.monotonic() + 5
        while not self.ended and time.monotonic() < deadline:
            if "content-length" in self.headers and len(self.buf) + len(self.raw) >= int(self.headers["content-length"]):
                self._decode()
                break
            self._fill(deadline - time.monotonic())
        return self.buf

    def next(self, timeout=10):
        """The next record or comment; None when the stream ended; raises
        AssertionError when nothing complete comes within timeout."""
        deadline = time.monotonic() + timeout
        self._decode()
        while b"\n\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("no SSE record within %ss (have %r)" % (timeout, self.buf[:200]))
            if self._fill(left) is None and b"\n\n" not in self.buf:
                return None
        rec, self.buf = self.buf.split(b"\n\n", 1)
        out = {}
        for line in rec.decode().split("\n"):
            if line.startswith(":"):
                out["comment"] = line[1:].strip()
            else:
                name, _, value = line.partition(": ")
                out[name] = value
        if "data" in out:
            out["data"] = json.loads(out["data"])
        return out

    def events(self, n, timeout=10):
        """The next n events (comments skipped)."""
        got = []
        deadline = time.monotonic() + timeout
        while len(got) < n:
            r = self.next(max(0.05, deadline - time.monotonic()))
            assert r is not None, "the stream ended after %d of %d events: %r" % (len(got), n, got)
            if "id" in r:
                got.append(r)
        return got

    def quiet(self, seconds):
        """Asserts that no event arrives within seconds (comments allowed)."""
        deadline = time.monotonic() + seconds
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            try:
                r = self.next(left)
            except AssertionError:
                return
            assert r is None or "id" not in r, "unexpected event: %r" % r
            if r is None:
                return

    def close(self):
        self.sock.close()


def _asset_event_ok(rec, asset_id, type_="AssetActive"):
    assert rec["event"] == type_, rec
    ev = rec["data"]
    assert ev["Id"] == rec["id"] and ev["Id"].startswith("evt-"), rec
    assert ev["Type"] == type_ and ev["CreateTime"], rec
    assert ev["Data"]["Id"] == asset_id, rec
    assert ev["Data"]["UpstreamStatus"] == ("Active" if type_ == "AssetActive" else "Failed"), rec


def test_stream_receives_asset_active(gw, media):
    k = gw.create_key("acme")
    s = Sse(gw.port, k)
    assert s.status == 200, s.body()
    assert s.headers.get("content-type") == "text/event-stream", s.headers
    assert s.headers.get("cache-control") == "no-cache", s.headers
    assert s.headers.get("x-request-id"), s.headers
    gid = gw.create_group(k, "g")
    aid = gw.create_asset(k, gid, media.png_url())
    rec = s.events(1)[0]
    _asset_event_ok(rec, aid)
    # The event's Data is the asset as GetAsset shows it.
    a = gw.call(k, "GetAsset", {"Id": aid})
    for f in ("Id", "GroupId", "Name", "AssetType", "URL", "UpstreamStatus", "CreateTime"):
        assert rec["data"]["Data"][f] == a[f], (f, rec, a)
    s.close()


def test_stream_requires_a_key_and_get(gw):
    st, _, raw = gw.get(EVENTS_PATH)
    assert st == 401 and json.loads(raw)["ResponseMetadata"]["Error"]["Code"] == "Unauthorized", raw
    st, _, raw = gw.get(EVENTS_PATH, headers={"Authorization": "Bearer nope"})
    assert st == 401, raw
    k = gw.create_key("acme")
    st, _, raw = portico.http_request(gw.port, "POST", EVENTS_PATH, b"", {"Authorization": "Bearer " + k})
    assert st == 405, raw


def test_stream_shows_only_the_customers_events(gw, media):
    ka, kb = gw.create_key("a"), gw.create_key("b")
    sa, sb = Sse(gw.port, ka), Sse(gw.port, kb)
    ga = gw.create_group(ka, "ga")
    ids = [gw.create_asset(ka, ga, media.png_url(tag=str(i))) for i in range(3)]
    got = sa.events(3)
    assert sorted(r["data"]["Data"]["Id"] for r in got) == sorted(ids), got
    sb.quiet(1.0)
    # and b's own event reaches b only
    gb = gw.create_group(kb, "gb")
    bid = gw.create_asset(kb, gb, media.png_url(tag="b"))
    _asset_event_ok(sb.events(1)[0], bid)
    sa.quiet(1.0)
    sa.close()
    sb.close()


def test_stream_resumes_with_last_event_id(gw, media):
    k = gw.create_key("acme")
    gid = gw.create_group(k, "g")
    s = Sse(gw.port, k)
    first = gw.create_asset(k, gid, media.png_url(tag=0))
    e1 = s.events(1)[0]
    _asset_event_ok(e1, first)
    s.close()
    # created and settled while nobody listens
    later = [gw.create_asset(k, gid, media.png_url(tag=str(i))) for i in range(1, 4)]
    for aid in later:
        wait_active(gw, k, aid)
    s = Sse(gw.port, k, last_event_id=e1["id"])
    assert s.status == 200
    got = s.events(3)
    assert sorted(r["data"]["Data"]["Id"] for r in got) == sorted(later), got
    assert len({r["id"] for r in got}) == 3 and e1["id"] not in {r["id"] for r in got}, got
    s.quiet(0.7)  # nothing repeated
    # live events follow the replayed ones on the same stream
    more = gw.create_asset(k, gid, media.png_url(tag="9"))
    _asset_event_ok(s.events(1)[0], more)
    s.close()
    # the query parameter does the same
    s = Sse(gw.port, k, query="?last_event_id=" + got[-1]["id"])
    _asset_event_ok(s.events(1)[0], more)
    s.close()
    # an id that is not one of the customer's events: InvalidParameter
    s = Sse(gw.port, k, last_event_id="evt-20250101000000-nope0")
    assert s.status == 400 and json.loads(s.body())["ResponseMetadata"]["Error"]["Code"] == "InvalidParameter"
    other = gw.create_key("other")
    s = Sse(gw.port, other, last_event_id=e1["id"])
    assert s.status == 400, "another customer's event id must not resume"
    s.close()


def test_stream_heartbeats_keep_it_open():
    gw = Gateway(env={"PORTICO_SSE_HEARTBEAT_MS": 200, "PORTICO_IDLE_TIMEOUT_S": 1})
    media = MediaServer()
    k = gw.create_key("acme")
    s = Sse(gw.port, k)
    assert s.next(2) == {"comment": "stream open"}
    t0 = time.monotonic()
    beats = [s.next(2) for _ in range(5)]
    assert all(b == {"comment": "keep-alive"} for b in beats), beats
    el = time.monotonic() - t0
    assert 0.6 < el < 3, "5 keep-alives every 200 ms took %.2fs" % el
    time.sleep(2.5)  # past the 1 s idle timeout: the stream stays open
    gid = gw.create_group(k, "g")
    aid = gw.create_asset(k, gid, media.png_url())
    _asset_event_ok(s.events(1, timeout=10)[0], aid)
    s.close()


def test_wait_asset_answers_active_without_polling():
    gw = Gateway(processing_ms=1500)
    media = MediaServer()
    k = gw.create_key("acme")
    gid = gw.create_group(k, "g")
    aid = gw.create_asset(k, gid, media.png_url())
    t0 = time.monotonic()
    r = gw.action(k, "WaitAsset", {"Id": aid, "TimeoutSeconds": 10})
    el = time.monotonic() - t0
    a = ok(r, "WaitAsset")
    assert a["UpstreamStatus"] == "Active", a
    assert el < 4, "WaitAsset took %.2fs for a 1.5 s processing time" % el
    # exactly the object GetAsset answers
    g = gw.call(k, "GetAsset", {"Id": aid})
    assert a == g, (a, g)
    deadline = time.monotonic() + 3
    while True:  # the log line is written once the answer went out
        waits = [l for l in gw.log_lines() if l.get("action") == "WaitAsset"]
        if waits or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert len(waits) == 1 and waits[0]["status"] == 200, waits
    # settled: answered at once
    t0 = time.monotonic()
    assert gw.call(k, "WaitAsset", {"Id": aid})["UpstreamStatus"] == "Active"
    assert time.monotonic() - t0 < 1


def test_wait_asset_times_out_processing():
    gw = Gateway(processing_ms=60000)
    media = MediaServer()
    k = gw.create_key("acme")
    gid = gw.create_group(k, "g")
    aid = gw.create_asset(k, gid, media.png_url())
    t0 = time.monotonic()
    a = gw.call(k, "WaitAsset", {"Id": aid, "TimeoutSeconds": 1})
    el = time.monotonic() - t0
    assert a["UpstreamStatus"] == "Processing" and a["Id"] == aid, a
    assert 0.9 <= el < 3, "TimeoutSeconds 1 answered after %.2fs" % el


def test_wait_asset_ownership_and_parameters(gw, media):
    ka, kb = gw.create_key("a"), gw.create_key("b")
    gid = gw.create_group(ka, "g")
    aid = gw.create_asset(ka, gid, media.png_url())
    theirs = gw.action(kb, "WaitAsset", {"Id": aid, "TimeoutSeconds": 1})
    missing = gw.action(kb, "WaitAsset", {"Id": "asset-20250101000000-zzzzz", "TimeoutSeconds": 1})
    expect_error(theirs, "Forbidden", 403)
    expect_error(missing, "Forbidden", 403)
    assert blank_request_id(theirs.raw) == blank_request_id(missing.raw), (theirs.raw, missing.raw)
    assert theirs.elapsed < 0.9, "a Forbidden WaitAsset must answer at once"
    # and exactly as GetAsset answers it
    get = gw.action(kb, "GetAsset", {"Id": aid})
    assert blank_request_id(get.raw).replace(b'"GetAsset"', b'"WaitAsset"') == blank_request_id(theirs.raw)
    for t in (0, 31, -1):
        expect_error(gw.action(ka, "WaitAsset", {"Id": aid, "TimeoutSeconds": t}), "InvalidParameter", 400)
    expect_error(gw.action(ka, "WaitAsset", {"Id": aid, "TimeoutSeconds": "5"}), "InvalidParameter", 400)
    expect_error(gw.action(ka, "WaitAsset", {}), "InvalidParameter", 400)
    expect_error(gw.action(None, "WaitAsset", {"Id": aid}), "Unauthorized", 401)


def test_parked_waits_do_not_take_the_workers():
    """200 WaitAssets parked at once on a gateway with 4 workers: other
    requests, slow ones included, are still answered at once."""
    gw = Gateway(processing_ms=60000, env={"PORTICO_WORKERS": 4, "PORTICO_KEY_RATE": 0})
    media = MediaServer()
    k = gw.create_key("acme")
    gid = gw.create_group(k, "g")
    aid = gw.create_asset(k, gid, media.png_url())
    results = [None] * 200

    def wait(i):
        results[i] = gw.action(k, "WaitAsset", {"Id": aid, "TimeoutSeconds": 4}, timeout=30)

    threads = [threading.Thread(target=wait, args=(i,)) for i in range(200)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    time.sleep(1.5)
    for i in range(3):
        r = gw.action(k, "CreateAssetGroup", {"Name": "busy%d" % i, "GroupType": "AIGC"})
        ok(r)
        assert r.elapsed < 1, "CreateAssetGroup took %.2fs with 200 parked WaitAssets" % r.elapsed
        r = gw.action(k, "GetAsset", {"Id": aid})
        assert ok(r)["UpstreamStatus"] == "Processing" and r.elapsed < 1, r.elapsed
    for t in threads:
        t.join(30)
    el = time.monotonic() - t0
    for r in results:
        assert ok(r, "WaitAsset")["UpstreamStatus"] == "Processing", r.describe()
    assert el < 15, "200 WaitAssets of 4 s took %.1fs" % el


def test_sigterm_answers_parked_waits_and_ends_streams():
    gw = Gateway(processing_ms=60000)
    media = MediaServer()
    k = gw.create_key("acme")
    gid = gw.create_group(k, "g")
    aid = gw.create_asset(k, gid, media.png_url())
    streams = [Sse(gw.port, k, timeout=30) for _ in range(3)]
    for s in streams:
        assert s.next(2) == {"comment": "stream open"}
    results = [None] * 5

    def wait(i):
        results[i] = gw.action(k, "WaitAsset", {"Id": aid, "TimeoutSeconds": 30}, timeout=40)

    threads = [threading.Thread(target=wait, args=(i,)) for i in range(5)]
    for t in threads:
        t.start()
    time.sleep(1)
    t0 = time.monotonic()
    gw.stop(timeout=20)  # SIGTERM; asserts exit 0 (libmicrohttpd aborts on a suspended connection)
    assert time.monotonic() - t0 < 10, "shutdown took %.1fs" % (time.monotonic() - t0)
    for t in threads:
        t.join(10)
    for r in results:
        assert r is not None and ok(r, "WaitAsset")["UpstreamStatus"] == "Processing", r
    for s in streams:
        r = s.next(5)
        while r is not None and "comment" in r:
            r = s.next(5)
        assert r is None, "the stream did not end at shutdown: %r" % r


def test_stream_on_one_node_sees_the_others_events():
    """PostgreSQL pass only: two nodes, one database, one simulator."""
    if not portico.store_is_pg():
        return
    import test_multinode
    c = test_multinode.Cluster(n=2)
    media = MediaServer()
    k = c.key("acme")
    a, b = c.node(0), c.node(1)
    sb, sa = Sse(b.port, k), Sse(a.port, k)
    gid = a.create_group(k, "g")
    ids = [a.create_asset(k, gid, media.png_url(tag=str(i))) for i in range(4)]
    for s in (sb, sa):
        got = s.events(4, timeout=20)
        assert sorted(r["data"]["Data"]["Id"] for r in got) == sorted(ids), got
    # WaitAsset on b for an asset a created
    aid = a.create_asset(k, gid, media.png_url(tag="w"))
    assert b.call(k, "WaitAsset", {"Id": aid, "TimeoutSeconds": 10})["UpstreamStatus"] == "Active"
    sa.close()
    sb.close()
    c.stop()
