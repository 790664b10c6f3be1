"""The operators' console (/console/ on the admin listener, API.md §7) in a
real browser: Debian's Chromium, headless, driven by playwright-core
(tests/browser/console_admin.js). An operator logs in with an admin key,
creates a customer and an API key (the key shown once), this driver uses
that key on the public API (a group, an upload, a delete), and the operator
sees usage change in the charts and table, downloads the CSV, and finds the
audit entries; a second key is created and revoked by keyboard only, and
every view is looked at on a phone-width screen. Screenshots go to
build/artifacts/console-admin-*.png.

Also: the console's pure functions (charts, formatting, the usage rows'
reshaping) under node (tests/browser/console_admin_units.js), and the
console's files as served (types, CSP, only on the admin listener).

Needs /usr/bin/chromium and node (tools/deps.sh installs them); nothing here
skips: a missing browser is a failure.
"""
import json
import os
import queue
import re
import shutil
import subprocess
import threading
import time

import portico
from portico import ROOT, expect_error, http_request, ok, png_bytes, wait_active
from test_liveness_browser import CHROMIUM, _node_modules
from test_upload import upload

BROWSER_DIR = os.path.join(ROOT, "tests", "browser")
WALK = os.path.join(BROWSER_DIR, "console_admin.js")
UNITS = os.path.join(BROWSER_DIR, "console_admin_units.js")
ARTIFACTS = os.path.join(ROOT, "build", "artifacts")
CONSOLE_DIR = os.path.join(ROOT, "console", "admin")
SCREENSHOTS = ["login-desktop", "customers-desktop", "keys-desktop", "usage-desktop", "audit-desktop",
               "login-phone", "customers-phone", "keys-phone", "usage-phone", "audit-phone"]
WALK_TIMEOUT = 200  # under run.py's 240 s a test: our own message, with the browser's output, comes first


def _node():
    node = shutil.which("node")
    assert node, "node is not installed; run `make deps`"
    return node


def test_console_pure_functions_under_node():
    cp = subprocess.run([_node(), UNITS], cwd=BROWSER_DIR, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                        stderr=subprocess.PIPE, timeout=120)
    out = cp.stdout.decode("utf-8", "replace")
    assert cp.returncode == 0, "console_admin_units.js failed (%d):\n%s\n%s" % (
        cp.returncode, out, cp.stderr.decode("utf-8", "replace")[-3000:])
    oks = [line for line in out.splitlines() if line.startswith("ok ")]
    assert len(oks) >= 15 and "FAIL" not in out, out


def test_console_files_served_on_the_admin_listener_only(gw):
    st, h, body = gw.admin_get("/console/")
    assert st == 200, st
    hl = {k.lower(): v for k, v in h.items()}
    assert hl["content-type"].startswith("text/html"), hl
    csp = hl.get("content-security-policy", "")
    assert "script-src 'self'" in csp and "style-src 'self'" in csp and "unsafe-inline" not in csp, csp
    page = body.decode()
    assert "<script" in page and "operators" in page.lower()
    # No inline script or style, nothing from another origin.
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page), "inline <script> in index.html"
    assert "<style" not in page and " style=" not in page, "inline style in index.html"
    refs = re.findall(r'(?:src|href)="([^"#]+)"', page)
    assert refs, page[:500]
    for ref in refs:
        assert ref.startswith("/console/"), "index.html refers outside the console: %s" % ref
    # Every file of console/admin is served with its type, on this listener only.
    types = {".js": "text/javascript", ".css": "text/css", ".html": "text/html", ".svg": "image/svg+xml"}
    files = []
    for root, _dirs, names in os.walk(CONSOLE_DIR):
        for n in names:
            files.append(os.path.relpath(os.path.join(root, n), CONSOLE_DIR))
    assert "js/app.js" in files and "console.css" in files, files
    for rel in files:
        with open(os.path.join(CONSOLE_DIR, rel), "rb") as f:
            want = f.read()
        st, h, got = gw.admin_get("/console/" + rel)
        assert st == 200 and got == want, "/console/%s: %d" % (rel, st)
        ctype = {k.lower(): v for k, v in h.items()}["content-type"]
        assert ctype.startswith(types[os.path.splitext(rel)[1]]), (rel, ctype)
        text = want.decode("utf-8")
        assert "http://" not in text.replace("http://www.w3.org/2000/svg", "") and "https://" not in text, \
            "%s names another origin" % rel
        if rel.endswith(".js"):
            assert "innerHTML" not in text and "eval(" not in text and ".setAttribute('style'" not in text, rel
        # The public listener serves the customers' console, never these files.
        st, _, got = http_request(gw.port, "GET", "/console/" + rel, timeout=10)
        assert not (st == 200 and got == want), "the public listener serves admin/%s" % rel


