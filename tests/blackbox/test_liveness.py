"""LivenessFace (API.md §2): CreateVisualValidateSession, the simulator's H5
page, GetVisualValidateResult, and the group a passed scan makes.

The scan is completed as a phone's browser would submit the H5 form: a plain
form POST (result=pass|fail) to H5Link. The headless-Chromium walk-through
is tests/blackbox/test_liveness_browser.py.
"""
import http.server
import json
import re
import threading
import time
import urllib.parse

from portico import (GROUP_ID_RE, RFC3339_UTC_RE, Gateway, _register, expect_error, http_request, ok, parallel,
                     png_bytes, wait_active)

TOKEN_TTL_S = 3  # short token life for the expiry tests


# ------------------------------------------------------------------ helpers

class CallbackServer:
    """A local CallbackURL: records the query of every request it gets
    (but a browser's /favicon.ico)."""

    def __init__(self):
        self.hits = []
        lock = threading.Lock()
        srv = self

        class H(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_GET(self):
                u = urllib.parse.urlsplit(self.path)
                q = urllib.parse.parse_qs(u.query)
                if u.path != "/favicon.ico":  # a browser asks for it on its own
                    with lock:
                        srv.hits.append({k: v[0] for k, v in q.items()})
                body = json.dumps({"received": {k: v[0] for k, v in q.items()}}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        _register(self)

    def url(self, path="/cb"):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def _cleanup(self):
        self.server.shutdown()
        self.server.server_close()
        return []


def h5_parts(link):
    """(port, path?query) of an H5Link on the loopback simulator."""
    u = urllib.parse.urlsplit(link)
    assert u.scheme == "http" and u.hostname == "127.0.0.1" and u.port, "H5Link not on loopback: %r" % link
    return u.port, u.path + ("?" + u.query if u.query else "")


def h5_get(link, lng=None):
    port, path = h5_parts(link)
    if lng is not None:
        path = re.sub(r"([?&])lng=[^&]*", r"\1lng=" + lng, path)
    st, hdrs, raw = http_request(port, "GET", path, timeout=10)
    return st, hdrs, raw.decode("utf-8")


def h5_submit(link, result):
    """The form POST the page's buttons make; returns (status, headers, body)."""
    port, path = h5_parts(link)
    st, hdrs, raw = http_request(port, "POST", path, body=("result=" + result).encode(),
                                 headers={"Content-Type": "application/x-www-form-urlencoded"}, timeout=10)
    return st, hdrs, raw.decode("utf-8")


def start_session(gw, key, callback=None):
    body = {"CallbackURL": callback} if callback else {}
    r = gw.call(key, "CreateVisualValidateSession", body)
    for f in ("BytedToken", "H5Link", "CallbackURL", "ExpireTime"):
        assert isinstance(r.get(f), str), "CreateVisualValidateSession lacks %s: %r" % (f, r)
    assert r["BytedToken"], r
    assert r["H5Link"].startswith("http://"), r
    assert RFC3339_UTC_RE.match(r["ExpireTime"]), r
    assert r["CallbackURL"] == (callback or ""), r
    return r


def result(gw, key, token):
    return gw.action(key, "GetVisualValidateResult", {"BytedToken": token})


def no_external_assets(html):
    bad = re.findall(r"""(?:src|href|action)\s*=\s*["']?\s*(?:https?:)?//""", html, re.I)
    assert not bad, "the page references external URLs: %r" % bad
    assert "<script" not in html.lower(), "the page carries a script"


# ------------------------------------------------------------------ tests

def test_pending_scan_group_is_stable(gw):
    k = gw.create_key("acme")
    s = start_session(gw, k)
    tok = s["BytedToken"]
    expect_error(result(gw, k, tok), "ValidatePending")

    st, _, html = h5_get(s["H5Link"])
    assert st == 200, (st, html[:300])
    st, _, html = h5_submit(s["H5Link"], "pass")
    # No CallbackURL: the page itself shows the outcome.
    assert st == 200 and 'id="outcome"' in html, (st, html[:500])
    no_external_assets(html)

    r = ok(result(gw, k, tok), "GetVisualValidateResult")
    assert GROUP_ID_RE.match(r.get("GroupId", "")), r
    assert r["GroupType"] == "LivenessFace", r
    gid = r["GroupId"]
    for _ in range(3):
        assert ok(result(gw, k, tok))["GroupId"] == gid

    g = gw.call(k, "GetAssetGroup", {"Id": gid})
    assert g["GroupType"] == "LivenessFace" and g["AssetCount"] == 0, g
    assert 1 <= len(g["Name"]) <= 50, g
    lst = gw.call(k, "ListAssetGroups", {"Filter": {"GroupType": "LivenessFace"}})
    assert lst["TotalCount"] == 1 and lst["Items"][0]["Id"] == gid, lst
    # A second submit of the same page does not make a second group.
    h5_submit(s["H5Link"], "pass")
    assert ok(result(gw, k, tok))["GroupId"] == gid
    assert gw.call(k, "ListAssetGroups", {})["TotalCount"] == 1


def test_callback_redirect_carries_token_and_code(gw):
    k = gw.create_key("acme")
    cb = CallbackServer()
    s = start_session(gw, k, cb.url("/done?from=portico"))
    st, hdrs, _ = h5_submit(s["H5Link"], "pass")
    assert st == 303, st
    loc = urllib.parse.urlsplit(hdrs["Location"])
    assert "%s://%s%s" % (loc.scheme, loc.netloc, loc.path) == cb.url("/done"), hdrs["Location"]
    q = dict(urllib.parse.parse_qsl(loc.query))
    assert q == {"from": "portico", "bytedToken": s["BytedToken"], "resultCode": "10000"}, q
    assert GROUP_ID_RE.match(ok(result(gw, k, s["BytedToken"]))["GroupId"])


def test_failed_scan(gw):
    k = gw.create_key("acme")
    cb = CallbackServer()
    s = start_session(gw, k, cb.url())
    st, hdrs, _ = h5_submit(s["H5Link"], "fail")
    assert st == 303, st
    q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(hdrs["Location"]).query))
    assert q["bytedToken"] == s["BytedToken"] and q["resultCode"] == "10001", q
    err = expect_error(result(gw, k, s["BytedToken"]), "InvalidToken")
    assert "did not pass" in err["Message"], err
    # The outcome stands: passing afterwards does not turn it into a group.
    st, hdrs, _ = h5_submit(s["H5Link"], "pass")
    assert st == 303 and "resultCode=10001" in hdrs["Location"], (st, hdrs.get("Location"))
    expect_error(result(gw, k, s["BytedToken"]), "InvalidToken")
    assert gw.call(k, "ListAssetGroups", {})["TotalCount"] == 0
    # Without a CallbackURL the page shows the failure and its code.
    s2 = start_session(gw, k)
    st, _, html = h5_submit(s2["H5Link"], "fail")
    assert st == 200 and "10001" in html, (st, html[:400])


