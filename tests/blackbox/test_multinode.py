"""test_multinode.py — several porticod nodes on one PostgreSQL (DESIGN.md,
Scale-out): two (or more) real porticod processes share a throwaway
PostgreSQL server (tests/pg/pgserver.py) and one standalone portico-sim as
their upstream (--upstream http://127.0.0.1:SIMPORT, PORTICO_VOLC_AK/SK set
to the simulator's credentials), so the simulator's /_sim/stats counts what
both nodes asked of it.

Checks: nodes starting at once migrate once; quotas are exact across nodes
(200 concurrent creates spread over two nodes yield exactly 50 groups, and
50 assets per group); customers stay isolated across nodes; an asset created
through one node turns Active when read through the other; each Processing
asset is polled by one node at a time (leases), and a node killed with
SIGKILL mid-lease loses nothing: the other finishes the refresh; and a
PostgreSQL restart under load answers ServiceUnavailable quickly during the
outage (no request hangs), then everything works again and every
acknowledged write is there. With the S3 blob backend (one s3rver shared by
both nodes, test_blob_s3.py's harness): an upload through one node lands in
the bucket, turns Active and is served, isolated and deleted through the
other, and the upload quota is exact across nodes with nothing left in the
bucket by a rejected upload.
"""
import threading
import time

import portico
import test_blob_s3 as s3h
import test_upload as up
import test_upload_s3 as ups3
from portico import Gateway, MediaServer, Sim, expect_error, ok, parallel, wait_active

# Every node has the account's own limits (the defaults): the nodes share
# one budget through the database (test_fleet_budget.py), never 1/N each.
# A longer create wait: these tests send hundreds of creates at once.
NODE_ENV = {"PORTICO_CREATE_WAIT_MS": 20000}


def _pg():
    pgserver = portico._pgserver()
    srv = pgserver.PgServer(max_connections=200)
    portico._register(srv)  # stopped and removed after the test
    return srv.start()


class Cluster:
    """n porticod nodes on one database of srv and one simulator."""

    def __init__(self, n=2, processing_ms=300, srv=None, env=None, start_together=False, args=()):
        self.pg = srv or _pg()
        self.url = self.pg.create_database("portico")
        self.sim = Sim(access_key="AKLTmultinode", secret_key="multinode-secret", processing_ms=processing_ms)
        e = dict(NODE_ENV)
        e.update({"PORTICO_VOLC_AK": self.sim.access_key, "PORTICO_VOLC_SK": self.sim.secret_key,
                  "PORTICO_STORE": self.url})
        e.update(env or {})
        self.nodes = []
        for _ in range(n):
            gw = Gateway(upstream=self.sim.url, args=args, env=e, start=False)
            gw.store_url = self.url  # `porticod keys` goes to the shared database too
            self.nodes.append(gw)
        if start_together:
            errs = [r for r in parallel(lambda g: g.start(), self.nodes) if isinstance(r, Exception)]
            assert not errs, errs
        else:
            for gw in self.nodes:
                gw.start()

    def key(self, customer):
        return self.nodes[0].create_key(customer)

    def node(self, i):
        return self.nodes[i % len(self.nodes)]

    def get_polls(self):
        return self.sim.stats()["requests"].get("GetAsset", 0)

    def stop(self):
        for gw in self.nodes:
            if gw.running():
                gw.stop()


def _retrying(gw, key, action, body):
    for _ in range(20):
        r = gw.action(key, action, body, timeout=60)
        if r.status != 429:
            return r
        time.sleep(min(2.0, float(r.headers.get("Retry-After") or 1)))
    return r


def test_nodes_starting_at_once_migrate_once():
    c = Cluster(n=3, start_together=True)
    base, db = c.url.rsplit("/", 1)
    rows = portico._pgserver().psql(base, db, "SELECT version FROM schema_version ORDER BY version").split()
    assert rows == [str(i + 1) for i in range(len(rows))] and len(rows) >= 3, rows
    migrated = [l for gw in c.nodes for l in gw.stderr_text().splitlines() if "migrated the postgres schema" in l]
    assert len(migrated) == 1, "schema migrated %d times: %r" % (len(migrated), migrated)
    # Every node serves, on the one database.
    k = c.key("acme")
    gid = c.node(0).create_group(k, "from-0")
    for gw in c.nodes:
        assert gw.call(k, "GetAssetGroup", {"Id": gid})["Name"] == "from-0"
    c.stop()


