"""Assets: the AIGC flow, validation, lists, updates, deletes, failures, freshness."""
import time

from portico import (ASSET_ID_RE, RFC3339_UTC_RE, Gateway, MediaServer, expect_error, free_port, ok,
                     wait_active, wait_sim_count, wait_status)


def _asset_ok(a, gid=None, url=None, name=None, status=None):
    assert ASSET_ID_RE.match(a.get("Id", "")), "bad asset Id: %r" % a
    for f in ("Id", "GroupId", "Name", "AssetType", "URL", "UpstreamStatus", "CreateTime", "UpdateTime"):
        assert f in a, "Asset object lacks %s: %r" % (f, a)
    assert a["UpstreamStatus"] in ("Processing", "Active", "Failed"), a
    assert RFC3339_UTC_RE.match(a["CreateTime"]) and RFC3339_UTC_RE.match(a["UpdateTime"]), \
        "times not RFC 3339 UTC: %r" % a
    if gid is not None:
        assert a["GroupId"] == gid, a
    if url is not None:
        assert a["URL"] == url, "URL %r != registered %r" % (a["URL"], url)
    if name is not None:
        assert a["Name"] == name, a
    if status is not None:
        assert a["UpstreamStatus"] == status, "UpstreamStatus %r != %r: %r" % (a["UpstreamStatus"], status, a)


def test_aigc_flow(gw, media):
    k = gw.create_key("acme")
    gid = gw.create_group(k, "people")
    url = media.png_url(640, 640)
    r = gw.action(k, "CreateAsset", {"GroupId": gid, "URL": url, "AssetType": "Image", "Name": "front"})
    aid = ok(r, "CreateAsset")["Id"]
    assert ASSET_ID_RE.match(aid), aid
    a = gw.call(k, "GetAsset", {"Id": aid})
    _asset_ok(a, gid, url, "front", "Processing")
    assert a["AssetType"] == "Image", a
    t0 = time.monotonic()
    a = wait_active(gw, k, aid, timeout=5)
    assert time.monotonic() - t0 < 5
    _asset_ok(a, gid, url, "front", "Active")
    assert not a.get("FailureReason"), "Active asset with a FailureReason: %r" % a
    assert media.hits.get("/img/640x640.png", 0) >= 1, "the upstream never fetched the media"

    lst = gw.call(k, "ListAssets", {})
    assert lst["TotalCount"] == 1 and [x["Id"] for x in lst["Items"]] == [aid], lst
    _asset_ok(lst["Items"][0], gid, url, "front", "Active")
    g = gw.call(k, "GetAssetGroup", {"Id": gid})
    assert g["AssetCount"] == 1, g
    lg = gw.call(k, "ListAssetGroups", {})
    assert lg["Items"][0]["AssetCount"] == 1, lg


def test_asset_validation(gw, media):
    k = gw.create_key("acme")
    gid = gw.create_group(k, "g")
    url = media.png_url()
    base = {"GroupId": gid, "URL": url, "AssetType": "Image"}
    long_url = url + "?pad=" + "x" * (2049 - len(url) - 5)
    assert len(long_url) == 2049
    cases = [
        ("missing GroupId", {"URL": url, "AssetType": "Image"}),
        ("missing URL", {"GroupId": gid, "AssetType": "Image"}),
        ("missing AssetType", {"GroupId": gid, "URL": url}),
        ("ftp URL", dict(base, URL="ftp://127.0.0.1/a.png")),
        ("file URL", dict(base, URL="file:///etc/passwd")),
        ("not a URL", dict(base, URL="just words")),
        ("empty URL", dict(base, URL="")),
        ("URL of 2049 chars", dict(base, URL=long_url)),
        ("bad AssetType", dict(base, AssetType="Picture")),
        ("lower-case AssetType", dict(base, AssetType="image")),
        ("AssetType wrong type", dict(base, AssetType=1)),
        ("URL wrong type", dict(base, URL=["http://127.0.0.1:9/"])),
        ("GroupId wrong type", dict(base, GroupId=123)),
        ("Name 51 chars", dict(base, Name="é" * 51)),
        ("Name wrong type", dict(base, Name={"a": 1})),
    ]
    for what, body in cases:
        try:
            expect_error(gw.action(k, "CreateAsset", body), "InvalidParameter")
        except AssertionError as e:
            raise AssertionError("%s: %s" % (what, e))
    expect_error(gw.action(k, "CreateAsset", b"{"), "InvalidParameter")
    expect_error(gw.action(k, "CreateAsset", b"[]"), "InvalidParameter")
    assert gw.call(k, "ListAssets", {})["TotalCount"] == 0, "a rejected CreateAsset was recorded"

    # The boundaries themselves are valid.
    url2048 = url + "?pad=" + "y" * (2048 - len(url) - 5)
    assert len(url2048) == 2048
    a1 = gw.create_asset(k, gid, url2048, name="é" * 50)
    a2 = gw.create_asset(k, gid, url)
    got = gw.call(k, "GetAsset", {"Id": a1})
    _asset_ok(got, gid, url2048, "é" * 50)
    assert gw.call(k, "ListAssets", {})["TotalCount"] == 2
    assert a1 != a2
    for a in (a1, a2):
        wait_active(gw, k, a)


