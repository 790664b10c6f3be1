"""test_upload_sessions.py — upload sessions (API.md §4b): CreateUploadSession,
the client's PUT straight to storage, CompleteUpload, AbortUpload — on the fs
backend (Portico's own signed PUT URL) and on S3 (a presigned PUT, against
s3rver on loopback; s3rver does not verify V4 signatures, so each presigned
PUT's signature is recomputed here in Python, with content-length,
content-type and if-none-match among the signed headers).

Media is generated at test time with ffmpeg (MP4, MOV, MP3, WAV) and
ImageMagick (PNG). The store is whatever the runner's pass uses (SQLite or
PostgreSQL). Sessions live PORTICO_UPLOAD_SESSION_TTL_S seconds (short here).
"""
import hashlib
import hmac
import http.client
import os
import subprocess
import tempfile
import time
import urllib.parse

import portico
import test_blob_s3 as s3h
import test_upload as up
from portico import expect_error, ok, wait_active

MIB = 1024 * 1024
_cache = {}


# ---------------------------------------------------------------- media

def _ffmpeg(args, ext):
    fd, path = tempfile.mkstemp(suffix="." + ext, prefix="portico-media-")
    os.close(fd)
    try:
        cp = subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y"] + args + [path],
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
        assert cp.returncode == 0, "ffmpeg failed: %s" % cp.stderr.decode("utf-8", "replace")[-2000:]
        with open(path, "rb") as f:
            return f.read()
    finally:
        os.unlink(path)


def video(ext="mp4", seconds=3, size="320x240", fps=30):
    k = ("v", ext, seconds, size, fps)
    if k not in _cache:
        _cache[k] = _ffmpeg(["-f", "lavfi", "-i", "testsrc=duration=%s:size=%s:rate=%s" % (seconds, size, fps),
                             "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"], ext)
    return _cache[k]


def audio(ext="mp3", seconds=3):
    k = ("a", ext, seconds)
    if k not in _cache:
        codec = ["-c:a", "libmp3lame", "-b:a", "64k"] if ext == "mp3" else ["-c:a", "pcm_s16le"]
        _cache[k] = _ffmpeg(["-f", "lavfi", "-i", "sine=frequency=440:duration=%s" % seconds] + codec, ext)
    return _cache[k]


def image(w=640, h=480):
    k = ("i", w, h)
    if k not in _cache:
        fd, path = tempfile.mkstemp(suffix=".png")
        os.close(fd)
        subprocess.run(["convert", "-size", "%dx%d" % (w, h), "gradient:red-blue", path], check=True, timeout=60)
        with open(path, "rb") as f:
            _cache[k] = f.read()
        os.unlink(path)
    return _cache[k]


CTYPE = {"mp4": "video/mp4", "mov": "video/quicktime", "mp3": "audio/mpeg", "wav": "audio/wav", "png": "image/png"}


# ---------------------------------------------------------------- harness

class Backend:
    """A gateway on fs or on S3 (s3rver), with ways to look at stored bytes."""

    def __init__(self, kind, ttl=None, args=()):
        self.kind = kind
        env = {}
        if ttl:
            env["PORTICO_UPLOAD_SESSION_TTL_S"] = str(ttl)
        self.srv = None
        args = list(args)
        if kind == "s3":
            self.srv = s3h.S3rver().start()
            args += ["--blob", "s3://%s?endpoint=%s&region=%s" % (s3h.BUCKET, self.srv.endpoint, s3h.REGION)]
            env.update({"PORTICO_S3_ACCESS_KEY_ID": s3h.AK, "PORTICO_S3_SECRET_ACCESS_KEY": s3h.SK})
        self.gw = portico.Gateway(args=args, env=env)
        self.key, self.gid = up.setup(self.gw)

    def stored(self):
        """How many objects are stored (fs: objects and staging files)."""
        if self.kind == "fs":
            o, s = up.blob_files(self.gw)
            return o + s
        n = 0
        for _d, _dirs, files in os.walk(os.path.join(self.srv.data, s3h.BUCKET)):
            n += sum(1 for f in files if f.endswith("._S3rver_object"))
        return n

    def stop(self):
        self.gw.stop()  # s3rver is stopped by the harness's cleanup, as in test_upload_s3


