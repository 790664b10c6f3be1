"""The H5 liveness page in a real browser: Debian's Chromium, headless, driven
by playwright-core (tests/browser/liveness_h5.js). Opens H5Link on a phone-
sized viewport, taps a button, lands on a local CallbackURL server that
records bytedToken and resultCode, then GetVisualValidateResult returns the
group. Saves build/artifacts/liveness-h5.png (the page before the tap).

Needs /usr/bin/chromium and node (tools/deps.sh installs them); this test
never skips: a missing browser is a failure. Installs tests/browser's
node_modules with `npm ci` the first time.
"""
import json
import os
import shutil
import subprocess
import threading

import portico
from portico import ROOT, expect_error, ok
from test_liveness import CallbackServer, start_session

BROWSER_DIR = os.path.join(ROOT, "tests", "browser")
SCRIPT = os.path.join(BROWSER_DIR, "liveness_h5.js")
ARTIFACTS = os.path.join(ROOT, "build", "artifacts")
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")

_install_lock = threading.Lock()


def _node_modules():
    """npm ci (the committed package-lock.json) when playwright-core is missing."""
    with _install_lock:
        portico.npm_ci(BROWSER_DIR, os.path.join(BROWSER_DIR, "node_modules", "playwright-core", "package.json"))


def walk(h5_link, callback_prefix, choice, screenshot=None):
    assert os.access(CHROMIUM, os.X_OK), "%s is missing; run `make deps` (tools/deps.sh installs chromium)" % CHROMIUM
    node = shutil.which("node")
    assert node, "node is not installed; run `make deps`"
    _node_modules()
    argv = [node, SCRIPT, "--h5", h5_link, "--callback", callback_prefix, "--choice", choice,
            "--chromium", CHROMIUM]
    if screenshot:
        argv += ["--screenshot", screenshot]
    cp = subprocess.run(argv, cwd=BROWSER_DIR, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                        stderr=subprocess.PIPE, timeout=180)
    out, err = cp.stdout.decode("utf-8", "replace"), cp.stderr.decode("utf-8", "replace")
    assert cp.returncode == 0, "the browser walk-through failed (%d):\n%s\n%s" % (cp.returncode, out, err[-4000:])
    return json.loads(out.strip().splitlines()[-1])


def test_browser_walk_through_pass(gw):
    k = gw.create_key("acme")
    cb = CallbackServer()
    s = start_session(gw, k, cb.url("/liveness/done"))
    expect_error(gw.action(k, "GetVisualValidateResult", {"BytedToken": s["BytedToken"]}), "ValidatePending")

    shot = os.path.join(ARTIFACTS, "liveness-h5.png")
    if os.path.exists(shot):
        os.remove(shot)
    seen = walk(s["H5Link"], cb.url("/liveness/done"), "pass", screenshot=shot)
    assert seen["lang"] == "en" and seen["title"] == "Face verification", seen
    assert seen["landed"].startswith(cb.url("/liveness/done?")), seen
    # The callback server got exactly one visit, with the token and success.
    assert cb.hits == [{"bytedToken": s["BytedToken"], "resultCode": "10000"}], cb.hits
    assert s["BytedToken"] in seen["callbackBody"], seen

    with open(shot, "rb") as f:
        png = f.read()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000, "screenshot is not a real PNG: %d bytes" % len(png)

    r = ok(gw.action(k, "GetVisualValidateResult", {"BytedToken": s["BytedToken"]}), "GetVisualValidateResult")
    assert r["GroupType"] == "LivenessFace", r
    g = gw.call(k, "GetAssetGroup", {"Id": r["GroupId"]})
    assert g["GroupType"] == "LivenessFace", g


def test_browser_walk_through_fail_in_chinese(gw):
    k = gw.create_key("acme")
    cb = CallbackServer()
    s = start_session(gw, k, cb.url("/cb"))
    link = s["H5Link"].replace("lng=en", "lng=zh-Hant")
    seen = walk(link, cb.url("/cb"), "fail", screenshot=os.path.join(ARTIFACTS, "liveness-h5-zh-Hant.png"))
    assert seen["lang"] == "zh-Hant" and seen["title"] == "人臉核驗", seen
    assert cb.hits == [{"bytedToken": s["BytedToken"], "resultCode": "10001"}], cb.hits
    expect_error(gw.action(k, "GetVisualValidateResult", {"BytedToken": s["BytedToken"]}), "InvalidToken")
