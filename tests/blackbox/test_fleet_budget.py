"""test_fleet_budget.py — one upstream account for the whole fleet (issue 17).

One, two and three porticod nodes on one store and one portico-sim (one
upstream account), every budget setting at its default (30 creates/s, 30
creations in flight, 10 s create deadline) and the simulator at its own
(3 s of Processing, its throttle at the account's limits): 80 concurrent
CreateAsset into one group and 200 concurrent CreateAssetGroup of another
customer, spread over the nodes, end with exactly 50 of each, every other
request answered QuotaExceeded (the quota truly full), none
TooManyRequests, and the simulator never throttled. The same with a node
SIGKILLed and another added during the run: requests cut by the kill are
sent again to another node, as a load balancer would, and the dead node's
unfinished creates are settled by the living (adopted when the upstream
made them), so the group still ends with exactly 50 and the upstream with
nothing more. A quota full of creates in flight that do not settle within
the create deadline answers TooManyRequests with a Retry-After, never a
false QuotaExceeded; a node on PostgreSQL refuses the embedded simulator;
/readyz and /metrics on the admin listener show the fleet's budget.

The multi-node tests need PostgreSQL: they use the suite's server when
tests/run.py started one (PORTICO_TEST_PG), else one of their own, and run
in the SQLite pass only (run.py, PG_SKIP), each store explicitly: the
one-node run on SQLite and on PostgreSQL, the others on PostgreSQL.
"""
import http.client
import json
import os
import re
import subprocess
import threading
import time

import portico
from portico import Gateway, MediaServer, Sim, expect_error, ok, parallel

SIM_PROCESSING_MS = 3000  # portico-sim's default: the in-flight limit binds


def _database():
    """A fresh PostgreSQL database URL: on the suite's server, else on a
    server of this test's own. Dropped (or stopped) after the test."""
    pgserver = portico._pgserver()
    base = os.environ.get("PORTICO_TEST_PG")
    if not base:
        srv = pgserver.PgServer(max_connections=200)
        portico._register(srv)
        return srv.start().create_database("fleet")
    name = "fleet_" + os.urandom(6).hex()
    pgserver.create_database_at(base, name)

    class Drop:
        def _cleanup(self):
            pgserver.drop_database_at(base, name)
            return []

    portico._register(Drop())
    return "%s/%s" % (base, name)


class Fleet:
    """n porticod nodes on one store (PostgreSQL, or SQLite for n = 1) and
    one portico-sim: one upstream account, default budget settings."""

    def __init__(self, n, pg=True, env=None, processing_ms=SIM_PROCESSING_MS):
        self.sim = Sim(access_key="AKLTfleet" + os.urandom(4).hex(), secret_key=os.urandom(16).hex(),
                       processing_ms=processing_ms)
        self.url = _database() if pg else None
        self.env = {"PORTICO_VOLC_AK": self.sim.access_key, "PORTICO_VOLC_SK": self.sim.secret_key}
        if self.url:
            self.env["PORTICO_STORE"] = self.url
        self.env.update(env or {})
        self.nodes = []
        self.data_dir = None
        errs = [r for r in parallel(lambda _: self.add(), range(n)) if isinstance(r, Exception)]
        assert not errs, errs

    def add(self):
        gw = Gateway(upstream=self.sim.url, env=self.env, data_dir=self.data_dir, start=False)
        if self.url:
            gw.store_url = self.url  # `porticod keys` too goes to the shared database
        else:
            self.data_dir = gw.data_dir
        gw.start()
        self.nodes.append(gw)
        return gw

    def key(self, customer):
        return self.nodes[0].create_key(customer)


