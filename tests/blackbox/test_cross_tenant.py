"""test_cross_tenant.py — the cross-tenant sweep (issue 8, point 6).

Two customers, alice (A) and bob (B), each with the full set of things an id
can name: an AIGC group holding an Active asset registered by URL, a Failed
asset and an uploaded asset; a LivenessFace group (the H5 scan passed by a
form POST, as in test_liveness.py) holding an asset; a finished video task;
liveness tokens in every state (pending, passed, failed, expired). Alice
also has a group at its 50-asset quota (naming it must not answer
QuotaExceeded); bob has ids of his own he deleted.

Then bob sends every id-taking field of every endpoint (API.md and
src/api/*.c) an id of alice's, a well-formed id that never existed (same
shape: kind-YYYYMMDDhhmmss-xxxxx, 32 hex for tokens and blob keys), and his
own deleted ids; every answer must be the documented refusal with a body
byte-identical to the nonexistent id's (RequestId blanked; the video
surface carries none) and the same headers (but Date and X-Request-Id),
naming nothing of alice's. Around the sweep both
customers' state is snapshotted through the API, the simulator's
/_sim/stats and the blob files on disk: nothing may change, UpdateTime
included. Every request log line of the sweep carries bob's customer id.

Endpoints and fields swept (the refusal each documents):
  Action GetAssetGroup.Id, UpdateAssetGroup.Id, DeleteAssetGroup.Id,
         CreateAsset.GroupId, GetAsset.Id (also right after the owner's
         read, GetAsset's cached path), UpdateAsset.Id, DeleteAsset.Id,
         ListAssets.Filter.GroupIds (alone, after and before an own id)
                                                   -> 403 Forbidden
  Action GetVisualValidateResult.BytedToken        -> 400 InvalidToken
  POST /v1/portrait/upload, multipart GroupId      -> 403 Forbidden
  POST /v1/videos/generations content[].{image,video,audio}_url.url
         = asset://<id> (alone and after an own asset) -> 403 forbidden;
         with seedance-1.5-pro                     -> 400 model_not_supported_asset
  GET  /v1/videos/generations/{id}                 -> 404 not_found
  GET  /v1/media/<key> with bob's own valid signature (and with none)
                                                   -> 403 Forbidden
  GET  /v1/portrait/thumbnails/{AssetId} (the customers' console; alice's
         uploaded asset's thumbnail already made and kept) -> 403 Forbidden
  GET  /v1/portrait/qrcodes/{BytedToken} (the console's QR code; every
         token state)                              -> 400 InvalidToken
"""
import hashlib
import json
import os
import re
import secrets
import time
import urllib.parse

from portico import (ASSET_ID_RE, GROUP_ID_RE, Gateway, Resp, blank_request_id, expect_error, http_request, ok,
                     png_bytes, wait_active, wait_status)

UPLOAD_PATH = "/v1/portrait/upload"
VIDEO_PATH = "/v1/videos/generations"
TOKEN_TTL_S = 8         # liveness tokens: short, so that an expired one exists by sweep time
VIDEO_MS = 300          # simulated video tasks finish quickly
MUTATING_UPSTREAM = ("CreateAssetGroup", "UpdateAssetGroup", "DeleteAssetGroup", "CreateAsset", "UpdateAsset",
                     "DeleteAsset", "CreateVisualValidateSession", "GetVisualValidateResult")
ALL_STATUSES = ["Processing", "Active", "Failed"]
VIDEO_ROLES = {"image_url": "reference_image", "video_url": "reference_video", "audio_url": "reference_audio"}


# ------------------------------------------------------------------ requests

def _resp(st, h, raw, t0, what):
    try:
        parsed = json.loads(raw) if raw else None
    except ValueError:
        parsed = None
    return Resp(st, h, parsed, raw, time.monotonic() - t0, what)


