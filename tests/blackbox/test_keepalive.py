"""Many requests on one kept-alive connection, as real clients poll.

The front reuses a connection's memory from one request to the next (the
request, its body buffer, its copy of the URI, the peer's address, the
last API key's hash) and GetAsset reads {"Id": "..."} without a JSON tree.
None of that may leak from one request into the next: each answer here is
what the same request on a fresh connection gets."""
import http.client
import json
import time

from portico import VERSION, blank_request_id, expect_error, ok


class Conn:
    """One HTTP/1.1 connection, kept alive across requests."""

    def __init__(self, gw):
        self.c = http.client.HTTPConnection("127.0.0.1", gw.port, timeout=30)
        self.sock_ids = set()

    def action(self, key, action, body, query=None):
        path = "/v1/portrait/?" + (query or "Action=%s&Version=%s" % (action, VERSION))
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        hdrs = {"Content-Type": "application/json"}
        if key is not None:
            hdrs["Authorization"] = "Bearer " + key
        self.c.request("POST", path, body=data, headers=hdrs)
        r = self.c.getresponse()
        raw = r.read()
        self.sock_ids.add(id(self.c.sock))
        assert r.getheader("Connection", "").lower() != "close", "the server closed a kept-alive connection"
        return r.status, r.headers, raw

    def close(self):
        self.c.close()


def _same(fresh, kept, what):
    """Fresh-connection Resp vs keep-alive (status, headers, raw): the same
    answer but for the RequestId."""
    st, hdrs, raw = kept
    assert st == fresh.status, "%s: HTTP %d kept-alive, %d fresh" % (what, st, fresh.status)
    assert blank_request_id(raw) == blank_request_id(fresh.raw), \
        "%s: kept-alive answer differs:\n%r\n%r" % (what, raw[:400], fresh.raw[:400])
    rid = json.loads(raw)["ResponseMetadata"]["RequestId"]
    assert hdrs["X-Request-Id"] == rid, (hdrs["X-Request-Id"], rid)
    return rid


def test_keys_and_bodies_on_one_connection(gw, media):
    a = gw.create_key("alpha")
    b = gw.create_key("beta")
    ga = gw.create_group(a, "a")
    asset = gw.create_asset(a, ga, media.png_url(tag="a"))
    bad = a[:-1] + ("A" if a[-1] != "A" else "B")
    pad = {"Id": asset, "Pad": "x" * 60000}  # a body near the limit, then small ones
    steps = [
        (a, "GetAsset", {"Id": asset}),
        (b, "GetAsset", {"Id": asset}),       # the other customer: Forbidden
        (a, "ListAssetGroups", {}),
        (bad, "GetAsset", {"Id": asset}),     # one byte off: Unauthorized
        (a, "GetAsset", pad),
        (a, "GetAsset", {"Id": asset}),
        (None, "GetAsset", {"Id": asset}),
        (b, "ListAssetGroups", {}),
        (a, "GetAsset", {"Id": "asset-20240101000000-zzzzz"}),
        (a, "GetAsset", {"Id": 7}),
        (a, "GetAsset", b'{"Id":"' + asset.encode() + b'","Id":"x"}'),  # a duplicate key
        (a, "GetAsset", b'{"Id":"' + asset.encode() + b'"'),             # cut short
        (a, "GetAsset", b' {\n "Id" : "' + asset.encode() + b'" } '),
        (a, "GetAsset", {"Id": asset}),
    ]
    c = Conn(gw)
    rids = set()
    try:
        for rnd in range(2):
            for i, (key, action, body) in enumerate(steps):
                kept = c.action(key, action, body)
                fresh = gw.action(key, action, body)
                rids.add(_same(fresh, kept, "step %d.%d %s %r" % (rnd, i, action, body if len(str(body)) < 90
                                                                   else "<long>")))
    finally:
        c.close()
    assert len(c.sock_ids) == 1, "the requests did not share one connection"
    assert len(rids) == 2 * len(steps), "a RequestId was repeated on one connection"
    # what the answers say, not only that they agree
    kept = Conn(gw)
    try:
        st, _, raw = kept.action(a, "GetAsset", {"Id": asset})
        assert st == 200 and json.loads(raw)["Result"]["Id"] == asset
        st, _, raw = kept.action(b, "GetAsset", {"Id": asset})
        assert st == 403 and json.loads(raw)["ResponseMetadata"]["Error"]["Code"] == "Forbidden"
        st, _, raw = kept.action(bad, "GetAsset", {"Id": asset})
        assert st == 401
        st, _, raw = kept.action(a, "GetAsset", {"Id": asset})
        assert st == 200
    finally:
        kept.close()