def test_group_quota_exact_across_two_nodes():
    """200 concurrent CreateAssetGroup spread over two nodes: exactly 50."""
    c = Cluster()
    k = c.key("acme")
    res = parallel(lambda i: _retrying(c.node(i), k, "CreateAssetGroup", {"Name": "c%d" % i, "GroupType": "AIGC"}),
                   range(200))
    errs = [r for r in res if isinstance(r, Exception)]
    assert not errs, errs[:3]
    good = [r for r in res if r.status == 200]
    for r in res:
        if r.status != 200:
            expect_error(r, "QuotaExceeded")
    assert len(good) == 50, "%d of 200 creates succeeded" % len(good)
    ids = {ok(r)["Id"] for r in good}
    for gw in c.nodes:
        lst = gw.call(k, "ListAssetGroups", {"PageSize": 100})
        assert lst["TotalCount"] == 50 and {g["Id"] for g in lst["Items"]} == ids, lst["TotalCount"]
    portico.wait_sim_count(c.sim.stats, "groups", 50)
    c.stop()


def test_asset_quota_exact_across_two_nodes():
    """200 concurrent CreateAsset into one group over two nodes: exactly 50."""
    c = Cluster()
    media = MediaServer()
    k = c.key("acme")
    gid = c.node(0).create_group(k, "full")
    url = media.png_url()
    res = parallel(lambda i: _retrying(c.node(i), k, "CreateAsset", {"GroupId": gid, "URL": url,
                                                                      "AssetType": "Image", "Name": "n%d" % i}),
                   range(200))
    errs = [r for r in res if isinstance(r, Exception)]
    assert not errs, errs[:3]
    good = [r for r in res if r.status == 200]
    for r in res:
        if r.status != 200:
            expect_error(r, "QuotaExceeded")
    assert len(good) == 50, "%d of 200 creates succeeded" % len(good)
    ids = {ok(r)["Id"] for r in good}
    for gw in c.nodes:
        assert gw.call(k, "GetAssetGroup", {"Id": gid})["AssetCount"] == 50
        lst = gw.call(k, "ListAssets", {"Filter": {"GroupIds": [gid]}, "PageSize": 100})
        assert lst["TotalCount"] == 50 and {a["Id"] for a in lst["Items"]} == ids
    portico.wait_sim_count(c.sim.stats, "assets", 50)
    c.stop()


def test_isolation_across_nodes():
    c = Cluster()
    media = MediaServer()
    ka, kb = c.key("alice"), c.key("bob")
    a, b = c.node(0), c.node(1)
    gid = a.create_group(ka, "alice's")
    aid = a.create_asset(ka, gid, media.png_url())
    # Bob, on the other node, sees none of it and cannot touch it.
    expect_error(b.action(kb, "GetAssetGroup", {"Id": gid}), "Forbidden")
    expect_error(b.action(kb, "GetAsset", {"Id": aid}), "Forbidden")
    expect_error(b.action(kb, "DeleteAsset", {"Id": aid}), "Forbidden")
    expect_error(b.action(kb, "CreateAsset", {"GroupId": gid, "URL": media.png_url(), "AssetType": "Image"}),
                 "Forbidden")
    assert b.call(kb, "ListAssetGroups", {})["TotalCount"] == 0
    assert b.call(kb, "ListAssets", {})["TotalCount"] == 0
    # Alice sees her records through either node.
    assert b.call(ka, "GetAsset", {"Id": aid})["GroupId"] == gid
    c.stop()


def test_asset_created_on_one_node_turns_active_on_the_other():
    c = Cluster(processing_ms=500)
    media = MediaServer()
    k = c.key("acme")
    gid = c.node(0).create_group(k, "g")
    aid = c.node(0).create_asset(k, gid, media.png_url())
    a = wait_active(c.node(1), k, aid, timeout=15)
    assert a["Id"] == aid and a["GroupId"] == gid
    assert c.node(0).call(k, "GetAsset", {"Id": aid})["UpstreamStatus"] == "Active"
    c.stop()


def _upload_retrying(gw, key, group_id, data, name=None):
    for _ in range(20):
        r = up.upload(gw, key, group_id, data, name=name, timeout=60)
        if r.status != 429:
            return r
        time.sleep(min(2.0, float(r.headers.get("Retry-After") or 1)))
    return r


