"""Seedance video generation (API.md §4): POST /v1/videos/generations and
GET /v1/videos/generations/{id}, over the simulator's ModelArk task API."""
import base64
import http.server
import json
import os
import shutil
import sqlite3
import struct
import subprocess
import tempfile
import threading
import time
import zlib

from portico import Gateway, MediaServer, Sim, http_request, png_bytes, wait_active, wait_status

VIDEO_MS = 1500
PATH = "/v1/videos/generations"
ERROR_STATUS = {"invalid_request": 400, "model_not_supported_asset": 400, "asset_not_ready": 400,
                "forbidden": 403, "unauthorized": 401, "not_found": 404, "upstream_error": 502,
                "payload_too_large": 413}


class VResp:
    def __init__(self, status, headers, raw, what):
        self.status, self.headers, self.raw, self.what = status, headers, raw, what
        try:
            self.json = json.loads(raw) if raw else None
        except ValueError:
            self.json = None

    def describe(self):
        return "%s -> HTTP %s %s" % (self.what, self.status, self.raw[:500].decode("utf-8", "replace"))


def vpost(gw, key, body, headers=None):
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    hdrs = {"Content-Type": "application/json"}
    if key is not None:
        hdrs["Authorization"] = "Bearer " + key
    hdrs.update(headers or {})
    st, h, raw = http_request(gw.port, "POST", PATH, data, hdrs)
    shown = body if len(data) < 400 else "<%d bytes>" % len(data)
    return VResp(st, h, raw, "POST %s %r" % (PATH, shown))


def vget(gw, key, task_id):
    hdrs = {"Authorization": "Bearer " + key} if key is not None else {}
    st, h, raw = http_request(gw.port, "GET", PATH + "/" + task_id, None, hdrs)
    return VResp(st, h, raw, "GET %s/%s" % (PATH, task_id))


def expect_verror(r, code):
    assert r.status == ERROR_STATUS[code] and isinstance(r.json, dict), "expected %s: %s" % (code, r.describe())
    err = r.json.get("error")
    assert isinstance(err, dict) and err.get("code") == code, "expected %s: %s" % (code, r.describe())
    assert isinstance(err.get("message"), str) and err["message"].strip(), "empty message: " + r.describe()
    assert set(r.json) == {"error"}, "an error carries more than error: " + r.describe()
    assert r.headers.get("X-Request-Id"), "no X-Request-Id: " + r.describe()
    return err


def task_ok(r, model=None, status=None):
    assert r.status == 200 and isinstance(r.json, dict), "expected 200: " + r.describe()
    t = r.json
    assert isinstance(t.get("id"), str) and t["id"], t
    assert t.get("object") == "video.generation", t
    assert t.get("status") in ("queued", "running", "succeeded", "failed"), t
    assert isinstance(t.get("created_at"), int) and abs(t["created_at"] - time.time()) < 300, t
    if model is not None:
        assert t.get("model") == model, t
    if status is not None:
        assert t["status"] == status, t
    if t["status"] == "succeeded":
        assert isinstance(t.get("video_url"), str) and t["video_url"].startswith("http"), t
    else:
        assert "video_url" not in t, t
    if t["status"] == "failed":
        assert isinstance(t.get("error"), dict) and t["error"].get("code") and t["error"].get("message"), t
    return t


def wait_task(gw, key, task_id, timeout=15):
    """Polls every 50 ms until succeeded/failed; returns (task, statuses seen in order, when each began)."""
    seen, when = [], []
    deadline = time.monotonic() + timeout
    while True:
        t = task_ok(vget(gw, key, task_id))
        if not seen or seen[-1] != t["status"]:
            seen.append(t["status"])
            when.append(time.monotonic())
        if t["status"] in ("succeeded", "failed"):
            return t, seen, when
        assert time.monotonic() < deadline, "task %s still %s after %ss" % (task_id, t["status"], timeout)
        time.sleep(0.05)


def fetch(url):
    host_port = url.split("/")[2]
    port = int(host_port.rsplit(":", 1)[1])
    path = "/" + url.split("/", 3)[3]
    return http_request(port, "GET", path)