class _Walk:
    """The node script as a child: JSON lines out, one JSON line in."""

    def __init__(self, argv):
        self.proc = subprocess.Popen(argv, cwd=BROWSER_DIR, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
        self.lines = queue.Queue()
        self.err = []
        threading.Thread(target=self._pump, args=(self.proc.stdout, self.lines), daemon=True).start()
        threading.Thread(target=self._drain, daemon=True).start()
        self.deadline = time.monotonic() + WALK_TIMEOUT

    @staticmethod
    def _pump(stream, q):
        for line in stream:
            q.put(line.decode("utf-8", "replace"))
        q.put(None)

    def _drain(self):
        for line in self.proc.stderr:
            self.err.append(line.decode("utf-8", "replace"))

    def expect(self, event):
        while True:
            left = self.deadline - time.monotonic()
            try:
                line = self.lines.get(timeout=max(0.1, left))
            except queue.Empty:
                line = None
                left = 0
            if line is None:
                self.close()
                raise AssertionError("the browser walk-through %s before %r:\n%s" % (
                    "timed out" if left <= 0 else "ended (%s)" % self.proc.returncode, event,
                    "".join(self.err)[-4000:]))
            try:
                msg = json.loads(line)
            except ValueError:
                continue
            assert msg.get("event") == event, "expected %r from the walk-through, got %r" % (event, msg)
            return msg

    def send(self, obj):
        self.proc.stdin.write((json.dumps(obj) + "\n").encode())
        self.proc.stdin.flush()

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=10)


def _customer(gw, ak, cid):
    for c in gw.admin_call(ak, "ListCustomers", {"PageSize": 100})["Items"]:
        if str(c["Id"]) == str(cid):
            return c
    raise AssertionError("customer %s is not listed" % cid)


