"""Webhooks (API.md §4a): UpdateNotificationConfig, GetNotificationConfig,
DeleteNotificationConfig, ListNotifications, and the delivery of every event
type as a signed POST to a receiver on loopback.

Checks: each of the six event types reaches the receiver once, with
Portico-Event-Id, Portico-Timestamp and a Portico-Signature that verifies
with the Secret; the Events filter; RotateSecret; a receiver that is down
(connection refused), then answers 500, then 200: retried with backoff and
Delivered, its Attempts and LastStatusCode in ListNotifications; a delivery
given up after the retry window (Failed); a deleted config fails what was
pending; porticod killed (SIGKILL) mid-delivery: delivered after the
restart; two nodes on one PostgreSQL (pg pass only): each event delivered
by exactly one node; the outbound URL policy on the config and at connect
time; customers never see each other's config or deliveries; the CLI.

PORTICO_WEBHOOK_BACKOFF_MS and PORTICO_WEBHOOK_TIMEOUT_MS shorten the
retry schedule and the attempt's time limit, PORTICO_WEBHOOK_RETRY_S the
retry window. Every address here is loopback.
"""
import hashlib
import hmac
import http.server
import json
import threading
import time

import portico
from portico import Gateway, MediaServer, Sim, _register, expect_error, ok, wait_active, wait_status
from test_cli import portico_cli
from test_liveness import h5_submit, result as liveness_result, start_session
from test_videos import task_ok, vpost, wait_task

FAST = {"PORTICO_WEBHOOK_BACKOFF_MS": 200, "PORTICO_WEBHOOK_TIMEOUT_MS": 3000, "PORTICO_SIM_VIDEO_MS": 800}
TYPES = ("AssetActive", "AssetFailed", "LivenessPassed", "LivenessFailed", "VideoSucceeded", "VideoFailed")


# ------------------------------------------------------------------ helpers