def multipart(fields, file):
    """A multipart/form-data body: fields [(name, str)], file (filename,
    content type, bytes). Returns (body, Content-Type)."""
    b = ("----xtenant" + secrets.token_hex(8)).encode()
    out = []
    for name, value in fields:
        out.append(b"--" + b + b'\r\nContent-Disposition: form-data; name="' + name.encode() + b'"\r\n\r\n'
                   + value.encode() + b"\r\n")
    filename, ctype, data = file
    out.append(b"--" + b + b'\r\nContent-Disposition: form-data; name="file"; filename="' + filename.encode()
               + b'"\r\nContent-Type: ' + ctype.encode() + b"\r\n\r\n" + data + b"\r\n")
    out.append(b"--" + b + b"--\r\n")
    return b"".join(out), "multipart/form-data; boundary=" + b.decode()


def upload(gw, key, group_id, data, name=None):
    fields = [("GroupId", group_id)] + ([("Name", name)] if name is not None else [])
    body, ct = multipart(fields, ("photo.png", "image/png", data))
    t0 = time.monotonic()
    st, h, raw = http_request(gw.port, "POST", UPLOAD_PATH, body,
                              {"Content-Type": ct, "Authorization": "Bearer " + key}, timeout=60)
    return _resp(st, h, raw, t0, {"action": "Upload", "path": UPLOAD_PATH, "body": "GroupId=%s" % group_id})


def vpost(gw, key, body):
    t0 = time.monotonic()
    st, h, raw = http_request(gw.port, "POST", VIDEO_PATH, json.dumps(body).encode(),
                              {"Content-Type": "application/json", "Authorization": "Bearer " + key})
    return _resp(st, h, raw, t0, {"action": None, "path": VIDEO_PATH, "body": body})


def vget(gw, key, task_id):
    t0 = time.monotonic()
    path = VIDEO_PATH + "/" + task_id
    st, h, raw = http_request(gw.port, "GET", path, None, {"Authorization": "Bearer " + key})
    return _resp(st, h, raw, t0, {"action": None, "path": path, "body": None})


def console_get(gw, key, path, action):
    """GET of a console picture (thumbnail, QR code) with key."""
    t0 = time.monotonic()
    st, h, raw = http_request(gw.port, "GET", path, None, {"Authorization": "Bearer " + key})
    return _resp(st, h, raw, t0, {"action": action, "path": path, "body": None})


def media_get(gw, path):
    t0 = time.monotonic()
    st, h, raw = http_request(gw.port, "GET", path, None, None)
    return _resp(st, h, raw, t0, {"action": "Media", "path": path, "body": None})


def video_body(items, model="seedance-2.0"):
    """items: [(type, url)] -> a create body with the reference role of each type."""
    content = [{"type": t, t: {"url": u}, "role": VIDEO_ROLES[t]} for t, u in items]
    return {"model": model, "prompt": "a portrait in the rain", "ratio": "16:9", "duration": 5,
            "resolution": "720p", "content": content}


def wait_task(gw, key, task_id, timeout=20):
    deadline = time.monotonic() + timeout
    while True:
        r = vget(gw, key, task_id)
        assert r.status == 200, r.describe()
        if r.json["status"] in ("succeeded", "failed"):
            return r.json
        assert time.monotonic() < deadline, "video task %s still %s" % (task_id, r.json["status"])
        time.sleep(0.05)


# ------------------------------------------------------------------ liveness

def h5_submit(link, result):
    """The form POST the simulator's H5 page makes (test_liveness.py)."""
    u = urllib.parse.urlsplit(link)
    assert u.hostname == "127.0.0.1" and u.port, "H5Link not on loopback: %r" % link
    st, _, raw = http_request(u.port, "POST", u.path + ("?" + u.query if u.query else ""),
                              body=("result=" + result).encode(),
                              headers={"Content-Type": "application/x-www-form-urlencoded"}, timeout=10)
    assert st in (200, 303), "H5 submit answered %d: %r" % (st, raw[:300])


def new_session(gw, key):
    r = gw.call(key, "CreateVisualValidateSession", {})
    # UPSTREAM.md "BytedToken looks like 20260521162915BF9DC22A7A65ADF905D8"
    assert re.match(r"^[0-9]{14}[0-9A-F]{20}$", r["BytedToken"]), "token shape changed: %r" % r
    return r


def validate_result(gw, key, token):
    return gw.action(key, "GetVisualValidateResult", {"BytedToken": token})