def test_operator_walk_through(gw):
    assert os.access(CHROMIUM, os.X_OK), "%s is missing; run `make deps`" % CHROMIUM
    _node_modules()
    ak = gw.create_admin_key()
    ak2 = gw.create_admin_key()
    for name in SCREENSHOTS + ["failure"]:  # failure: the page as a failed step left it
        path = os.path.join(ARTIFACTS, "console-admin-%s.png" % name)
        if os.path.exists(path):
            os.remove(path)
    walk = _Walk([_node(), WALK, "--url", "http://127.0.0.1:%d/console/" % gw.admin_port, "--admin-key", ak,
                  "--admin-key2", ak2, "--artifacts", ARTIFACTS, "--chromium", CHROMIUM])
    try:
        got = walk.expect("key")
        key, cid, prefix = got["key"], got["customerId"], got["prefix"]

        # What the browser did is real: the customer as edited, the key works.
        c = _customer(gw, ak, cid)
        assert c["KeyRate"] == 50 and c["AIGCEnabled"] is True and c["Disabled"] is False, c
        assert key.startswith(prefix) and key.startswith("ptc_"), (key, prefix)
        keys = gw.admin_call(ak, "ListApiKeys", {"CustomerId": int(cid)})["Items"]
        assert [k["Prefix"] for k in keys] == [prefix], keys

        # Enough audit entries for a second page (20 a page): keys made and
        # revoked by the operators' API.
        for _ in range(11):
            p = gw.admin_call(ak, "CreateApiKey", {"CustomerId": int(cid)})["Prefix"]
            gw.admin_call(ak, "RevokeApiKey", {"Prefix": p})

        # The customer uses its key on the public API.
        gid = gw.create_group(key, "walk-through")
        image = png_bytes(320, 320, seed=7)
        asset = ok(upload(gw, key, gid, image), "Upload")
        wait_active(gw, key, asset["Id"])
        other = png_bytes(300, 300, seed=8)
        gone = ok(upload(gw, key, gid, other), "Upload")
        gw.call(key, "DeleteAsset", {"Id": gone["Id"]})

        # A node writes the upstream calls it counted every second: wait
        # until they are in (the same count twice, 1.5 s apart), so the
        # browser's next look must show them.
        deadline, last = time.monotonic() + 15, -1
        while True:
            rows = gw.admin_call(ak, "GetUsage", {"CustomerId": int(cid)})["Items"]
            calls = sum(sum(r["UpstreamCalls"].values()) for r in rows)
            if (calls >= 4 and calls == last) or time.monotonic() > deadline:
                break
            last = calls
            time.sleep(1.5)
        # CreateAssetGroup, CreateAsset twice, DeleteAsset at least
        assert calls >= 4, rows

        walk.send({"go": {"groupId": gid, "assetId": asset["Id"], "auditType": "ApiKeyRevoked"}})
        walk.expect("revoke-admin-key2")
        gw.cli("admin", "revoke", ak2[:13])
        walk.send({"go": {}})
        done = walk.expect("done")
    finally:
        walk.close()

    assert done["problems"] == [], "\n".join(done["problems"] + ["RevokeApiKey sent: %r" % done["revokes"]])
    # One revocation, sent once (Escape in the confirmation sent nothing).
    assert done["revokes"] == [json.dumps({"Prefix": done["prefix2"]}, separators=(",", ":"))], done["revokes"]
    assert done["csp"] == [], done["csp"]

    # Usage: nothing before, the traffic after.
    before, after = done["usageBefore"], done["usageAfter"]
    assert set(before) >= {"assets", "bytes-stored", "upload-bytes", "upstream-calls", "video-tasks", "liveness"}, before
    assert all(v == 0 for v in before.values()), before
    assert after["assets"] >= 1, after
    assert after["upload-bytes"] >= len(image), after
    assert after["bytes-stored"] >= len(image), after
    assert after["upstream-calls"] >= calls, (after, calls)
    every = done["usageAll"]  # all customers: ours and the gateway's own at least
    assert every["upload-bytes"] == after["upload-bytes"] and every["upstream-calls"] >= after["upstream-calls"], every
    today = done["usageToday"]
    assert today["upload-bytes"] == after["upload-bytes"] == len(image) + len(other), (today, after)
    assert today["assets:Active"] == 1 and today["assets-deleted"] == 1 and today["groups"] == 1, today

    # The CSV is the API's, for this customer.
    lines = done["csv"].split("\r\n")
    assert lines[0].startswith("CustomerId,CustomerName,Date,") and lines[-1] == "", lines[:2]
    header = lines[0].split(",")
    ours = [dict(zip(header, line.split(","))) for line in lines[1:-1]]
    assert [r["CustomerId"] for r in ours] == [str(cid)], ours
    assert ours[0]["Date"] == time.strftime("%Y-%m-%d", time.gmtime()), ours
    assert int(ours[0]["UploadBytes"]) == len(image) + len(other) and int(ours[0]["AssetsActive"]) == 1, ours
    assert done["csvName"] == "portico-usage-%s-%s-%s.csv" % (cid, done["usageFrom"], ours[0]["Date"]), done["csvName"]

    # The audit log: this customer's entries, filtered by type, two pages.
    # Created, edited, 1 + 11 keys created, 11 revoked, 1 asset deleted:
    # 26, newest first.
    rows, page2 = done["auditAll"], done["auditPage2"]
    assert len(rows) == 20 and len(page2) == 6, (rows, page2)
    types = [r["type"] for r in rows + page2]
    assert types[0] == "AssetDeleted" and types[-3:] == ["ApiKeyCreated", "CustomerUpdated", "CustomerCreated"], types
    assert types.count("ApiKeyCreated") == 12 and types.count("ApiKeyRevoked") == 11, types
    assert prefix in page2[-3]["text"] and gone["Id"] in rows[0]["text"], (rows[0], page2[-3])
    for r in page2[-3:]:
        assert "127.0.0.1" in r["text"], r  # who: the operator's address
    # what the edit changed, as the console shows it: old → new
    assert "AIGCEnabled false → true" in page2[-2]["text"] and "KeyRate 20 → 50" in page2[-2]["text"], page2[-2]
    assert done["auditPage2Label"] == "Page 2", done["auditPage2Label"]
    typed = done["auditTyped"]
    assert len(typed) == 11 and all(r["type"] == "ApiKeyRevoked" for r in typed), typed
    assert done["auditBefore2001"] == [] and done["auditLastHour"] == 20, (done["auditBefore2001"], done["auditLastHour"])
    # Customer 0: the operators' own keys (both admin keys made by the CLI).
    ops = [r["type"] for r in done["auditOperators"]]
    assert ops.count("AdminKeyCreated") == 2 and set(ops) == {"AdminKeyCreated"}, ops
    assert done["auditGroupFilter"] == gid, done["auditGroupFilter"]
    assert [r["type"] for r in done["auditByGroup"]] == ["AssetDeleted"], done["auditByGroup"]

    # The second key was revoked by keyboard: refused now; the first works.
    expect_error(gw.action_raw(done["key2"], "ListAssetGroups", {}), "Unauthorized")
    ok(gw.action_raw(key, "ListAssetGroups", {}), "ListAssetGroups")
    keys = {k["Prefix"]: k for k in gw.admin_call(ak, "ListApiKeys", {"CustomerId": int(cid), "PageSize": 100})["Items"]}
    assert keys[done["prefix2"]]["Status"] == "Revoked" and keys[prefix]["Status"] == "Active", keys

    # The phone's admin key, revoked while in use, ended its session.
    assert "no longer accepted" in done["revokedMessage"], done["revokedMessage"]

    # Phone width: nothing scrolls sideways.
    assert all(v <= 1 for v in done["phoneOverflow"].values()), done["phoneOverflow"]

    assert sorted(done["screenshots"]) == sorted("console-admin-%s.png" % n for n in SCREENSHOTS), done["screenshots"]
    for name in done["screenshots"]:
        with open(os.path.join(ARTIFACTS, name), "rb") as f:
            png = f.read()
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000, "%s is not a real PNG (%d bytes)" % (name, len(png))
