"""The customers' console in a real browser: Debian's Chromium, headless,
driven by playwright-core (tests/browser/console_customer.js, the same
package.json as the H5 liveness test). Logs in with the keyboard, creates a
group, uploads by drag-and-drop and watches the badge turn Active without a
reload (the simulator keeps the asset Processing for PROCESSING_MS), sees the
thumbnail, renames, completes a face scan on the simulator's H5 page from
the console's QR code, creates a video and plays it, then with the event
stream refused watches an upload turn Active by WaitAsset and deletes it
with confirmation; no CSP violation anywhere. Screenshots at 1280x800 and
390x844 land in build/artifacts/console-customer-*.png.

Also runs tests/browser/sse_parser.js: the page's event-stream reader under Node.

Never skips: a missing browser or node is a failure.
"""
import json
import os
import shutil
import subprocess
import tempfile

import portico
from portico import ROOT
from test_liveness_browser import ARTIFACTS, BROWSER_DIR, CHROMIUM, _node_modules

SCRIPT = os.path.join(BROWSER_DIR, "console_customer.js")
PROCESSING_MS = 2500
SHOTS = ["console-customer-%s-%s.png" % (view, width)
         for view, width in (("login", "desktop"), ("library", "desktop"), ("scan", "desktop"),
                             ("scan-passed", "desktop"), ("videos", "desktop"), ("login", "phone"),
                             ("library", "phone"), ("scan", "phone"), ("videos", "phone"))]


def test_customer_console_walk_through():
    assert os.access(CHROMIUM, os.X_OK), "%s is missing; run `make deps` (tools/deps.sh installs chromium)" % CHROMIUM
    node = shutil.which("node")
    assert node, "node is not installed; run `make deps`"
    _node_modules()
    for name in SHOTS:
        p = os.path.join(ARTIFACTS, name)
        if os.path.exists(p):
            os.remove(p)
    gw = portico.Gateway(processing_ms=PROCESSING_MS, env={"PORTICO_SIM_VIDEO_MS": 1500})
    tmp = tempfile.mkdtemp(prefix="portico-console-")
    try:
        key = gw.create_key("acme")
        first, second = os.path.join(tmp, "ada-lovelace.png"), os.path.join(tmp, "grace-hopper.png")
        with open(first, "wb") as f:
            f.write(portico.png_bytes(640, 480, seed=7))
        with open(second, "wb") as f:
            f.write(portico.png_bytes(480, 600, seed=9))
        argv = [node, SCRIPT, "--url", "http://127.0.0.1:%d/console/" % gw.port, "--key", key,
                "--image", first, "--image2", second, "--artifacts", ARTIFACTS, "--chromium", CHROMIUM]
        cp = subprocess.run(argv, cwd=BROWSER_DIR, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, timeout=300)
        out, err = cp.stdout.decode("utf-8", "replace"), cp.stderr.decode("utf-8", "replace")
        assert cp.returncode == 0, "the console walk-through failed (%d):\n%s\n%s" % (cp.returncode, out, err[-6000:])
        seen = json.loads(out.strip().splitlines()[-1])

        assert seen["keyboardLogin"] and seen["groupCreated"], seen
        # The simulator held the upload Processing; the badge changed in place.
        assert seen["firstStatus"] == "Processing" and seen["badge"] == "Active", seen
        assert seen["liveState"] == "Live", seen
        assert seen["thumb"] == {"w": 320, "h": 240}, seen
        assert seen["qr"] > 0 and seen["scanResult"].startswith("Passed"), seen
        assert seen["callbackLanded"].startswith("http://127.0.0.1:%d/console/?" % gw.port), seen
        assert seen["video"]["t1"] > seen["video"]["t0"], seen
        assert seen["fallback"]["live"] == "Polling" and seen["fallback"]["waits"] > 0, seen
        assert seen["loggedOut"], seen

        # What the browser saw is what the API says.
        a = gw.call(key, "GetAsset", {"Id": seen["assetId"]})
        assert a["UpstreamStatus"] == "Active" and a["Name"] == "Ada portrait", a
        portico.expect_error(gw.action(key, "GetAsset", {"Id": seen["deleted"]}), "Forbidden")
        groups = gw.call(key, "ListAssetGroups", {"PageSize": 100})["Items"]
        assert {g["GroupType"] for g in groups} == {"AIGC", "LivenessFace"}, groups
        for name in SHOTS:
            p = os.path.join(ARTIFACTS, name)
            with open(p, "rb") as f:
                png = f.read()
            assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000, "%s is not a real screenshot" % p
    finally:
        gw.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def test_console_event_stream_parser_under_node():
    """console/customer/sse.js on its own (tests/browser/sse_parser.js): the
    SSE parser at every split point (CRLF, CR, comments, ids) and the
    reconnection with Last-Event-ID over a fake fetch."""
    node = shutil.which("node")
    assert node, "node is not installed; run `make deps`"
    cp = subprocess.run([node, os.path.join(BROWSER_DIR, "sse_parser.js")], cwd=ROOT, stdin=subprocess.DEVNULL,
                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    out, err = cp.stdout.decode("utf-8", "replace"), cp.stderr.decode("utf-8", "replace")
    assert cp.returncode == 0, "sse_parser.js failed (%d):\n%s\n%s" % (cp.returncode, out, err[-4000:])
    seen = json.loads(out.strip().splitlines()[-1])
    assert seen["ok"] and seen["cases"] > 200, seen
