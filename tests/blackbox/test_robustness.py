"""Hostile or unusual input: never a 500 or a crash, never someone else's data,
the 64 KiB limit also for chunked bodies, keep-alive connections."""
import http.client
import json

from portico import expect_error, http_request, ok


def _alive(gw):
    st, _, _ = gw.get("/healthz")
    assert st == 200, "the gateway stopped answering /healthz"


def _code(r):
    try:
        return r.json["ResponseMetadata"]["Error"]["Code"]
    except (TypeError, KeyError):
        return None


def test_odd_ids_never_500(gw):
    ka = gw.create_key("alice")
    kb = gw.create_key("bob")
    gw.create_group(ka, "secret")
    odd = ["' OR '1'='1", "%", "_", "group-%", "group-20240101000000-_____", "x" * 5000, "",
           "group-20240101000000-zzzzz\u0000", "../../etc/passwd", "\u00e9\u00e9", "group-\n"]
    for ident in odd:
        for action in ("GetAssetGroup", "GetAsset", "DeleteAssetGroup", "UpdateAsset"):
            body = {"Id": ident, "Name": "n"}
            r = gw.action(kb, action, body)
            assert r.status in (400, 403), "%s with Id %r: %s" % (action, ident[:40], r.describe())
            assert _code(r) in ("InvalidParameter", "Forbidden"), r.describe()
        r = gw.action(kb, "ListAssets", {"Filter": {"GroupIds": [ident]}})
        assert r.status in (200, 400, 403), r.describe()
        if r.status == 200:
            assert ok(r)["TotalCount"] == 0, "ListAssets with GroupIds %r shows rows: %s" % (ident, r.describe())
    # Wildcards in a Name filter match literally, and never cross customers.
    lst = gw.call(kb, "ListAssetGroups", {"Filter": {"Name": "%"}})
    assert lst["TotalCount"] == 0, lst
    lst = gw.call(ka, "ListAssetGroups", {"Filter": {"Name": "%"}})
    assert lst["TotalCount"] == 0, "a %% in the Name filter acts as a wildcard: %r" % lst
    lst = gw.call(ka, "ListAssetGroups", {"Filter": {"Name": "s_cret"}})
    assert lst["TotalCount"] == 0, "a _ in the Name filter acts as a wildcard: %r" % lst
    _alive(gw)


def test_hostile_json(gw):
    k = gw.create_key("acme")
    bodies = [
        ("deep nesting", b'{"a":' + b"[" * 20000 + b"]" * 20000 + b"}"),
        ("huge integer", b'{"PageSize": 100000000000000000000000000000}'),
        ("NUL escape in Name", b'{"Name": "a\\u0000b", "GroupType": "AIGC"}'),
        ("lone surrogate", b'{"Name": "\\ud800", "GroupType": "AIGC"}'),
        ("NUL byte in body", b'{"Name": "a\x00b", "GroupType": "AIGC"}'),
        ("many keys", b"{" + b",".join(b'"k%d": %d' % (i, i) for i in range(3000)) + b', "Name": "ok", "GroupType": "AIGC"}'),
        ("nan", b'{"PageSize": NaN}'),
        ("single quotes", b"{'Name': 'x'}"),
        ("BOM", b'\xef\xbb\xbf{"Name": "x", "GroupType": "AIGC"}'),
    ]
    for what, raw in bodies:
        r = gw.action(k, "CreateAssetGroup", raw)
        assert r.status in (200, 400), "%s: %s" % (what, r.describe())
        if r.status == 400:
            expect_error(r, "InvalidParameter")
        if what == "NUL escape in Name" and r.status == 200:
            g = gw.call(k, "GetAssetGroup", {"Id": r.json["Result"]["Id"]})
            assert g["Name"] == "a\u0000b", "a Name with NUL was accepted but stored as %r" % g["Name"]
    for what, raw in (("huge PageNumber", {"PageNumber": 2 ** 31 - 1, "PageSize": 100}),
                      ("huge PageNumber 2^53", {"PageNumber": 2 ** 53 - 1, "PageSize": 100}),
                      ("PageNumber 2^63", {"PageNumber": 2 ** 63, "PageSize": 100})):
        r = gw.action(k, "ListAssetGroups", raw)
        assert r.status in (200, 400), "%s: %s" % (what, r.describe())
        if r.status == 200:
            assert ok(r)["Items"] == [], "%s gives rows (offset overflow?): %s" % (what, r.describe())
        else:
            expect_error(r, "InvalidParameter")
    _alive(gw)


def test_chunked_body_limit(gw):
    k = gw.create_key("acme")

    def chunked(body_iter, action="ListAssetGroups"):
        conn = http.client.HTTPConnection("127.0.0.1", gw.port, timeout=30)
        try:
            try:
                conn.request("POST", "/v1/portrait/?Action=%s&Version=2024-01-01" % action, body=body_iter,
                             headers={"Authorization": "Bearer " + k, "Content-Type": "application/json",
                                      "Transfer-Encoding": "chunked"}, encode_chunked=True)
            except (BrokenPipeError, ConnectionResetError):
                pass
            r = conn.getresponse()
            return r.status, json.loads(r.read() or b"null")
        finally:
            conn.close()

    st, body = chunked(iter([b'{"Name": "chunk', b'ed", "GroupType"', b': "AIGC"}']), "CreateAssetGroup")
    assert st == 200, "a small chunked body: %s %r" % (st, body)
    big = iter([b'{"Pad": "'] + [b"x" * 4096] * 40 + [b'"}'])
    st, body = chunked(big)
    assert st == 413 and body["ResponseMetadata"]["Error"]["Code"] == "PayloadTooLarge", \
        "a 160 KiB chunked body: %s %r" % (st, body)
    _alive(gw)


def test_keep_alive_connection(gw):
    k = gw.create_key("acme")
    conn = http.client.HTTPConnection("127.0.0.1", gw.port, timeout=10)
    rids = []
    try:
        for i in range(6):
            body = json.dumps({"Name": "ka%d" % i, "GroupType": "AIGC"} if i % 2 else {}).encode()
            action = "CreateAssetGroup" if i % 2 else "ListAssetGroups"
            conn.request("POST", "/v1/portrait/?Action=%s&Version=2024-01-01" % action, body=body,
                         headers={"Authorization": "Bearer " + k, "Content-Type": "application/json"})
            r = conn.getresponse()
            data = json.loads(r.read())
            assert r.status == 200, (i, r.status, data)
            rids.append(data["ResponseMetadata"]["RequestId"])
    finally:
        conn.close()
    assert len(set(rids)) == 6, rids
    assert gw.call(k, "ListAssetGroups", {})["TotalCount"] == 3


def test_other_paths_and_methods(gw):
    k = gw.create_key("acme")
    for method, path in (("GET", "/v1/portrait/?Action=ListAssetGroups&Version=2024-01-01"),
                         ("GET", "/nonexistent"), ("DELETE", "/v1/portrait/?Action=DeleteAsset&Version=2024-01-01"),
                         ("POST", "/healthz")):
        st, _, body = http_request(gw.port, method, path, b"{}" if method == "POST" else None,
                                   {"Authorization": "Bearer " + k})
        assert 400 <= st < 500, "%s %s answered %d %r" % (method, path, st, body[:200])
    _alive(gw)
