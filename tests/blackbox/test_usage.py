"""test_usage.py — usage metering (API.md §7 GetUsage, issue 16).

A mixed workload — groups, assets by URL (one that fails), uploads, an
upload session, renames, deletes of assets and of a group with its assets,
face scans that pass and fail with an upload into the LivenessFace group,
video tasks that succeed and fail — runs for two customers at once: on one
gateway (SQLite, or PostgreSQL in the suite's second pass), and on two
gateways sharing one PostgreSQL and one standalone simulator, every step
alternating between the nodes. Then, exactly:

- GetUsage (JSON) gives each customer's groups, assets by status, bytes
  stored and uploaded, video tasks with their seconds, liveness sessions by
  outcome, as the workload made them;
- the upstream calls by Action, summed over customers (customer 0 is the
  gateway's own), equal what the simulator itself counted;
- the CSV has a header row, one row per JSON row with the same numbers, and
  quotes (and defuses) a customer name with a comma, quotes and a leading =;
- `porticod usage verify` passes, and fails naming the counter when one is
  changed behind the store's back;
- /metrics carries the per-customer gauges;
- GetUsage refuses bad parameters with InvalidParameter.

Every Gateway's teardown runs `porticod usage verify` too (portico.py), so
the counters equal a recount after every test of the suite.
"""
import csv
import io
import json
import os
import threading
import time
import urllib.parse

import portico
import test_upload as up
from portico import (Gateway, MediaServer, Sim, expect_error, http_request, ok, parallel, wait_active, wait_status)
from test_liveness import h5_submit, result, start_session
from test_videos import body_with, task_ok, vpost, wait_task

ARK_KEY = "usage-ark-key"
SIM_ENV = {"PORTICO_ARK_API_KEY": ARK_KEY, "PORTICO_SIM_VIDEO_MS": 600}
NAMES = ["alice", '=bob, "the" builder']  # the second needs CSV quoting and defusing
SIM_ACTIONS = ["CreateAssetGroup", "GetAssetGroup", "ListAssetGroups", "UpdateAssetGroup", "DeleteAssetGroup",
               "CreateAsset", "GetAsset", "ListAssets", "UpdateAsset", "DeleteAsset",
               "CreateVisualValidateSession", "GetVisualValidateResult"]


def usage_raw(gw, admin, body):
    st, h, raw = http_request(gw.admin_port, "POST", "/admin/?Action=GetUsage&Version=2024-01-01",
                              json.dumps(body).encode(), {"Authorization": "Bearer " + admin,
                                                          "Content-Type": "application/json"})
    return st, h, raw


def session_upload(gw, key, gid, data):
    """CreateUploadSession, PUT to its URL (the fs backend's), CompleteUpload."""
    s = gw.call(key, "CreateUploadSession", {"GroupId": gid, "AssetType": "Image", "ContentType": "image/png",
                                             "ContentLength": len(data)})
    u = urllib.parse.urlsplit(s["UploadURL"])
    st, _, raw = http_request(u.port, "PUT", u.path + "?" + u.query, data, dict(s["Headers"]), timeout=60)
    assert st == 200, (st, raw)
    return gw.call(key, "CompleteUpload", {"UploadId": s["UploadId"]})