def test_list_assets_filters_paging(gw, media):
    k = gw.create_key("acme")
    g1 = gw.create_group(k, "one")
    g2 = gw.create_group(k, "two")
    order = []
    order.append(gw.create_asset(k, g1, media.png_url(tag="a"), name="cat-photo"))
    order.append(gw.create_asset(k, g1, media.png_url(tag="b"), name="dog-photo"))
    for i in range(3):
        order.append(gw.create_asset(k, g1, media.png_url(tag="c%d" % i), name="other-%d" % i))
    order.append(gw.create_asset(k, g2, media.png_url(tag="d")))
    bad = gw.create_asset(k, g2, media.url("/missing.png"), name="broken")
    order.append(bad)
    newest_first = order[::-1]
    for a in order[:-1]:
        wait_active(gw, k, a)
    failed = wait_status(gw, k, bad, ("Active", "Failed"))
    assert failed["UpstreamStatus"] == "Failed", failed

    r = gw.call(k, "ListAssets", {"PageSize": 100})
    assert r["TotalCount"] == 7 and [a["Id"] for a in r["Items"]] == newest_first, \
        "ListAssets not newest first: %r" % [a["Id"] for a in r["Items"]]
    d = gw.call(k, "ListAssets", {})
    assert d["PageNumber"] == 1 and d["PageSize"] == 10, d
    pages = []
    for p in (1, 2, 3, 4):
        r = gw.call(k, "ListAssets", {"PageSize": 2, "PageNumber": p})
        assert r["TotalCount"] == 7 and r["PageNumber"] == p and r["PageSize"] == 2, r
        pages += [a["Id"] for a in r["Items"]]
    assert pages == newest_first, pages
    r = gw.call(k, "ListAssets", {"PageSize": 2, "PageNumber": 5})
    assert r["Items"] == [] and r["TotalCount"] == 7, r

    r = gw.call(k, "ListAssets", {"Filter": {"GroupIds": [g1]}, "PageSize": 100})
    assert r["TotalCount"] == 5 and [a["Id"] for a in r["Items"]] == newest_first[2:], r
    r = gw.call(k, "ListAssets", {"Filter": {"GroupIds": [g1, g2]}, "PageSize": 100})
    assert r["TotalCount"] == 7, r
    r = gw.call(k, "ListAssets", {"Filter": {"Statuses": ["Failed"]}})
    assert r["TotalCount"] == 1 and r["Items"][0]["Id"] == bad, r
    r = gw.call(k, "ListAssets", {"Filter": {"Statuses": ["Active"]}, "PageSize": 100})
    assert r["TotalCount"] == 6 and bad not in [a["Id"] for a in r["Items"]], r
    r = gw.call(k, "ListAssets", {"Filter": {"Statuses": ["Active", "Failed"]}, "PageSize": 100})
    assert r["TotalCount"] == 7, r
    r = gw.call(k, "ListAssets", {"Filter": {"AssetType": "Image"}})
    assert r["TotalCount"] == 7, r
    r = gw.call(k, "ListAssets", {"Filter": {"AssetType": "Video"}})
    assert r["TotalCount"] == 0 and r["Items"] == [], r
    r = gw.call(k, "ListAssets", {"Filter": {"Name": "cat-photo"}})
    assert r["TotalCount"] == 1 and r["Items"][0]["Id"] == order[0], r
    r = gw.call(k, "ListAssets", {"Filter": {"GroupIds": [g2], "Statuses": ["Active"]}})
    assert r["TotalCount"] == 1 and r["Items"][0]["Id"] == order[5], r

    for body in ({"PageSize": 0}, {"PageSize": 101}, {"PageNumber": 0}, {"Filter": {"GroupIds": g1}},
                 {"Filter": {"Statuses": "Active"}}, {"PageSize": "2"}):
        try:
            expect_error(gw.action(k, "ListAssets", body), "InvalidParameter")
        except AssertionError as e:
            raise AssertionError("%r: %s" % (body, e))

    assert gw.call(k, "GetAssetGroup", {"Id": g1})["AssetCount"] == 5
    assert gw.call(k, "GetAssetGroup", {"Id": g2})["AssetCount"] == 2