class Balancer:
    """Spreads requests over the live nodes like a load balancer: each to
    the next node, and a request whose node died under it (connection
    refused or cut) again to another."""

    def __init__(self, nodes):
        self.live = list(nodes)
        self.lock = threading.Lock()
        self.next = 0
        self.resent = 0

    def pick(self):
        with self.lock:
            gw = self.live[self.next % len(self.live)]
            self.next += 1
            return gw

    def remove(self, gw):
        with self.lock:
            self.live.remove(gw)

    def add(self, gw):
        with self.lock:
            self.live.append(gw)

    def action(self, key, action, body):
        for _ in range(20):
            gw = self.pick()
            try:
                return gw.action(key, action, body, timeout=60)
            except (ConnectionError, http.client.HTTPException, OSError):
                with self.lock:
                    self.resent += 1
                time.sleep(0.05)
        raise AssertionError("no node answered %s" % action)


def _run(fleet, kill=False):
    """The issue's run: 200 CreateAssetGroup of one customer and 80
    CreateAsset into one group of another, all at once, spread over the
    nodes; with kill, a node is SIGKILLed 0.5 s in and another joins."""
    media = MediaServer()
    kg, ka = fleet.key("groups"), fleet.key("assets")
    gid = fleet.nodes[0].create_group(ka, "full")
    url = media.png_url()
    lb = Balancer(fleet.nodes)
    jobs = [("CreateAssetGroup", {"Name": "g%d" % i, "GroupType": "AIGC"}, kg) for i in range(200)]
    jobs += [("CreateAsset", {"GroupId": gid, "URL": url, "AssetType": "Image", "Name": "a%d" % i}, ka)
             for i in range(80)]
    jobs = [jobs[i] for i in sorted(range(len(jobs)), key=lambda i: (i * 7919) % len(jobs))]  # interleaved
    churn = []

    def chaos():
        time.sleep(0.5)
        victim = fleet.nodes[1]
        lb.remove(victim)
        victim.kill()  # SIGKILL: its requests and leases are cut wherever they were
        churn.append(("killed", time.monotonic()))
        lb.add(fleet.add())  # a new node joins while the run goes on
        churn.append(("added", time.monotonic()))

    t = threading.Thread(target=chaos) if kill else None
    t0 = time.monotonic()
    if t:
        t.start()
    res = parallel(lambda j: lb.action(j[2], j[0], j[1]), jobs)
    if t:
        t.join()
    elapsed = time.monotonic() - t0
    errs = [r for r in res if isinstance(r, Exception)]
    assert not errs, errs[:3]
    counts = {}
    acked = {"CreateAssetGroup": set(), "CreateAsset": set()}
    for (action, _, _), r in zip(jobs, res):
        if r.status == 200:
            acked[action].add(ok(r, action)["Id"])
            counts[(action, "ok")] = counts.get((action, "ok"), 0) + 1
        else:
            code = (r.json or {}).get("ResponseMetadata", {}).get("Error", {}).get("Code")
            counts[(action, code)] = counts.get((action, code), 0) + 1
            assert code == "QuotaExceeded", "neither success nor QuotaExceeded: " + r.describe()
            expect_error(r, "QuotaExceeded")
    print("    %d nodes%s: %s in %.1fs, %d requests sent again after the kill"
          % (len(fleet.nodes), " (one killed, one added)" if kill else "", sorted(counts.items()), elapsed, lb.resent))
    return kg, ka, gid, acked, lb


def _settled(fleet, kg, ka, gid, acked, kill, timeout=30):
    """Waits for the end state: exactly 50 groups and 50 assets, in the
    records and upstream, nothing throttled, nothing in flight."""
    gw = [n for n in fleet.nodes if n.running()][-1]
    deadline = time.monotonic() + timeout
    while True:
        groups = gw.call(kg, "ListAssetGroups", {"PageSize": 100})
        assets = gw.call(ka, "ListAssets", {"Filter": {"GroupIds": [gid]}, "PageSize": 100})
        stats = fleet.sim.stats()
        done = (groups["TotalCount"] == 50 and assets["TotalCount"] == 50 and stats.get("groups") == 51
                and stats.get("assets") == 50)
        if done or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert groups["TotalCount"] == 50, "%d groups recorded" % groups["TotalCount"]
    assert assets["TotalCount"] == 50, "%d assets recorded in the group" % assets["TotalCount"]
    assert gw.call(ka, "GetAssetGroup", {"Id": gid})["AssetCount"] == 50
    assert stats.get("groups") == 51 and stats.get("assets") == 50, \
        "the upstream has %s groups and %s assets, want 51 and 50" % (stats.get("groups"), stats.get("assets"))
    assert stats.get("throttled_total") == 0, "the upstream throttled the fleet: %r" % stats.get("throttled")
    for action, listed in (("CreateAssetGroup", {g["Id"] for g in groups["Items"]}),
                           ("CreateAsset", {a["Id"] for a in assets["Items"]})):
        assert acked[action] <= listed, "%s answered ids that are not recorded" % action
        if not kill:
            assert len(acked[action]) == 50, "%d %s answered 200, want 50" % (len(acked[action]), action)
        else:  # a create the dead node finished is adopted: recorded, its answer lost with the node
            assert len(acked[action]) >= 40, "only %d %s answered 200" % (len(acked[action]), action)


