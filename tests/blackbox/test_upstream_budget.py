"""The shared upstream budget: Portico never gets the account throttled, answers
429 + Retry-After when its own budget is spent, and talks to a standalone
simulator with signed requests."""
import time

from portico import (Gateway, MediaServer, Sim, expect_error, ok, parallel, wait_active, wait_sim_count)


def _check_429(r):
    expect_error(r, "TooManyRequests")
    ra = r.headers.get("Retry-After")
    assert ra is not None and ra.strip().isdigit() and int(ra) >= 1, \
        "429 without a usable Retry-After (%r): %s" % (ra, r.describe())


def test_burst_from_ten_customers_never_throttled():
    gw = Gateway()
    media = MediaServer()
    keys = [gw.create_key("cust%d" % i) for i in range(10)]
    groups = {i: gw.create_group(keys[i], "base") for i in range(5, 10)}
    url = media.png_url()
    jobs = [(i, n) for i in range(10) for n in range(20)]

    def fire(job):
        i, n = job
        if i < 5:
            return gw.action(keys[i], "CreateAssetGroup", {"Name": "b%d" % n, "GroupType": "AIGC"}, timeout=60)
        return gw.action(keys[i], "CreateAsset", {"GroupId": groups[i], "URL": url, "AssetType": "Image"},
                         timeout=60)

    t0 = time.monotonic()
    res = parallel(fire, jobs, workers=100)
    elapsed = time.monotonic() - t0
    errs = [r for r in res if isinstance(r, Exception)]
    assert not errs, "requests failed at the transport level: %r" % errs[:3]
    okc = {i: 0 for i in range(10)}
    n429 = 0
    for (i, _), r in zip(jobs, res):
        if r.status == 200:
            ok(r)
            okc[i] += 1
        else:
            assert r.status == 429, "neither 200 nor 429: " + r.describe()
            _check_429(r)
            n429 += 1
    assert sum(okc.values()) > 0, "nothing succeeded"
    stats = gw.sim_stats()
    assert "throttled_total" in stats, "/_sim/stats has no throttled_total: %r" % stats
    assert stats["throttled_total"] == 0, "the upstream throttled Portico: %r" % stats
    # What was acknowledged is recorded, and nothing else.
    for i in range(10):
        if i < 5:
            total = gw.call(keys[i], "ListAssetGroups", {})["TotalCount"]
            assert total == okc[i], "customer %d: %d groups listed, %d acknowledged" % (i, total, okc[i])
        else:
            total = gw.call(keys[i], "ListAssets", {})["TotalCount"]
            assert total == okc[i], "customer %d: %d assets listed, %d acknowledged" % (i, total, okc[i])
    print("    burst: %d ok, %d 429 in %.1fs" % (sum(okc.values()), n429, elapsed))
    gw.stop()


def test_create_budget_answers_429():
    gw = Gateway(env={"PORTICO_UPSTREAM_CREATE_RATE": 2, "PORTICO_CREATE_WAIT_MS": 500})
    k = gw.create_key("acme")
    res = parallel(lambda i: gw.action(k, "CreateAssetGroup", {"Name": "r%d" % i, "GroupType": "AIGC"},
                                       timeout=60), range(20))
    errs = [r for r in res if isinstance(r, Exception)]
    assert not errs, errs[:3]
    # While the bucket is empty, validation is still answered at once.
    t0 = time.monotonic()
    r = gw.action(k, "CreateAssetGroup", {"GroupType": "AIGC"})
    dt = time.monotonic() - t0
    expect_error(r, "InvalidParameter")
    assert dt < 0.3, "a validation error waited %.2fs for the create budget" % dt
    good = [r for r in res if r.status == 200]
    limited = [r for r in res if r.status != 200]
    for r in limited:
        _check_429(r)
    assert limited, "20 creates at once with a budget of 2/s: none got 429"
    assert good, "20 creates at once with a budget of 2/s: none succeeded"
    slow = max(r.elapsed for r in limited)
    assert slow < 3.0, "a 429 took %.1fs (create wait is 500 ms)" % slow
    total = gw.call(k, "ListAssetGroups", {"PageSize": 100})["TotalCount"]
    assert total == len(good), "%d groups recorded, %d acknowledged" % (total, len(good))
    wait_sim_count(gw.sim_stats, "groups", len(good))
    # The budget refills: after waiting, a create succeeds.
    time.sleep(1.5)
    gw.create_group(k, "later")
    gw.stop()


