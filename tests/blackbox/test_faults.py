"""test_faults.py — issue 8, point 2: upstream faults.

The embedded simulator injects, at 30 %, every kind of fault it knows
(latency, 5xx, throttling, dropped connections, and replies lost after the
upstream acted) while several customers create a few hundred groups,
assets (by URL) and uploads, retrying with a ClientToken on the retriable
errors. Every answer must be a success or a documented retriable error
(429/502/503; QuotaExceeded only where a group is full). Then the faults
are switched off (POST /_sim/faults) and the test checks, object for
object, that the upstream holds exactly what the gateway recorded (no
group or asset created twice, no orphan), that nothing stays Processing,
and that quotas are exact. The fault rates, counts and durations are
printed.
"""
import json
import os
import random
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import portico
from portico import Gateway, ok, http_request

RATE = 0.3
CUSTOMERS = 4
GROUPS_PER_CUSTOMER = 3
URL_ASSETS_PER_GROUP = 12
UPLOADS_PER_GROUP = 4
QUOTA_ATTEMPTS = 58  # into one group of 50
RETRIABLE = (429, 502, 503)
MAX_TRIES = 8


def say(msg):
    print("  faults: " + msg, flush=True)


def form(fields, file):
    b = ("----portico" + os.urandom(8).hex()).encode()
    out = []
    for name, value in fields:
        out.append(b"--" + b + b'\r\nContent-Disposition: form-data; name="' + name.encode() + b'"\r\n\r\n'
                   + value.encode() + b"\r\n")
    out.append(b"--" + b + b'\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n'
               b"Content-Type: image/png\r\n\r\n" + file + b"\r\n")
    out.append(b"--" + b + b"--\r\n")
    return b"".join(out), "multipart/form-data; boundary=" + b.decode()


class Tally:
    """Every answer the clients saw, by status and Error.Code."""

    def __init__(self):
        self.lock = threading.Lock()
        self.by = {}
        self.bad = []
        self.retries = 0

    def add(self, kind, status, code, allowed):
        with self.lock:
            k = "%s %d%s" % (kind, status, " " + code if code else "")
            self.by[k] = self.by.get(k, 0) + 1
            if status != 200 and status not in allowed:
                self.bad.append(k)