class Receiver:
    """A webhook receiver on loopback. mode: "ok" (204), "500", "stall"
    (holds the request until release() or 30 s, then 200). Records every
    request: (headers dict, body bytes, the status it answered)."""

    def __init__(self, port=0, mode="ok"):
        self.mode = mode
        self.hits = []
        self.lock = threading.Lock()
        self.release_ev = threading.Event()
        self.server = None
        self.port = port
        self.start()
        _register(self)

    def start(self):
        rcv = self

        class H(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(n)
                mode = rcv.mode
                if mode == "stall":
                    with rcv.lock:
                        rcv.hits.append((dict(self.headers), body, None))
                    rcv.release_ev.wait(30)
                    code = 200
                else:
                    code = 500 if mode == "500" else 204 if mode == "ok" else 200
                    with rcv.lock:
                        rcv.hits.append((dict(self.headers), body, code))
                try:
                    self.send_response(code)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                except OSError:
                    pass

        class S(http.server.ThreadingHTTPServer):
            allow_reuse_address = True
            daemon_threads = True

            def handle_error(self, request, client_address):
                pass  # a killed gateway's connection

        self.server = S(("127.0.0.1", self.port), H)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def url(self, path="/hook"):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def delivered(self):
        """{event id: [(headers, body)]} of the requests answered 2xx."""
        out = {}
        with self.lock:
            for h, b, code in self.hits:
                if code is not None and 200 <= code < 300:
                    out.setdefault(h.get("Portico-Event-Id"), []).append((h, b))
        return out

    def count(self):
        with self.lock:
            return len(self.hits)

    def _cleanup(self):
        self.release_ev.set()
        self.stop()
        return []


def verify(headers, body, secret):
    """The receiver's check, as README shows it: HMAC-SHA256 over
    "<timestamp>.<body>" with the Secret, compared in constant time."""
    ts = headers.get("Portico-Timestamp", "")
    sig = headers.get("Portico-Signature", "")
    assert ts.isdigit() and abs(int(ts) - time.time()) < 120, "Portico-Timestamp %r" % ts
    assert sig.startswith("v1="), "Portico-Signature %r" % sig
    want = hmac.new(secret.encode(), ts.encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(want, sig[3:])


def wait_for(what, fn, timeout=20, interval=0.1):
    deadline = time.monotonic() + timeout
    while True:
        v = fn()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError("timed out after %ss waiting for %s (last: %r)" % (timeout, what, v))
        time.sleep(interval)


def notifications(gw, key, **flt):
    body = {"PageSize": 100}
    if flt:
        body["Filter"] = flt
    return gw.call(key, "ListNotifications", body)


def set_hook(gw, key, url, **extra):
    body = {"URL": url}
    body.update(extra)
    return gw.call(key, "UpdateNotificationConfig", body)


def asset_event(gw, key, media, tag="a", failed=False):
    gid = gw.create_group(key, "g-" + tag)
    url = media.url("/missing-%s.png" % tag) if failed else media.png_url(640, 640, tag)
    aid = gw.create_asset(key, gid, url)
    a = wait_status(gw, key, aid, ("Active", "Failed"), timeout=15)
    assert a["UpstreamStatus"] == ("Failed" if failed else "Active"), a
    return aid


# ------------------------------------------------------------------ tests

def test_every_event_type_is_delivered_once_signed(media):
    gw = Gateway(env=FAST)
    k = gw.create_key("acme")
    rcv = Receiver()
    cfg = set_hook(gw, k, rcv.url())
    assert cfg["URL"] == rcv.url() and cfg["Events"] == list(TYPES), cfg
    secret = cfg["Secret"]
    assert len(secret) == 64 and all(c in "0123456789abcdef" for c in secret), cfg
    got = gw.call(k, "GetNotificationConfig")
    assert got == {"URL": rcv.url(), "Events": list(TYPES), "SecretHint": secret[-4:]}, got

    active = asset_event(gw, k, media, "ok")
    failed = asset_event(gw, k, media, "bad", failed=True)
    s_pass, s_fail = start_session(gw, k), start_session(gw, k)
    h5_submit(s_pass["H5Link"], "pass")
    h5_submit(s_fail["H5Link"], "fail")
    ok(liveness_result(gw, k, s_pass["BytedToken"]))
    expect_error(liveness_result(gw, k, s_fail["BytedToken"]), "InvalidToken")
    v_ok = task_ok(vpost(gw, k, {"model": "seedance-2.0", "prompt": "a walk"}))["id"]
    v_bad = task_ok(vpost(gw, k, {"model": "seedance-2.0", "prompt": "please fail [sim:fail]"}))["id"]
    assert wait_task(gw, k, v_ok)[0]["status"] == "succeeded"
    assert wait_task(gw, k, v_bad)[0]["status"] == "failed"

    d = wait_for("six deliveries", lambda: len(rcv.delivered()) >= 6 and rcv.delivered())
    time.sleep(1.5)  # anything sent twice would arrive by now
    d = rcv.delivered()
    assert len(d) == 6 and all(len(v) == 1 for v in d.values()), {k2: len(v) for k2, v in d.items()}
    by_type = {}
    for eid, [(h, body)] in d.items():
        assert verify(h, body, secret), "bad signature on %s: %r" % (eid, h)
        assert h.get("Content-Type") == "application/json", h
        assert h.get("User-Agent", "").startswith("Portico"), h
        ev = json.loads(body)
        assert set(ev) == {"Id", "Type", "CreateTime", "Data"} and ev["Id"] == eid, ev
        by_type[ev["Type"]] = ev
    assert sorted(by_type) == sorted(TYPES), sorted(by_type)
    assert by_type["AssetActive"]["Data"]["Id"] == active and by_type["AssetActive"]["Data"]["UpstreamStatus"] == "Active"
    assert by_type["AssetFailed"]["Data"]["Id"] == failed and by_type["AssetFailed"]["Data"]["UpstreamStatus"] == "Failed"
    assert by_type["LivenessPassed"]["Data"]["BytedToken"] == s_pass["BytedToken"], by_type["LivenessPassed"]
    assert by_type["LivenessPassed"]["Data"]["GroupId"].startswith("group-"), by_type["LivenessPassed"]
    assert by_type["LivenessFailed"]["Data"]["BytedToken"] == s_fail["BytedToken"], by_type["LivenessFailed"]
    assert by_type["VideoSucceeded"]["Data"]["id"] == v_ok, by_type["VideoSucceeded"]
    assert by_type["VideoFailed"]["Data"]["id"] == v_bad, by_type["VideoFailed"]

    lst = notifications(gw, k)
    assert lst["TotalCount"] == 6 and lst["PageNumber"] == 1 and lst["PageSize"] == 100, lst
    for n in lst["Items"]:
        assert set(n) == {"Id", "Type", "Status", "Attempts", "LastStatusCode", "NextAttemptTime",
                          "CreateTime"}, n
        assert n["Status"] == "Delivered" and n["Attempts"] == 1 and n["LastStatusCode"] == 204, n
        assert n["NextAttemptTime"] is None and n["Id"] in d, n
        assert portico.RFC3339_UTC_RE.match(n["CreateTime"]), n
    assert [n["Type"] for n in lst["Items"]][::-1] == [json.loads(d[n["Id"]][0][1])["Type"]
                                                      for n in lst["Items"]][::-1]
    # paging
    p2 = gw.call(k, "ListNotifications", {"PageNumber": 2, "PageSize": 4})
    assert p2["TotalCount"] == 6 and len(p2["Items"]) == 2, p2
    assert notifications(gw, k, Statuses=["Pending", "Failed"])["TotalCount"] == 0


def test_events_filter_is_respected(media):
    gw = Gateway(env=FAST)
    k = gw.create_key("acme")
    rcv = Receiver()
    cfg = set_hook(gw, k, rcv.url(), Events=["AssetFailed"])
    assert cfg["Events"] == ["AssetFailed"], cfg
    asset_event(gw, k, media, "ok")
    failed = asset_event(gw, k, media, "bad", failed=True)
    wait_for("the AssetFailed delivery", lambda: rcv.delivered())
    time.sleep(1.0)
    d = rcv.delivered()
    assert len(d) == 1, d
    ev = json.loads(list(d.values())[0][0][1])
    assert ev["Type"] == "AssetFailed" and ev["Data"]["Id"] == failed, ev
    assert notifications(gw, k)["TotalCount"] == 1
    # Events omitted: all again
    assert set_hook(gw, k, rcv.url())["Events"] == list(TYPES)


def test_rotate_secret_changes_the_signing_key(media):
    gw = Gateway(env=FAST)
    k = gw.create_key("acme")
    rcv = Receiver()
    s1 = set_hook(gw, k, rcv.url())["Secret"]
    asset_event(gw, k, media, "one")
    wait_for("the first delivery", lambda: len(rcv.delivered()) == 1)
    # an update without RotateSecret keeps the secret and does not show it
    again = set_hook(gw, k, rcv.url("/other"))
    assert "Secret" not in again and again["URL"] == rcv.url("/other"), again
    assert gw.call(k, "GetNotificationConfig")["SecretHint"] == s1[-4:]
    r = set_hook(gw, k, rcv.url(), RotateSecret=True)
    s2 = r["Secret"]
    assert s2 != s1 and len(s2) == 64, r
    assert gw.call(k, "GetNotificationConfig")["SecretHint"] == s2[-4:]
    assert "Secret" not in set_hook(gw, k, rcv.url(), RotateSecret=False)
    asset_event(gw, k, media, "two")
    wait_for("the second delivery", lambda: len(rcv.delivered()) == 2)
    first, second = sorted(rcv.delivered().values(), key=lambda v: json.loads(v[0][1])["CreateTime"])
    assert verify(first[0][0], first[0][1], s1) and not verify(first[0][0], first[0][1], s2)
    assert verify(second[0][0], second[0][1], s2) and not verify(second[0][0], second[0][1], s1)


def test_receiver_down_then_up_is_retried_until_delivered(media):
    gw = Gateway(env=FAST)
    k = gw.create_key("acme")
    rcv = Receiver()
    rcv.stop()  # connection refused on its port
    secret = set_hook(gw, k, rcv.url())["Secret"]
    asset_event(gw, k, media)

    def pending_with(code, attempts):
        items = notifications(gw, k)["Items"]
        return (len(items) == 1 and items[0]["Status"] == "Pending" and items[0]["LastStatusCode"] == code
                and items[0]["Attempts"] >= attempts and items[0])

    n = wait_for("two refused attempts", lambda: pending_with(0, 2))
    assert portico.RFC3339_UTC_RE.match(n["NextAttemptTime"]), n
    rcv.mode = "500"
    rcv.start()  # the same port
    n = wait_for("an attempt answered 500", lambda: pending_with(500, 3))
    assert notifications(gw, k, Statuses=["Pending"])["TotalCount"] == 1
    rcv.mode = "ok"
    wait_for("the delivery", lambda: rcv.delivered(), timeout=30)
    n = wait_for("Delivered", lambda: notifications(gw, k, Statuses=["Delivered"])["Items"])[0]
    assert n["Attempts"] >= 4 and n["LastStatusCode"] == 204 and n["NextAttemptTime"] is None, n
    [(h, body)] = list(rcv.delivered().values())[0]
    assert verify(h, body, secret)
    # The 500s were the same event each time.
    with rcv.lock:
        ids = {h.get("Portico-Event-Id") for h, _, _ in rcv.hits}
    assert ids == {n["Id"]}, ids


def test_delivery_is_given_up_after_the_retry_window(media):
    gw = Gateway(env=dict(FAST, PORTICO_WEBHOOK_RETRY_S=3))
    k = gw.create_key("acme")
    rcv = Receiver(mode="500")
    set_hook(gw, k, rcv.url())
    asset_event(gw, k, media)
    n = wait_for("Failed", lambda: notifications(gw, k, Statuses=["Failed"])["Items"], timeout=20)[0]
    assert n["Attempts"] >= 2 and n["LastStatusCode"] == 500 and n["NextAttemptTime"] is None, n
    seen = rcv.count()
    time.sleep(1.0)
    assert rcv.count() == seen, "a Failed delivery was tried again"


def test_deleted_config_fails_what_was_pending(media):
    gw = Gateway(env=FAST)
    k = gw.create_key("acme")
    rcv = Receiver(mode="500")
    set_hook(gw, k, rcv.url())
    asset_event(gw, k, media)
    wait_for("an attempt", lambda: rcv.count() >= 1)
    assert gw.call(k, "DeleteNotificationConfig") == {}
    assert gw.call(k, "DeleteNotificationConfig") == {}  # none set: nothing to do
    assert gw.call(k, "GetNotificationConfig") == {"URL": "", "Events": [], "SecretHint": ""}
    n = wait_for("Failed", lambda: notifications(gw, k, Statuses=["Failed"])["Items"])[0]
    assert n["LastStatusCode"] == 500, n
    # no config, no new deliveries
    asset_event(gw, k, media, "later")
    time.sleep(0.5)
    assert notifications(gw, k)["TotalCount"] == 1
    # a new config shows a new secret
    assert "Secret" in set_hook(gw, k, rcv.url())


def test_sigkill_mid_delivery_is_delivered_after_restart(media):
    gw = Gateway(env=dict(FAST, PORTICO_WEBHOOK_TIMEOUT_MS=4000))
    k = gw.create_key("acme")
    rcv = Receiver(mode="stall")
    secret = set_hook(gw, k, rcv.url())["Secret"]
    asset_event(gw, k, media)
    wait_for("the delivery to arrive", lambda: rcv.count() >= 1)
    gw.kill()  # mid-delivery: the receiver holds the request
    rcv.mode = "ok"
    rcv.release_ev.set()
    gw.start()
    # the lease (2 x 4 s + 10 s) lapses, then the delivery is sent again
    d = wait_for("the delivery after the restart", lambda: rcv.delivered(), timeout=60)
    [(eid, [(h, body)])] = list(d.items())
    assert verify(h, body, secret)
    n = wait_for("Delivered", lambda: notifications(gw, k, Statuses=["Delivered"])["Items"])[0]
    # the killed attempt left no trace but the receiver's copy (at least once)
    assert n["Id"] == eid and n["Attempts"] == 1 and n["LastStatusCode"] == 204, n
    with rcv.lock:
        assert [h.get("Portico-Event-Id") for h, _, _ in rcv.hits] == [eid, eid], rcv.hits


def test_two_nodes_deliver_each_event_once(media):
    if not portico.store_is_pg():
        return  # several nodes share a store only on PostgreSQL (the pg pass)
    sim = Sim(access_key="AKLThooks", secret_key="hooks-secret")
    env = dict(FAST, PORTICO_VOLC_AK=sim.access_key, PORTICO_VOLC_SK=sim.secret_key)
    a = Gateway(upstream=sim.url, env=env)
    b = Gateway(upstream=sim.url, env=env, data_dir=a.data_dir)  # the same database
    k = a.create_key("acme")
    rcv = Receiver()
    secret = set_hook(a, k, rcv.url())["Secret"]
    ids = []
    for i in range(12):
        gw = (a, b)[i % 2]
        gid = gw.create_group(k, "g%d" % i)
        ids.append(gw.create_asset(k, gid, media.png_url(640, 640, "n%d" % i)))
    for i, aid in enumerate(ids):
        wait_active((a, b)[i % 2], k, aid, timeout=20)
    wait_for("12 deliveries", lambda: len(rcv.delivered()) >= 12, timeout=30)
    time.sleep(2.0)
    d = rcv.delivered()
    assert len(d) == 12, len(d)
    assert all(len(v) == 1 for v in d.values()), {e: len(v) for e, v in d.items() if len(v) != 1}
    assert sorted(json.loads(v[0][1])["Data"]["Id"] for v in d.values()) == sorted(ids)
    assert all(verify(h, body, secret) for [(h, body)] in d.values())
    for gw in (a, b):
        lst = notifications(gw, k, Statuses=["Delivered"])
        assert lst["TotalCount"] == 12 and all(n["Attempts"] == 1 for n in lst["Items"]), lst


def test_url_policy_and_parameters():
    gw = Gateway(env=dict(FAST, PORTICO_URL_ALLOW=""))
    k = gw.create_key("acme")
    for url in ("http://127.0.0.1:9/hook", "https://127.0.0.1/hook", "https://localhost/hook",
                "https://[::1]/hook", "https://user:pw@127.0.0.1/x", "ftp://127.0.0.1/hook", "", "hook"):
        expect_error(gw.action(k, "UpdateNotificationConfig", {"URL": url}), "InvalidParameter")
    expect_error(gw.action(k, "UpdateNotificationConfig", {}), "InvalidParameter")
    expect_error(gw.action(k, "UpdateNotificationConfig", {"URL": 5}), "InvalidParameter")
    gw2 = Gateway(env=FAST)  # the suite's allow-list: 127.0.0.0/8
    k2 = gw2.create_key("acme")
    url = "http://127.0.0.1:9/hook"
    for bad in ({"Events": []}, {"Events": ["AssetActive", "Nope"]}, {"Events": "AssetActive"},
                {"RotateSecret": "yes"}):
        body = {"URL": url}
        body.update(bad)
        expect_error(gw2.action(k2, "UpdateNotificationConfig", body), "InvalidParameter")
    assert gw2.call(k2, "GetNotificationConfig")["URL"] == ""  # nothing was set
    assert set_hook(gw2, k2, url, Events=["VideoFailed", "AssetActive"])["Events"] == ["AssetActive", "VideoFailed"]
    for body in ({"Filter": {"Statuses": ["Bogus"]}}, {"Filter": {"Statuses": "Pending"}}, {"PageSize": 0},
                 {"PageSize": 101}, {"PageNumber": 0}):
        expect_error(gw2.action(k2, "ListNotifications", body), "InvalidParameter")


def test_url_policy_applies_at_delivery_time(media):
    gw = Gateway(env=FAST)
    k = gw.create_key("acme")
    rcv = Receiver()
    set_hook(gw, k, rcv.url())
    gw.stop()
    # the operator narrows the allow-list to the media server's port
    gw.extra_env["PORTICO_URL_ALLOW"] = "127.0.0.1:%d" % media.port
    gw.start()
    asset_event(gw, k, media)
    n = wait_for("a refused attempt", lambda: [n for n in notifications(gw, k)["Items"] if n["Attempts"] >= 1])[0]
    assert n["Status"] == "Pending" and n["LastStatusCode"] == 0, n
    assert rcv.count() == 0, "the policy let a delivery through to loopback"


def test_customers_never_see_each_others_webhooks(media):
    gw = Gateway(env=FAST)
    ka, kb = gw.create_key("alice"), gw.create_key("bob")
    ra, rb = Receiver(), Receiver()
    sa = set_hook(gw, ka, ra.url())["Secret"]
    assert gw.call(kb, "GetNotificationConfig") == {"URL": "", "Events": [], "SecretHint": ""}
    asset_event(gw, ka, media, "a")
    wait_for("alice's delivery", lambda: ra.delivered())
    assert notifications(gw, kb)["TotalCount"] == 0
    assert gw.call(kb, "DeleteNotificationConfig") == {}  # bob's (none), not alice's
    assert gw.call(ka, "GetNotificationConfig")["SecretHint"] == sa[-4:]
    sb = set_hook(gw, kb, rb.url())["Secret"]
    assert sb != sa
    asset_event(gw, kb, media, "b")
    wait_for("bob's delivery", lambda: rb.delivered())
    time.sleep(0.5)
    assert len(ra.delivered()) == 1 and len(rb.delivered()) == 1
    [(h, body)] = list(rb.delivered().values())[0]
    assert verify(h, body, sb) and not verify(h, body, sa)
    assert {n["Id"] for n in notifications(gw, ka)["Items"]} == set(ra.delivered())
    assert {n["Id"] for n in notifications(gw, kb)["Items"]} == set(rb.delivered())


def test_cli_webhook_commands(media):
    gw = Gateway(env=FAST)
    k = gw.create_key("acme")
    rcv = Receiver(mode="500")
    r = portico_cli(gw, k, "webhook", "get", expect=0)
    assert r.out == "" and "no webhook" in r.err, r
    r = portico_cli(gw, k, "webhook", "set", rcv.url(), "--events", "AssetActive,AssetFailed", expect=0)
    lines = dict(l.split(":", 1) for l in r.out.splitlines())
    secret = lines["Secret"].strip()
    assert len(secret) == 64 and lines["Events"].strip() == "AssetActive,AssetFailed", r
    assert lines["URL"].strip() == rcv.url() and "not shown again" in r.err, r
    r = portico_cli(gw, k, "--json", "webhook", "get", expect=0)
    assert r.json()["Result"] == {"URL": rcv.url(), "Events": ["AssetActive", "AssetFailed"],
                                  "SecretHint": secret[-4:]}, r
    r = portico_cli(gw, k, "webhook", "get", expect=0)
    assert secret[-4:] in r.out and secret not in r.out, r
    r = portico_cli(gw, k, "webhook", "set", rcv.url(), expect=0)
    assert "Secret" not in r.out, r
    r = portico_cli(gw, k, "webhook", "set", rcv.url(), "--rotate-secret", expect=0)
    assert "Secret" in r.out and secret not in r.out, r
    portico_cli(gw, k, "webhook", "set", rcv.url(), "--events", "Nope", expect=1)
    portico_cli(gw, k, "webhook", "list", "--status", "Nope", expect=2)
    asset_event(gw, k, media)
    wait_for("an attempt", lambda: rcv.count() >= 1)
    r = portico_cli(gw, k, "webhook", "list", "--status", "Pending", expect=0)
    assert "AssetActive" in r.out and "Pending" in r.out and "500" in r.out, r
    r = portico_cli(gw, k, "--json", "webhook", "list", expect=0)
    items = r.json()["Result"]["Items"]
    assert len(items) == 1 and items[0]["Type"] == "AssetActive", r
    portico_cli(gw, k, "webhook", "delete", expect=0)
    r = portico_cli(gw, k, "webhook", "get", expect=0)
    assert r.out == "", r
    r = portico_cli(gw, "not-a-key", "webhook", "get", expect=1)
    assert "Unauthorized" in r.err, r


def _readme_block(lang, first_line):
    with open(portico.os.path.join(portico.ROOT, "README.md"), encoding="utf-8") as f:
        text = f.read()
    for block in text.split("```" + lang + "\n")[1:]:
        code = block.split("```", 1)[0]
        if code.startswith(first_line):
            return code
    raise AssertionError("README has no ```%s block starting %r" % (lang, first_line))


def test_readme_receivers_verify_signatures(media):
    """The README's receivers, run as they are written: a delivery signed
    with their Secret is accepted (printed once), one signed with another
    Secret is refused (401) and stays Pending."""
    import shutil
    import subprocess
    import sys
    import tempfile
    node = shutil.which("node")
    assert node, "node is missing: run `make deps`"
    gw = Gateway(env=FAST)
    tmp = tempfile.mkdtemp(prefix="portico-hookrx-")
    procs = []
    try:
        for lang, first, argv0 in (("python", "# receiver.py", sys.executable), ("js", "// receiver.js", node)):
            path = portico.os.path.join(tmp, first.split()[-1])
            with open(path, "w") as f:
                f.write(_readme_block(lang, first))
            k = gw.create_key("c-" + lang)
            port = portico.free_port()
            secret = set_hook(gw, k, "http://127.0.0.1:%d/hook" % port)["Secret"]
            p = subprocess.Popen([argv0, path, str(port)], env=dict(portico.os.environ, PORTICO_SECRET=secret),
                                 stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
            procs.append(p)
            stranger = gw.create_key("s-" + lang)
            set_hook(gw, stranger, "http://127.0.0.1:%d/hook" % port)  # another Secret
            time.sleep(0.5)
            aid = asset_event(gw, k, media, lang)
            asset_event(gw, stranger, media, "s" + lang)
            n = wait_for("%s: Delivered" % lang, lambda: notifications(gw, k, Statuses=["Delivered"])["Items"])[0]
            assert n["LastStatusCode"] == 204, n
            bad = wait_for("%s: a refusal" % lang,
                           lambda: [x for x in notifications(gw, stranger)["Items"] if x["Attempts"] >= 1])[0]
            assert bad["Status"] == "Pending" and bad["LastStatusCode"] == 401, bad
            p.kill()
            out = p.communicate(timeout=10)[0].decode().splitlines()
            assert len(out) == 1 and json.loads(out[0])["Data"]["Id"] == aid, (lang, out)
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        shutil.rmtree(tmp, ignore_errors=True)