def _metrics(gw):
    st, _, raw = gw.admin_get("/metrics")
    assert st == 200, st
    return raw.decode()


def _fleet_checks(fleet, killed=False):
    """/metrics and /readyz on the admin listener show the fleet's budget:
    every live node, the creates its leases granted, nothing in flight
    once every asset is Active. A killed node's grants left with it: then
    the live nodes' grants cover only part of the 100 creates."""
    live = [n for n in fleet.nodes if n.running()]
    for a in range(100):
        m = _metrics(live[0])
        if re.search(r"^portico_budget_inflight 0$", m, re.M):
            break
        time.sleep(0.1)
    assert re.search(r"^portico_budget_inflight 0$", m, re.M), "creations still in flight:\n" + m[-2000:]
    assert re.search(r"^portico_budget_inflight_max 30$", m, re.M), m[-2000:]
    if fleet.url:
        names = set(re.findall(r'^portico_fleet_node_heartbeat_age_seconds\{node="([^"]+)"\}', m, re.M))
        assert len(names) == len(live), "nodes in /metrics: %r, live: %d" % (names, len(live))
        granted = sum(int(v) for v in re.findall(
            r'^portico_fleet_node_granted_tokens_total\{node="[^"]+",bucket="create"\} (\d+)$', m, re.M))
        assert granted >= (1 if killed else 100), \
            "the live nodes' leases granted %d create tokens for 100 creates" % granted
        st, _, raw = live[-1].admin_get("/readyz")
        text = raw.decode()
        assert st == 200 and text.startswith("ready\n"), text
        assert "shared with the fleet" in text and "in flight: 0 of 30" in text, text
        assert sum(1 for line in text.splitlines() if line.startswith("node ") and "heartbeat" in line) == len(live), text
        st, _, raw = live[-1].get("/readyz")  # the public listener tells customers nothing more
        assert st == 200 and raw == b"ready\n", raw


def _scenario(n, pg=True, kill=False):
    fleet = Fleet(n, pg=pg)
    kg, ka, gid, acked, _ = _run(fleet, kill=kill)
    _settled(fleet, kg, ka, gid, acked, kill)
    _fleet_checks(fleet, killed=kill)
    for gw in fleet.nodes:
        if gw.running():
            gw.stop()


def test_one_node_on_sqlite_exactly_50_of_each_never_throttled():
    _scenario(1, pg=False)


def test_one_node_on_postgres_exactly_50_of_each_never_throttled():
    _scenario(1)


def test_two_nodes_share_one_account_exactly_50_of_each_never_throttled():
    _scenario(2)


def test_three_nodes_share_one_account_exactly_50_of_each_never_throttled():
    _scenario(3)


def test_a_node_killed_and_one_added_during_the_run_change_nothing():
    _scenario(3, kill=True)