# ------------------------------------------------------------------ ids

def missing_like(real, taken):
    """A well-formed id of real's kind and shape that names nothing."""
    m = re.match(r"^([a-z]+)-(\d{14})-[a-z0-9]{5}$", real)
    assert m, "unexpected id shape %r" % real
    while True:
        tail = "".join(secrets.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(5))
        cand = "%s-%s-%s" % (m.group(1), m.group(2), tail)
        if cand not in taken:
            return cand


def media_parts(url):
    """(blob key, query) of a signed /v1/media/ URL."""
    u = urllib.parse.urlsplit(url)
    assert u.path.startswith("/v1/media/"), "not a media URL: %r" % url
    return u.path[len("/v1/media/"):], u.query


# ------------------------------------------------------------------ fixtures

class Customer:
    pass


def make_customer(gw, media, name):
    c = Customer()
    c.name = name
    c.key = gw.create_key(name)
    r = gw.action(c.key, "ListAssetGroups", {})
    ok(r)
    c.request_id_probe = r.headers["X-Request-Id"]

    c.group = gw.create_group(c.key, name + "-studio", Description=name + "-private-notes")
    c.asset = gw.create_asset(c.key, c.group, media.png_url(640, 640, name + "url"), "Image", name + "-face")
    c.failed = gw.create_asset(c.key, c.group, media.url("/doc.txt"), "Image", name + "-broken")
    up = upload(gw, c.key, c.group, png_bytes(320, 320, seed=len(name)), name + "-upload")
    c.uploaded = ok(up, "Upload")["Id"]

    # LivenessFace: the H5 scan passed, then an asset in the group.
    s = new_session(gw, c.key)
    h5_submit(s["H5Link"], "pass")
    c.token_passed = s["BytedToken"]
    c.lf_group = ok(validate_result(gw, c.key, c.token_passed))["GroupId"]
    c.lf_asset = gw.create_asset(c.key, c.lf_group, media.png_url(480, 480, name + "lf"), "Image", name + "-lf")

    # Tokens in the other states: failed scan, expiring unscanned.
    s = new_session(gw, c.key)
    h5_submit(s["H5Link"], "fail")
    c.token_failed = s["BytedToken"]
    s = new_session(gw, c.key)
    c.token_expiring, c.token_expire_time = s["BytedToken"], time.time() + TOKEN_TTL_S

    for a in (c.asset, c.uploaded, c.lf_asset):
        wait_active(gw, c.key, a)
    assert wait_status(gw, c.key, c.failed)["UpstreamStatus"] == "Failed"

    r = vpost(gw, c.key, video_body([("image_url", "asset://" + c.asset)]))
    assert r.status == 200, r.describe()
    c.task = r.json["id"]
    assert wait_task(gw, c.key, c.task)["status"] == "succeeded"

    a = gw.call(c.key, "GetAsset", {"Id": c.uploaded})
    c.blob_key, c.media_query = media_parts(a["URL"])
    # The console's thumbnail of the upload, made and kept in the blob store.
    r = console_get(gw, c.key, "/v1/portrait/thumbnails/" + c.uploaded, "GetAssetThumbnail")
    assert r.status == 200 and r.headers.get("Content-Type") == "image/jpeg", r.describe()
    c.thumbnail = r.raw
    return c


def fill_group(gw, media, c, n=50):
    """A third group of c's holding the 50 assets its quota allows, all
    Active: a CreateAsset/upload naming it must still read Forbidden to
    anyone else, never QuotaExceeded."""
    c.full_group = gw.create_group(c.key, c.name + "-full")
    for i in range(n):
        gw.create_asset(c.key, c.full_group, media.png_url(640, 640, c.name + "full"), "Image", "f%d" % i)
    deadline = time.monotonic() + 30
    while gw.call(c.key, "ListAssets", {"Filter": {"GroupIds": [c.full_group], "Statuses": ["Processing"]}}
                  )["TotalCount"]:
        assert time.monotonic() < deadline, "the full group's assets are still Processing"
        time.sleep(0.2)
    g = gw.call(c.key, "GetAssetGroup", {"Id": c.full_group})
    assert g["AssetCount"] == n, g
    expect_error(gw.action(c.key, "CreateAsset", {"GroupId": c.full_group, "URL": media.png_url(),
                                                 "AssetType": "Image"}), "QuotaExceeded")