def check_playable_mp4(data):
    """ffprobe sees one 64x64 H.264 stream of about 1 s; ffmpeg decodes it cleanly."""
    assert data[4:8] == b"ftyp", "not an ISO-BMFF file: %r" % data[:16]
    ffprobe, ffmpeg = shutil.which("ffprobe"), shutil.which("ffmpeg")
    assert ffprobe and ffmpeg, "ffprobe/ffmpeg missing: run `make deps` (Debian package ffmpeg)"
    with tempfile.NamedTemporaryFile(suffix=".mp4") as f:
        f.write(data)
        f.flush()
        cp = subprocess.run([ffprobe, "-v", "error", "-show_streams", "-show_format", "-of", "json", f.name],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        assert cp.returncode == 0 and not cp.stderr.strip(), "ffprobe: %s" % cp.stderr.decode()
        info = json.loads(cp.stdout)
        streams = info["streams"]
        assert len(streams) == 1 and streams[0]["codec_type"] == "video", streams
        s = streams[0]
        assert s["codec_name"] == "h264" and s["width"] == 64 and s["height"] == 64, s
        assert abs(float(info["format"]["duration"]) - 1.0) < 0.05, info["format"]
        assert int(s["nb_frames"]) == 10, s
        cp = subprocess.run([ffmpeg, "-v", "error", "-i", f.name, "-f", "null", "-"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        assert cp.returncode == 0 and not cp.stderr.strip(), "ffmpeg decode: %s" % cp.stderr.decode()


def active_asset(gw, key, media, tag="a", asset_type="Image"):
    gid = gw.create_group(key, "g-" + tag)
    aid = gw.create_asset(key, gid, media.png_url(640, 640, tag), asset_type)
    wait_active(gw, key, aid)
    return aid


def video_gw(**kw):
    env = {"PORTICO_SIM_VIDEO_MS": VIDEO_MS}
    env.update(kw.pop("env", {}))
    return Gateway(env=env, **kw)


def body_with(url, model="seedance-2.0", role="reference_image", kind="image_url", **extra):
    item = {"type": kind, kind: {"url": url}}
    if role is not None:
        item["role"] = role
    b = {"model": model, "prompt": "a portrait walking on the beach", "ratio": "16:9", "duration": 5,
         "resolution": "720p", "content": [item]}
    b.update(extra)
    return b


# ---------------------------------------------------------------- the happy path

def test_seedance_2_models_with_active_asset_succeed_with_playable_mp4(media):
    gw = video_gw()
    k = gw.create_key("acme")
    aid = active_asset(gw, k, media)
    for model in ("seedance-2.0", "seedance-2.0-fast"):
        t0 = time.monotonic()
        r = vpost(gw, k, body_with("asset://" + aid, model=model))
        posted = time.monotonic()
        t = task_ok(r, model, "queued")
        task, seen, when = wait_task(gw, k, t["id"])
        assert task["status"] == "succeeded", task
        assert task["id"] == t["id"] and task["model"] == model and task["created_at"] == t["created_at"], task
        assert seen[0] == "queued" and seen[-1] == "succeeded" and "running" in seen, seen
        # The upstream succeeds VIDEO_MS after it accepted the task (no later
        # than our POST returned); clients see it within about a second.
        lag = when[-1] - posted - VIDEO_MS / 1000.0
        assert lag < 1.25, "succeeded reached the client %.2fs after the upstream's change" % lag
        assert when[-1] - t0 >= VIDEO_MS / 1000.0 - 0.1, "succeeded before the upstream could have: %r" % seen
        assert isinstance(task.get("usage"), dict) and task["usage"]["total_tokens"] > 0, task
        st, h, data = fetch(task["video_url"])
        assert st == 200 and h.get("Content-Type") == "video/mp4", (st, dict(h))
        check_playable_mp4(data)
        # Reads are stable once terminal.
        assert task_ok(vget(gw, k, t["id"])) == task


def test_plain_urls_pass_through_and_1_5_pro_takes_first_frame(media):
    gw = video_gw()
    k = gw.create_key("acme")
    url = media.png_url(320, 320, "frame")
    r = vpost(gw, k, body_with(url, model="seedance-1.5-pro", role="first_frame", duration=10))
    t = task_ok(r, "seedance-1.5-pro", "queued")
    task, _, _ = wait_task(gw, k, t["id"])
    assert task["status"] == "succeeded", task
    # 2.0 takes plain http(s) media of every kind, with no role at all.
    body = {"model": "seedance-2.0-fast", "prompt": "p", "content": [
        {"type": "image_url", "image_url": {"url": url}},
        {"type": "video_url", "video_url": {"url": media.url("/v.mp4")}, "role": "reference_video"},
        {"type": "audio_url", "audio_url": {"url": media.url("/a.mp3")}, "role": "reference_audio"}]}
    task_ok(vpost(gw, k, body), "seedance-2.0-fast", "queued")
    # A text-only request needs no content at all.
    task_ok(vpost(gw, k, {"model": "seedance-2.0", "prompt": "only words"}), "seedance-2.0", "queued")


def test_failed_generation_reports_its_error(media):
    gw = video_gw()
    k = gw.create_key("acme")
    r = vpost(gw, k, {"model": "seedance-2.0", "prompt": "please fail [sim:fail]"})
    task, seen, _ = wait_task(gw, k, task_ok(r)["id"])
    assert task["status"] == "failed" and seen[-1] == "failed", task
    # UPSTREAM.md "Video tasks", last row: the upstream's own code, verbatim.
    assert task["error"]["code"] == "OutputVideoSensitiveContentDetected.PolicyViolation", task


# ---------------------------------------------------------------- asset rules

def test_1_5_pro_rejects_asset_references(media):
    gw = video_gw()
    k = gw.create_key("acme")
    aid = active_asset(gw, k, media)
    for role in ("first_frame", "reference_image", None):
        expect_verror(vpost(gw, k, body_with("asset://" + aid, model="seedance-1.5-pro", role=role)),
                      "model_not_supported_asset")
    # Also when the asset is not even the caller's: the model rule comes first.
    expect_verror(vpost(gw, k, body_with("asset://asset-20260101000000-zzzzz", model="seedance-1.5-pro")),
                  "model_not_supported_asset")


def test_foreign_and_unknown_assets_are_forbidden_alike(media):
    gw = video_gw()
    a, b = gw.create_key("acme"), gw.create_key("globex")
    foreign = active_asset(gw, b, media, "b")
    r1 = vpost(gw, a, body_with("asset://" + foreign))
    r2 = vpost(gw, a, body_with("asset://asset-20260101000000-zzzzz"))
    r3 = vpost(gw, a, body_with("asset://no-such-thing"))
    for r in (r1, r2, r3):
        expect_verror(r, "forbidden")
    assert r1.raw == r2.raw == r3.raw, "foreign and unknown assets must be indistinguishable: %r %r %r" % (
        r1.raw, r2.raw, r3.raw)
    # A deleted asset of the caller's own is gone too.
    own = active_asset(gw, a, media, "own")
    gw.call(a, "DeleteAsset", {"Id": own})
    expect_verror(vpost(gw, a, body_with("asset://" + own)), "forbidden")
    # The owner may use it.
    task_ok(vpost(gw, b, body_with("asset://" + foreign)), "seedance-2.0", "queued")


def test_processing_and_failed_assets_are_not_ready(media):
    gw = video_gw(processing_ms=60000)
    k = gw.create_key("acme")
    gid = gw.create_group(k, "g")
    processing = gw.create_asset(k, gid, media.png_url(640, 640, "p"))
    err = expect_verror(vpost(gw, k, body_with("asset://" + processing)), "asset_not_ready")
    assert processing in err["message"], err
    gw2 = video_gw(processing_ms=0)
    k2 = gw2.create_key("acme")
    gid2 = gw2.create_group(k2, "g")
    failed = gw2.create_asset(k2, gid2, media.url("/img/a.gif"))
    assert wait_status(gw2, k2, failed)["UpstreamStatus"] == "Failed"
    expect_verror(vpost(gw2, k2, body_with("asset://" + failed)), "asset_not_ready")


def test_simulator_rejects_assets_that_are_not_active(media):
    """The upstream (simulator) checks every asset:// itself, as the real one does."""
    ark_key = "ark-test-key-123"
    sim = Sim(processing_ms=2500, env={"PORTICO_ARK_API_KEY": ark_key, "PORTICO_SIM_VIDEO_MS": 600})
    gw = Gateway(upstream=sim.url, args=["--ark-endpoint", sim.url],
                 env={"PORTICO_VOLC_AK": "AKTEST", "PORTICO_VOLC_SK": "SKTEST", "PORTICO_ARK_API_KEY": ark_key})
    k = gw.create_key("acme")
    gid = gw.create_group(k, "g")
    aid = gw.create_asset(k, gid, media.png_url(640, 640, "s"))

    def upstream_create(url, key=ark_key, model="doubao-seedance-2-0-260128"):
        body = {"model": model, "content": [{"type": "text", "text": "p"},
                                            {"type": "image_url", "image_url": {"url": url}, "role": "reference_image"}]}
        st, _, raw = http_request(sim.port, "POST", "/api/v3/contents/generations/tasks", json.dumps(body).encode(),
                                  {"Authorization": "Bearer " + key, "Content-Type": "application/json"})
        return st, json.loads(raw)

    st, o = upstream_create("asset://" + aid)  # still Processing
    assert st == 400 and o["error"]["code"] == "InvalidParameter", (st, o)
    st, o = upstream_create("asset://asset-20260101000000-zzzzz")
    assert st == 400 and o["error"]["code"] == "InvalidParameter", (st, o)
    st, o = upstream_create("asset://" + aid, key="wrong")
    assert st == 401, (st, o)
    wait_active(gw, k, aid)
    st, o = upstream_create("asset://" + aid, model="doubao-seedance-1-5-pro-251215")
    assert st == 400 and o["error"]["code"] == "InvalidParameter", (st, o)
    st, o = upstream_create("asset://" + aid)
    assert st == 200 and o["id"].startswith("cgt-"), (st, o)
    st, _, raw = http_request(sim.port, "GET", "/api/v3/contents/generations/tasks/" + o["id"], None,
                              {"Authorization": "Bearer " + ark_key})
    up = json.loads(raw)
    assert st == 200 and up["id"] == o["id"] and up["status"] in ("queued", "running", "succeeded"), up
    # The gateway, configured with --ark-endpoint and the key, runs the whole flow.
    r = vpost(gw, k, body_with("asset://" + aid, duration=15))
    task, _, _ = wait_task(gw, k, task_ok(r)["id"])
    assert task["status"] == "succeeded", task
    st, h, data = fetch(task["video_url"])
    assert st == 200 and h.get("Content-Type") == "video/mp4" and data[4:8] == b"ftyp", (st, dict(h))
    # The gateway with a wrong ARK key: the upstream refuses, nothing is recorded.
    gw.stop()
    gw2 = Gateway(upstream=sim.url, args=["--ark-endpoint", sim.url],
                  env={"PORTICO_VOLC_AK": "AKTEST", "PORTICO_VOLC_SK": "SKTEST", "PORTICO_ARK_API_KEY": "nope"})
    k2 = gw2.create_key("acme")
    expect_verror(vpost(gw2, k2, {"model": "seedance-2.0", "prompt": "p"}), "upstream_error")


# ---------------------------------------------------------------- tasks and customers

def test_other_customers_task_is_not_found(media):
    gw = video_gw()
    a, b = gw.create_key("acme"), gw.create_key("globex")
    t = task_ok(vpost(gw, a, {"model": "seedance-2.0", "prompt": "mine"}))
    r1 = vget(gw, b, t["id"])
    r2 = vget(gw, b, "vid-20260101000000-zzzzz")
    r3 = vget(gw, b, "nonsense")
    for r in (r1, r2, r3):
        expect_verror(r, "not_found")
    assert r1.raw == r2.raw == r3.raw, "another customer's task must look like no task: %r %r" % (r1.raw, r2.raw)
    task_ok(vget(gw, a, t["id"]), "seedance-2.0")
    # Authentication comes first.
    expect_verror(vget(gw, None, t["id"]), "unauthorized")
    expect_verror(vget(gw, "pk_bogus", t["id"]), "unauthorized")


def test_unauthorized_and_methods(media):
    gw = video_gw()
    expect_verror(vpost(gw, None, {"model": "seedance-2.0", "prompt": "p"}), "unauthorized")
    expect_verror(vpost(gw, "not-a-key", {"model": "seedance-2.0", "prompt": "p"}), "unauthorized")
    k = gw.create_key("acme")
    st, _, raw = http_request(gw.port, "GET", PATH, None, {"Authorization": "Bearer " + k})
    assert st == 405 and json.loads(raw)["error"]["code"] == "method_not_allowed", (st, raw)
    st, _, raw = http_request(gw.port, "DELETE", PATH + "/vid-x", None, {"Authorization": "Bearer " + k})
    assert st == 405, (st, raw)


# ---------------------------------------------------------------- malformed requests

def test_malformed_bodies_are_invalid_request(media):
    gw = video_gw()
    k = gw.create_key("acme")
    image = gw.create_group(k, "g")
    img = gw.create_asset(k, image, media.png_url(640, 640, "m"))
    wait_active(gw, k, img)
    url = media.png_url()
    base = {"model": "seedance-2.0", "prompt": "p"}

    def item(u=url, role="reference_image", kind="image_url"):
        it = {"type": kind, kind: {"url": u}}
        if role is not None:
            it["role"] = role
        return it

    cases = [
        ("not JSON", b"{"),
        ("a JSON array", b"[]"),
        ("a JSON string", b"\"model\""),
        ("empty body", b""),
        ("missing model", {"prompt": "p"}),
        ("unknown model", dict(base, model="seedance-3.0")),
        ("model of the upstream", dict(base, model="doubao-seedance-2-0-260128")),
        ("model wrong type", dict(base, model=2)),
        ("missing prompt", {"model": "seedance-2.0"}),
        ("empty prompt", dict(base, prompt="")),
        ("prompt 2001 chars", dict(base, prompt="é" * 2001)),
        ("prompt wrong type", dict(base, prompt=["p"])),
        ("bad ratio", dict(base, ratio="2:1")),
        ("ratio wrong type", dict(base, ratio=16)),
        ("duration as string", dict(base, duration="5")),
        ("duration as float", dict(base, duration=5.5)),
        ("duration 3", dict(base, duration=3)),
        ("duration 16", dict(base, duration=16)),
        ("1.5-pro duration 13", dict(base, model="seedance-1.5-pro", duration=13)),
        ("bad resolution", dict(base, resolution="4k")),
        ("resolution wrong type", dict(base, resolution=720)),
        ("content not an array", dict(base, content={"type": "image_url"})),
        ("content item not an object", dict(base, content=["http://127.0.0.1:9/"])),
        ("content 11 items", dict(base, content=[item()] * 11)),
        ("item without type", dict(base, content=[{"image_url": {"url": url}}])),
        ("item type text", dict(base, content=[{"type": "text", "text": "t"}])),
        ("item type unknown", dict(base, content=[{"type": "gif_url", "gif_url": {"url": url}}])),
        ("item type wrong type", dict(base, content=[{"type": 1}])),
        ("item without its object", dict(base, content=[{"type": "image_url", "url": url}])),
        ("item object wrong type", dict(base, content=[{"type": "image_url", "image_url": url}])),
        ("item without url", dict(base, content=[{"type": "image_url", "image_url": {}}])),
        ("url wrong type", dict(base, content=[{"type": "image_url", "image_url": {"url": 5}}])),
        ("ftp url", dict(base, content=[item("ftp://127.0.0.1/a.png")])),
        ("file url", dict(base, content=[item("file:///etc/passwd")])),
        ("words url", dict(base, content=[item("just words")])),
        ("url 2049 chars", dict(base, content=[item(url + "?" + "x" * (2048 - len(url)))])),
        ("empty asset url", dict(base, content=[item("asset://")])),
        ("role wrong type", dict(base, content=[item(role=3)])),
        ("role of another type", dict(base, content=[item(role="reference_video")])),
        ("unknown role", dict(base, content=[item(role="background")])),
        ("video with image role", dict(base, content=[item(kind="video_url", role="first_frame")])),
        ("two first frames", dict(base, content=[item(role="first_frame"), item(role="first_frame")])),
        ("last frame alone", dict(base, content=[item(role="last_frame")])),
        ("frame with references", dict(base, content=[item(role="first_frame"), item(role="reference_image")])),
        ("1.5-pro with a video", dict(base, model="seedance-1.5-pro",
                                      content=[item(kind="video_url", role="reference_video")])),
        ("1.5-pro with a reference image", dict(base, model="seedance-1.5-pro", content=[item()])),
        ("image asset as a video", dict(base, content=[item("asset://" + img, kind="video_url",
                                                            role="reference_video")])),
        ("duplicate keys", b'{"model":"seedance-2.0","model":"seedance-2.0","prompt":"p"}'),
    ]
    for what, body in cases:
        r = vpost(gw, k, body)
        try:
            expect_verror(r, "invalid_request")
        except AssertionError as e:
            raise AssertionError("%s: %s" % (what, e))
    # 2048 characters is fine; unknown fields are ignored.
    ok_url = url + "?" + "x" * (2047 - len(url))
    assert len(ok_url) == 2048
    task_ok(vpost(gw, k, dict(base, content=[item(ok_url)], extra={"a": 1}, seed=3)))
    # Bodies over 16 MiB (room for a 10 MiB image inline as a data: URL) are refused as such.
    r = vpost(gw, k, dict(base, pad="x" * (16 * 1024 * 1024)))
    err = expect_verror(r, "payload_too_large")
    assert "16 MiB" in err["message"], err


# ---------------------------------------------------------------- the record (UPSTREAM.md "Video tasks")

ARK_KEY = "ark-test-key-456"
TASKS = "/api/v3/contents/generations/tasks"
FACE_MARK = b"PORTICO-SIM-FACE"  # sim_video.h SIM_VIDEO_FACE_MARK, docs/simulator.md


def png_with_text(w, h, text):
    """A real PNG with a tEXt chunk (keyword Comment) right after IHDR."""
    b = png_bytes(w, h)
    d = b"Comment\x00" + text
    chunk = struct.pack(">I", len(d)) + b"tEXt" + d + struct.pack(">I", zlib.crc32(b"tEXt" + d) & 0xFFFFFFFF)
    return b[:33] + chunk + b[33:]


class FaceMedia:
    """Serves /face.png (a PNG carrying the simulator's face marker) and
    /plain.png (the same picture without it) on a loopback port."""

    def __init__(self):
        files = {"/face.png": png_with_text(640, 640, b"subject " + FACE_MARK + b" (a real person)"),
                 "/plain.png": png_with_text(640, 640, b"a drawn character")}

        class H(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def log_message(self, *a):
                pass

            def do_GET(self):
                b = files.get(self.path.split("?", 1)[0])
                self.send_response(200 if b else 404)
                self.send_header("Content-Type", "image/png" if b else "text/plain")
                body = b or b"not found\n"
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.files = files
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, name):
        return "http://127.0.0.1:%d/%s" % (self.port, name)

    def data_url(self, name):
        return "data:image/png;base64," + base64.b64encode(self.files["/" + name]).decode()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def sim_with_gateway(sim_env=None, processing_ms=300):
    env = {"PORTICO_ARK_API_KEY": ARK_KEY, "PORTICO_SIM_VIDEO_MS": 600}
    env.update(sim_env or {})
    sim = Sim(processing_ms=processing_ms, env=env)
    gw = Gateway(upstream=sim.url, args=["--ark-endpoint", sim.url],
                 env={"PORTICO_VOLC_AK": "AKTEST", "PORTICO_VOLC_SK": "SKTEST", "PORTICO_ARK_API_KEY": ARK_KEY})
    return sim, gw


def ark(sim, method, path="", body=None, key=ARK_KEY):
    data = json.dumps(body).encode() if body is not None else None
    hdrs = {"Authorization": "Bearer " + key}
    if data is not None:
        hdrs["Content-Type"] = "application/json"
    st, _, raw = http_request(sim.port, method, TASKS + path, data, hdrs)
    try:
        return st, json.loads(raw) if raw else None
    except ValueError:
        return st, raw


def ark_body(items=(), model="doubao-seedance-2-0-260128", prompt="p", **params):
    content = [{"type": "text", "text": prompt}]
    for kind, url, role in items:
        it = {"type": kind, kind: {"url": url}}
        if role:
            it["role"] = role
        content.append(it)
    b = {"model": model, "content": content}
    b.update(params)
    return b


def upstream_task_id(gw, vid):
    """The upstream's id of the gateway's task, from the gateway's store."""
    sql = "SELECT upstream_id FROM video_tasks WHERE id = '%s'" % vid
    if gw.store_db:
        import sys
        sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "pg"))
        import pgserver
        return pgserver.psql(os.environ["PORTICO_TEST_PG"], gw.store_db, sql).strip()
    con = sqlite3.connect(os.path.join(gw.data_dir, "portico.db"), timeout=10)
    try:
        return con.execute(sql).fetchone()[0]
    finally:
        con.close()


def test_simulator_refuses_what_the_record_refuses(media):
    """Each content and parameter rule of UPSTREAM.md "Video tasks", refused
    with 400 InvalidParameter by the simulator; the mini model and -1 pass."""
    sim = Sim(env={"PORTICO_ARK_API_KEY": ARK_KEY, "PORTICO_SIM_VIDEO_MS": 600})
    img, vid, aud = media.png_url(640, 640, "r"), "http://127.0.0.1:1/v.mp4", "http://127.0.0.1:1/a.mp3"
    refused = [
        ("two first frames", ark_body([("image_url", img, "first_frame"), ("image_url", img, "first_frame")])),
        ("two last frames", ark_body([("image_url", img, "last_frame"), ("image_url", img, "last_frame")])),
        ("frame with reference image", ark_body([("image_url", img, "first_frame"),
                                                 ("image_url", img, "reference_image")])),
        ("frame with reference video", ark_body([("image_url", img, "last_frame"),
                                                 ("video_url", vid, "reference_video")])),
        ("frame with reference audio", ark_body([("image_url", img, "first_frame"),
                                                 ("audio_url", aud, "reference_audio")])),
        ("data: video", ark_body([("video_url", "data:video/mp4;base64,AAAA", "reference_video")])),
        ("bare asset id", ark_body([("image_url", "asset-20260101000000-abcde", "reference_image")])),
        ("empty asset://", ark_body([("image_url", "asset://", "reference_image")])),
        ("image role on a video", ark_body([("video_url", vid, "first_frame")])),
        ("video role on an image", ark_body([("image_url", img, "reference_video")])),
        ("unknown role", ark_body([("audio_url", aud, "background")])),
        ("duration 3", ark_body(duration=3)),
        ("duration 16", ark_body(duration=16)),
        ("duration 0", ark_body(duration=0)),
        ("duration -2", ark_body(duration=-2)),
        ("ratio 2:1", ark_body(ratio="2:1")),
        ("resolution 4k", ark_body(resolution="4k")),
        ("1080p on fast", ark_body(model="doubao-seedance-2-0-fast-260128", resolution="1080p")),
        ("1080p on mini", ark_body(model="doubao-seedance-2-0-mini-260615", resolution="1080p")),
        ("generate_audio as string", ark_body(generate_audio="yes")),
        ("watermark as number", ark_body(watermark=1)),
        ("return_last_frame as string", ark_body(return_last_frame="true")),
    ]
    for what, body in refused:
        st, o = ark(sim, "POST", body=body)
        assert st == 400 and o["error"]["code"] == "InvalidParameter", (what, st, o)
        assert o["error"]["message"], (what, o)
    st, o = ark(sim, "POST", body=ark_body(model="doubao-seedance-3-0"))
    assert st == 404 and o["error"]["code"] == "InvalidEndpointOrModel.NotFound", (st, o)
    accepted = [
        ("mini 720p", ark_body(model="doubao-seedance-2-0-mini-260615", resolution="720p", ratio="9:16")),
        ("mini 480p", ark_body(model="doubao-seedance-2-0-mini-260615", resolution="480p")),
        ("fast 720p", ark_body(model="doubao-seedance-2-0-fast-260128", resolution="720p")),
        ("2.0 1080p adaptive", ark_body(resolution="1080p", ratio="adaptive")),
        ("duration -1", ark_body(duration=-1)),
        ("duration 4 and 15", ark_body(duration=4)),
        ("flags", ark_body(duration=15, generate_audio=True, watermark=False, return_last_frame=True)),
        ("data: image and audio", ark_body([("image_url", "data:image/png;base64," +
                                             base64.b64encode(png_bytes(320, 320)).decode(), "reference_image"),
                                            ("audio_url", "data:audio/mpeg;base64,SUQz", "reference_audio")])),
        ("first and last frame", ark_body([("image_url", img, "first_frame"), ("image_url", img, "last_frame")])),
        ("all references", ark_body([("image_url", img, "reference_image"), ("video_url", vid, "reference_video"),
                                     ("audio_url", aud, "reference_audio")])),
    ]
    for what, body in accepted:
        st, o = ark(sim, "POST", body=body)
        assert st == 200 and o["id"].startswith("cgt-"), (what, st, o)
    # The mini model runs a task to its end like the others.
    st, o = ark(sim, "POST", body=ark_body(model="doubao-seedance-2-0-mini-260615"))
    deadline = time.monotonic() + 10
    while True:
        st, t = ark(sim, "GET", "/" + o["id"])
        assert st == 200, (st, t)
        if t["status"] == "succeeded":
            break
        assert time.monotonic() < deadline, t
        time.sleep(0.05)
    assert t["model"] == "doubao-seedance-2-0-mini-260615" and t["usage"]["completion_tokens"] > 0, t
    assert isinstance(t["created_at"], int) and t["updated_at"] >= t["created_at"], t


def test_simulator_cancels_queued_tasks_and_expires_stale_ones(media):
    sim = Sim(env={"PORTICO_ARK_API_KEY": ARK_KEY, "PORTICO_SIM_VIDEO_MS": 400,
                   "PORTICO_SIM_VIDEO_EXPIRE_MS": 1200})
    # DELETE cancels a queued task ([sim:queued]: never picked up).
    st, o = ark(sim, "POST", body=ark_body(prompt="wait [sim:queued]"))
    assert st == 200, (st, o)
    tid = o["id"]
    st, t = ark(sim, "GET", "/" + tid)
    assert st == 200 and t["status"] == "queued", t
    st, o = ark(sim, "DELETE", "/" + tid)
    assert st == 200 and o == {}, (st, o)
    st, t = ark(sim, "GET", "/" + tid)
    assert st == 200 and t["status"] == "cancelled" and "content" not in t, t
    # Only a queued task can be cancelled (the answer otherwise is a guess: 400).
    st, o = ark(sim, "DELETE", "/" + tid)
    assert st == 400 and o["error"]["code"] == "InvalidParameter" and "cancelled" in o["error"]["message"], (st, o)
    st, o = ark(sim, "DELETE", "/cgt-20260101000000-zzzzz")
    assert st == 404, (st, o)
    st, o = ark(sim, "DELETE", "/" + tid, key="wrong")
    assert st == 401, (st, o)
    st, o = ark(sim, "POST", body=ark_body())
    done = o["id"]
    time.sleep(0.6)
    st, t = ark(sim, "GET", "/" + done)
    assert t["status"] == "succeeded", t
    st, o = ark(sim, "DELETE", "/" + done)
    assert st == 400 and "succeeded" in o["error"]["message"], (st, o)
    # A task not picked up within its lifetime expires.
    st, o = ark(sim, "POST", body=ark_body(prompt="[sim:queued] forever"))
    stale = o["id"]
    st, t = ark(sim, "GET", "/" + stale)
    assert t["status"] == "queued", t
    time.sleep(1.4)
    st, t = ark(sim, "GET", "/" + stale)
    assert st == 200 and t["status"] == "expired" and t["updated_at"] >= t["created_at"], t
    st, o = ark(sim, "DELETE", "/" + stale)
    assert st == 400, (st, o)


def test_expired_and_cancelled_tasks_fail_with_the_upstream_word(media):
    """API.md §4: the gateway shows expired and cancelled upstream tasks as
    failed, error.code "expired" / "cancelled"."""
    sim, gw = sim_with_gateway({"PORTICO_SIM_VIDEO_EXPIRE_MS": 1500})
    k = gw.create_key("acme")
    stale = task_ok(vpost(gw, k, {"model": "seedance-2.0", "prompt": "never picked up [sim:queued]"}))
    doomed = task_ok(vpost(gw, k, {"model": "seedance-2.0", "prompt": "to be cancelled [sim:queued]"}))
    st, o = ark(sim, "DELETE", "/" + upstream_task_id(gw, doomed["id"]))
    assert st == 200, (st, o)
    task, seen, _ = wait_task(gw, k, doomed["id"])
    assert task["status"] == "failed" and task["error"]["code"] == "cancelled", task
    task, seen, _ = wait_task(gw, k, stale["id"])
    assert task["status"] == "failed" and task["error"]["code"] == "expired", task
    assert seen[0] == "queued", seen


def test_result_url_is_portico_signed_keyless_and_hides_the_upstream_task(media):
    """video_url is Portico's own signed URL: it streams the upstream's file
    without a key, never names the upstream task, and refuses a tampered
    signature with 403. When the upstream's own URL has lapsed (~24 h, here
    2 s) the task still reads as succeeded and the result answers 404."""
    gw = video_gw(env={"PORTICO_SIM_VIDEO_URL_TTL_S": 2})
    k = gw.create_key("acme")
    task, _, _ = wait_task(gw, k, task_ok(vpost(gw, k, {"model": "seedance-2.0", "prompt": "p"}))["id"])
    assert task["status"] == "succeeded", task
    url = task["video_url"]
    up_id = upstream_task_id(gw, task["id"])
    assert up_id.startswith("cgt-") and up_id not in url and "X-Signature" not in url, (up_id, url)
    assert url.startswith("http://127.0.0.1:%d/v1/videos/results/%s?" % (gw.port, task["id"])), url
    raw_task = vget(gw, k, task["id"]).raw
    assert up_id.encode() not in raw_task, raw_task
    # Without any key: the bytes, as video/mp4, nosniff.
    st, h, data = fetch(url)
    assert st == 200 and data[4:8] == b"ftyp" and h.get("Content-Type") == "video/mp4", (st, data[:64])
    assert h.get("X-Content-Type-Options") == "nosniff", dict(h)
    assert up_id.encode() not in b"".join(("%s: %s" % kv).encode() for kv in h.items()), dict(h)
    # Unsigned, tampered, re-dated or moved to another customer: 403.
    st, _, _ = fetch(url.split("?", 1)[0])
    assert st == 403, st
    sig = url.rsplit("sig=", 1)[1]
    st, _, raw = fetch(url[:-len(sig)] + ("0" if sig[0] != "0" else "1") + sig[1:])
    assert st == 403 and json.loads(raw)["error"]["code"] == "forbidden", (st, raw)
    exp = int(url.split("exp=", 1)[1].split("&", 1)[0])
    st, _, _ = fetch(url.replace("exp=%d" % exp, "exp=%d" % (exp + 3600)))
    assert st == 403, st
    cust = url.split("c=", 1)[1].split("&", 1)[0]
    st, _, _ = fetch(url.replace("c=%s&" % cust, "c=%d&" % (int(cust) + 1)))
    assert st == 403, st
    # The upstream's URL lapses; Portico's answers 404, the task still reads succeeded.
    # The simulator's URL holds until the whole second after success + TTL
    # (sim_video.c): up to TTL + 1 s, so wait for that, boundedly.
    deadline = time.time() + 6
    st, _, raw = fetch(url)
    while st == 200 and time.time() < deadline:
        time.sleep(0.25)
        st, _, raw = fetch(url)
    assert st == 404 and json.loads(raw)["error"]["code"] == "not_found", (st, raw)
    assert up_id.encode() not in raw, raw
    assert task_ok(vget(gw, k, task["id"]))["status"] == "succeeded"


def test_face_by_url_is_refused_with_the_upstream_code_and_passes_as_an_asset(media):
    """UPSTREAM.md "Video tasks", last row: the reason the asset library exists."""
    faces = FaceMedia()
    try:
        gw = video_gw()
        k = gw.create_key("acme")
        # By URL: refused at create, upstream_code kept, the remedy named.
        for role in ("reference_image", "first_frame"):
            r = vpost(gw, k, body_with(faces.url("face.png"), role=role))
            err = expect_verror(r, "invalid_request")
            assert err.get("upstream_code") == "InputImageSensitiveContentDetected.PrivacyInformation", err
            assert "asset://" in err["message"] and "register the face as an asset" in err["message"], err
        # The same picture without the marker passes by URL.
        plain = task_ok(vpost(gw, k, body_with(faces.url("plain.png"))), "seedance-2.0", "queued")
        # Registered as an asset, the face passes: that is the product's point.
        gid = gw.create_group(k, "faces")
        aid = gw.create_asset(k, gid, faces.url("face.png"))
        wait_active(gw, k, aid)
        t = task_ok(vpost(gw, k, body_with("asset://" + aid)), "seedance-2.0", "queued")
        task, _, _ = wait_task(gw, k, t["id"])
        assert task["status"] == "succeeded", task
        assert wait_task(gw, k, plain["id"])[0]["status"] == "succeeded"
        # Other refusals by the upstream keep their code too, and errors the
        # gateway finds itself carry none.
        r = vpost(gw, k, body_with(faces.url("plain.png"), model="seedance-2.0-fast", resolution="1080p"))
        assert "upstream_code" not in expect_verror(r, "invalid_request")
    finally:
        faces.close()


def test_simulator_face_marker_by_data_url_and_http(media):
    faces = FaceMedia()
    try:
        sim = Sim(env={"PORTICO_ARK_API_KEY": ARK_KEY, "PORTICO_SIM_VIDEO_MS": 300})
        for url in (faces.url("face.png"), faces.data_url("face.png")):
            st, o = ark(sim, "POST", body=ark_body([("image_url", url, "reference_image")]))
            assert st == 400 and o["error"]["code"] == "InputImageSensitiveContentDetected.PrivacyInformation", \
                (url[:60], st, o)
        for url in (faces.url("plain.png"), faces.data_url("plain.png")):
            st, o = ark(sim, "POST", body=ark_body([("image_url", url, "reference_image")]))
            assert st == 200, (url[:60], st, o)
        # Only images are judged: the marker in a reference audio's bytes is no face.
        data = "data:audio/mpeg;base64," + base64.b64encode(b"ID3" + FACE_MARK).decode()
        st, o = ark(sim, "POST", body=ark_body([("audio_url", data, "reference_audio")]))
        assert st == 200, (st, o)
    finally:
        faces.close()


def test_assets_of_another_project_are_refused_upstream(media):
    """UPSTREAM.md "ProjectName": assets are usable only by video keys of the same project."""
    sim, gw = sim_with_gateway({"PORTICO_SIM_ARK_PROJECT": "elsewhere"})
    k = gw.create_key("acme")
    aid = active_asset(gw, k, media, "proj")
    err = expect_verror(vpost(gw, k, body_with("asset://" + aid)), "invalid_request")
    assert err.get("upstream_code") == "InvalidParameter" and "project" in err["message"], err


def test_gateway_takes_duration_minus_one_and_keeps_fast_below_1080p(media):
    gw = video_gw()
    k = gw.create_key("acme")
    t = task_ok(vpost(gw, k, {"model": "seedance-2.0", "prompt": "p", "duration": -1}), "seedance-2.0", "queued")
    assert wait_task(gw, k, t["id"])[0]["status"] == "succeeded"
    expect_verror(vpost(gw, k, {"model": "seedance-2.0-fast", "prompt": "p", "resolution": "1080p"}),
                  "invalid_request")
    expect_verror(vpost(gw, k, {"model": "seedance-2.0", "prompt": "p", "duration": -2}), "invalid_request")