class Workload:
    """One customer's traffic over nodes (each step on the next node), and
    what it must leave in the usage counters."""

    def __init__(self, nodes, key, media, tag):
        self.nodes, self.key, self.media, self.tag = nodes, key, media, tag
        self.i = 0

    def node(self):
        self.i += 1
        return self.nodes[self.i % len(self.nodes)]

    def run(self):
        k, m, t = self.key, self.media, self.tag
        g1 = self.node().create_group(k, "g1")
        g2 = self.node().create_group(k, "g2")
        ok(self.node().action(k, "UpdateAssetGroup", {"Id": g1, "Name": "first"}))
        a1 = self.node().create_asset(k, g1, m.png_url(640, 640, t + "a1"))
        a2 = self.node().create_asset(k, g1, m.png_url(640, 640, t + "a2"))
        bad = self.node().create_asset(k, g1, m.url("/img/%sbad.gif" % t))  # the upstream fails it
        a3 = self.node().create_asset(k, g2, m.png_url(640, 640, t + "a3"))
        p1, p2, p3 = up.png(640, 480, seed=len(t) + 1), up.png(700, 500, seed=len(t) + 2), up.png(600, 600, 3 + len(t))
        u1 = ok(up.upload(self.node(), k, g1, p1), "Upload")["Id"]
        s1 = session_upload(self.node(), k, g2, p2)["Id"]
        for aid in (a1, a2, a3, u1, s1):
            wait_active(self.node(), k, aid, timeout=20)
        assert wait_status(self.node(), k, bad, timeout=20)["UpstreamStatus"] == "Failed"
        ok(self.node().action(k, "UpdateAsset", {"Id": a1, "Name": "renamed"}))
        ok(self.node().action(k, "DeleteAsset", {"Id": a2}))
        ok(self.node().action(k, "DeleteAssetGroup", {"Id": g2}))  # takes a3 and s1 with it
        # face scans: one passes (its group takes an upload), one fails
        s = start_session(self.node(), k)
        st, _, _ = h5_submit(s["H5Link"], "pass")
        assert st == 200, st
        lg = ok(result(self.node(), k, s["BytedToken"]))["GroupId"]
        face = ok(up.upload(self.node(), k, lg, p3), "Upload")["Id"]
        wait_active(self.node(), k, face, timeout=20)
        f = start_session(self.node(), k)
        st, _, _ = h5_submit(f["H5Link"], "fail")
        assert st == 200, st
        expect_error(result(self.node(), k, f["BytedToken"]), "InvalidToken")
        # video tasks: one succeeds (5 s), one fails
        good = task_ok(vpost(self.node(), k, body_with("asset://" + a1)))["id"]
        failing = task_ok(vpost(self.node(), k, body_with("asset://" + a1, prompt="a walk [sim:fail]")))["id"]
        assert wait_task(self.node(), k, good, timeout=30)[0]["status"] == "succeeded"
        assert wait_task(self.node(), k, failing, timeout=30)[0]["status"] == "failed"
        stored = len(p1) + len(p3)  # the upload in g1 and the face; the session's went with g2
        return {
            "Groups": {"Created": 3, "Deleted": 1, "Live": 2},
            "Assets": {"Created": 7, "Deleted": 3, "Live": {"Processing": 0, "Active": 3, "Failed": 1}},
            "BytesStored": stored, "UploadBytes": len(p1) + len(p2) + len(p3),
            "VideoTasks": {"Created": 2, "Succeeded": 1, "Failed": 1, "Seconds": 5},
            "LivenessSessions": {"Started": 2, "Passed": 1, "Failed": 1, "Expired": 0},
        }


def run_workloads(nodes, keys, media):
    loads = [Workload(nodes, k, media, "w%d" % i) for i, k in enumerate(keys)]
    out = parallel(lambda w: w.run(), loads)
    errs = [e for e in out if isinstance(e, BaseException)]
    if errs:
        raise errs[0]
    return out


def summed(rows, customer_id):
    """A customer's figures over its rows: moves summed, stocks as of the last day."""
    mine = sorted((r for r in rows if r["CustomerId"] == customer_id), key=lambda r: r["Date"])
    assert mine, "no usage rows for customer %s: %r" % (customer_id, rows)
    last = mine[-1]
    tot = {"Groups": {"Created": 0, "Deleted": 0, "Live": last["Groups"]["Live"]},
           "Assets": {"Created": 0, "Deleted": 0, "Live": dict(last["Assets"]["Live"])},
           "BytesStored": last["BytesStored"], "UploadBytes": 0,
           "VideoTasks": {"Created": 0, "Succeeded": 0, "Failed": 0, "Seconds": 0},
           "LivenessSessions": {"Started": 0, "Passed": 0, "Failed": 0, "Expired": 0}}
    for r in mine:
        for f in ("Created", "Deleted"):
            tot["Groups"][f] += r["Groups"][f]
            tot["Assets"][f] += r["Assets"][f]
        tot["UploadBytes"] += r["UploadBytes"]
        for f in tot["VideoTasks"]:
            tot["VideoTasks"][f] += r["VideoTasks"][f]
        for f in tot["LivenessSessions"]:
            tot["LivenessSessions"][f] += r["LivenessSessions"][f]
    return tot


def day(offset=0):
    return time.strftime("%Y-%m-%d", time.gmtime(time.time() + offset * 86400))


