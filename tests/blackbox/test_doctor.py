"""test_doctor.py — `porticod doctor`: the upstream checked against UPSTREAM.md.

Against the embedded simulator every check must agree (the simulator
reproduces the record); against a standalone simulator the doctor must leave
nothing behind. Against a small scripted upstream (below, Python's
http.server on 127.0.0.1) that answers with the variants the record does not
expect (List* without Filter answered 200, deletes answering {Id}, updates
answering {}, a liveness session with ExpireTime and a 3000-character link
carrying credentials, pending answered 404, a Status "Inactive", one
throttle), each difference must be reported on its own line, the exit status
must be 1, nothing secret may be printed, and the doctor must delete exactly
what it created, with a handful of calls per Action.
"""
import http.server
import json
import os
import struct
import subprocess
import threading
import zlib

import portico
from portico import BUILD, ROOT, Gateway, Sim, http_request, sanitizer_report

GROUP_ID = "group-20260101120000-abcde"
ASSET_ID = "asset-20260101120000-fghij"
LONG_LINK = ("https://localhost:9/?accessKeyId=AKLTDOCTORSECRET&secretAccessKey=SKDOCTORSECRET"
             "&sessionToken=" + "t" * 9000 + "&configId=c&bytedToken=20260521162915BF9DC22A7A65ADF905D8")
SECRETS = ("AKLTDOCTORSECRET", "SKDOCTORSECRET", "scripted-secret-key", "tttttttttt")
REQUEST_ID = "20260521162915DFB89755D1A21AAE8036"
VERDICTS = ("AGREE", "DIFFER", "NOT CHECKED")


def run_doctor(args=(), env=None, timeout=150):
    """Runs `porticod doctor ARGS` with a clean PORTICO_* environment plus env."""
    argv = [os.path.join(BUILD, "porticod"), "doctor"] + list(args)
    e = portico._clean_env(env)
    cp = subprocess.run(argv, cwd=ROOT, env=e, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                        stderr=subprocess.PIPE, timeout=timeout)
    out = cp.stdout.decode("utf-8", "replace")
    err = cp.stderr.decode("utf-8", "replace")
    rep = sanitizer_report(err)
    assert rep is None, "porticod doctor printed a sanitizer report:\n%s" % rep
    return cp.returncode, out, err


def checks_of(out):
    """{check: {"verdict", "observed", ...}} from --json output."""
    doc = json.loads(out)
    return doc, {c["check"]: c for c in doc["checks"]}


def table(checks):
    return "\n".join("%-12s %-24s %s" % (c["verdict"], k, c["observed"]) for k, c in checks.items())


# ---------------------------------------------------------------- the scripted upstream