def test_standalone_simulator_flow():
    sim = Sim(access_key="AKLOCALTEST", secret_key="SKlocal/secret+value", processing_ms=300)
    gw = Gateway(upstream=sim.url, env={"PORTICO_VOLC_AK": "AKLOCALTEST", "PORTICO_VOLC_SK": "SKlocal/secret+value"})
    media = MediaServer()
    st, _, body = gw.get("/readyz", timeout=30)
    assert st == 200, "readyz against a standalone simulator: %d %r" % (st, body)
    k = gw.create_key("acme")
    gid = gw.create_group(k, "remote", Description="via the standalone simulator")
    aid = gw.create_asset(k, gid, media.png_url(), name="pic")
    a = gw.call(k, "GetAsset", {"Id": aid})
    assert a["UpstreamStatus"] in ("Processing", "Active"), a
    a = wait_active(gw, k, aid, timeout=8)
    assert a["GroupId"] == gid, a
    gw.call(k, "UpdateAsset", {"Id": aid, "Name": "renamed"})
    gw.call(k, "UpdateAssetGroup", {"Id": gid, "Name": "renamed"})
    gw.call(k, "DeleteAsset", {"Id": aid})
    gw.call(k, "DeleteAssetGroup", {"Id": gid})
    assert gw.call(k, "ListAssetGroups", {})["TotalCount"] == 0
    stats = sim.stats()
    assert stats.get("signature_failures") == 0 and stats.get("groups") == 0 and stats.get("assets") == 0, stats
    gw.stop()
    sim.stop()


def test_standalone_simulator_wrong_secret():
    sim = Sim(access_key="AKLOCALTEST", secret_key="right-secret", processing_ms=300)
    gw = Gateway(upstream=sim.url, env={"PORTICO_VOLC_AK": "AKLOCALTEST", "PORTICO_VOLC_SK": "wrong-secret"})
    k = gw.create_key("acme")
    r = gw.action(k, "CreateAssetGroup", {"Name": "x", "GroupType": "AIGC"}, timeout=60)
    expect_error(r, "UpstreamError")
    assert gw.call(k, "ListAssetGroups", {})["TotalCount"] == 0, "a failed create was recorded"
    st, _, _ = gw.get("/readyz", timeout=30)
    assert st == 503, "readyz with credentials the upstream refuses: %d" % st
    stats = sim.stats()
    assert stats.get("signature_failures", 0) > 0 and stats.get("groups") == 0, stats
    gw.stop()
    sim.stop()


def test_refresher_shares_budget_fairly_between_customers():
    # A GetAsset budget of 4/s makes the refresher the bottleneck: customer
    # A's 50 Processing assets need 12 s of polls. Customer B's one asset,
    # created after all of them, must not wait behind them.
    gw = Gateway(processing_ms=300, env={"PORTICO_UPSTREAM_GET_RATE": "4"})
    media = MediaServer()
    ka, kb = gw.create_key("big"), gw.create_key("small")
    ga, gb = gw.create_group(ka, "a"), gw.create_group(kb, "b")
    url = media.png_url()
    parallel(lambda n: gw.create_asset(ka, ga, url, name="a%d" % n), range(50), workers=10)
    t0 = time.monotonic()
    b = gw.create_asset(kb, gb, url)
    wait_active(gw, kb, b, timeout=20)
    waited = time.monotonic() - t0
    a_processing = gw.call(ka, "ListAssets", {"Filter": {"Statuses": ["Processing"]}})["TotalCount"]
    print("    B's asset Active after %.1fs, with %d of A's 50 still Processing" % (waited, a_processing))
    assert waited < 5, "B's single asset waited %.1fs behind A's 50" % waited
    assert a_processing > 10, "the budget was not the bottleneck (%d of A's still Processing)" % a_processing
    gw.stop()