def check_usage(nodes, admin, ids, expected, sim_stats):
    """GetUsage through every node (each writes its own upstream counts
    first), JSON against the workload, upstream calls against the
    simulator, CSV against JSON."""
    body = {"From": day(-1), "To": day()}  # a run across midnight spans two days
    for gw in nodes:
        res = gw.admin_call(admin, "GetUsage", body)
    assert res["From"] == day(-1) and res["To"] == day(), res
    rows = res["Items"]
    for cid, want in zip(ids, expected):
        got = summed(rows, cid)
        assert got == want, "customer %s: usage %s\nwant %s" % (cid, json.dumps(got), json.dumps(want))
    # Upstream calls: every customer's (and the gateway's own) add up to
    # what the upstream itself saw.
    stats = sim_stats()["requests"]
    calls = {a: sum(r["UpstreamCalls"][a] for r in rows) for a in SIM_ACTIONS}
    assert calls == {a: stats.get(a, 0) for a in SIM_ACTIONS}, "counted %r\nsimulator %r" % (calls, stats)
    assert calls["CreateAsset"] >= 14 and calls["GetAsset"] > 0 and calls["DeleteAssetGroup"] == 2, calls
    assert sum(r["UpstreamCalls"]["CreateVideoTask"] for r in rows) == 4
    # One customer alone: the same rows as in the full answer.
    one = nodes[0].admin_call(admin, "GetUsage", dict(body, CustomerId=ids[1]))
    assert one["Items"] == [r for r in rows if r["CustomerId"] == ids[1]], one
    # CSV: a header, then the JSON rows' numbers in fixed columns.
    st, h, raw = usage_raw(nodes[-1], admin, dict(body, Format="csv"))
    assert st == 200 and h["Content-Type"] == "text/csv; charset=utf-8", (st, dict(h), raw[:300])
    assert raw.endswith(b"\r\n") and raw.split(b"\n", 1)[0].endswith(b"\r"), raw[:200]  # CRLF lines
    text = raw.decode("utf-8")
    table = list(csv.DictReader(io.StringIO(text, newline="")))
    assert len(table) == len(rows), (len(table), len(rows))
    for r, c in zip(rows, table):
        assert int(c["CustomerId"]) == r["CustomerId"] and c["Date"] == r["Date"], (r, c)
        name = r["CustomerName"]
        assert c["CustomerName"] == ("'" + name if name[:1] in "=+-@" else name), (c["CustomerName"], name)
        pairs = [("GroupsCreated", r["Groups"]["Created"]), ("GroupsDeleted", r["Groups"]["Deleted"]),
                 ("GroupsLive", r["Groups"]["Live"]), ("AssetsCreated", r["Assets"]["Created"]),
                 ("AssetsDeleted", r["Assets"]["Deleted"]), ("AssetsProcessing", r["Assets"]["Live"]["Processing"]),
                 ("AssetsActive", r["Assets"]["Live"]["Active"]), ("AssetsFailed", r["Assets"]["Live"]["Failed"]),
                 ("AssetsOther", 0), ("BytesStored", r["BytesStored"]), ("UploadBytes", r["UploadBytes"]),
                 ("VideoTasksCreated", r["VideoTasks"]["Created"]),
                 ("VideoTasksSucceeded", r["VideoTasks"]["Succeeded"]),
                 ("VideoTasksFailed", r["VideoTasks"]["Failed"]), ("VideoSeconds", r["VideoTasks"]["Seconds"]),
                 ("LivenessStarted", r["LivenessSessions"]["Started"]),
                 ("LivenessPassed", r["LivenessSessions"]["Passed"]),
                 ("LivenessFailed", r["LivenessSessions"]["Failed"]),
                 ("LivenessExpired", r["LivenessSessions"]["Expired"])]
        pairs += [("UpstreamCalls" + a, n) for a, n in r["UpstreamCalls"].items()]
        for col, want in pairs:
            assert int(c[col]) == want, (col, c[col], want, r)
    quoted = [line for line in text.split("\r\n") if "bob" in line]
    assert quoted and all(line.split(",", 1)[1].startswith('"\'=bob, ""the"" builder"') for line in quoted), quoted
    return rows


def check_metrics(gw, ids, expected):
    st, _, raw = gw.admin_get("/metrics")
    assert st == 200, st
    text = raw.decode()
    for cid, want in zip(ids, expected):
        line = [l for l in text.splitlines()
                if l.startswith('portico_customer_bytes_stored{customer_id="%d",' % cid)]
        assert line and line[0].endswith(" %d" % want["BytesStored"]), (line, want)
        active = [l for l in text.splitlines()
                  if l.startswith('portico_customer_assets{customer_id="%d",' % cid) and 'status="Active"' in l]
        assert active and active[0].endswith(" 3"), active
    assert '\\"the\\" builder' in text  # label values escaped


def check_verify_catches_a_lie(gw):
    """`porticod usage verify` passes, then fails naming a counter changed
    behind the store's back, then passes again once it is put back."""
    rc, out = gw.verify_usage()
    assert rc == 0 and "ok" in out, out
    lie = "UPDATE usage_counters SET n = n + 1 WHERE metric = 'assets.created'"
    undo = "UPDATE usage_counters SET n = n - 1 WHERE metric = 'assets.created'"
    sql(gw, lie)
    rc, out = gw.verify_usage()
    assert rc == 1 and "mismatch" in out and "assets.created" in out, (rc, out)
    sql(gw, undo)
    rc, out = gw.verify_usage()
    assert rc == 0, out