class ScriptedUpstream:
    """Answers the ark Actions and the video task GET with fixed variants.

    answers: {Action: fn(body, n) -> (status, result dict or error (code, message[, coden]))}
    overrides the defaults below; n counts that Action's calls from 1. Signatures
    are not verified; every request is recorded in .calls as (action, body, headers)."""

    def __init__(self, answers=None):
        self.calls = []
        self.lock = threading.Lock()
        self.counts = {}
        self.answers = dict(self.default_answers())
        self.answers.update(answers or {})
        up = self

        class H(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def _send(self, status, obj):
                data = json.dumps(obj).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                with up.lock:
                    up.calls.append(("GET " + self.path, None, dict(self.headers)))
                if self.path.startswith("/api/v3/contents/generations/tasks/"):
                    return self._send(404, {"error": {"code": "ResourceNotFound", "message": "no such task"}})
                self._send(404, {})

            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(n)
                q = dict(p.split("=", 1) for p in self.path.split("?", 1)[-1].split("&") if "=" in p)
                action = q.get("Action", "")
                body = json.loads(raw or b"{}")
                with up.lock:
                    up.calls.append((action, body, dict(self.headers)))
                    up.counts[action] = up.counts.get(action, 0) + 1
                    k = up.counts[action]
                fn = up.answers.get(action)
                if fn is None:
                    status, res = 404, ("InvalidActionOrVersion", "unknown action")
                else:
                    status, res = fn(body, k)
                meta = {"RequestId": REQUEST_ID, "Action": action, "Version": q.get("Version", ""),
                        "Service": "ark", "Region": "cn-beijing"}
                if isinstance(res, tuple):
                    meta["Error"] = {"Code": res[0], "Message": res[1]}
                    if len(res) > 2:
                        meta["Error"]["CodeN"] = res[2]
                    return self._send(status, {"ResponseMetadata": meta})
                self._send(status, {"ResponseMetadata": meta, "Result": res})

        class S(http.server.ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request, client_address):
                pass

        self.server = S(("127.0.0.1", 0), H)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @staticmethod
    def default_answers():
        page = {"Items": [], "TotalCount": 0, "PageNumber": 1, "PageSize": 1}
        listed = {"Items": [{"Id": ASSET_ID, "Status": "Processing"}], "TotalCount": 1, "PageNumber": 1,
                  "PageSize": 10}
        return {
            "ListAssetGroups": lambda b, n: (200, page),           # also without Filter: a variant
            "ListAssets": lambda b, n: (200, listed if "Filter" in b else page),
            "CreateAssetGroup": lambda b, n: (200, {"Id": GROUP_ID}),
            # one throttle, then the asset
            "CreateAsset": lambda b, n: ((429, ("FlowLimitExceeded", "Request rate limit exceeded", 100018))
                                         if n == 1 else (200, {"Id": ASSET_ID})),
            "GetAsset": lambda b, n: (200, {"Id": ASSET_ID, "GroupId": GROUP_ID, "AssetType": "Image",
                                            "Status": "Processing" if n == 1 else "Inactive"}),
            "UpdateAsset": lambda b, n: (200, {}),
            "UpdateAssetGroup": lambda b, n: (200, {}),
            "DeleteAsset": lambda b, n: (200, {"Id": b.get("Id")}),
            "DeleteAssetGroup": lambda b, n: (200, {"Id": b.get("Id")}),
            "CreateVisualValidateSession": lambda b, n: (200, {
                "BytedToken": "20260521162915BF9DC22A7A65ADF905D8", "H5Link": LONG_LINK,
                "CallbackURL": b.get("CallbackURL", ""), "ExpireTime": "2026-05-21T16:31:15Z"}),
            "GetVisualValidateResult": lambda b, n: (404, ("NotFound", "the token is unknown")),
        }

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def env(self):
        return {"PORTICO_UPSTREAM": self.url, "PORTICO_VOLC_AK": "AKLTscripted",
                "PORTICO_VOLC_SK": "scripted-secret-key", "PORTICO_ARK_ENDPOINT": self.url,
                "PORTICO_ARK_API_KEY": "scripted-ark-key"}

    def actions(self):
        with self.lock:
            return [a for a, _b, _h in self.calls]

    def bodies(self, action):
        with self.lock:
            return [b for a, b, _h in self.calls if a == action]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


# ---------------------------------------------------------------- help and usage

def test_doctor_help_describes_the_command():
    rc, out, _ = run_doctor(["--help"])
    assert rc == 0, out
    for word in ("--image-url", "--timeout", "--json", "NOT CHECKED", "PORTICO_ARK_API_KEY",
                 "/doctor/test-image.png", "Exit status"):
        assert word in out, "porticod doctor --help does not mention %s:\n%s" % (word, out)
    cp = subprocess.run([os.path.join(BUILD, "porticod"), "--help"], cwd=ROOT, env=portico._clean_env(),
                        stdout=subprocess.PIPE, timeout=30)
    assert b"porticod doctor" in cp.stdout, "porticod --help does not list the doctor"


def test_doctor_usage_errors_exit_2():
    up = ScriptedUpstream()
    try:
        # A real upstream cannot fetch from loopback: --image-url or --public-url is required.
        rc, out, err = run_doctor([], env=up.env())
        assert rc == 2, (rc, out, err)
        assert "--image-url" in err and "--public-url" in err, err
        assert up.calls == [], "the doctor called the upstream before refusing its configuration"
        rc, _, err = run_doctor(["--timeout", "zero"], env=up.env())
        assert rc == 2 and "--timeout" in err, err
        rc, _, err = run_doctor(["--image-url", "ftp://127.0.0.1:9/y.png"], env=up.env())
        assert rc == 2 and "--image-url" in err, err
        rc, _, err = run_doctor(["--no-such-flag"])
        assert rc == 2, err
        env = up.env()
        del env["PORTICO_VOLC_SK"]
        rc, _, err = run_doctor(["--image-url", "http://127.0.0.1:9/x.png"], env=env)
        assert rc == 2 and "PORTICO_VOLC_SK" in err, err
    finally:
        up.close()


# ---------------------------------------------------------------- the simulator

def test_doctor_agrees_with_the_embedded_simulator():
    rc, out, err = run_doctor(["--json", "--timeout", "60"], env={"PORTICO_SIM_PROCESSING_MS": 300})
    doc, checks = checks_of(out)
    print(table(checks))
    assert all(c["verdict"] in VERDICTS for c in checks.values())
    differ = {k: c["observed"] for k, c in checks.items() if c["verdict"] == "DIFFER"}
    assert rc == 0 and not differ, "the doctor found the simulator differs from the record:\n%s\nstderr: %s" % (
        json.dumps(differ, indent=1), err[-2000:])
    for k in ("signing", "list_groups_filter", "list_groups_no_filter", "create_group", "create_asset",
              "asset_status", "update_asset", "update_group", "delete_asset", "delete_group",
              "validate_session", "h5_link", "validate_pending", "video_task_404"):
        assert checks[k]["verdict"] == "AGREE", "%s: %s" % (k, checks[k])
    assert doc["left_behind"] == []
    # The table form says the same.
    rc, out, _ = run_doctor(["--timeout", "60"], env={"PORTICO_SIM_PROCESSING_MS": 300})
    assert rc == 0 and "0 differ" in out, out


def test_doctor_leaves_nothing_in_a_standalone_simulator():
    """A standalone portico-sim as the upstream, and a gateway serving the
    built-in test image at --public-url: the asset is fetched, judged and
    settles, and afterwards the simulator holds no object of the doctor's."""
    sim = Sim(processing_ms=300, env={"PORTICO_ARK_API_KEY": "doctor-ark-key"})
    gw = Gateway()
    st, hdrs, png = gw.get("/doctor/test-image.png")
    assert st == 200 and hdrs.get("Content-Type") == "image/png", st
    check_png(png, 512, 512)
    env = {"PORTICO_UPSTREAM": sim.url, "PORTICO_VOLC_AK": sim.access_key, "PORTICO_VOLC_SK": sim.secret_key,
           "PORTICO_ARK_ENDPOINT": sim.url, "PORTICO_ARK_API_KEY": "doctor-ark-key",
           "PORTICO_PUBLIC_URL": "http://127.0.0.1:%d" % gw.port}
    rc, out, err = run_doctor(["--json", "--timeout", "60"], env=env)
    doc, checks = checks_of(out)
    print(table(checks))
    for k in ("signing", "create_group", "create_asset", "asset_status", "update_asset", "update_group",
              "validate_pending", "video_task_404"):
        assert checks[k]["verdict"] == "AGREE", "%s: %s\nstderr: %s" % (k, checks[k], err[-2000:])
    assert "Active" in checks["asset_status"]["observed"], checks["asset_status"]
    assert doc["left_behind"] == []
    st, _, raw = http_request(sim.port, "GET", "/_sim/objects", timeout=10)
    objs = json.loads(raw)
    assert st == 200 and objs["groups"] == {} and objs["assets"] == {}, "left behind: %s" % raw[:500]


def check_png(data, w, h):
    """A well-formed PNG: signature, CRCs, IHDR size, an IDAT that inflates to the rows."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, ihdr = 8, b"", None
    while pos < len(data):
        n, = struct.unpack(">I", data[pos:pos + 4])
        typ, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + n]
        crc, = struct.unpack(">I", data[pos + 8 + n:pos + 12 + n])
        assert zlib.crc32(typ + body) & 0xFFFFFFFF == crc, "bad CRC on %r" % typ
        if typ == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif typ == b"IDAT":
            idat += body
        pos += 12 + n
    assert ihdr and ihdr[:2] == (w, h), ihdr
    depth, colour = ihdr[2], ihdr[3]
    channels = {0: 1, 2: 3, 6: 4}[colour]
    assert len(zlib.decompress(idat)) == h * (1 + w * channels * depth // 8)


# ---------------------------------------------------------------- the other variants

def test_doctor_reports_each_variant_of_a_scripted_upstream():
    up = ScriptedUpstream()
    try:
        rc, out, err = run_doctor(["--json", "--image-url", "http://127.0.0.1:9/never-fetched.png"],
                                  env=up.env())
        doc, checks = checks_of(out)
        print(table(checks))
        assert rc == 1, "exit %d with differences:\n%s\n%s" % (rc, out, err)

        def verdict(k, v, *words):
            c = checks[k]
            assert c["verdict"] == v, "%s: expected %s, got %s" % (k, v, c)
            for w in words:
                assert w in c["observed"], "%s: %r not in %r" % (k, w, c["observed"])

        verdict("signing", "AGREE")
        verdict("list_groups_filter", "AGREE", "TotalCount 0")
        verdict("list_groups_no_filter", "DIFFER", "HTTP 200", "Filter is optional")
        verdict("list_assets_no_filter", "DIFFER", "HTTP 200", "Filter is optional")
        verdict("list_assets_filter", "AGREE", "the new asset is listed")
        verdict("create_group", "AGREE", GROUP_ID)
        verdict("create_asset", "AGREE", ASSET_ID)
        verdict("asset_status", "DIFFER", "unknown Status value Inactive", "Processing -> Inactive")
        verdict("asset_failure", "NOT CHECKED")
        # Portico accepts both Update* shapes: reported, not a difference.
        verdict("update_asset", "AGREE", "Result {}")
        verdict("update_group", "AGREE", "Result {}")
        verdict("delete_asset", "DIFFER", "Result {Id}")
        verdict("delete_group", "DIFFER", "Result {Id}")
        verdict("validate_session", "DIFFER", "ExpireTime")
        verdict("h5_link", "DIFFER", "%d characters" % len(LONG_LINK), "host localhost:9")
        verdict("validate_pending", "DIFFER", "HTTP 404 NotFound")
        verdict("video_task_404", "AGREE", "404")
        verdict("throttle", "AGREE", "429", "FlowLimitExceeded", "CodeN 100018")
        verdict("request_id", "AGREE", "of the documented form")
        verdict("in_flight", "NOT CHECKED", "not provoked")
        verdict("h5_lifetime", "NOT CHECKED")
        assert doc["left_behind"] == []
        for s in SECRETS:
            assert s not in out and s not in err, "the doctor printed %r" % s

        # It deleted exactly what it created, each once.
        assert [b["Id"] for b in up.bodies("DeleteAsset")] == [ASSET_ID]
        assert [b["Id"] for b in up.bodies("DeleteAssetGroup")] == [GROUP_ID]
        # Lists: one with and one without Filter per List Action (plus the signing call).
        groups = up.bodies("ListAssetGroups")
        assert len(groups) == 2 and "Filter" in groups[0] and "Filter" not in groups[1], groups
        assets = up.bodies("ListAssets")
        assert len(assets) == 2 and assets[0]["Filter"] == {"GroupIds": [GROUP_ID]}, assets
        name = up.bodies("CreateAssetGroup")[0]["Name"]
        assert name.startswith("portico-doctor-"), name
        # A handful of calls per Action; ProjectName and a V4 signature on every one.
        counts = {}
        for a in up.actions():
            counts[a] = counts.get(a, 0) + 1
        assert all(n <= 3 for a, n in counts.items() if a != "GetAsset"), counts
        assert counts.get("CreateAsset") == 2, counts  # the throttled one and its one retry
        with up.lock:
            calls = list(up.calls)
        for a, b, h in calls:
            if a.startswith("GET "):
                assert h.get("Authorization") == "Bearer scripted-ark-key", h
                continue
            assert b.get("ProjectName") == "default", (a, b)
            auth = h.get("Authorization", "")
            assert auth.startswith("HMAC-SHA256 Credential=AKLTscripted/") and "Signature=" in auth, (a, auth)

        # The table form: one line per check, verdict first, the same differences.
        rc, out, _ = run_doctor(["--image-url", "http://127.0.0.1:9/never-fetched.png"], env=up.env())
        assert rc == 1
        lines = [l for l in out.splitlines() if l.startswith(VERDICTS)]
        assert len(lines) == len(checks), out
        differ = sorted(l.split()[1] for l in lines if l.startswith("DIFFER"))
        assert differ == sorted(["list_groups_no_filter", "list_assets_no_filter", "asset_status",
                                 "delete_asset", "delete_group", "validate_session", "h5_link",
                                 "validate_pending"]), out
        assert "8 differ" in out, out
        for s in SECRETS:
            assert s not in out, "the doctor printed %r" % s
    finally:
        up.close()


def test_doctor_cleans_up_when_a_step_fails_and_names_what_it_could_not_delete():
    # The asset is refused; the group must still be deleted.
    up = ScriptedUpstream({
        "CreateAsset": lambda b, n: (400, ("InvalidParameter.DownloadFailed", "cannot download the URL")),
    })
    try:
        rc, out, err = run_doctor(["--json", "--image-url", "http://127.0.0.1:9/x.png"], env=up.env())
        doc, checks = checks_of(out)
        assert rc == 1
        assert checks["create_asset"]["verdict"] == "DIFFER"
        assert "InvalidParameter.DownloadFailed" in checks["create_asset"]["observed"]
        assert checks["asset_status"]["verdict"] == "NOT CHECKED"
        assert up.bodies("DeleteAsset") == []
        assert [b["Id"] for b in up.bodies("DeleteAssetGroup")] == [GROUP_ID]
        assert doc["left_behind"] == []
    finally:
        up.close()

    # A delete that keeps failing: retried once, then the ids are printed for the operator.
    up = ScriptedUpstream({
        "GetAsset": lambda b, n: (200, {"Id": ASSET_ID, "GroupId": GROUP_ID, "Status": "Failed",
                                        "Error": {"Code": "InvalidParameter.FormatUnsupported",
                                                  "Message": "unsupported"}}),
        "DeleteAssetGroup": lambda b, n: (503, ("ServiceUnavailable", "try later")),
    })
    try:
        rc, out, err = run_doctor(["--image-url", "http://127.0.0.1:9/x.png"], env=up.env())
        assert rc == 1
        assert "LEFT BEHIND: group %s" % GROUP_ID in out, out
        assert GROUP_ID in err and "delete it yourself" in err, err
        assert len(up.bodies("DeleteAssetGroup")) == 2
        line = [l for l in out.splitlines() if " asset_failure " in l][0]
        assert line.startswith("AGREE"), out
        assert "InvalidParameter.FormatUnsupported" in out
    finally:
        up.close()


def test_doctor_refused_signature_stops_before_creating_anything():
    up = ScriptedUpstream({
        "ListAssetGroups": lambda b, n: (401, ("SignatureDoesNotMatch", "the signature does not match")),
    })
    try:
        rc, out, err = run_doctor(["--json", "--image-url", "http://127.0.0.1:9/x.png"], env=up.env())
        doc, checks = checks_of(out)
        assert rc == 1
        assert checks["signing"]["verdict"] == "DIFFER"
        assert "SignatureDoesNotMatch" in checks["signing"]["observed"]
        assert checks["create_group"]["verdict"] == "NOT CHECKED"
        assert set(up.actions()) <= {"ListAssetGroups", "GET /api/v3/contents/generations/tasks/"
                                     "cgt-portico-doctor-nonexistent"}, up.actions()
    finally:
        up.close()