def test_update_and_delete_asset(gw, media):
    k = gw.create_key("acme")
    gid = gw.create_group(k, "g")
    a1 = gw.create_asset(k, gid, media.png_url(tag="1"), name="before")
    a2 = gw.create_asset(k, gid, media.png_url(tag="2"))
    res = gw.call(k, "UpdateAsset", {"Id": a1, "Name": "after"})
    assert res.get("Id") == a1, res
    assert gw.call(k, "GetAsset", {"Id": a1})["Name"] == "after"
    expect_error(gw.action(k, "UpdateAsset", {"Id": a1}), "InvalidParameter")
    expect_error(gw.action(k, "UpdateAsset", {"Id": a1, "Name": "x" * 51}), "InvalidParameter")
    expect_error(gw.action(k, "UpdateAsset", {"Name": "x"}), "InvalidParameter")
    expect_error(gw.action(k, "UpdateAsset", {"Id": a1, "Name": 7}), "InvalidParameter")
    assert gw.call(k, "GetAsset", {"Id": a1})["Name"] == "after"

    assert gw.call(k, "GetAssetGroup", {"Id": gid})["AssetCount"] == 2
    res = gw.call(k, "DeleteAsset", {"Id": a1})
    assert res.get("Id") == a1, res
    wait_sim_count(gw.sim_stats, "assets", 1)
    expect_error(gw.action(k, "GetAsset", {"Id": a1}), "Forbidden")
    expect_error(gw.action(k, "DeleteAsset", {"Id": a1}), "Forbidden")
    expect_error(gw.action(k, "UpdateAsset", {"Id": a1, "Name": "z"}), "Forbidden")
    assert gw.call(k, "GetAssetGroup", {"Id": gid})["AssetCount"] == 1
    lst = gw.call(k, "ListAssets", {})
    assert [a["Id"] for a in lst["Items"]] == [a2] and lst["TotalCount"] == 1, lst
    expect_error(gw.action(k, "GetAsset", {}), "InvalidParameter")
    expect_error(gw.action(k, "DeleteAsset", {}), "InvalidParameter")


def test_delete_group_removes_assets(gw, media):
    k = gw.create_key("acme")
    g1 = gw.create_group(k, "doomed")
    g2 = gw.create_group(k, "kept")
    doomed = [gw.create_asset(k, g1, media.png_url(tag=str(i))) for i in range(3)]
    kept = gw.create_asset(k, g2, media.png_url(tag="k"))
    gw.call(k, "DeleteAssetGroup", {"Id": g1})
    for a in doomed:
        expect_error(gw.action(k, "GetAsset", {"Id": a}), "Forbidden")
    lst = gw.call(k, "ListAssets", {"PageSize": 100})
    assert lst["TotalCount"] == 1 and lst["Items"][0]["Id"] == kept, lst
    expect_error(gw.action(k, "CreateAsset", {"GroupId": g1, "URL": media.png_url(), "AssetType": "Image"}),
                 "Forbidden")
    expect_error(gw.action(k, "ListAssets", {"Filter": {"GroupIds": [g1]}}), "Forbidden")
    assert gw.call(k, "ListAssetGroups", {})["TotalCount"] == 1
    wait_active(gw, k, kept)
    # Deleted upstream as well: one group and one asset remain there.
    wait_sim_count(gw.sim_stats, "groups", 1)
    wait_sim_count(gw.sim_stats, "assets", 1)