def test_uploads_on_two_nodes_share_one_s3_bucket():
    """Two nodes, one PostgreSQL, one S3 server (issue 6): an upload through
    node a is in the bucket, turns Active, is served, stays another
    customer's secret and is deleted, all through node b; 60 concurrent
    uploads into one group over both nodes: exactly 50, and the bucket
    holds exactly those 50 objects."""
    srv = s3h.S3rver().start()
    spec = "s3://%s?endpoint=%s&region=%s" % (s3h.BUCKET, srv.endpoint, s3h.REGION)
    # Each node's --public-url is its own listen address, the default the
    # upload tests rely on too; with S3 the media URLs handed upstream are
    # presigned bucket URLs, so neither node has to serve the other's bytes.
    c = Cluster(processing_ms=500, args=["--blob", spec],
                env={"PORTICO_S3_ACCESS_KEY_ID": s3h.AK, "PORTICO_S3_SECRET_ACCESS_KEY": s3h.SK})
    a, b = c.node(0), c.node(1)
    ka, kb = c.key("alice"), c.key("bob")
    gid = a.create_group(ka, "uploads")

    # Uploaded through a: the object is in the bucket with those bytes.
    data = up.png(640, 480, seed=21)
    asset = ok(_upload_retrying(a, ka, gid, data, name="via a"), "Upload")
    aid = asset["Id"]
    assert asset["URL"].startswith("%s/%s/" % (srv.endpoint, s3h.BUCKET)), asset["URL"]
    okey = ups3._object_key(asset["URL"])
    assert ups3._bucket_objects(srv) == [okey]
    with open(srv.object_file(okey), "rb") as f:
        assert f.read() == data, "the bucket holds other bytes than were uploaded"

    # Read through b: Active (the upstream fetched the presigned URL), and
    # b's freshly signed URL fetches exactly those bytes.
    got = wait_active(b, ka, aid, timeout=20)
    assert got["GroupId"] == gid and got["Name"] == "via a", got
    got = b.call(ka, "GetAsset", {"Id": aid})
    assert ups3._object_key(got["URL"]) == okey, got["URL"]
    st, _, body = up.fetch(got["URL"])
    assert st == 200 and body == data, "b's URL answered %d with %d bytes" % (st, len(body))

    # Bob, on b, can neither read alice's asset nor upload into her group.
    expect_error(b.action(kb, "GetAsset", {"Id": aid}), "Forbidden")
    expect_error(b.action(kb, "DeleteAsset", {"Id": aid}), "Forbidden")
    expect_error(_upload_retrying(b, kb, gid, up.png(400, 400, seed=5)), "Forbidden")
    assert ups3._bucket_objects(srv) == [okey], "a forbidden upload or delete touched the bucket"
    assert a.call(ka, "GetAssetGroup", {"Id": gid})["AssetCount"] == 1

    # Deleted through b: the object leaves the bucket; a no longer lists it.
    b.call(ka, "DeleteAsset", {"Id": aid})
    assert ups3._bucket_objects(srv) == []
    assert a.call(ka, "ListAssets", {"Filter": {"GroupIds": [gid]}})["TotalCount"] == 0

    # 60 concurrent uploads into one group over both nodes: exactly 50.
    full = b.create_group(ka, "full")
    res = parallel(lambda i: _upload_retrying(c.node(i), ka, full, up.png(300 + i % 7, 300, seed=i), name="u%d" % i),
                   range(60))
    errs = [r for r in res if isinstance(r, Exception)]
    assert not errs, errs[:3]
    good = [r for r in res if r.status == 200]
    for r in res:
        if r.status != 200:
            expect_error(r, "QuotaExceeded")
    assert len(good) == 50, "%d of 60 uploads succeeded" % len(good)
    keys = {ups3._object_key(ok(r, "Upload")["URL"]) for r in good}
    ids = {ok(r, "Upload")["Id"] for r in good}
    assert len(keys) == 50 and len(ids) == 50
    objects = ups3._bucket_objects(srv)
    assert len(objects) == 50 and set(objects) == keys, \
        "the bucket holds %d objects, %d not of an accepted upload" % (len(objects), len(set(objects) - keys))
    for gw in c.nodes:
        assert gw.call(ka, "GetAssetGroup", {"Id": full})["AssetCount"] == 50
        lst = gw.call(ka, "ListAssets", {"Filter": {"GroupIds": [full]}, "PageSize": 100})
        assert lst["TotalCount"] == 50 and {x["Id"] for x in lst["Items"]} == ids
    c.stop()


