"""test_blob_s3.py — the S3 blob backend (src/blob/s3.c) against a real S3
server: s3rver 3.7.1 from npm (tests/s3/package.json, installed with
`npm ci` when tests/s3/node_modules is missing), started on a free loopback
port over a temp directory.

The C side runs as build/tests/test_blob with PORTICO_TEST_S3_ENDPOINT and
PORTICO_TEST_S3_BUCKET set, which enables its test_s3_live_* tests (PUT,
presigned GET, DELETE, concurrent commits). This module then checks what
the C test reported through channels the C code does not control: the
presigned URL's SigV4 signature recomputed here in Python (s3rver itself
does not verify V4 signatures), the object's bytes fetched over plain HTTP
and read from s3rver's data directory, and a 404 for the removed object.
"""
import hashlib
import hmac
import http.client
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.parse

import portico

S3_DIR = os.path.join(portico.ROOT, "tests", "s3")
BUCKET = "portico-test"
AK = SK = "S3RVER"  # s3rver's built-in account
REGION = "us-east-1"


def _s3rver_bin():
    return portico.npm_ci(S3_DIR, os.path.join(S3_DIR, "node_modules", ".bin", "s3rver"))


class S3rver(portico._Proc):
    """s3rver on a free loopback port, data in a temp dir, one bucket."""

    def __init__(self):
        self.name = "s3rver"
        self.tmp = tempfile.mkdtemp(prefix="portico-s3rver-")
        self.data = os.path.join(self.tmp, "data")
        os.makedirs(self.data)
        self.proc = None
        self.port = None
        self._all_err_paths = []
        portico._register(self)

    def start(self, timeout=30):
        binary = _s3rver_bin()
        for _attempt in range(3):  # the port may be taken between pick and bind
            self.port = portico.free_port()
            argv = [binary, "-d", self.data, "-a", "127.0.0.1", "-p", str(self.port),
                    "--configure-bucket", BUCKET]
            self._spawn(argv, dict(os.environ), "s3rver")
            self._all_err_paths.append(self.err_path)
            deadline = time.time() + timeout
            while time.time() < deadline and self.proc.poll() is None:
                if "listening" in self.stdout_text():
                    return self
                time.sleep(0.1)
            if self.proc.poll() is None:
                self.kill()
                raise AssertionError("s3rver did not start within %ss\n%s" % (timeout, self.diagnostics()))
            self._close_files()
        raise AssertionError("s3rver exited during start-up\n%s" % self.diagnostics())

    @property
    def endpoint(self):
        return "http://127.0.0.1:%d" % self.port

    def object_file(self, key):
        return os.path.join(self.data, BUCKET, key + "._S3rver_object")

    def _cleanup(self):
        probs = []
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._close_files()
        if not portico._keep:
            shutil.rmtree(self.tmp, ignore_errors=True)
        return probs


def _get(url):
    u = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    try:
        conn.request("GET", u.path + ("?" + u.query if u.query else ""))
        r = conn.getresponse()
        return r.status, r.getheader("Content-Type"), r.read()
    finally:
        conn.close()


