"""SSRF (security review, finding 1): the outbound URL policy.

Every URL the upstream fetches on a customer's behalf must point to a public
address unless the operator's allow-list (PORTICO_URL_ALLOW) says otherwise.
The gateway refuses at once what no upstream could fetch (address literals
in any spelling, localhost, userinfo, other schemes); the simulator checks
the address it actually connects to, so a name that resolves to loopback and
a redirect to a forbidden address are refused too, with the record's one
DownloadFailed sentence and nothing fetched.

Traffic goes to loopback only. The gateways here run WITHOUT the suite's
default allow-list (or with a narrower one): the loopback MediaServer stands
in for the host's own services an attacker would reach."""
import http.server
import json
import socket
import threading

import portico
from portico import Gateway, MediaServer, Sim, expect_error, ok, wait_status

NO_ALLOW = {"PORTICO_URL_ALLOW": ""}
DOWNLOAD_FAILED = "InvalidParameter.DownloadFailed"


def _nothing_stored(gw, key, media):
    lst = gw.call(key, "ListAssets", {})
    assert lst["TotalCount"] == 0 and lst["Items"] == [], "a refused URL left a record: %r" % lst
    assert gw.sim_stats()["assets"] == 0, "a refused URL reached the upstream: %r" % gw.sim_stats()
    assert media.hits == {}, "the media server was fetched from: %r" % media.hits


def _failed_download(a, media):
    """The asset failed as the record words it, saying nothing of why."""
    assert a["UpstreamStatus"] == "Failed", a
    err = a.get("Error") or {}
    assert err.get("Code") == DOWNLOAD_FAILED, "Error is not %s: %r" % (DOWNLOAD_FAILED, a)
    text = json.dumps(a).lower()
    for leak in ("loopback", "private", "refused", "connect", "policy", "resolve", "port %d" % media.port):
        assert leak not in text, "the asset tells why the fetch failed (%r): %r" % (leak, a)
    assert media.hits == {}, "the media server was fetched from: %r" % media.hits


def test_ssrf_gateway_refuses_every_loopback_form_at_once():
    with MediaServer() as media, Gateway(env=NO_ALLOW) as gw:
        k = gw.create_key("mallory")
        gid = gw.create_group(k, "g")
        p = media.port
        path = "/img/640x640.png"
        cases = [
            ("http://127.0.0.1:%d%s" % (p, path), "127.0.0.1 is a loopback address"),
            ("http://localhost:%d%s" % (p, path), "localhost is a loopback name"),
            ("http://LocalHost.:%d%s" % (p, path), "localhost is a loopback name"),
            ("http://media.localhost:%d%s" % (p, path), "media.localhost is a loopback name"),
            ("http://2130706433:%d%s" % (p, path), "2130706433 (127.0.0.1) is a loopback address"),
            ("http://0x7f000001:%d%s" % (p, path), "0x7f000001 (127.0.0.1) is a loopback address"),
            ("http://0177.0.0.1:%d%s" % (p, path), "0177.0.0.1 (127.0.0.1) is a loopback address"),
            ("http://127.1:%d%s" % (p, path), "127.1 (127.0.0.1) is a loopback address"),
            ("http://0x7f.1:%d%s" % (p, path), "(127.0.0.1) is a loopback address"),
            ("http://[::1]:%d%s" % (p, path), "[::1] is a loopback address"),
            ("http://[::ffff:127.0.0.1]:%d%s" % (p, path), "[::ffff:127.0.0.1] is a loopback address"),
            ("http://[::ffff:7f00:1]:%d%s" % (p, path), "(::ffff:127.0.0.1) is a loopback address"),
            ("http://user:pass@127.0.0.1:%d%s" % (p, path), "must not contain a user name or password"),
            ("http://user:pass@localhost:%d%s" % (p, path), "must not contain a user name or password"),
            ("ftp://127.0.0.1:%d%s" % (p, path), "http:// or https://"),
            ("gopher://127.0.0.1:%d/_GET" % p, "http:// or https://"),
        ]
        for url, why in cases:
            r = gw.action(k, "CreateAsset", {"GroupId": gid, "URL": url, "AssetType": "Image"})
            err = expect_error(r, "InvalidParameter")
            assert why in err["Message"], "%s: the message does not say %r: %r" % (url, why, err)
        _nothing_stored(gw, k, media)


def test_ssrf_video_content_urls_obey_the_policy():
    """Video tasks hand content URLs to the upstream, which fetches them."""
    with MediaServer() as media, Gateway(env=NO_ALLOW) as gw:
        k = gw.create_key("mallory")
        body = {"model": "seedance-2.0", "prompt": "a portrait walking on the beach", "ratio": "16:9",
                "duration": 5, "resolution": "720p",
                "content": [{"type": "image_url", "image_url": {"url": media.url("/img/640x640.png")},
                             "role": "reference_image"}]}
        st, _, raw = portico.http_request(gw.port, "POST", "/v1/videos/generations", json.dumps(body).encode(),
                                          {"Content-Type": "application/json", "Authorization": "Bearer " + k})
        assert st == 400, "a loopback content URL was accepted: %d %r" % (st, raw[:300])
        err = json.loads(raw)["error"]
        assert err["code"] == "invalid_request" and "loopback" in err["message"], err
        assert media.hits == {}, media.hits