def add_deleted_ids(gw, media, b):
    """Ids of bob's own that he deleted: a group (with its asset), an asset,
    an uploaded asset, a LivenessFace group."""
    g = gw.create_group(b.key, "doomed")
    b.deleted_group_asset = gw.create_asset(b.key, g, media.png_url(320, 320, "doomed"), "Image")
    wait_active(gw, b.key, b.deleted_group_asset)
    gw.call(b.key, "DeleteAssetGroup", {"Id": g})
    b.deleted_group = g

    b.deleted_asset = gw.create_asset(b.key, b.group, media.png_url(330, 330, "gone"), "Image")
    wait_active(gw, b.key, b.deleted_asset)
    gw.call(b.key, "DeleteAsset", {"Id": b.deleted_asset})

    b.deleted_upload = ok(upload(gw, b.key, b.group, png_bytes(340, 340, seed=9)), "Upload")["Id"]
    wait_active(gw, b.key, b.deleted_upload)
    r = console_get(gw, b.key, "/v1/portrait/thumbnails/" + b.deleted_upload, "GetAssetThumbnail")
    assert r.status == 200 and r.headers.get("Content-Type") == "image/jpeg", r.describe()  # kept, then deleted
    gw.call(b.key, "DeleteAsset", {"Id": b.deleted_upload})

    s = new_session(gw, b.key)
    h5_submit(s["H5Link"], "pass")
    b.deleted_lf_group = ok(validate_result(gw, b.key, s["BytedToken"]))["GroupId"]
    gw.call(b.key, "DeleteAssetGroup", {"Id": b.deleted_lf_group})


# ------------------------------------------------------------------ snapshots

def _norm_asset(a):
    """An Asset with the signature of an upload's URL (fresh on every read) cut."""
    a = dict(a)
    if "/v1/media/" in a.get("URL", ""):
        a["URL"] = a["URL"].split("?", 1)[0]
    return a


def blob_tree(gw):
    """{relative path: size} of every file under the data dir's blobs/."""
    root = os.path.join(gw.data_dir, "blobs")
    out = {}
    for dirpath, _dirs, files in os.walk(root):
        for f in files:
            p = os.path.join(dirpath, f)
            try:
                out[os.path.relpath(p, root)] = os.path.getsize(p)
            except OSError as e:  # a file vanishing under us is a change too
                out[os.path.relpath(p, root)] = "error: %s" % e
    return out


def upstream_counts(gw):
    st = gw.sim_stats()
    return {"groups": st["groups"], "assets": st["assets"],
            "requests": {k: st["requests"].get(k) for k in MUTATING_UPSTREAM}}


def customer_state(gw, c):
    """Everything of c's that the API shows, asset URLs' signatures cut."""
    s = {}
    s["ListAssetGroups"] = gw.call(c.key, "ListAssetGroups", {"PageSize": 100})
    for filt in ({}, {"Statuses": ALL_STATUSES}):
        la = gw.call(c.key, "ListAssets", {"PageSize": 100, "Filter": filt})
        la["Items"] = [_norm_asset(a) for a in la["Items"]]
        s["ListAssets %s" % json.dumps(filt)] = la
    for g in s["ListAssetGroups"]["Items"]:
        s["GetAssetGroup " + g["Id"]] = gw.call(c.key, "GetAssetGroup", {"Id": g["Id"]})
        la = gw.call(c.key, "ListAssets", {"PageSize": 100, "Filter": {"GroupIds": [g["Id"]]}})
        s["ListAssets group " + g["Id"]] = [_norm_asset(a) for a in la["Items"]]
    for a in (c.asset, c.failed, c.uploaded, c.lf_asset):
        s["GetAsset " + a] = _norm_asset(gw.call(c.key, "GetAsset", {"Id": a}))
    r = vget(gw, c.key, c.task)
    assert r.status == 200, r.describe()
    s["video " + c.task] = r.json
    # A passed token answers from Portico's record (no upstream call).
    s["token " + c.token_passed] = ok(validate_result(gw, c.key, c.token_passed))
    st, _, raw = http_request(gw.port, "GET", "/v1/media/%s?%s" % (c.blob_key, c.media_query))
    s["media " + c.blob_key] = (st, len(raw))
    for a in (c.uploaded, c.asset):  # the kept thumbnail, and a placeholder
        r = console_get(gw, c.key, "/v1/portrait/thumbnails/" + a, "GetAssetThumbnail")
        s["thumbnail " + a] = (r.status, r.headers.get("Content-Type"), hashlib.sha256(r.raw).hexdigest())
    return s