def test_unknown_and_foreign_tokens(gw):
    a = gw.create_key("alice")
    b = gw.create_key("bob")
    s = start_session(gw, a)
    foreign = result(gw, b, s["BytedToken"])
    unknown = result(gw, b, "0" * 32)
    e1 = expect_error(foreign, "InvalidToken")
    e2 = expect_error(unknown, "InvalidToken")
    assert e1["Message"] == e2["Message"], (e1, e2)  # existence is never revealed
    expect_error(result(gw, a, "not-a-token"), "InvalidToken")
    expect_error(result(gw, a, "x" * 5000), "InvalidToken")
    expect_error(gw.action(a, "GetVisualValidateResult", {}), "InvalidParameter")
    expect_error(gw.action(a, "GetVisualValidateResult", {"BytedToken": 5}), "InvalidParameter")
    # Even after the scan passed, bob cannot read or take alice's group.
    h5_submit(s["H5Link"], "pass")
    expect_error(result(gw, b, s["BytedToken"]), "InvalidToken")
    gid = ok(result(gw, a, s["BytedToken"]))["GroupId"]
    expect_error(result(gw, b, s["BytedToken"]), "InvalidToken")
    expect_error(gw.action(b, "GetAssetGroup", {"Id": gid}), "Forbidden")


def test_session_parameters(gw):
    k = gw.create_key("acme")
    for bad in ("ftp://127.0.0.1:9/cb", "not a url", "http://", "http://local host/", 42):
        expect_error(gw.action(k, "CreateVisualValidateSession", {"CallbackURL": bad}), "InvalidParameter")
    expect_error(gw.action(k, "CreateVisualValidateSession", {"CallbackURL": "http://127.0.0.1:9/" + "a" * 2100}),
                 "InvalidParameter")
    s = start_session(gw, k, "http://localhost:9/liveness/done")
    assert s["CallbackURL"] == "http://localhost:9/liveness/done", s
    # Tokens are fresh every time.
    assert start_session(gw, k)["BytedToken"] != s["BytedToken"]
    # LivenessFace groups come only from the H5 flow.
    expect_error(gw.action(k, "CreateAssetGroup", {"Name": "me", "GroupType": "LivenessFace"}), "InvalidParameter")
    expect_error(gw.action(None, "CreateVisualValidateSession", {}), "Unauthorized", action=None)
    expect_error(gw.action(None, "GetVisualValidateResult", {"BytedToken": s["BytedToken"]}), "Unauthorized",
                 action=None)