def _single_node_poll_bound(n_assets, processing_ms):
    # The refresher polls a young asset every 700 ms: one node alone asks
    # about processing_ms / 700 + 1 times per asset; allow a little slack,
    # well below what two nodes polling the same assets would need.
    return int(n_assets * (processing_ms / 700.0 + 2.5))


def test_each_asset_polled_by_one_node_at_a_time():
    processing = 3500
    c = Cluster(processing_ms=processing)
    media = MediaServer()
    k = c.key("acme")
    gid = c.node(0).create_group(k, "g")
    n = 12
    ids = [c.node(i).create_asset(k, gid, media.png_url(tag=str(i))) for i in range(n)]
    for i, aid in enumerate(ids):
        wait_active(c.node(i + 1), k, aid, timeout=30)
    polls = c.get_polls()
    bound = _single_node_poll_bound(n, processing)
    print("    %d upstream GetAsset polls for %d assets (one node alone: <= %d)" % (polls, n, bound))
    assert n <= polls <= bound, "%d polls for %d assets: polled by both nodes? (bound %d)" % (polls, n, bound)
    c.stop()


def test_node_killed_mid_lease_loses_nothing():
    """Node a leases every due asset, then holds the leases (its GetAsset
    budget is tiny, so it polls one at a time) when SIGKILL ends it; node b
    takes each asset over once its lease lapses and finishes the refresh."""
    processing = 2500
    c = Cluster(processing_ms=processing)
    media = MediaServer()
    k = c.key("acme")
    a, b = c.node(0), c.node(1)
    b.stop()
    a.stop()
    a.extra_env["PORTICO_UPSTREAM_GET_RATE"] = 0.3
    a.start()
    gid = a.create_group(k, "g")
    ids = [a.create_asset(k, gid, media.png_url(tag=str(i))) for i in range(8)]
    time.sleep(1.5)  # a has leased them all and is waiting for budget
    polls_before = c.get_polls()
    a.kill()  # SIGKILL: no drain; its leases simply lapse
    t0 = time.monotonic()
    b.start()
    for aid in ids:
        wait_active(b, k, aid, timeout=40)
    dt = time.monotonic() - t0
    print("    all %d assets Active through the surviving node %.1fs after the kill (%d polls by a before it)"
          % (len(ids), dt, polls_before))
    assert polls_before < len(ids), "a polled every asset before the kill: nothing was mid-lease"
    b.stop()