def state(gw, a, b):
    # Upstream counts and disk first: the API reads below make no upstream
    # calls of the kinds counted, nor write blobs.
    return {"upstream": upstream_counts(gw), "blobs": blob_tree(gw),
            "alice": customer_state(gw, a), "bob": customer_state(gw, b)}


def log_line(gw, request_id, timeout=5):
    """The request log line of request_id (written once the answer is sent)."""
    deadline = time.monotonic() + timeout
    while True:
        for line in gw.log_lines():
            if line.get("request_id") == request_id:
                return line
        assert time.monotonic() < deadline, "no log line for RequestId %s" % request_id
        time.sleep(0.05)


def diff(before, after, path=""):
    """Human-readable differences between two snapshots."""
    out = []
    if isinstance(before, dict) and isinstance(after, dict):
        for k in sorted(set(before) | set(after), key=str):
            if k not in after:
                out.append("%s/%s: gone (was %r)" % (path, k, before[k]))
            elif k not in before:
                out.append("%s/%s: new %r" % (path, k, after[k]))
            else:
                out.extend(diff(before[k], after[k], "%s/%s" % (path, k)))
    elif before != after:
        out.append("%s: %r -> %r" % (path, before, after))
    return out


# ------------------------------------------------------------------ the sweep

class Sweep:
    """Runs probes: (endpoint, field, case) -> response, grouped so that every
    case of one (endpoint, field) is compared with its "missing" case."""

    def __init__(self, secrets_of_a):
        self.secrets = secrets_of_a
        self.count = 0
        self.request_ids = []   # (X-Request-Id, what, expects a customer)
        self.problems = []

    def run(self, endpoint, field, cases, send, check, normalize=blank_request_id, authed=True):
        """cases: [(case, value)] with one case named "missing"; send(value)
        -> Resp; check(resp) asserts the documented refusal."""
        got = {}
        for case, value in cases:
            r = send(value)
            self.count += 1
            what = "%s %s [%s]" % (endpoint, field, case)
            rid = r.headers.get("X-Request-Id")
            if rid:
                self.request_ids.append((rid, what, authed))
            else:
                self.problems.append("%s: no X-Request-Id: %s" % (what, r.describe()))
            try:
                check(r)
            except AssertionError as e:
                self.problems.append("%s: %s" % (what, e))
                continue
            body = normalize(r.raw)
            leaks = [s for s in self.secrets + [value if isinstance(value, str) else json.dumps(value)]
                     if s and s.encode() in body]
            if leaks:
                self.problems.append("%s: the answer names %r: %s" % (what, leaks, r.describe()))
            got[case] = (body, header_set(r))
        base = got.get("missing")
        if base is None:
            return
        for case, (body, hdrs) in got.items():
            if body != base[0]:
                self.problems.append("%s %s: [%s] and [missing] answer differently:\n    %r\n    %r"
                                     % (endpoint, field, case, body, base[0]))
            if hdrs != base[1]:
                self.problems.append("%s %s: [%s] and [missing] answer with different headers:\n    %r\n    %r"
                                     % (endpoint, field, case, hdrs, base[1]))


def header_set(r):
    """The response's headers but those that differ on every request."""
    return sorted((k.lower(), v) for k, v in r.headers.items() if k.lower() not in ("date", "x-request-id"))


def expect(code, action):
    def check(r):
        expect_error(r, code, action=action)
    return check