def test_h5_page_languages_and_errors(gw):
    k = gw.create_key("acme")
    s = start_session(gw, k, "http://localhost:9/cb")
    tok = s["BytedToken"]
    want = {"en": ("lang=\"en\"", "Confirm that you are a real person"),
            "zh": ("lang=\"zh-Hans\"", "确认您是真人"),
            "zh-Hant": ("lang=\"zh-Hant\"", "確認您是真人")}
    for lng, (attr, words) in want.items():
        st, hdrs, html = h5_get(s["H5Link"], lng)
        assert st == 200, (lng, st)
        assert hdrs["Content-Type"].startswith("text/html"), hdrs["Content-Type"]
        assert attr in html and words in html, (lng, html[:800])
        assert 'name="viewport"' in html and 'method="post"' in html, html[:800]
        assert 'value="pass"' in html and 'value="fail"' in html
        assert 'id="callback-host">localhost:9<' in html  # where the user will be sent
        assert "LivenessFace" in html  # what is being authorised
        assert tok in html  # the language links keep the token
        no_external_assets(html)
    # Traditional and Simplified texts differ; English has no CJK.
    assert not re.search(r"[\u4e00-\u9fff]", h5_get(s["H5Link"], "en")[2].split("<nav")[0])

    port, _ = h5_parts(s["H5Link"])
    st, hdrs, raw = http_request(port, "GET", "/h5/liveness?token=%s&lng=en" % ("0" * 32))
    html = raw.decode()
    assert st == 404 and hdrs["Content-Type"].startswith("text/html") and "<html" in html, (st, html[:300])
    no_external_assets(html)
    st, _, raw = http_request(port, "GET", "/h5/liveness?lng=zh")
    assert st == 404 and "链接无效" in raw.decode(), st
    st, _, raw = http_request(port, "POST", "/h5/liveness?token=%s" % ("ab" * 16), body=b"result=pass",
                              headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert st == 404, st
    # A submit without a valid result changes nothing.
    port, path = h5_parts(s["H5Link"])
    st, _, _ = http_request(port, "POST", path, body=b"result=maybe",
                            headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert st == 400, st
    st, _, _ = http_request(port, "POST", path, body=b"",
                            headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert st == 400, st
    expect_error(result(gw, k, tok), "ValidatePending")


def test_expiry_without_scan():
    gw = Gateway(env={"PORTICO_SIM_TOKEN_TTL_S": TOKEN_TTL_S})
    k = gw.create_key("acme")
    s = start_session(gw, k)
    expect_error(result(gw, k, s["BytedToken"]), "ValidatePending")
    time.sleep(TOKEN_TTL_S + 0.5)
    expect_error(result(gw, k, s["BytedToken"]), "TokenExpired")
    # The page is dead too: an error page, and a late submit changes nothing.
    st, hdrs, html = h5_get(s["H5Link"])
    assert st == 410 and hdrs["Content-Type"].startswith("text/html") and "expired" in html, (st, html[:300])
    no_external_assets(html)
    st, _, html = h5_submit(s["H5Link"], "pass")
    assert st == 410, (st, html[:300])
    expect_error(result(gw, k, s["BytedToken"]), "TokenExpired")
    assert gw.call(k, "ListAssetGroups", {})["TotalCount"] == 0


def test_result_stable_after_token_life():
    gw = Gateway(env={"PORTICO_SIM_TOKEN_TTL_S": TOKEN_TTL_S})
    k = gw.create_key("acme")
    early = start_session(gw, k)   # asked before and after expiry
    late = start_session(gw, k)    # scanned in time, first asked after expiry
    h5_submit(early["H5Link"], "pass")
    h5_submit(late["H5Link"], "pass")
    gid = ok(result(gw, k, early["BytedToken"]))["GroupId"]
    time.sleep(TOKEN_TTL_S + 0.5)
    assert ok(result(gw, k, early["BytedToken"]))["GroupId"] == gid
    late_gid = ok(result(gw, k, late["BytedToken"]))["GroupId"]
    assert GROUP_ID_RE.match(late_gid) and late_gid != gid
    assert ok(result(gw, k, late["BytedToken"]))["GroupId"] == late_gid
    # The gateway remembers the group: a restart (a new simulator that
    # knows nothing of the token) still answers with it.
    gw.restart()
    assert ok(result(gw, k, early["BytedToken"]))["GroupId"] == gid


def test_concurrent_results_record_one_group(gw):
    k = gw.create_key("acme")
    s = start_session(gw, k)
    h5_submit(s["H5Link"], "pass")
    rs = parallel(lambda _: result(gw, k, s["BytedToken"]), range(8))
    ids = {ok(r, "GetVisualValidateResult")["GroupId"] for r in rs}
    assert len(ids) == 1, ids
    assert gw.call(k, "ListAssetGroups", {})["TotalCount"] == 1


def test_quota_counts_liveness_groups(gw):
    k = gw.create_key("acme")
    s = start_session(gw, k)
    for i in range(49):
        gw.create_group(k, "g%d" % i)
    # The pending session holds the 50th place, like a create in progress.
    err = expect_error(gw.action(k, "CreateAssetGroup", {"Name": "one more", "GroupType": "AIGC"}), "QuotaExceeded")
    assert "50" in err["Message"], err
    h5_submit(s["H5Link"], "pass")
    gid = ok(result(gw, k, s["BytedToken"]))["GroupId"]  # the place becomes the group
    assert gw.call(k, "ListAssetGroups", {})["TotalCount"] == 50
    expect_error(gw.action(k, "CreateAssetGroup", {"Name": "one more", "GroupType": "AIGC"}), "QuotaExceeded")
    # And the LivenessFace group releases its place when deleted.
    gw.call(k, "DeleteAssetGroup", {"Id": gid})
    gw.create_group(k, "in its place")


def test_liveness_group_takes_assets(gw, media):
    k = gw.create_key("acme", aigc=False)  # LivenessFace needs no AIGC permission
    s = start_session(gw, k)
    h5_submit(s["H5Link"], "pass")
    gid = ok(result(gw, k, s["BytedToken"]))["GroupId"]
    aid = gw.create_asset(k, gid, media.png_url(640, 640), name="me")
    a = wait_active(gw, k, aid, timeout=20)
    assert a["GroupId"] == gid, a
    assert gw.call(k, "GetAssetGroup", {"Id": gid})["AssetCount"] == 1
    gw.call(k, "UpdateAssetGroup", {"Id": gid, "Name": "me, verified"})
    assert gw.call(k, "GetAssetGroup", {"Id": gid})["Name"] == "me, verified"
    lst = gw.call(k, "ListAssets", {"Filter": {"GroupIds": [gid]}})
    assert lst["TotalCount"] == 1, lst


def test_liveness_calls_spend_the_upstream_budget(gw):
    """Creating a session is an upstream create; a result is asked from the
    upstream (by the customer or the background poller) only until the
    group is recorded."""
    k = gw.create_key("acme")
    s = start_session(gw, k)
    h5_submit(s["H5Link"], "pass")
    gid = ok(result(gw, k, s["BytedToken"]))["GroupId"]  # recorded now, if the poller has not already
    before = gw.sim_stats()["requests"]
    for _ in range(3):
        assert ok(result(gw, k, s["BytedToken"]))["GroupId"] == gid
    time.sleep(2.5)  # the background poller does not ask about a recorded session either
    after = gw.sim_stats()["requests"]
    assert after["GetVisualValidateResult"] == before["GetVisualValidateResult"], (before, after)
    assert after["CreateVisualValidateSession"] >= 1, after


def test_upload_into_liveness_group(gw):
    """POST /v1/portrait/upload (API.md §3) takes the LivenessFace group
    like any other: the uploaded photo reaches Active."""
    k = gw.create_key("acme")
    s = start_session(gw, k)
    h5_submit(s["H5Link"], "pass")
    gid = ok(result(gw, k, s["BytedToken"]))["GroupId"]
    boundary = "----porticoLiveness" + "7" * 12
    parts = [b"--%s\r\nContent-Disposition: form-data; name=\"GroupId\"\r\n\r\n%s\r\n" % (boundary.encode(),
                                                                                         gid.encode()),
             b"--%s\r\nContent-Disposition: form-data; name=\"Name\"\r\n\r\nselfie\r\n" % boundary.encode(),
             b"--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"me.png\"\r\n"
             b"Content-Type: image/png\r\n\r\n" % boundary.encode() + png_bytes(640, 640, 3) + b"\r\n",
             b"--%s--\r\n" % boundary.encode()]
    st, hdrs, raw = http_request(gw.port, "POST", "/v1/portrait/upload", body=b"".join(parts),
                                 headers={"Authorization": "Bearer " + k,
                                          "Content-Type": "multipart/form-data; boundary=" + boundary})
    assert st == 200, (st, raw[:500])
    body = json.loads(raw)
    assert body["ResponseMetadata"]["Action"] == "Upload", body
    a = body["Result"]
    assert a["GroupId"] == gid and a["AssetType"] == "Image" and a["Name"] == "selfie", a
    assert wait_active(gw, k, a["Id"], timeout=20)["GroupId"] == gid
    assert gw.call(k, "GetAssetGroup", {"Id": gid})["AssetCount"] == 1