def test_postgres_restart_under_load():
    """Load on two nodes while PostgreSQL restarts: during the outage every
    answer is quick (503 ServiceUnavailable, or 200 from a cache); after it
    everything works and every acknowledged write is there."""
    c = Cluster(env={"PORTICO_PG_STATEMENT_TIMEOUT_MS": 2000})
    media = MediaServer()
    keys = [c.key("cust%d" % i) for i in range(4)]
    groups = {k: c.node(0).create_group(k, "base") for k in keys}
    assets = {k: c.node(1).create_asset(k, groups[k], media.png_url()) for k in keys}
    stop = threading.Event()
    lock = threading.Lock()
    results = []        # (phase, action, status, code, elapsed)
    acked_groups = {}   # group id -> customer key
    last_name = {}      # group id -> (last acknowledged name, names tried after it)
    phase = ["before"]

    def worker(w):
        k = keys[w % len(keys)]
        gw = c.node(w)
        i = 0
        while not stop.is_set():
            i += 1
            ph = phase[0]
            if i % 4 == 0:
                name = "w%d-%d" % (w, i)
                r = gw.action(k, "CreateAssetGroup", {"Name": name, "GroupType": "AIGC"}, timeout=30)
                if r.status == 200:
                    with lock:
                        acked_groups[ok(r)["Id"]] = k
            elif i % 4 == 1:
                gid = groups[k] if w < len(keys) else None
                if gid:
                    name = "v%d" % i
                    with lock:
                        last_name.setdefault(gid, [None, []])[1].append(name)
                    r = gw.action(k, "UpdateAssetGroup", {"Id": gid, "Name": name}, timeout=30)
                    if r.status == 200:
                        with lock:
                            last_name[gid] = [name, []]
                else:
                    r = gw.action(k, "ListAssetGroups", {}, timeout=30)
            elif i % 4 == 2:
                r = gw.action(k, "GetAsset", {"Id": assets[k]}, timeout=30)
            else:
                r = gw.action(k, "GetAssetGroup", {"Id": groups[k]}, timeout=30)
            if ph != phase[0] and ph == "before":
                ph = "outage"  # it was still running when the database went away
            code = None
            if r.status != 200 and r.json:
                code = ((r.json.get("ResponseMetadata") or {}).get("Error") or {}).get("Code")
            with lock:
                results.append((ph, r.req["action"], r.status, code, r.elapsed))
            time.sleep(0.02)

    threads = [threading.Thread(target=worker, args=(w,)) for w in range(8)]
    for t in threads:
        t.start()
    try:
        time.sleep(1.5)
        phase[0] = "outage"
        c.pg.stop()
        time.sleep(3.0)
        c.pg.start()
        phase[0] = "after"
        time.sleep(4.0)
    finally:
        stop.set()
        for t in threads:
            t.join(60)
    assert not any(t.is_alive() for t in threads), "a request hung"

    slow = [r for r in results if r[4] > 8.0]
    assert not slow, "requests took more than 8 s: %r" % slow[:5]
    outage = [r for r in results if r[0] == "outage"]
    assert outage, "no request was made during the outage"
    bad = [r for r in outage if r[2] != 200 and r[3] != "ServiceUnavailable"]
    assert not bad, "answers other than 200/ServiceUnavailable during the outage: %r" % bad[:5]
    assert any(r[3] == "ServiceUnavailable" for r in outage), "the outage went unnoticed?"
    before = [r for r in results if r[0] == "before"]
    assert before and all(r[2] == 200 or r[3] == "QuotaExceeded" for r in before), \
        [r for r in before if r[2] != 200][:5]
    # Once the database is back, requests succeed again (the pool reconnects).
    after = [r for r in results if r[0] == "after"]
    assert any(r[2] == 200 for r in after[-8:]), after[-8:]
    print("    %d requests: %d before, %d during the outage (%d answered 503, slowest %.2fs), %d after"
          % (len(results), len(before), len(outage), sum(1 for r in outage if r[2] == 503),
             max(r[4] for r in outage), len(after)))

    # Every acknowledged write is there, seen through both nodes.
    for gid, k in acked_groups.items():
        for gw in c.nodes:
            assert gw.call(k, "GetAssetGroup", {"Id": gid})["Id"] == gid
    for gid, (name, tried) in last_name.items():
        k = next(k for k in keys if groups[k] == gid)
        got = c.node(0).call(k, "GetAssetGroup", {"Id": gid})["Name"]
        assert got == name or got in tried, "group %s is named %r; last acknowledged %r" % (gid, got, name)
    # And the nodes work normally again: creates, reads, the refresher.
    k = keys[0]
    aid = c.node(1).create_asset(k, groups[k], media.png_url(tag="after"))
    wait_active(c.node(0), k, aid, timeout=20)
    c.stop()


def test_waiting_video_task_is_submitted_once_by_two_nodes(media):
    """wait_for_assets on two nodes sharing PostgreSQL: each node's waiter
    leases waiting tasks (FOR UPDATE SKIP LOCKED), so every task is
    submitted upstream exactly once, whichever node it was created on."""
    import test_wait_assets as wa
    from test_videos import body_with, vpost
    c = Cluster(processing_ms=2000, env={"PORTICO_ARK_API_KEY": "portico-sim-ark-key"})
    for gw in c.nodes:  # the simulator's video API, on its port (known once it started)
        gw.stop()
        gw.extra_args = ["--ark-endpoint", c.sim.url]
        gw.start()
    k = c.key("acme")
    gid = c.node(0).create_group(k, "g")
    aid = c.node(0).create_asset(k, gid, media.png_url(640, 640, "mn"))
    ids = []
    for i in range(6):
        t = wa.task_of(vpost(c.node(i), k, body_with("asset://" + aid, wait_for_assets=True)))
        assert t["status"] == "waiting_for_assets", t
        ids.append(t["id"])
    for i, tid in enumerate(ids):
        task, seen = wa.follow(c.node(i + 1), k, tid, timeout=30)
        assert task["status"] == "succeeded", (task, seen)
    submitted = [l for gw in c.nodes for l in gw.stderr_text().splitlines() if "submitted upstream" in l]
    for tid in ids:
        n = sum(1 for l in submitted if tid in l)
        assert n == 1, "task %s submitted %d times: %r" % (tid, n, submitted)
    c.stop()
