"""Quotas: 50 groups per customer, 50 assets per group, released on delete,
never exceeded by concurrent requests."""
import time

from portico import Gateway, MediaServer, expect_error, ok, parallel, wait_sim_count

# Long enough that the upstream budget never turns a create into 429 here;
# a 429 is retried anyway (after Retry-After) so the tally stays exact.
PATIENT = {"PORTICO_CREATE_WAIT_MS": 20000}


def _retrying(gw, key, action, body):
    for _ in range(20):
        r = gw.action(key, action, body, timeout=60)
        if r.status != 429:
            return r
        time.sleep(min(2.0, float(r.headers.get("Retry-After") or 1)))
    return r


def _fill_groups(gw, k, n, prefix="g"):
    res = parallel(lambda i: _retrying(gw, k, "CreateAssetGroup", {"Name": "%s%d" % (prefix, i), "GroupType": "AIGC"}),
                   range(n), workers=10)
    return [ok(r)["Id"] for r in res]


def test_group_quota_and_release():
    gw = Gateway(env=PATIENT)
    k = gw.create_key("acme")
    other = gw.create_key("other")
    ids = _fill_groups(gw, k, 50)
    assert len(set(ids)) == 50
    expect_error(gw.action(k, "CreateAssetGroup", {"Name": "fifty-one", "GroupType": "AIGC"}), "QuotaExceeded")
    assert gw.call(k, "ListAssetGroups", {})["TotalCount"] == 50
    # The quota is per customer.
    gw.create_group(other, "theirs")
    # Deleting releases the quota at once, and only by one.
    gw.call(k, "DeleteAssetGroup", {"Id": ids[7]})
    gw.create_group(k, "replacement")
    expect_error(gw.action(k, "CreateAssetGroup", {"Name": "again", "GroupType": "AIGC"}), "QuotaExceeded")
    lst = gw.call(k, "ListAssetGroups", {"PageSize": 100})
    assert lst["TotalCount"] == 50 and ids[7] not in [g["Id"] for g in lst["Items"]], lst["TotalCount"]
    gw.stop()


def test_asset_quota_and_release():
    gw = Gateway(env=PATIENT)
    media = MediaServer()
    k = gw.create_key("acme")
    g1 = gw.create_group(k, "full")
    g2 = gw.create_group(k, "empty")
    url = media.png_url()
    res = parallel(lambda i: _retrying(gw, k, "CreateAsset", {"GroupId": g1, "URL": url, "AssetType": "Image"}),
                   range(50), workers=10)
    ids = [ok(r)["Id"] for r in res]
    assert len(set(ids)) == 50
    expect_error(gw.action(k, "CreateAsset", {"GroupId": g1, "URL": url, "AssetType": "Image"}), "QuotaExceeded")
    assert gw.call(k, "GetAssetGroup", {"Id": g1})["AssetCount"] == 50
    # The quota is per group.
    gw.create_asset(k, g2, url)
    gw.call(k, "DeleteAsset", {"Id": ids[0]})
    gw.create_asset(k, g1, url)
    expect_error(gw.action(k, "CreateAsset", {"GroupId": g1, "URL": url, "AssetType": "Image"}), "QuotaExceeded")
    assert gw.call(k, "ListAssets", {"Filter": {"GroupIds": [g1]}})["TotalCount"] == 50
    gw.stop()


def test_delete_group_releases_group_quota_with_assets():
    gw = Gateway(env=PATIENT)
    media = MediaServer()
    k = gw.create_key("acme")
    ids = _fill_groups(gw, k, 50)
    for i in range(3):
        gw.create_asset(k, ids[0], media.png_url(tag=str(i)))
    gw.call(k, "DeleteAssetGroup", {"Id": ids[0]})
    gw.create_group(k, "fits-again")
    assert gw.call(k, "ListAssets", {})["TotalCount"] == 0
    gw.stop()


def test_concurrent_group_quota():
    """60 concurrent CreateAssetGroup: exactly 50 succeed, 10 QuotaExceeded."""
    gw = Gateway(env=PATIENT)
    k = gw.create_key("acme")
    res = parallel(lambda i: _retrying(gw, k, "CreateAssetGroup", {"Name": "c%d" % i, "GroupType": "AIGC"}),
                   range(60))
    errs = [r for r in res if isinstance(r, Exception)]
    assert not errs, errs[:3]
    good = [r for r in res if r.status == 200]
    bad = [r for r in res if r.status != 200]
    for r in bad:
        expect_error(r, "QuotaExceeded")
    assert len(good) == 50 and len(bad) == 10, "%d succeeded, %d refused" % (len(good), len(bad))
    ids = {ok(r)["Id"] for r in good}
    lst = gw.call(k, "ListAssetGroups", {"PageSize": 100})
    assert lst["TotalCount"] == 50 and {g["Id"] for g in lst["Items"]} == ids, lst["TotalCount"]
    # A refused create leaves nothing behind upstream either.
    wait_sim_count(gw.sim_stats, "groups", 50)
    gw.stop()