def sim(gw, method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    st, _, raw = http_request(gw.sim_port, method, path, data,
                              {"Content-Type": "application/json"} if data else None, timeout=10)
    assert st == 200, "%s %s -> %d %r" % (method, path, st, raw[:300])
    return json.loads(raw)


def create(gw, tally, kind, key, body=None, upload=None, quota_ok=False):
    """One logical create, retried with the same ClientToken on retriable
    errors. Returns the created Id, or None (quota, or out of tries)."""
    token = "t-" + os.urandom(12).hex()
    allowed = RETRIABLE + ((400,) if quota_ok else ())
    for attempt in range(MAX_TRIES):
        if upload is not None:
            gid, data = upload
            payload, ct = form([("GroupId", gid), ("ClientToken", token)], data)
            st, h, raw = http_request(gw.port, "POST", "/v1/portrait/upload", payload,
                                      {"Authorization": "Bearer " + key, "Content-Type": ct}, timeout=120)
        else:
            b = dict(body, ClientToken=token)
            st, h, raw = http_request(gw.port, "POST", "/v1/portrait/?Action=%s&Version=2024-01-01" % kind,
                                      json.dumps(b).encode(), {"Authorization": "Bearer " + key,
                                                               "Content-Type": "application/json"}, timeout=120)
        try:
            js = json.loads(raw)
        except ValueError:
            js = None
        code = ""
        if js and st != 200:
            code = js.get("ResponseMetadata", {}).get("Error", {}).get("Code", "")
        tally.add(kind, st, code, allowed)
        if st == 200:
            return js["Result"]["Id"]
        if quota_ok and code == "QuotaExceeded":
            return None
        if st not in RETRIABLE:
            raise AssertionError("%s answered %d %s: %r" % (kind, st, code, raw[:300]))
        with tally.lock:
            tally.retries += 1
        ra = h.get("Retry-After")
        time.sleep(min(2.0, float(ra)) if ra and ra.isdigit() else 0.2 + random.random() * 0.3)
    return None


def records(gw, keys):
    """{group id: set(asset ids)} over every customer, from the gateway."""
    out = {}
    for key in keys:
        page = 1
        while True:
            r = gw.call(key, "ListAssetGroups", {"PageNumber": page, "PageSize": 100})
            for g in r["Items"]:
                out[g["Id"]] = set()
                ap = 1
                while True:
                    a = gw.call(key, "ListAssets", {"Filter": {"GroupIds": [g["Id"]]}, "PageNumber": ap,
                                                    "PageSize": 100})
                    out[g["Id"]].update(x["Id"] for x in a["Items"])
                    if ap * 100 >= a["TotalCount"]:
                        break
                    ap += 1
            if page * 100 >= r["TotalCount"]:
                break
            page += 1
    return out


def upstream(gw):
    o = sim(gw, "GET", "/_sim/objects")
    groups = {g: set() for g in o["groups"]}
    for a, g in o["assets"].items():
        groups.setdefault(g, set()).add(a)
    return groups


def metric(gw, name, labels):
    st, _, raw = gw.admin_get("/metrics")
    total = 0
    for line in raw.decode().splitlines():
        if line.startswith(name + "{") and all(l in line for l in labels):
            total += float(line.rsplit(" ", 1)[1])
    return int(total)


def test_thirty_percent_upstream_faults_leave_exact_records(media):
    gw = Gateway(processing_ms=300, env={"PORTICO_SIM_FAULT_RATE": RATE, "PORTICO_SIM_FAULT_LATENCY_MS": 300})
    keys = [gw.create_key("faulty-%d" % i) for i in range(CUSTOMERS)]
    rates = sim(gw, "GET", "/_sim/faults")
    say("injected fault rates: %s" % json.dumps(rates, sort_keys=True))
    assert abs(rates["rate"] - RATE) < 1e-9, rates
    tally = Tally()
    t0 = time.monotonic()

    # Groups, several customers at once.
    jobs = [(k, "g%d-%d" % (ci, j)) for ci, k in enumerate(keys) for j in range(GROUPS_PER_CUSTOMER)]
    with ThreadPoolExecutor(16) as ex:
        gids = list(ex.map(lambda kn: (kn[0], create(gw, tally, "CreateAssetGroup", kn[0],
                                                      {"Name": kn[1], "GroupType": "AIGC"})), jobs))
    assert all(g for _, g in gids), "a group create never succeeded: %r %r" % (gids, tally.by)
    t_groups = time.monotonic() - t0

    # Assets by URL and uploads into every group, all customers at once.
    work = []
    for n, (key, gid) in enumerate(gids):
        for i in range(URL_ASSETS_PER_GROUP):
            work.append(("CreateAsset", key, {"GroupId": gid, "URL": media.png_url(640, 640, tag="f%d_%d" % (n, i)),
                                              "AssetType": "Image", "Name": "a%d" % i}, None))
        for i in range(UPLOADS_PER_GROUP):
            work.append(("Upload", key, None, (gid, portico.png_bytes(320, 320, seed=n * 10 + i))))
    # One group filled past its quota: exactly 50 must exist afterwards.
    qkey = keys[0]
    qgid = create(gw, tally, "CreateAssetGroup", qkey, {"Name": "quota", "GroupType": "AIGC"})
    assert qgid
    for i in range(QUOTA_ATTEMPTS):
        work.append(("CreateAsset", qkey, {"GroupId": qgid, "URL": media.png_url(640, 640, tag="q%d" % i),
                                           "AssetType": "Image"}, "quota"))
    random.shuffle(work)
    t1 = time.monotonic()

    def run(w):
        kind, key, body, extra = w
        if kind == "Upload":
            return kind, create(gw, tally, "Upload", key, upload=extra)
        return kind, create(gw, tally, kind, key, body, quota_ok=extra == "quota")

    with ThreadPoolExecutor(24) as ex:
        results = list(ex.map(run, work))
    t_assets = time.monotonic() - t1
    acked_assets = [i for _, i in results if i]
    acked_groups = [g for _, g in gids] + [qgid]
    n_creates = len(jobs) + 1 + len(work)
    say("%d logical creates by %d customers (%d groups, %d assets by URL, %d uploads, %d into a full group)"
        % (n_creates, CUSTOMERS, len(jobs) + 1, len(gids) * URL_ASSETS_PER_GROUP, len(gids) * UPLOADS_PER_GROUP,
           QUOTA_ATTEMPTS))
    say("groups took %.1fs, assets and uploads %.1fs; %d client retries" % (t_groups, t_assets, tally.retries))
    say("answers: %s" % json.dumps(tally.by, sort_keys=True))
    stats = sim(gw, "GET", "/_sim/stats")
    f = stats["faults"]
    say("faults injected while creating: %s (total %d of %d upstream requests)"
        % (json.dumps(f["injected"], sort_keys=True), f["injected_total"], f["requests_drawn"]))
    assert not tally.bad, "answers that are neither success nor retriable: %r" % tally.bad
    for kind in ("latency", "5xx", "throttle", "drop", "lost_reply"):
        assert f["injected"][kind] > 0, "no %s fault was injected: %r" % (kind, f)

    # Faults off: whatever was in doubt settles.
    sim(gw, "POST", "/_sim/faults", {"rate": 0})
    t2 = time.monotonic()
    deadline = t2 + 60
    while True:
        mine, theirs = records(gw, keys), upstream(gw)
        if mine == theirs or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    t_settle = time.monotonic() - t2
    stats = sim(gw, "GET", "/_sim/stats")
    acted = stats["faults"]["acted"]
    n_rec_assets = sum(len(v) for v in mine.values())
    say("settled %.1fs after the faults stopped: gateway %d groups / %d assets, upstream %d / %d"
        % (t_settle, len(mine), n_rec_assets, len(theirs), sum(len(v) for v in theirs.values())))
    say("upstream performed CreateAssetGroup %d, CreateAsset %d, DeleteAsset %d, DeleteAssetGroup %d times"
        % (acted["CreateAssetGroup"], acted["CreateAsset"], acted["DeleteAsset"], acted["DeleteAssetGroup"]))
    say("reconciliation: %d lost answers adopted, %d ambiguous failures found not made, %d handed to the "
        "background, %d undone" % (metric(gw, "portico_upstream_calls_total", ['op="Reconcile"', 'adopted']),
                                  metric(gw, "portico_upstream_calls_total", ['op="Reconcile"', 'not_made']),
                                  metric(gw, "portico_upstream_calls_total", ['op="Reconcile"', 'deferred']),
                                  metric(gw, "portico_upstream_calls_total", ['op="Reconcile"', 'undone'])))
    assert mine == theirs, "upstream and records differ: only upstream %r, only recorded %r" % (
        {g: theirs[g] - mine.get(g, set()) for g in theirs if theirs[g] - mine.get(g, set()) or g not in mine},
        {g: mine[g] - theirs.get(g, set()) for g in mine if mine[g] - theirs.get(g, set()) or g not in theirs})
    # No double creation: everything the upstream made and kept is exactly
    # what clients were told; what it made beyond that it was asked to undo.
    assert set(mine) == set(acked_groups), (set(mine) ^ set(acked_groups))
    assert set().union(*mine.values()) == set(acked_assets)
    assert len(acked_assets) == len(set(acked_assets)), "two creates answered the same asset"
    assert acted["CreateAssetGroup"] - acted["DeleteAssetGroup"] == len(mine)
    assert acted["CreateAsset"] - acted["DeleteAsset"] == n_rec_assets
    # Quotas exact.
    assert len(mine[qgid]) == 50, len(mine[qgid])
    for key in keys:
        for g in gw.call(key, "ListAssetGroups", {"PageSize": 100})["Items"]:
            assert g["AssetCount"] == len(mine[g["Id"]]), (g, len(mine[g["Id"]]))
    # Nothing stays Processing once the faults stopped.
    t3 = time.monotonic()
    deadline = t3 + 60
    while True:
        processing = sum(gw.call(k, "ListAssets", {"Filter": {"Statuses": ["Processing"]}})["TotalCount"]
                         for k in keys)
        if processing == 0 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    say("no asset Processing %.1fs after the faults stopped (%d still)" % (time.monotonic() - t3, processing))
    assert processing == 0
    gw.stop()


def test_create_whose_outcome_cannot_be_learned_is_undone_once_the_upstream_answers():
    """Every reply lost, lookups included: the create is answered
    UpstreamError (retriable) and left to the background reconciler, which
    removes what the upstream made — the upstream asset and the uploaded
    bytes — once the upstream answers again."""
    gw = Gateway(processing_ms=300)
    key = gw.create_key("doubt")
    gid = gw.create_group(key, "doubt")
    sim(gw, "POST", "/_sim/faults", {"lost_reply": 1.0})
    t0 = time.monotonic()
    st, _, raw = http_request(gw.port, "POST", "/v1/portrait/?Action=CreateAsset&Version=2024-01-01",
                              json.dumps({"GroupId": gid, "URL": "http://127.0.0.1:9/a.png",
                                          "AssetType": "Image"}).encode(),
                              {"Authorization": "Bearer " + key, "Content-Type": "application/json"}, timeout=120)
    assert st == 502 and json.loads(raw)["ResponseMetadata"]["Error"]["Code"] == "UpstreamError", (st, raw)
    body, ct = form([("GroupId", gid)], portico.png_bytes(320, 320))
    st2, _, raw2 = http_request(gw.port, "POST", "/v1/portrait/upload", body,
                                {"Authorization": "Bearer " + key, "Content-Type": ct}, timeout=120)
    assert st2 == 502, (st2, raw2)
    took = time.monotonic() - t0
    made = sim(gw, "GET", "/_sim/objects")
    assert len(made["assets"]) == 2, made  # the upstream did make both
    objects = os.path.join(gw.data_dir, "blobs", "objects")
    n_files = sum(len(f) for _r, _d, f in os.walk(objects))
    assert n_files == 1, n_files  # the upload's bytes wait for the verdict
    sim(gw, "POST", "/_sim/faults", {"rate": 0})
    t1 = time.monotonic()
    deadline = t1 + 30
    while (sim(gw, "GET", "/_sim/objects")["assets"] or sum(len(f) for _r, _d, f in os.walk(objects))) \
            and time.monotonic() < deadline:
        time.sleep(0.2)
    settled = time.monotonic() - t1
    say("2 creates in doubt answered UpstreamError in %.1fs; undone upstream %.1fs after it answered again"
        % (took, settled))
    assert sim(gw, "GET", "/_sim/objects")["assets"] == {}
    assert sum(len(f) for _r, _d, f in os.walk(objects)) == 0
    g = gw.call(key, "GetAssetGroup", {"Id": gid})
    assert g["AssetCount"] == 0, g
    # Removed by the reconciler, not by anyone else.
    assert sim(gw, "GET", "/_sim/stats")["faults"]["acted"]["DeleteAsset"] == 2
    gw.stop()