def _hmac(key, msg):
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def _check_presigned(url, now):
    """Recomputes the URL's SigV4 signature from its parts (AWS's
    query-string algorithm, written independently of src/util/sigv4.c)."""
    u = urllib.parse.urlsplit(url)
    params = urllib.parse.parse_qsl(u.query, keep_blank_values=True, strict_parsing=True)
    q = dict(params)
    assert q["X-Amz-Algorithm"] == "AWS4-HMAC-SHA256", url
    assert q["X-Amz-SignedHeaders"] == "host", url
    cred = q["X-Amz-Credential"].split("/")
    date = q["X-Amz-Date"]
    assert cred[0] == AK and cred[2:] == [REGION, "s3", "aws4_request"] and cred[1] == date[:8], url
    t = time.mktime(time.strptime(date, "%Y%m%dT%H%M%SZ")) - time.timezone
    assert abs(t - now) < 300, "X-Amz-Date %s is not now" % date
    assert 1 <= int(q["X-Amz-Expires"]) <= 3600, url
    enc = lambda s: urllib.parse.quote(s, safe="-_.~")  # noqa: E731
    canon_query = "&".join("%s=%s" % (enc(k), enc(v)) for k, v in sorted(params) if k != "X-Amz-Signature")
    canonical = "\n".join(["GET", u.path, canon_query, "host:%s" % u.netloc, "", "host", "UNSIGNED-PAYLOAD"])
    scope = "%s/%s/s3/aws4_request" % (date[:8], REGION)
    sts = "\n".join(["AWS4-HMAC-SHA256", date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    k = _hmac(("AWS4" + SK).encode(), date[:8])
    for part in (REGION, "s3", "aws4_request"):
        k = _hmac(k, part)
    want = hmac.new(k, sts.encode(), hashlib.sha256).hexdigest()
    assert hmac.compare_digest(want, q["X-Amz-Signature"]), "presigned URL signature is wrong: %s" % url


def test_blob_s3_against_s3rver():
    binary = os.path.join(portico.BUILD, "tests", "test_blob")
    assert os.path.exists(binary), "%s is not built" % binary
    srv = S3rver().start()

    env = dict(os.environ)
    env.update({"PORTICO_TEST_S3_ENDPOINT": srv.endpoint, "PORTICO_TEST_S3_BUCKET": BUCKET,
                "PORTICO_TEST_S3_ACCESS_KEY_ID": AK, "PORTICO_TEST_S3_SECRET_ACCESS_KEY": SK})
    t0 = time.time()
    cp = subprocess.run([binary], cwd=portico.ROOT, env=env, stdin=subprocess.DEVNULL,
                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=200)
    out = cp.stdout.decode("utf-8", "replace")
    err = cp.stderr.decode("utf-8", "replace")
    rep = portico.sanitizer_report(err)
    assert rep is None, "test_blob printed a sanitizer report:\n%s" % rep
    fails = [l for l in out.splitlines() if l.startswith("FAIL ")]
    assert not fails and cp.returncode == 0, "test_blob failed (status %d):\n%s\n%s" % (
        cp.returncode, out, err[-3000:])
    for name in ("test_s3_live_commit_and_get", "test_s3_live_remove_makes_404",
                 "test_s3_live_too_large_never_uploads", "test_s3_live_concurrent_commits"):
        assert "ok %s" % name in out.splitlines(), "%s did not run:\n%s" % (name, out)

    info = {}
    for line in out.splitlines():
        if line.startswith("# s3-"):
            k, _, v = line[2:].partition(" ")
            info[k] = v.strip()
    for k in ("s3-keep-key", "s3-keep-url", "s3-keep-sha256", "s3-removed-url"):
        assert info.get(k), "test_blob did not report %s:\n%s" % (k, out)

    # The committed object, fetched over plain HTTP with the presigned URL.
    _check_presigned(info["s3-keep-url"], t0)
    _check_presigned(info["s3-removed-url"], t0)
    assert info["s3-keep-url"].startswith("%s/%s/%s?" % (srv.endpoint, BUCKET, info["s3-keep-key"]))
    st, ctype, body = _get(info["s3-keep-url"])
    assert st == 200, "GET of the committed object answered %d: %r" % (st, body[:300])
    assert hashlib.sha256(body).hexdigest() == info["s3-keep-sha256"], "object bytes differ"
    assert ctype == "image/png", ctype

    # ... and as s3rver stored it on disk.
    path = srv.object_file(info["s3-keep-key"])
    with open(path, "rb") as f:
        assert hashlib.sha256(f.read()).hexdigest() == info["s3-keep-sha256"], "stored bytes differ"

    # The removed object is gone.
    st, _, body = _get(info["s3-removed-url"])
    assert st == 404, "GET after remove answered %d: %r" % (st, body[:300])
    removed_key = urllib.parse.urlsplit(info["s3-removed-url"]).path.split("/", 2)[2]
    assert not os.path.exists(srv.object_file(removed_key))

    srv._cleanup()