def test_concurrent_asset_quota():
    """60 concurrent CreateAsset into one group: exactly 50 succeed."""
    gw = Gateway(env=PATIENT)
    media = MediaServer()
    k = gw.create_key("acme")
    gid = gw.create_group(k, "full")
    url = media.png_url()
    res = parallel(lambda i: _retrying(gw, k, "CreateAsset", {"GroupId": gid, "URL": url, "AssetType": "Image",
                                                              "Name": "n%d" % i}), range(60))
    errs = [r for r in res if isinstance(r, Exception)]
    assert not errs, errs[:3]
    good = [r for r in res if r.status == 200]
    bad = [r for r in res if r.status != 200]
    for r in bad:
        expect_error(r, "QuotaExceeded")
    assert len(good) == 50 and len(bad) == 10, "%d succeeded, %d refused" % (len(good), len(bad))
    ids = {ok(r)["Id"] for r in good}
    assert len(ids) == 50
    lst = gw.call(k, "ListAssets", {"Filter": {"GroupIds": [gid]}, "PageSize": 100})
    assert lst["TotalCount"] == 50 and {a["Id"] for a in lst["Items"]} == ids, lst["TotalCount"]
    assert gw.call(k, "GetAssetGroup", {"Id": gid})["AssetCount"] == 50
    wait_sim_count(gw.sim_stats, "assets", 50)
    gw.stop()


def test_concurrent_deletes_release_once():
    """10 concurrent deletes of one asset / one group: one succeeds, the rest
    are Forbidden, and the quota is released exactly once."""
    gw = Gateway(env=PATIENT)
    media = MediaServer()
    k = gw.create_key("acme")
    gid = gw.create_group(k, "g")
    url = media.png_url()
    assets = [gw.create_asset(k, gid, url) for _ in range(3)]
    res = parallel(lambda i: gw.action(k, "DeleteAsset", {"Id": assets[0]}), range(10))
    assert not [r for r in res if isinstance(r, Exception)], res
    good = [r for r in res if r.status == 200]
    for r in res:
        if r.status != 200:
            expect_error(r, "Forbidden")
    assert len(good) == 1, "%d concurrent deletes of one asset succeeded" % len(good)
    assert gw.call(k, "GetAssetGroup", {"Id": gid})["AssetCount"] == 2
    res = parallel(lambda i: _retrying(gw, k, "CreateAsset", {"GroupId": gid, "URL": url, "AssetType": "Image"}),
                   range(48), workers=10)
    for r in res:
        ok(r)
    expect_error(gw.action(k, "CreateAsset", {"GroupId": gid, "URL": url, "AssetType": "Image"}), "QuotaExceeded")

    groups = [gid] + _fill_groups(gw, k, 49)
    res = parallel(lambda i: gw.action(k, "DeleteAssetGroup", {"Id": groups[1]}), range(10))
    assert not [r for r in res if isinstance(r, Exception)], res
    good = [r for r in res if r.status == 200]
    for r in res:
        if r.status != 200:
            expect_error(r, "Forbidden")
    assert len(good) == 1, "%d concurrent deletes of one group succeeded" % len(good)
    gw.create_group(k, "refill")
    expect_error(gw.action(k, "CreateAssetGroup", {"Name": "over", "GroupType": "AIGC"}), "QuotaExceeded")
    gw.stop()


def test_delete_group_while_creating_assets():
    """CreateAsset racing DeleteAssetGroup leaves no orphan assets."""
    gw = Gateway(env=PATIENT)
    media = MediaServer()
    k = gw.create_key("acme")
    gid = gw.create_group(k, "doomed")
    url = media.png_url()

    def job(i):
        if i == 10:
            return gw.action(k, "DeleteAssetGroup", {"Id": gid})
        return gw.action(k, "CreateAsset", {"GroupId": gid, "URL": url, "AssetType": "Image"})

    res = parallel(job, range(21))
    assert not [r for r in res if isinstance(r, Exception)], res
    ok(res[10])
    acked = []
    for i, r in enumerate(res):
        if i == 10:
            continue
        if r.status == 200:
            acked.append(ok(r)["Id"])
        else:
            expect_error(r, "Forbidden")
    lst = gw.call(k, "ListAssets", {"PageSize": 100})
    assert lst["TotalCount"] == 0, "assets outlived their deleted group: %r" % [a["Id"] for a in lst["Items"]]
    for aid in acked:
        expect_error(gw.action(k, "GetAsset", {"Id": aid}), "Forbidden")
    # Nor upstream: the group and every asset created into it are gone there too.
    wait_sim_count(gw.sim_stats, "groups", 0)
    wait_sim_count(gw.sim_stats, "assets", 0)
    print("    %d creates acknowledged before the delete" % len(acked))
    gw.stop()