def sql(gw, statement):
    if gw.store_url:
        base, db = gw.store_url.rsplit("/", 1)
        portico._pgserver().psql(base, db, statement)
        return
    import sqlite3
    con = sqlite3.connect(os.path.join(gw.data_dir, "portico.db"), timeout=10)
    try:
        con.execute(statement)
        con.commit()
    finally:
        con.close()


def customers(gw, admin):
    """Two customers made over the admin API, with a key each."""
    ids, keys = [], []
    for name in NAMES:
        cid = gw.admin_call(admin, "CreateCustomer", {"Name": name})["Id"]
        ids.append(cid)
        keys.append(gw.admin_call(admin, "CreateApiKey", {"CustomerId": cid})["Key"])
    return ids, keys


def test_usage_of_a_mixed_workload_on_one_gateway(media):
    gw = Gateway(env={"PORTICO_SIM_VIDEO_MS": 600})
    admin = gw.create_admin_key()
    ids, keys = customers(gw, admin)
    expected = run_workloads([gw], keys, media)
    check_usage([gw], admin, ids, expected, gw.sim_stats)
    check_metrics(gw, ids, expected)
    check_verify_catches_a_lie(gw)
    gw.stop()
    rc, out = gw.verify_usage()  # and on the store at rest
    assert rc == 0, out


def test_usage_of_a_mixed_workload_on_two_nodes_sharing_postgres(media):
    pgserver = portico._pgserver()
    srv = pgserver.PgServer(max_connections=200)
    portico._register(srv)
    srv.start()
    url = srv.create_database("portico")
    sim = Sim(access_key="AKLTusage", secret_key="usage-secret", env=SIM_ENV)
    env = {"PORTICO_VOLC_AK": sim.access_key, "PORTICO_VOLC_SK": sim.secret_key, "PORTICO_STORE": url,
           "PORTICO_ARK_API_KEY": ARK_KEY}
    first = Gateway(upstream=sim.url, args=["--ark-endpoint", sim.url], env=env)
    # One data dir for both: the nodes share the stored media as they would
    # share a bucket, and `porticod` commands reach the shared database.
    second = Gateway(upstream=sim.url, args=["--ark-endpoint", sim.url], env=env, data_dir=first.data_dir)
    nodes = [first, second]
    for gw in nodes:
        gw.store_url = url
    admin = first.create_admin_key()
    ids, keys = customers(second, admin)
    expected = run_workloads(nodes, keys, media)
    check_usage(nodes, admin, ids, expected, sim.stats)
    check_metrics(second, ids, expected)
    check_verify_catches_a_lie(first)
    for gw in nodes:
        gw.stop()


def test_usage_parameters_are_checked():
    gw = Gateway()
    admin = gw.create_admin_key()
    bad = [{"From": "2026-13-01"}, {"To": "2026-02-30"}, {"From": "yesterday"}, {"From": 20260101},
           {"From": "2026-05-02", "To": "2026-05-01"}, {"From": "2024-01-01", "To": "2026-01-01"},
           {"Format": "xml"}, {"CustomerId": -5}, {"CustomerId": "1"}, {"CustomerId": 987654}]
    for body in bad:
        expect_error(gw.admin_action(admin, "GetUsage", body), "InvalidParameter")
    # An empty store answers an empty list, as JSON and as a CSV header.
    r = gw.admin_call(admin, "GetUsage", {"From": "2026-01-01", "To": "2026-01-31"})
    assert r == {"From": "2026-01-01", "To": "2026-01-31", "Items": []}, r
    st, h, raw = usage_raw(gw, admin, {"Format": "CSV", "From": "2026-01-01", "To": "2026-01-31"})
    assert st == 200 and raw.startswith(b"CustomerId,CustomerName,Date,GroupsCreated,") and raw.count(b"\r\n") == 1
    # Defaults: To today, From 30 days before it.
    r = gw.admin_call(admin, "GetUsage", {})
    assert r["To"] == day() and r["From"] == day(-30), r
    # A customer's key is no admin key; the public listener has no GetUsage.
    k = gw.create_key("acme")
    expect_error(gw.admin_action(k, "GetUsage", {}), "Unauthorized")
    st, _, _ = http_request(gw.port, "POST", "/admin/?Action=GetUsage&Version=2024-01-01", b"{}",
                            {"Authorization": "Bearer " + admin})
    assert st == 404, st
    gw.stop()