def test_customers_take_turns_for_the_account_across_nodes():
    """One customer's burst of 40 creates, spread over two nodes, takes more
    than a second of the account's 30 creates/s; another customer's one
    create, sent meanwhile to either node, is served within a few tokens'
    time, not behind the burst."""
    fleet = Fleet(2, processing_ms=300)
    a, b = fleet.nodes
    kbig, ksmall = fleet.key("big"), fleet.key("small")
    burst = []

    def flood():
        burst.extend(parallel(lambda i: fleet.nodes[i % 2].action(
            kbig, "CreateAssetGroup", {"Name": "b%d" % i, "GroupType": "AIGC"}, timeout=60), range(40)))

    th = threading.Thread(target=flood)
    th.start()
    time.sleep(0.4)  # the burst has spent the bucket and waits on both nodes
    small = [b.action(ksmall, "CreateAssetGroup", {"Name": "s1", "GroupType": "AIGC"}, timeout=60),
             a.action(ksmall, "CreateAssetGroup", {"Name": "s2", "GroupType": "AIGC"}, timeout=60)]
    th.join()
    for r in burst + small:
        ok(r, "CreateAssetGroup")
    slowest = max(r.elapsed for r in burst)
    print("    the burst's slowest create took %.2fs; the other customer's %.2fs and %.2fs"
          % (slowest, small[0].elapsed, small[1].elapsed))
    # 40 tokens from a bucket of 10 refilled at 30/s, leases held 0.2 s at most: at least 0.8 s.
    assert slowest > 0.8, "the burst did not outlast the bucket (%.2fs): nothing to take turns for" % slowest
    for r in small:
        assert r.elapsed < min(0.5, slowest / 2), "the other customer's create waited %.2fs behind the burst" % r.elapsed
    assert fleet.sim.stats()["throttled_total"] == 0
    for gw in fleet.nodes:
        gw.stop()