def test_failed_assets(gw, media):
    k = gw.create_key("acme")
    gid = gw.create_group(k, "g")
    dead = free_port()
    a404 = gw.create_asset(k, gid, media.url("/nowhere.png"))
    small = gw.create_asset(k, gid, media.png_url(200, 200))
    unreachable = gw.create_asset(k, gid, "http://127.0.0.1:%d/a.png" % dead)
    good = gw.create_asset(k, gid, media.png_url(640, 480))
    results = {}
    for name, aid in (("404", a404), ("200x200", small), ("unreachable", unreachable)):
        a = wait_status(gw, k, aid, ("Active", "Failed"), timeout=20)
        results[name] = a
        assert a["UpstreamStatus"] == "Failed", "%s URL: asset became %r: %r" % (name, a["UpstreamStatus"], a)
        assert isinstance(a.get("FailureReason"), str) and a["FailureReason"].strip(), \
            "%s: Failed without a FailureReason: %r" % (name, a)
    assert "200" in results["200x200"]["FailureReason"], \
        "the FailureReason of a 200x200 image does not name the size: %r" % results["200x200"]
    wait_active(gw, k, good)
    lst = gw.call(k, "ListAssets", {"Filter": {"Statuses": ["Failed"]}, "PageSize": 10})
    assert lst["TotalCount"] == 3, lst
    for it in lst["Items"]:
        assert it.get("FailureReason"), "a Failed asset in ListAssets without FailureReason: %r" % it


def test_freshness():
    """GetAsset reflects the upstream's change within about one second."""
    gw = Gateway(processing_ms=1000)
    media = MediaServer()
    k = gw.create_key("acme")
    gid = gw.create_group(k, "g")
    lags = []
    for i in range(3):
        t0 = time.monotonic()
        aid = gw.create_asset(k, gid, media.png_url(tag="f%d" % i))
        t1 = time.monotonic()
        first = gw.call(k, "GetAsset", {"Id": aid})
        assert first["UpstreamStatus"] == "Processing", \
            "asset Active before the 1000 ms compliance check could end: %r" % first
        while True:
            a = gw.call(k, "GetAsset", {"Id": aid})
            now = time.monotonic()
            if a["UpstreamStatus"] != "Processing":
                break
            assert now - t1 < 1.0 + 1.5, "asset still Processing %.2fs after create (processing 1.0s)" % (now - t1)
            time.sleep(0.1)
        assert a["UpstreamStatus"] == "Active", a
        assert now - t0 >= 0.9, "Active after %.2fs, before the 1.0s processing time" % (now - t0)
        lags.append(now - t1 - 1.0)
    print("    Active seen %s s after create + 1.0 s" % ", ".join("%.2f" % x for x in lags))
    gw.stop()
    media.close()


def test_refresher_without_polling(gw, media):
    """Nobody calls GetAsset: the background refresher still moves the
    records to Active/Failed, which ListAssets then shows."""
    k = gw.create_key("acme")
    gid = gw.create_group(k, "g")
    good = [gw.create_asset(k, gid, media.png_url(tag="r%d" % i)) for i in range(3)]
    bad = gw.create_asset(k, gid, media.url("/gone.png"))
    deadline = time.monotonic() + 8
    while True:
        lst = gw.call(k, "ListAssets", {"PageSize": 100})
        st = {a["Id"]: a["UpstreamStatus"] for a in lst["Items"]}
        if all(st.get(a) == "Active" for a in good) and st.get(bad) == "Failed":
            break
        assert time.monotonic() < deadline, "ListAssets without GetAsset still shows %r after 8s" % st
        time.sleep(0.2)
