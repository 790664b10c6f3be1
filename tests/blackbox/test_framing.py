"""Request framing and Action parsing, as an attacker behind a load balancer
would try them: every ambiguous head is refused with 400 and the connection
closed before any body byte is read (RFC 9112 §6.3, §5.1); a body announced
over the limit is refused at once; Action and Version are read byte-exactly.

Raw sockets on loopback: http.client would normalise what is under test."""
import json
import socket
import time

from portico import http_request

PATH = "/v1/portrait/?Action=%s&Version=2024-01-01"


def _exchange(port, data, wait=5.0):
    """Sends data; returns (bytes received, closed by the server?)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=wait)
    try:
        s.sendall(data)
        out = b""
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            s.settimeout(max(0.05, deadline - time.monotonic()))
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                return out, False
            except ConnectionResetError:
                return out, True
            if not chunk:
                return out, True
            out += chunk
        return out, False
    finally:
        s.close()


def _responses(raw):
    """[(status, headers dict lower-cased, body bytes)] of every response in raw."""
    out = []
    while raw:
        head, sep, rest = raw.partition(b"\r\n\r\n")
        if not sep:
            break
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        hdrs = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            hdrs[k.strip().lower()] = v.strip()
        n = int(hdrs.get("content-length", "0"))
        out.append((status, hdrs, rest[:n]))
        raw = rest[n:]
    return out


def _head(key, action="ListAssetGroups", extra=""):
    return ("POST " + PATH % action + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n"
            "Content-Type: application/json\r\n" % key + extra)


def _assert_refused(gw, data, what):
    raw, closed = _exchange(gw.port, data)
    rs = _responses(raw)
    assert rs, "%s: no answer at all (%r)" % (what, raw[:200])
    assert rs[0][0] == 400, "%s: answered %d, not 400: %r" % (what, rs[0][0], raw[:400])
    assert len(rs) == 1, "%s: %d responses on one connection: a second request was smuggled in: %r" % (
        what, len(rs), raw[:600])
    assert closed, "%s: the connection stayed open after the refusal" % what
    assert rs[0][1].get("connection", "").lower() == "close", "%s: no Connection: close: %r" % (what, rs[0][1])
    body = json.loads(rs[0][2])
    assert body["ResponseMetadata"]["Error"]["Code"] == "InvalidParameter", body


def test_ambiguous_framing_is_refused_and_closed(gw):
    k = gw.create_key("acme")
    # Each carries a second, smuggled request after what one reading calls the body.
    smuggled = "POST " + PATH % "CreateAssetGroup" + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + k + \
        "\r\nContent-Length: 39\r\n\r\n" + '{"Name": "smuggled", "GroupType": "AIGC"}'[:39]
    cases = {
        "two different Content-Length": _head(k, extra="Content-Length: 2\r\nContent-Length: 200\r\n\r\n{}"),
        "two equal Content-Length": _head(k, extra="Content-Length: 2\r\ncontent-length: 2\r\n\r\n{}"),
        "Content-Length with chunked": _head(k, extra="Content-Length: 7\r\nTransfer-Encoding: chunked\r\n\r\n"
                                                      "2\r\n{}\r\n0\r\n\r\n" + smuggled),
        "space before the colon": _head(k, extra="Content-Length : 2\r\n\r\n{}" + smuggled),
        "tab before the colon": _head(k, extra="Content-Length\t: 2\r\n\r\n{}" + smuggled),
        "space before another colon": _head(k, extra="X-Thing : 1\r\nContent-Length: 2\r\n\r\n{}"),
        "transfer coding other than chunked": _head(k, extra="Transfer-Encoding: gzip, chunked\r\n\r\n"
                                                             "2\r\n{}\r\n0\r\n\r\n"),
        "two Transfer-Encoding": _head(k, extra="Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n"
                                                "2\r\n{}\r\n0\r\n\r\n"),
        "two Host": _head(k, extra="Host: localhost\r\nContent-Length: 2\r\n\r\n{}"),
    }
    for what, data in cases.items():
        _assert_refused(gw, data.encode(), what)
    # Nothing of any of it ran: the smuggled create included.
    assert gw.call(k, "ListAssetGroups", {})["TotalCount"] == 0
    # A well-framed request on a kept-alive connection still works, twice.
    ok = _head(k, extra="Content-Length: 2\r\n\r\n{}")
    raw, closed = _exchange(gw.port, (ok + ok).encode(), wait=1.5)
    rs = _responses(raw)
    assert [r[0] for r in rs] == [200, 200] and not closed, raw[:600]
    # The same rules on every path, with the video surface's error format.
    data = ("POST /v1/videos/generations HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n"
            "Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}" % k).encode()
    raw, closed = _exchange(gw.port, data)
    rs = _responses(raw)
    assert rs and rs[0][0] == 400 and closed, raw[:400]
    assert json.loads(rs[0][2])["error"]["code"] == "invalid_request", rs[0][2]
    st, _, _ = http_request(gw.port, "GET", "/healthz")
    assert st == 200


def test_body_announced_too_large_is_refused_at_once(gw):
    k = gw.create_key("acme")
    for path in (PATH % "CreateAssetGroup", PATH % "ListAssetGroups", "/v1/videos/generations"):
        data = ("POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n"
                "Content-Type: application/json\r\nContent-Length: 10737418240\r\n\r\n" % (path, k)).encode()
        t0 = time.monotonic()
        raw, closed = _exchange(gw.port, data, wait=5)
        took = time.monotonic() - t0
        rs = _responses(raw)
        assert rs and rs[0][0] == 413, "%s with a 10 GB Content-Length and no body: %r" % (path, raw[:300])
        assert closed and took < 3, "%s: answered in %.1fs, closed=%s" % (path, took, closed)
    # With Expect: 100-continue the client never has to send a byte.
    data = (_head(k, "CreateAssetGroup", "Expect: 100-continue\r\nContent-Length: 65537\r\n\r\n")).encode()
    raw, closed = _exchange(gw.port, data, wait=5)
    rs = _responses(raw)
    assert rs and rs[0][0] == 413 and b"100 Continue" not in raw, raw[:300]
    assert gw.call(k, "ListAssetGroups", {})["TotalCount"] == 0


def test_action_and_version_are_read_byte_exactly(gw):
    k = gw.create_key("acme")
    gid = gw.create_group(k, "keep me")

    def code(r):
        return r.status, (r.json or {}).get("ResponseMetadata", {}).get("Error", {}).get("Code")

    attacks = [
        "action=DeleteAssetGroup&Action=ListAssetGroups&Version=2024-01-01",
        "Action=ListAssetGroups&action=DeleteAssetGroup&Version=2024-01-01",
        "Action=DeleteAssetGroup&Action=ListAssetGroups&Version=2024-01-01",
        "ACTION=DeleteAssetGroup&Version=2024-01-01",
        "Action=DeleteAssetGroup%00Safe&Version=2024-01-01",
        "Action=DeleteAssetGroup%0a&Version=2024-01-01",
        "Action%00=DeleteAssetGroup&Version=2024-01-01",
        "Action=DeleteAssetGroup&Version=2024-01-01&version=2023-01-01",
        "Action=DeleteAssetGroup&Version=2024-01-01%00",
        "Action=DeleteAssetGroup&Version=2024-01-01&Version=2024-01-01",
        "Action=DeleteAsset%2",
    ]
    for q in attacks:
        r = gw.action(k, None, {"Id": gid}, query=q)
        assert code(r) == (400, "InvalidParameter"), "?%s: %s" % (q, r.describe())
        assert r.json["ResponseMetadata"]["Action"] == "", r.describe()
    # The group survived every one of them.
    assert gw.call(k, "GetAssetGroup", {"Id": gid})["Id"] == gid
    # Escapes of ordinary characters still decode; unrelated parameters are ignored.
    r = gw.action(k, None, {}, query="Action=List%41ssetGroups&Version=2024-01-01&foo=%00&bar")
    assert r.status == 200, r.describe()