class SlowUpstream:
    """A loopback proxy in front of the simulator that holds each
    CreateAsset for `delay` seconds, or answers the next `refuse` of them
    with the upstream's 400 refusal itself (nothing made upstream)."""

    def __init__(self, sim):
        import http.server
        self.delay, self.refuse, self.lock = 0.0, 0, threading.Lock()
        proxy = self

        class H(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def _forward(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                create = "Action=CreateAsset&" in self.path + "&"
                with proxy.lock:
                    delay, refuse = (proxy.delay, proxy.refuse > 0) if create else (0.0, False)
                    if refuse:
                        proxy.refuse -= 1
                time.sleep(delay)
                if refuse:
                    st, data = 400, json.dumps({"ResponseMetadata": {
                        "RequestId": "20260101000000" + "A" * 20, "Action": "CreateAsset", "Version": "2024-01-01",
                        "Service": "ark", "Region": "cn-beijing",
                        "Error": {"Code": "InvalidParameter.DownloadFailed", "CodeN": 0,
                                  "Message": "The media could not be downloaded."}}}).encode()
                    ctype = "application/json"
                else:
                    c = http.client.HTTPConnection("127.0.0.1", sim.port, timeout=30)
                    hdrs = {k: v for k, v in self.headers.items() if k.lower() not in ("connection",)}
                    c.request(self.command, self.path, body=body or None, headers=hdrs)
                    r = c.getresponse()
                    st, data, ctype = r.status, r.read(), r.headers.get("Content-Type", "application/json")
                    c.close()
                self.send_response(st)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_POST = do_GET = _forward

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.server.daemon_threads = True
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        portico._register(self)

    def _cleanup(self):
        self.server.shutdown()
        self.server.server_close()
        return []


def test_a_quota_full_of_creates_in_flight_waits_and_never_lies():
    """A group at 49 whose 50th create is in flight: a second create waits
    for it. It settles within the deadline: QuotaExceeded, the group truly
    full. It does not: TooManyRequests with a Retry-After, never a false
    QuotaExceeded. It fails: the waiting create takes its place. Once the
    group is full of settled assets, QuotaExceeded at once."""
    sim = Sim(access_key="AKLTslow", secret_key="slow-secret", processing_ms=300)
    up = SlowUpstream(sim)
    gw = Gateway(upstream=up.url, env={"PORTICO_VOLC_AK": sim.access_key, "PORTICO_VOLC_SK": sim.secret_key,
                                       "PORTICO_CREATE_WAIT_MS": 1500})
    media = MediaServer()
    k = gw.create_key("acme")
    gid = gw.create_group(k, "g")
    body = {"GroupId": gid, "URL": media.png_url(), "AssetType": "Image"}

    def fill(i):
        """One of the 49 settled assets, retried as a client would when the
        short create deadline this test sets runs out on a loaded machine."""
        for _ in range(30):
            r = gw.action(k, "CreateAsset", dict(body, Name="a%d" % i), timeout=60)
            if r.status != 429:
                return ok(r, "CreateAsset")["Id"]
            time.sleep(min(2, int(r.headers.get("Retry-After") or 1)))
        raise AssertionError("still TooManyRequests after 30 tries: " + r.describe())

    ids = parallel(fill, range(49), workers=10)
    assert all(isinstance(i, str) for i in ids), [i for i in ids if not isinstance(i, str)][:3]

    def in_flight(delay, refuse=0):
        """The 50th create, held upstream for delay s (or refused), and a
        second create sent while it is in flight."""
        up.delay, up.refuse = delay, refuse
        first = []
        th = threading.Thread(target=lambda: first.append(gw.action(k, "CreateAsset", body, timeout=60)))
        th.start()
        time.sleep(0.3)
        second = gw.action(k, "CreateAsset", body, timeout=60)
        th.join()
        up.delay = 0
        return first[0], second

    # Settles within the second's deadline (1.5 s): truly full.
    first, second = in_flight(0.8)
    ok(first, "CreateAsset")
    expect_error(second, "QuotaExceeded")
    assert second.elapsed > 0.3, "answered QuotaExceeded at once, while the 50th was in flight"
    gw.call(k, "DeleteAsset", {"Id": ok(first)["Id"]})
    # Outlasts it: TooManyRequests with a Retry-After, after the deadline.
    first, second = in_flight(3.0)
    ok(first, "CreateAsset")
    expect_error(second, "TooManyRequests")
    ra = second.headers.get("Retry-After")
    assert ra and ra.isdigit() and int(ra) >= 1, second.describe()
    assert 1.3 < second.elapsed < 2.8, "answered after %.1fs; the create deadline is 1.5 s" % second.elapsed
    gw.call(k, "DeleteAsset", {"Id": ok(first)["Id"]})
    # Fails (refused upstream, nothing made): the waiting one gets the place.
    first, second = in_flight(0.5, refuse=1)
    expect_error(first, "UpstreamError")
    ok(second, "CreateAsset")
    # Full of settled assets: QuotaExceeded at once.
    r = gw.action(k, "CreateAsset", body)
    expect_error(r, "QuotaExceeded")
    assert r.elapsed < 1.0, "a truly full group waited %.1fs" % r.elapsed
    assert gw.call(k, "GetAssetGroup", {"Id": gid})["AssetCount"] == 50
    assert sim.stats()["throttled_total"] == 0
    gw.stop()


def test_postgres_store_refuses_the_embedded_simulator():
    """Each node's embedded simulator would be an upstream account of its
    own: on a store a fleet may share, porticod exits 2 and says what to do."""
    url = _database()
    binary = os.path.join(portico.BUILD, "porticod")
    cp = subprocess.run([binary, "--listen", "127.0.0.1:%d" % portico.free_port(),
                         "--admin-listen", "127.0.0.1:%d" % portico.free_port(), "--upstream", "sim"],
                        env=portico._clean_env({"PORTICO_STORE": url}), stdin=subprocess.DEVNULL,
                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
    err = cp.stderr.decode("utf-8", "replace")
    assert cp.returncode == 2, "exit %d: %s" % (cp.returncode, err)
    assert "portico-sim" in err and "--upstream http://HOST:PORT" in err and "PORTICO_VOLC_AK" in err, err
    assert portico.sanitizer_report(err) is None, err
    # The same settings on SQLite start (and stop) as before.
    gw = Gateway(upstream="sim")
    gw.stop()