def create(b, data, kind, ctype, key=None, gid=None, **extra):
    body = {"GroupId": gid or b.gid, "AssetType": kind, "ContentType": ctype, "ContentLength": len(data)}
    body.update(extra)
    return b.gw.action_raw(key or b.key, "CreateUploadSession", body)


def put(url, headers, data, override=None):
    u = urllib.parse.urlsplit(url)
    h = dict(headers)
    h.update(override or {})
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
    try:
        conn.putrequest("PUT", u.path + "?" + u.query, skip_accept_encoding=True)
        for k, v in h.items():
            conn.putheader(k, v)
        conn.endheaders()
        try:
            conn.send(data)
        except (BrokenPipeError, ConnectionResetError):
            pass
        r = conn.getresponse()
        return r.status, r.read()
    finally:
        conn.close()


def _hmac(key, msg):
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def check_presigned_put(url, headers):
    """SigV4 query-string signature of a presigned PUT, recomputed here."""
    u = urllib.parse.urlsplit(url)
    params = urllib.parse.parse_qsl(u.query, keep_blank_values=True, strict_parsing=True)
    q = dict(params)
    assert q["X-Amz-SignedHeaders"] == "content-length;content-type;host;if-none-match", url
    date = q["X-Amz-Date"]
    enc = lambda s: urllib.parse.quote(s, safe="-_.~")  # noqa: E731
    canon_query = "&".join("%s=%s" % (enc(k), enc(v)) for k, v in sorted(params) if k != "X-Amz-Signature")
    hv = {k.lower(): v for k, v in headers.items()}
    hv["host"] = u.netloc
    names = q["X-Amz-SignedHeaders"].split(";")
    canonical = "\n".join(["PUT", u.path, canon_query] + ["%s:%s" % (n, hv[n]) for n in names] +
                          ["", ";".join(names), "UNSIGNED-PAYLOAD"])
    scope = "%s/%s/s3/aws4_request" % (date[:8], s3h.REGION)
    sts = "\n".join(["AWS4-HMAC-SHA256", date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    k = _hmac(("AWS4" + s3h.SK).encode(), date[:8])
    for part in (s3h.REGION, "s3", "aws4_request"):
        k = _hmac(k, part)
    return hmac.compare_digest(hmac.new(k, sts.encode(), hashlib.sha256).hexdigest(), q["X-Amz-Signature"])


def send(b, data, kind, ctype, **extra):
    s = ok(create(b, data, kind, ctype, **extra), "CreateUploadSession")
    assert s["Method"] == "PUT" and s["Headers"]["Content-Type"] == ctype, s
    assert s["Headers"]["Content-Length"] == str(len(data)), s
    if b.kind == "s3":
        assert s["Headers"]["If-None-Match"] == "*", s
        assert check_presigned_put(s["UploadURL"], s["Headers"]), "the presigned PUT's signature is wrong"
    st, body = put(s["UploadURL"], s["Headers"], data)
    assert st == 200, (st, body)
    return s


def complete(b, s, key=None):
    return b.gw.action_raw(key or b.key, "CompleteUpload", {"UploadId": s["UploadId"]})


def sessions_do(fn):
    for kind in ("fs", "s3"):
        b = Backend(kind)
        try:
            fn(b)
        finally:
            b.stop()


# ---------------------------------------------------------------- tests

def test_upload_sessions_every_kind_to_active_fs_and_s3():
    def run(b):
        cases = [("Image", "png", image(640, 480)), ("Video", "mp4", video("mp4")), ("Video", "mov", video("mov")),
                 ("Audio", "mp3", audio("mp3")), ("Audio", "wav", audio("wav"))]
        for kind, ext, data in cases:
            s = send(b, data, kind, CTYPE[ext], Name="%s %s" % (kind, ext),
                     Sha256=hashlib.sha256(data).hexdigest())
            a = ok(complete(b, s), "CompleteUpload")
            assert a["AssetType"] == kind and a["UpstreamStatus"] == "Processing", a
            got = wait_active(b.gw, b.key, a["Id"], timeout=20)
            st, h, body = up.fetch(got["URL"])
            assert st == 200 and body == data, (ext, st, len(body))
            # Every signed URL serves a part (206), so the upstream can fetch video in parts.
            u = urllib.parse.urlsplit(got["URL"])
            st, h, part = portico.http_request(u.port, "GET", u.path + "?" + u.query, headers={"Range": "bytes=10-99"})
            assert st == 206 and part == data[10:100], (ext, st, len(part))
            # A repeat of CompleteUpload answers the same asset.
            assert ok(complete(b, s), "CompleteUpload")["Id"] == a["Id"]
        assert b.stored() == len(cases)
    sessions_do(run)


def test_upload_sessions_refuse_each_limit_and_keep_nothing():
    def run(b):
        refusals = [
            ("Video", "video/mp4", video("mp4", seconds=1), "InvalidParameter", "2 to 30 s"),
            ("Video", "video/mp4", video("mp4", seconds=31, size="64x48"), "InvalidParameter", "2 to 30 s"),
            ("Video", "video/mp4", video("mp4", fps=15), "InvalidParameter", "FpsTooLow"),
            ("Video", "video/mp4", video("mp4", size="4112x64"), "InvalidParameter", "4096"),
            ("Video", "video/mp4", image(640, 480), "UnsupportedMediaType", "MP4 or MOV"),
            ("Audio", "audio/mpeg", video("mp4"), "UnsupportedMediaType", "MP3 or WAV"),
            ("Image", "image/png", image(200, 200), "InvalidParameter", "300"),
            ("Image", "image/png", video("mp4"), "UnsupportedMediaType", "JPEG, PNG or WebP"),
        ]
        for kind, ctype, data, code, words in refusals:
            s = send(b, data, kind, ctype)
            msg = expect_error(complete(b, s), code)["Message"]
            assert words in msg, (kind, ctype, msg)
            assert b.stored() == 0, "a refused upload left bytes (%s)" % msg
            # The session is over: completing again is refused.
            expect_error(complete(b, s), "InvalidParameter")
        # A Sha256 that does not match.
        data = audio("wav")
        s = send(b, data, "Audio", "audio/wav", Sha256="0" * 64)
        assert "SHA-256" in expect_error(complete(b, s), "InvalidParameter")["Message"]
        assert b.stored() == 0
        # Declared limits are refused at create, naming the limit.
        for kind, ctype, n, words in (("Video", "video/mp4", 200 * MIB + 1, "200 MiB"),
                                      ("Audio", "audio/wav", 15 * MIB + 1, "15 MiB"),
                                      ("Image", "image/png", 30 * MIB + 1, "30 MiB")):
            err = expect_error(b.gw.action_raw(b.key, "CreateUploadSession", {
                "GroupId": b.gid, "AssetType": kind, "ContentType": ctype, "ContentLength": n}), "PayloadTooLarge")
            assert words in err["Message"], err
        expect_error(create(b, b"x", "Video", "image/png"), "UnsupportedMediaType")
        expect_error(create(b, b"x", "Movie", "video/mp4"), "InvalidParameter")
        expect_error(b.gw.action_raw(b.key, "CreateUploadSession", {
            "GroupId": b.gid, "AssetType": "Video", "ContentType": "video/mp4"}), "InvalidParameter")
    sessions_do(run)


def test_upload_session_url_twice_other_length_other_customer():
    def run(b):
        data = audio("wav")
        s = ok(create(b, data, "Audio", "audio/wav"), "CreateUploadSession")
        if b.kind == "fs":
            # Another length or type than signed: refused before a byte is stored.
            st, _ = put(s["UploadURL"], s["Headers"], data[:-1], {"Content-Length": str(len(data) - 1)})
            assert st == 400, st
            st, _ = put(s["UploadURL"], s["Headers"], data, {"Content-Type": "audio/x-wav"})
            assert st == 403, st
            assert b.stored() == 0
        st, _ = put(s["UploadURL"], s["Headers"], data)
        assert st == 200
        if b.kind == "fs":
            st, _ = put(s["UploadURL"], s["Headers"], data)  # used twice
            assert st == 409, st
        # Another customer's key: the same Forbidden as an unknown id.
        other = b.gw.create_key("mallory")
        r1 = complete(b, s, key=other)
        r2 = b.gw.action_raw(other, "CompleteUpload", {"UploadId": "upload-20240101000000-zzzzz"})
        expect_error(r1, "Forbidden")
        expect_error(r2, "Forbidden")
        assert portico.blank_request_id(r1.raw) == portico.blank_request_id(r2.raw)
        expect_error(b.gw.action_raw(other, "AbortUpload", {"UploadId": s["UploadId"]}), "Forbidden")
        ok(complete(b, s), "CompleteUpload")
        # S3: a shorter object than declared (s3rver ignores the signed
        # length; the store would refuse it) is refused at CompleteUpload.
        if b.kind == "s3":
            s2 = ok(create(b, data, "Audio", "audio/wav"), "CreateUploadSession")
            st, _ = put(s2["UploadURL"], s2["Headers"], data[:-7], {"Content-Length": str(len(data) - 7)})
            assert "declared ContentLength" in expect_error(complete(b, s2), "InvalidParameter")["Message"]
            assert b.stored() == 1
    sessions_do(run)


def test_upload_sessions_expire_and_abort_release_slot_and_bytes():
    for kind in ("fs", "s3"):
        b = Backend(kind, ttl=3)
        try:
            data = audio("wav")
            held = [ok(create(b, data, "Audio", "audio/wav"), "CreateUploadSession") for _ in range(50)]
            expect_error(create(b, data, "Audio", "audio/wav"), "QuotaExceeded")
            expect_error(b.gw.action_raw(b.key, "CreateAsset", {"GroupId": b.gid, "AssetType": "Image",
                                                                 "URL": "http://127.0.0.1:9/x.png"}),
                         "QuotaExceeded")
            # Two sessions get their bytes; one is aborted.
            for s in held[:2]:
                st, _ = put(s["UploadURL"], s["Headers"], data)
                assert st == 200
            assert b.stored() == 2
            ok(b.gw.action_raw(b.key, "AbortUpload", {"UploadId": held[0]["UploadId"]}), "AbortUpload")
            assert b.stored() == 1
            expect_error(complete(b, held[0]), "InvalidParameter")
            s = ok(create(b, data, "Audio", "audio/wav"), "CreateUploadSession")  # the aborted slot
            expect_error(create(b, data, "Audio", "audio/wav"), "QuotaExceeded")
            # After expiry (3 s, and half that of grace) the reconciler ends them all.
            deadline = time.time() + 20
            while time.time() < deadline and b.stored():
                time.sleep(0.5)
            assert b.stored() == 0, "expired sessions left bytes"
            st, _ = put(s["UploadURL"], s["Headers"], data)
            assert st in (403, 409) or b.kind == "s3", st
            expect_error(complete(b, held[1]), "InvalidParameter")
            time.sleep(1.5)
            for _ in range(50):
                ok(create(b, data, "Audio", "audio/wav"), "CreateUploadSession")
            expect_error(create(b, data, "Audio", "audio/wav"), "QuotaExceeded")
            if kind == "s3":
                st, _ = put(s["UploadURL"], s["Headers"], data)  # s3rver accepts it; nothing refers to it
        finally:
            b.stop()


def test_upload_sessions_and_uploads_racing_keep_the_quota_exact():
    b = Backend("fs")
    try:
        data = audio("wav")
        img = up.png(640, 480, seed=999)  # bytes not uploaded below: the same bytes would be the same asset

        def one(i):
            if i % 2:
                return create(b, data, "Audio", "audio/wav").status
            return up.upload(b.gw, b.key, b.gid, up.png(640, 480, seed=i)).status
        statuses = portico.parallel(one, range(80), workers=16)
        assert statuses.count(200) == 50, statuses
        expect_error(create(b, data, "Audio", "audio/wav"), "QuotaExceeded")
        expect_error(up.upload(b.gw, b.key, b.gid, img), "QuotaExceeded")
    finally:
        b.stop()


def test_upload_session_client_token_answers_the_same_session():
    b = Backend("fs")
    try:
        data = audio("wav")
        s1 = ok(create(b, data, "Audio", "audio/wav", ClientToken="tok-1"), "CreateUploadSession")
        s2 = ok(create(b, data, "Audio", "audio/wav", ClientToken="tok-1"), "CreateUploadSession")
        assert s1["UploadId"] == s2["UploadId"]
        expect_error(create(b, data + b"x", "Audio", "audio/wav", ClientToken="tok-1"), "InvalidParameter")
    finally:
        b.stop()


def test_cli_upload_sends_video_and_audio_through_sessions():
    import test_cli as tc
    for kind in ("fs", "s3"):
        b = Backend(kind)
        try:
            tmp = tempfile.mkdtemp(prefix="portico-cli-media-")
            paths = []
            for name, data in (("clip.mp4", video("mp4")), ("voice.wav", audio("wav")),
                               ("short.mp4", video("mp4", seconds=1))):
                p = os.path.join(tmp, name)
                with open(p, "wb") as f:
                    f.write(data)
                paths.append(p)
            r = tc.portico_cli(b.gw, b.key, "upload", b.gid, paths[0], paths[1], "--wait", timeout=120)
            assert r.rc == 0, r
            assert "clip.mp4" in r.out and "voice.wav" in r.out and "Active" in r.out, r
            r = tc.portico_cli(b.gw, b.key, "upload", b.gid, paths[2], expect=1)
            assert "2 to 30 s" in r.err, r
            assert b.stored() == 2
            listed = b.gw.call(b.key, "ListAssets", {"Filter": {"GroupIds": [b.gid]}})
            assert listed["TotalCount"] == 2
        finally:
            b.stop()


def test_cli_failed_put_is_an_error_and_aborts_the_session():
    # The gateway's public URL names a closed port: the PUT cannot connect.
    import test_cli as tc
    b = Backend("fs", args=["--public-url", "http://127.0.0.1:%d" % portico.free_port()])
    try:
        tmp = tempfile.mkdtemp(prefix="portico-cli-media-")
        p = os.path.join(tmp, "voice.wav")
        with open(p, "wb") as f:
            f.write(audio("wav"))
        r = tc.portico_cli(b.gw, b.key, "upload", b.gid, p, expect=1)
        assert "UploadFailed" in r.err and "aborted" in r.err, r
        # The aborted session holds no slot: all 50 are free.
        for _ in range(50):
            ok(create(b, b"x" * 10, "Audio", "audio/wav"), "CreateUploadSession")
        expect_error(create(b, b"x" * 10, "Audio", "audio/wav"), "QuotaExceeded")
    finally:
        b.stop()


def test_upload_sessions_same_bytes_are_the_same_asset_fs_and_s3():
    """Content hash (API.md §4, §4b): the same bytes through two sessions into
    one group are one asset and one upstream CreateAsset; the second
    session's bytes go and its slot is released. With S3 the hash is the
    verified Sha256, so it is given here."""
    def run(b):
        data = image(700, 500)
        sha = hashlib.sha256(data).hexdigest()
        s1 = send(b, data, "Image", "image/png", Sha256=sha)
        a1 = ok(complete(b, s1), "CompleteUpload")
        s2 = send(b, data, "Image", "image/png", Sha256=sha)
        a2 = ok(complete(b, s2), "CompleteUpload")
        assert a2["Id"] == a1["Id"] and a2["GroupId"] == b.gid, (a1, a2)
        assert ok(complete(b, s2), "CompleteUpload")["Id"] == a1["Id"]  # a repeat: the same answer
        st = b.gw.sim_stats()
        assert st["requests"].get("CreateAsset") == 1 and st["assets"] == 1, st
        assert b.stored() == 1, "the duplicate session's bytes were kept"
        got = wait_active(b.gw, b.key, a1["Id"], timeout=20)
        code, _h, body = up.fetch(got["URL"])
        assert code == 200 and body == data
        # The duplicate's slot is free: 49 more sessions fit, the 50th does not.
        held = [ok(create(b, data, "Image", "image/png"), "CreateUploadSession") for _ in range(49)]
        expect_error(create(b, data, "Image", "image/png"), "QuotaExceeded")
        for s in held:
            ok(b.gw.action_raw(b.key, "AbortUpload", {"UploadId": s["UploadId"]}), "AbortUpload")
        # Another group: another asset.
        gid2 = b.gw.create_group(b.key, "other")
        s3 = send(b, data, "Image", "image/png", gid=gid2, Sha256=sha)
        a3 = ok(complete(b, s3), "CompleteUpload")
        assert a3["Id"] != a1["Id"] and a3["GroupId"] == gid2, a3
        assert b.gw.sim_stats()["requests"].get("CreateAsset") == 2
    sessions_do(run)


def test_upload_session_same_bytes_as_a_post_upload_and_back():
    b = Backend("fs")
    try:
        data = up.png(640, 480, seed=4242)
        a1 = ok(up.upload(b.gw, b.key, b.gid, data), "Upload")
        s = send(b, data, "Image", "image/png")
        a2 = ok(complete(b, s), "CompleteUpload")
        assert a2["Id"] == a1["Id"], (a1, a2)
        # A session's asset records its hash: a later POST upload finds it.
        other = up.png(640, 480, seed=4243)
        a3 = ok(complete(b, send(b, other, "Image", "image/png")), "CompleteUpload")
        a4 = ok(up.upload(b.gw, b.key, b.gid, other), "Upload")
        assert a4["Id"] == a3["Id"] != a1["Id"], (a3, a4)
        assert b.gw.sim_stats()["requests"].get("CreateAsset") == 2
    finally:
        b.stop()


def test_upload_sessions_same_bytes_completed_at_once_make_one_asset():
    b = Backend("fs")
    try:
        data = audio("wav")
        sessions = [send(b, data, "Audio", "audio/wav") for _ in range(6)]
        answers = portico.parallel(lambda s: ok(complete(b, s), "CompleteUpload")["Id"], sessions, workers=6)
        assert len(set(answers)) == 1, answers
        assert b.gw.sim_stats()["requests"].get("CreateAsset") == 1
        assert b.stored() == 1
    finally:
        b.stop()


def test_upload_sessions_s3_without_sha256_are_not_deduplicated():
    b = Backend("s3")
    try:
        data = audio("mp3")
        a1 = ok(complete(b, send(b, data, "Audio", "audio/mpeg")), "CompleteUpload")
        a2 = ok(complete(b, send(b, data, "Audio", "audio/mpeg")), "CompleteUpload")
        assert a1["Id"] != a2["Id"]  # documented (API.md §4b): give Sha256 to get de-duplication with S3
    finally:
        b.stop()