def test_one_field_body_reads_as_json_does(gw, media):
    """{"Id": ...} is taken without a JSON tree only when that changes
    nothing: every spelling answers as the same request with an unknown
    extra field (which is ignored, so it goes through the JSON parser)."""
    k = gw.create_key("acme")
    g = gw.create_group(k, "g")
    asset = gw.create_asset(k, g, media.png_url(tag="b"))
    for value in (asset, "", "not an id", "asset-20240101000000-zzzzz", asset.upper(), asset + " ",
                  "a" * 127, "a" * 128, "a" * 300):
        plain = gw.action(k, "GetAsset", {"Id": value})
        parsed = gw.action(k, "GetAsset", {"Id": value, "Unknown": 1})
        assert plain.status == parsed.status, (value, plain.describe(), parsed.describe())
        assert blank_request_id(plain.raw) == blank_request_id(parsed.raw), (value, plain.raw, parsed.raw)
    # an escaped spelling of the same id is the same id
    esc = json.dumps({"Id": asset}).replace(asset[0], "\\u%04x" % ord(asset[0]), 1)
    assert ok(gw.action(k, "GetAsset", esc.encode()))["Id"] == asset
    expect_error(gw.action(k, "GetAsset", b'{"Id":"a\tb"}'), "InvalidParameter")  # a raw tab: not JSON


def test_long_and_short_uris_on_one_connection(gw):
    """A URI too long for the connection's inline copy, then short ones."""
    k = gw.create_key("acme")
    gw.create_group(k, "g")
    c = Conn(gw)
    try:
        for pad in (0, 600, 3000, 0, 40, 1200, 0):
            q = "Action=ListAssetGroups&Version=%s" % VERSION + ("&pad=" + "p" * pad if pad else "")
            st, _, raw = c.action(k, None, {}, query=q)
            assert st == 200, (pad, raw[:300])
            assert json.loads(raw)["Result"]["TotalCount"] == 1
            # the Action is read from this request's query, never a previous one
            st, _, raw = c.action(k, None, {}, query="Version=%s" % VERSION + ("&pad=" + "p" * pad if pad else ""))
            assert st == 400 and json.loads(raw)["ResponseMetadata"]["Error"]["Code"] == "InvalidAction", raw
    finally:
        c.close()
    assert len(c.sock_ids) == 1


def test_log_lines_on_one_connection(gw):
    """Each request on a kept-alive connection logs its own line."""
    a = gw.create_key("alpha")
    b = gw.create_key("beta")
    c = Conn(gw)
    sent = []
    try:
        for key in (a, b, None, a):
            st, _, raw = c.action(key, "ListAssetGroups", {})
            sent.append((json.loads(raw)["ResponseMetadata"]["RequestId"], st))
    finally:
        c.close()
    deadline = time.monotonic() + 3
    while True:
        lines = {l.get("request_id"): l for l in gw.log_lines()}
        if all(rid in lines for rid, _ in sent) or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    custs = []
    for rid, st in sent:
        assert rid in lines, "no log line for %s" % rid
        assert lines[rid]["status"] == st and lines[rid]["action"] == "ListAssetGroups", lines[rid]
        custs.append(lines[rid]["customer"])
    assert custs[0] == custs[3] and custs[0] != custs[1] and custs[2] == 0, custs
