"""Small things a reviewer found (security review, finding 7): nosniff on
every answer, an H5 redirect whose Location is properly encoded, messages
that read as written."""
import urllib.parse

from portico import http_request, png_bytes
from test_liveness import h5_submit, start_session
from test_upload import upload


def _nosniff(hdrs, what):
    assert hdrs.get("X-Content-Type-Options") == "nosniff", "%s lacks nosniff: %r" % (what, dict(hdrs))


def test_every_answer_says_nosniff(gw):
    k = gw.create_key("acme")
    gid = gw.create_group(k, "g")
    r = gw.action(k, "ListAssetGroups", {})
    _nosniff(r.headers, "an Action answer")
    r = gw.action(k, "GetAssetGroup", {"Id": "group-20240101000000-nopee"})
    assert r.status == 403
    _nosniff(r.headers, "an Action error")
    r = gw.action(None, "ListAssetGroups", {})
    _nosniff(r.headers, "a 401")
    for method, path in (("GET", "/nonexistent"), ("GET", "/healthz"), ("GET", "/readyz"),
                         ("GET", "/v1/media/media/x.png?Expires=1&Signature=00"),
                         ("GET", "/v1/videos/generations/vid-nope"), ("GET", "/v1/videos/results/vid-nope")):
        st, hdrs, _ = http_request(gw.port, method, path, None, {"Authorization": "Bearer " + k})
        _nosniff(hdrs, "%s %s (%d)" % (method, path, st))
    # A media answer with bytes.
    r = upload(gw, k, gid, png_bytes(640, 640, seed=3))
    assert r.status == 200, r.describe()
    _nosniff(r.headers, "an upload answer")
    asset = r.json["Result"]
    url = urllib.parse.urlsplit(asset["URL"])
    st, hdrs, data = http_request(url.port, "GET", url.path + "?" + url.query)
    assert st == 200 and data[:4] == b"\x89PNG", st
    _nosniff(hdrs, "a media file")


def test_h5_redirect_location_is_encoded(gw):
    k = gw.create_key("acme")
    cb = 'http://127.0.0.1:9/done?note="<b>\u00e9</b>"&x=%41#frag ment'.replace(" ", "")
    s = start_session(gw, k, cb)
    st, hdrs, _ = h5_submit(s["H5Link"], "pass")
    assert st == 303, st
    loc = hdrs["Location"]
    assert all(0x21 <= ord(ch) < 0x7f for ch in loc), "Location holds raw bytes: %r" % loc
    for ch in '"<>':
        assert ch not in loc, "Location holds %r unencoded: %r" % (ch, loc)
    u = urllib.parse.urlsplit(loc)
    assert (u.scheme, u.netloc, u.path, u.fragment) == ("http", "127.0.0.1:9", "/done", "fragment"), loc
    q = dict(urllib.parse.parse_qsl(u.query))
    assert q == {"note": '"<b>\u00e9</b>"', "x": "A", "bytedToken": s["BytedToken"], "resultCode": "10000"}, q


def test_callback_url_message_reads_as_written(gw):
    k = gw.create_key("acme")
    r = gw.action(k, "CreateVisualValidateSession", {"CallbackURL": "ftp://127.0.0.1:9/cb"})
    msg = r.json["ResponseMetadata"]["Error"]["Message"]
    assert r.status == 400 and msg.startswith("CallbackURL ") and "CallbackCallback" not in msg, msg
    r = gw.action(k, "ListAssetGroups", {"Filter": {"Name": 5}})
    msg = r.json["ResponseMetadata"]["Error"]["Message"]
    assert r.status == 400 and msg.startswith("Filter.Name ") and "Filter.Filter" not in msg, msg