def test_ssrf_name_resolving_to_loopback_is_refused_when_connecting():
    """The gateway does not resolve names; the upstream checks the address it
    connects to. A standalone simulator without an allow-list stands for
    the upstream; the gateway in front of it allows loopback (the suite's
    default), so it hands `localhost` on and only the connect-time check
    stands between the name and the media server."""
    sim = Sim(env=NO_ALLOW)
    try:
        env = {"PORTICO_VOLC_AK": sim.access_key, "PORTICO_VOLC_SK": sim.secret_key}
        with MediaServer() as media, Gateway(upstream=sim.url, env=env) as gw:
            k = gw.create_key("mallory")
            gid = gw.create_group(k, "g")
            aid = gw.create_asset(k, gid, "http://localhost:%d/img/640x640.png" % media.port)
            _failed_download(wait_status(gw, k, aid, timeout=15), media)
    finally:
        sim.stop()


def test_ssrf_this_hosts_name_is_refused_when_connecting():
    """The same through the embedded simulator, with no allow-list at all:
    the machine's own name, when it resolves to loopback (as /etc/hosts
    usually has it), passes the gateway's literal check and is refused on
    connect."""
    name = socket.gethostname()
    try:
        addrs = {ai[4][0] for ai in socket.getaddrinfo(name, None, socket.AF_INET, socket.SOCK_STREAM)}
    except OSError:
        addrs = set()
    if not addrs or not all(a.startswith("127.") for a in addrs) or name.lower().endswith("localhost"):
        print("skipped: %r does not resolve to loopback only (%r)" % (name, sorted(addrs)))
        return
    with MediaServer() as media, Gateway(env=NO_ALLOW) as gw:
        k = gw.create_key("mallory")
        gid = gw.create_group(k, "g")
        for url in ("http://%s:%d/img/640x640.png" % (name, media.port),
                    "http://%s.:%d/img/640x640.png" % (name, media.port)):
            aid = gw.create_asset(k, gid, url)
            _failed_download(wait_status(gw, k, aid, timeout=15), media)


class _Redirector:
    """Answers every GET with a 302 to target, on 127.0.0.2."""

    def __init__(self, target):
        self.hits = 0
        outer = self

        class H(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def log_message(self, *a):
                pass

            def do_GET(self):
                outer.hits += 1
                self.send_response(302)
                self.send_header("Location", target)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = http.server.ThreadingHTTPServer(("127.0.0.2", 0), H)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def test_ssrf_redirect_from_allowed_host_to_forbidden_one_is_refused():
    with MediaServer() as media:
        red = _Redirector(media.png_url())
        try:
            with Gateway(env={"PORTICO_URL_ALLOW": "127.0.0.2"}) as gw:
                k = gw.create_key("mallory")
                gid = gw.create_group(k, "g")
                # the target itself is not allowed: refused at once
                r = gw.action(k, "CreateAsset", {"GroupId": gid, "URL": media.png_url(), "AssetType": "Image"})
                err = expect_error(r, "InvalidParameter")
                assert "127.0.0.1 is a loopback address" in err["Message"], err
                # the allowed host is fetched; its redirect is not followed
                aid = gw.create_asset(k, gid, "http://127.0.0.2:%d/moved.png" % red.port)
                a = wait_status(gw, k, aid, timeout=15)
                assert red.hits == 1, "the allowed host was asked %d times" % red.hits
                _failed_download(a, media)
        finally:
            red.close()


def test_ssrf_the_gateways_own_public_url_stays_fetchable():
    """Uploads are handed upstream as the gateway's own signed URLs: without
    any allow-list the simulator still fetches them, and nothing else on
    that host."""
    from test_upload import png, upload
    with Gateway(env=NO_ALLOW) as gw:
        k = gw.create_key("alice")
        gid = gw.create_group(k, "g")
        aid = ok(upload(gw, k, gid, png(640, 480)))["Id"]
        a = wait_status(gw, k, aid, timeout=15)
        assert a["UpstreamStatus"] == "Active", "an upload from the gateway's own URL failed: %r" % a


def test_ssrf_bad_allow_list_stops_the_start():
    gw = Gateway(env={"PORTICO_URL_ALLOW": "127.0.0.0/33"}, start=False)
    try:
        gw.start(timeout=5)
    except AssertionError as e:
        assert "127.0.0.0/33" in str(e), e
    else:
        raise AssertionError("porticod started with a malformed PORTICO_URL_ALLOW")