def expect_video(code, status):
    def check(r):
        assert r.status == status and isinstance(r.json, dict), "expected %s: %s" % (code, r.describe())
        err = r.json.get("error")
        assert set(r.json) == {"error"} and isinstance(err, dict) and err.get("code") == code, \
            "expected %s: %s" % (code, r.describe())
        assert isinstance(err.get("message"), str) and err["message"].strip(), r.describe()
    return check


def expect_media_forbidden(r):
    assert r.status == 403 and isinstance(r.json, dict), "expected 403: " + r.describe()
    assert r.json.get("Error", {}).get("Code") == "Forbidden", r.describe()


def test_cross_tenant_sweep(media):
    # The background liveness poller would ask about alice's pending token
    # on its own during the sweep; here every upstream request must be one a
    # probe caused, so it waits past the test.
    gw = Gateway(env={"PORTICO_SIM_TOKEN_TTL_S": TOKEN_TTL_S, "PORTICO_SIM_VIDEO_MS": VIDEO_MS,
                      "PORTICO_KEY_RATE": 0, "PORTICO_LIVENESS_POLL_MS": 600000})
    a = make_customer(gw, media, "alice")
    fill_group(gw, media, a)
    b = make_customer(gw, media, "bob")
    add_deleted_ids(gw, media, b)

    # Customer ids as the request log knows them.
    cust_a = log_line(gw, a.request_id_probe)["customer"]
    cust_b = log_line(gw, b.request_id_probe)["customer"]
    assert cust_a != cust_b and cust_b, (cust_a, cust_b)

    # alice's expiring token must have expired (a third token state); then
    # a fresh, pending one of hers.
    time.sleep(max(0.0, a.token_expire_time + 0.5 - time.time()))
    expect_error(validate_result(gw, a.key, a.token_expiring), "TokenExpired")
    a.token_pending = new_session(gw, a.key)["BytedToken"]
    expect_error(validate_result(gw, a.key, a.token_pending), "ValidatePending")

    taken = set()
    a_groups = {"foreign-aigc": a.group, "foreign-liveness": a.lf_group, "foreign-full": a.full_group}
    a_assets = {"foreign-url": a.asset, "foreign-failed": a.failed, "foreign-upload": a.uploaded,
                "foreign-liveness": a.lf_asset}
    for x in (a, b):
        taken |= {x.group, x.lf_group, x.asset, x.failed, x.uploaded, x.lf_asset, x.task}
    taken |= {a.full_group, b.deleted_group, b.deleted_lf_group, b.deleted_asset, b.deleted_group_asset,
              b.deleted_upload}
    no_group = missing_like(a.group, taken)
    no_asset = missing_like(a.asset, taken)
    no_task = missing_like(a.task, taken)
    no_token = secrets.token_hex(16)
    # Blob keys look like media/YYYY/MM/DD/<32 hex>.png: same directory, new name.
    m = re.match(r"^(.*/)?([0-9a-f]{32})(\.[a-z]+)$", a.blob_key)
    assert m, "unexpected blob key shape %r" % a.blob_key
    no_blob = (m.group(1) or "") + secrets.token_hex(16) + m.group(3)
    assert GROUP_ID_RE.match(no_group) and ASSET_ID_RE.match(no_asset), (no_group, no_asset)

    group_cases = list(a_groups.items()) + [("missing", no_group), ("deleted", b.deleted_group),
                                            ("deleted-liveness", b.deleted_lf_group)]
    asset_cases = list(a_assets.items()) + [("missing", no_asset), ("deleted", b.deleted_asset),
                                            ("deleted-upload", b.deleted_upload),
                                            ("deleted-with-group", b.deleted_group_asset)]

    secrets_of_a = ["alice", a.full_group, a.group, a.lf_group, a.asset, a.failed, a.uploaded, a.lf_asset, a.task,
                    a.token_passed, a.token_failed, a.token_expiring, a.token_pending,
                    m.group(2)]

    before = state(gw, a, b)
    # The snapshot sees what it should: alice's 3 groups and 54 assets, both
    # customers' stored uploads on disk.
    assert before["alice"]["ListAssetGroups"]["TotalCount"] == 3, before["alice"]["ListAssetGroups"]
    assert before["alice"]['ListAssets {"Statuses": ["Processing", "Active", "Failed"]}']["TotalCount"] == 54
    for x in (a, b):
        assert any(p.endswith(x.blob_key.rsplit("/", 1)[-1]) for p in before["blobs"]), (x.blob_key, before["blobs"])
    probe_url = media.png_url(300, 300, "probe")
    sw = Sweep(secrets_of_a)
    act = lambda action, mk: (lambda v: gw.action(b.key, action, mk(v)))  # noqa: E731

    # ---- GetVisualValidateResult first, while alice's pending token is pending.
    sw.run("GetVisualValidateResult", "BytedToken",
           [("foreign-pending", a.token_pending), ("foreign-passed", a.token_passed),
            ("foreign-failed", a.token_failed), ("foreign-expired", a.token_expiring), ("missing", no_token)],
           act("GetVisualValidateResult", lambda v: {"BytedToken": v}),
           expect("InvalidToken", "GetVisualValidateResult"))
    # ---- the customers' console's QR code of a session, also while alice's is pending
    sw.run("GET /v1/portrait/qrcodes/{BytedToken}", "BytedToken",
           [("foreign-pending", a.token_pending), ("foreign-passed", a.token_passed),
            ("foreign-failed", a.token_failed), ("foreign-expired", a.token_expiring), ("missing", no_token)],
           lambda v: console_get(gw, b.key, "/v1/portrait/qrcodes/" + v, "GetValidateQRCode"),
           expect("InvalidToken", "GetValidateQRCode"))

    # ---- the Actions taking a group id
    for action, mk in (("GetAssetGroup", lambda v: {"Id": v}),
                       ("UpdateAssetGroup", lambda v: {"Id": v, "Name": "taken-over"}),
                       ("UpdateAssetGroup", lambda v: {"Id": v, "Description": "taken over"}),
                       ("DeleteAssetGroup", lambda v: {"Id": v}),
                       ("CreateAsset", lambda v: {"GroupId": v, "URL": probe_url, "AssetType": "Image",
                                                  "Name": "planted"})):
        field = "GroupId" if action == "CreateAsset" else "Id"
        if "Description" in mk("x"):
            field = "Id (Description only)"
        sw.run(action, field, group_cases, act(action, mk), expect("Forbidden", action))

    # ---- ListAssets.Filter.GroupIds: alone, after and before an own group, with a status filter.
    for label, mk in (("GroupIds [x]", lambda v: [v]),
                      ("GroupIds [own, x]", lambda v: [b.group, v]),
                      ("GroupIds [x, own]", lambda v: [v, b.lf_group])):
        sw.run("ListAssets", "Filter." + label, group_cases,
               act("ListAssets", lambda v, mk=mk: {"Filter": {"GroupIds": mk(v)}}), expect("Forbidden", "ListAssets"))
    sw.run("ListAssets", "Filter.GroupIds [x] + Statuses", group_cases,
           act("ListAssets", lambda v: {"Filter": {"GroupIds": [v], "Statuses": ALL_STATUSES}, "PageSize": 100}),
           expect("Forbidden", "ListAssets"))

    # ---- the Actions taking an asset id
    for action, mk in (("GetAsset", lambda v: {"Id": v}),
                       ("UpdateAsset", lambda v: {"Id": v, "Name": "taken-over"}),
                       ("DeleteAsset", lambda v: {"Id": v})):
        sw.run(action, "Id", asset_cases, act(action, mk), expect("Forbidden", action))

    # ---- GetAsset's hot path: alice's record freshly cached by her own read
    def get_after_owner_read(v):
        gw.action(a.key, "GetAsset", {"Id": v})
        return gw.action(b.key, "GetAsset", {"Id": v})
    sw.run("GetAsset", "Id (owner's record just cached)", asset_cases, get_after_owner_read,
           expect("Forbidden", "GetAsset"))

    # ---- upload: the multipart GroupId (a valid PNG, so only the group can refuse it)
    photo = png_bytes(400, 400, seed=77)
    sw.run("POST /v1/portrait/upload", "GroupId", group_cases,
           lambda v: upload(gw, b.key, v, photo, "planted"), expect("Forbidden", "Upload"))

    # ---- video create: asset://<id> in every content type, alone and after an own Active asset
    forbidden = expect_video("forbidden", 403)
    for kind in ("image_url", "video_url", "audio_url"):
        sw.run("POST /v1/videos/generations", "content[0].%s.url=asset://x" % kind, asset_cases,
               lambda v, kind=kind: vpost(gw, b.key, video_body([(kind, "asset://" + v)])), forbidden,
               normalize=lambda raw: raw)
    sw.run("POST /v1/videos/generations", "content[1].image_url.url=asset://x after own", asset_cases,
           lambda v: vpost(gw, b.key, video_body([("image_url", "asset://" + b.asset), ("image_url", "asset://" + v)])),
           forbidden, normalize=lambda raw: raw)
    sw.run("POST /v1/videos/generations", "content[0].image_url.url=asset://x (seedance-2.0-fast)", asset_cases,
           lambda v: vpost(gw, b.key, video_body([("image_url", "asset://" + v)], "seedance-2.0-fast")),
           forbidden, normalize=lambda raw: raw)
    sw.run("POST /v1/videos/generations", "content[0].image_url.url=asset://x (seedance-1.5-pro)", asset_cases,
           lambda v: vpost(gw, b.key, {"model": "seedance-1.5-pro", "prompt": "p", "content": [
               {"type": "image_url", "image_url": {"url": "asset://" + v}, "role": "first_frame"}]}),
           expect_video("model_not_supported_asset", 400), normalize=lambda raw: raw)

    # ---- video read
    sw.run("GET /v1/videos/generations/{id}", "id", [("foreign", a.task), ("missing", no_task)],
           lambda v: vget(gw, b.key, v), expect_video("not_found", 404), normalize=lambda raw: raw)

    # ---- media: alice's blob key under bob's own valid signature, and unsigned
    sw.run("GET /v1/media/{key}", "key (bob's signature)", [("foreign", a.blob_key), ("missing", no_blob)],
           lambda v: media_get(gw, "/v1/media/%s?%s" % (v, b.media_query)), expect_media_forbidden, authed=False)
    sw.run("GET /v1/media/{key}", "key (unsigned)", [("foreign", a.blob_key), ("missing", no_blob)],
           lambda v: media_get(gw, "/v1/media/" + v), expect_media_forbidden, authed=False)

    # ---- the customers' console's thumbnails (alice's upload's already kept)
    sw.run("GET /v1/portrait/thumbnails/{AssetId}", "AssetId", asset_cases,
           lambda v: console_get(gw, b.key, "/v1/portrait/thumbnails/" + v, "GetAssetThumbnail"),
           expect("Forbidden", "GetAssetThumbnail"))

    time.sleep(1.0)  # room for anything asynchronous a probe might have started
    after = state(gw, a, b)
    changes = diff(before, after)
    assert media.hits.get(urllib.parse.urlsplit(probe_url).path, 0) == 0, \
        "a refused CreateAsset fetched its URL: %r" % media.hits

    # ---- the request log: one line per probe, every one bob's (media: no customer)
    want = {rid: (what, authed) for rid, what, authed in sw.request_ids}
    deadline = time.monotonic() + 5
    while True:
        logged = {l.get("request_id"): l for l in gw.log_lines() if l.get("request_id") in want}
        if len(logged) == len(want) or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    log_problems = ["%s: no request log line (RequestId %s)" % (what, rid)
                    for rid, (what, _) in want.items() if rid not in logged]
    for rid, l in logged.items():
        what, authed = want[rid]
        expected = cust_b if authed else 0
        if l.get("customer") != expected:
            log_problems.append("%s: log line carries customer %r, not %r: %s" % (what, l.get("customer"),
                                                                                 expected, json.dumps(l)))

    print("cross-tenant sweep: %d probes (endpoint, field, case) by customer %s against customer %s's ids; "
          "%d refusal problems, %d state changes, %d log problems"
          % (sw.count, cust_b, cust_a, len(sw.problems), len(changes), len(log_problems)), flush=True)
    problems = sw.problems + ["state changed: " + c for c in changes] + log_problems
    assert not problems, "%d problem(s):\n%s" % (len(problems), "\n".join(problems))
