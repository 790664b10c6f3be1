"""Asset groups: create/get/list/update/delete, validation, envelope, paging."""
import time

from portico import (GROUP_ID_RE, RFC3339_UTC_RE, Gateway, expect_error, ok, parallel)


def _group_ok(g, name=None, desc=None):
    assert GROUP_ID_RE.match(g.get("Id", "")), "bad group Id: %r" % g
    for f in ("Id", "Name", "Description", "GroupType", "AssetCount", "CreateTime", "UpdateTime"):
        assert f in g, "Group object lacks %s: %r" % (f, g)
    assert g["GroupType"] == "AIGC", g
    assert isinstance(g["AssetCount"], int), g
    assert RFC3339_UTC_RE.match(g["CreateTime"]), "CreateTime not RFC 3339 UTC: %r" % g
    assert RFC3339_UTC_RE.match(g["UpdateTime"]), "UpdateTime not RFC 3339 UTC: %r" % g
    if name is not None:
        assert g["Name"] == name, "Name %r != %r" % (g["Name"], name)
    if desc is not None:
        assert g["Description"] == desc, "Description %r != %r" % (g["Description"], desc)


def test_create_get_update_delete(gw):
    k = gw.create_key("acme")
    r = gw.action(k, "CreateAssetGroup", {"Name": "portraits", "GroupType": "AIGC",
                                           "Description": "for the spring campaign"})
    gid = ok(r, "CreateAssetGroup")["Id"]
    assert GROUP_ID_RE.match(gid), gid
    g = gw.call(k, "GetAssetGroup", {"Id": gid})
    _group_ok(g, "portraits", "for the spring campaign")
    assert g["Id"] == gid and g["AssetCount"] == 0, g

    # Name only: Description unchanged.
    time.sleep(1.05)  # so that UpdateTime can move on a 1-second clock
    res = gw.call(k, "UpdateAssetGroup", {"Id": gid, "Name": "renamed"})
    assert res.get("Id") == gid, res
    g2 = gw.call(k, "GetAssetGroup", {"Id": gid})
    _group_ok(g2, "renamed", "for the spring campaign")
    assert g2["CreateTime"] == g["CreateTime"], (g, g2)
    assert g2["UpdateTime"] > g["UpdateTime"], "UpdateTime did not move: %r -> %r" % (g, g2)
    # Description only: Name unchanged.
    gw.call(k, "UpdateAssetGroup", {"Id": gid, "Description": "autumn now"})
    _group_ok(gw.call(k, "GetAssetGroup", {"Id": gid}), "renamed", "autumn now")

    res = gw.call(k, "DeleteAssetGroup", {"Id": gid})
    assert res.get("Id") == gid, res
    expect_error(gw.action(k, "GetAssetGroup", {"Id": gid}), "Forbidden")
    lst = gw.call(k, "ListAssetGroups", {})
    assert lst["TotalCount"] == 0 and lst["Items"] == [], lst


def test_unicode_name_limits(gw):
    k = gw.create_key("acme")
    name50 = "é" * 50
    gid = gw.create_group(k, name50)
    assert gw.call(k, "GetAssetGroup", {"Id": gid})["Name"] == name50
    expect_error(gw.action(k, "CreateAssetGroup", {"Name": "é" * 51, "GroupType": "AIGC"}), "InvalidParameter")
    # 50 CJK characters (3 bytes each in UTF-8) are 50 characters.
    gw.create_group(k, "名" * 50)
    expect_error(gw.action(k, "CreateAssetGroup", {"Name": "名" * 51, "GroupType": "AIGC"}), "InvalidParameter")
    expect_error(gw.action(k, "CreateAssetGroup", {"Name": "a" * 51, "GroupType": "AIGC"}), "InvalidParameter")
    gw.create_group(k, "a" * 50, Description="d" * 300)
    gw.create_group(k, "b", Description="é" * 300)
    expect_error(gw.action(k, "CreateAssetGroup", {"Name": "c", "GroupType": "AIGC",
                                                   "Description": "d" * 301}), "InvalidParameter")
    # The same names sent as raw UTF-8 rather than \u escapes.
    raw50 = ('{"Name": "%s", "GroupType": "AIGC"}' % ("é" * 50)).encode("utf-8")
    raw51 = ('{"Name": "%s", "GroupType": "AIGC"}' % ("é" * 51)).encode("utf-8")
    ok(gw.action(k, "CreateAssetGroup", raw50))
    expect_error(gw.action(k, "CreateAssetGroup", raw51), "InvalidParameter")
    # UpdateAssetGroup applies the same limits.
    expect_error(gw.action(k, "UpdateAssetGroup", {"Id": gid, "Name": "é" * 51}), "InvalidParameter")
    expect_error(gw.action(k, "UpdateAssetGroup", {"Id": gid, "Description": "x" * 301}), "InvalidParameter")
    expect_error(gw.action(k, "UpdateAssetGroup", {"Id": gid, "Name": ""}), "InvalidParameter")
    assert gw.call(k, "GetAssetGroup", {"Id": gid})["Name"] == name50
    assert gw.call(k, "ListAssetGroups", {})["TotalCount"] == 5


def test_create_validation(gw):
    k = gw.create_key("acme")
    cases = [
        ("missing Name", {"GroupType": "AIGC"}),
        ("empty Name", {"Name": "", "GroupType": "AIGC"}),
        ("GroupType LivenessFace", {"Name": "x", "GroupType": "LivenessFace"}),
        ("GroupType other", {"Name": "x", "GroupType": "Video"}),
        ("GroupType lower case", {"Name": "x", "GroupType": "aigc"}),
        ("Name wrong type", {"Name": 12, "GroupType": "AIGC"}),
        ("Name null", {"Name": None, "GroupType": "AIGC"}),
        ("GroupType wrong type", {"Name": "x", "GroupType": ["AIGC"]}),
        ("Description wrong type", {"Name": "x", "GroupType": "AIGC", "Description": 5}),
    ]
    for what, body in cases:
        r = gw.action(k, "CreateAssetGroup", body)
        try:
            expect_error(r, "InvalidParameter")
        except AssertionError as e:
            raise AssertionError("%s: %s" % (what, e))
    for what, raw in [("malformed JSON", b'{"Name": "x", '), ("body is an array", b'["Name"]'),
                      ("body is a string", b'"x"'), ("body is a number", b"12"),
                      ("trailing garbage", b'{"Name": "x", "GroupType": "AIGC"} xyz'),
                      ("invalid UTF-8", b'{"Name": "\xff\xfe", "GroupType": "AIGC"}'),
                      ("empty body", b"")]:
        r = gw.action(k, "CreateAssetGroup", raw)
        try:
            expect_error(r, "InvalidParameter")
        except AssertionError as e:
            raise AssertionError("%s: %s" % (what, e))
    # Nothing of the above was recorded; unknown fields are ignored.
    assert gw.call(k, "ListAssetGroups", {})["TotalCount"] == 0
    gid = gw.create_group(k, "x", Colour="blue", Extra={"a": [1, 2]})
    assert GROUP_ID_RE.match(gid)


def test_version_and_action(gw):
    k = gw.create_key("acme")
    expect_error(gw.action(k, "ListAssetGroups", {}, version=None), "InvalidParameter", version=None)
    expect_error(gw.action(k, "ListAssetGroups", {}, version="2023-01-01"), "InvalidParameter", version=None)
    expect_error(gw.action(k, "ListAssetGroups", {}, version=""), "InvalidParameter", version=None)
    expect_error(gw.action(k, "CreateAssetGroup", {"Name": "x", "GroupType": "AIGC"}, version="2099-01-01"),
                 "InvalidParameter", version=None)
    assert gw.call(k, "ListAssetGroups", {})["TotalCount"] == 0, "a bad-Version create was recorded"
    expect_error(gw.action(k, "DoSomething", {}), "InvalidAction", action=None)
    expect_error(gw.action(k, "listassetgroups", {}), "InvalidAction", action=None)
    r = gw.action(k, None, {})  # no Action at all
    assert r.status == 400 and r.json, r.describe()
    assert r.json["ResponseMetadata"]["Error"]["Code"] in ("InvalidAction", "InvalidParameter"), r.describe()


def test_list_paging_order_filters(gw):
    k = gw.create_key("acme")
    ids = []
    for i in range(23):
        ids.append(gw.create_group(k, ("alpha-%02d" if i % 3 == 0 else "beta-%02d") % i))
    newest_first = list(reversed(ids))

    d = gw.call(k, "ListAssetGroups", {})
    assert d["PageNumber"] == 1 and d["PageSize"] == 10 and d["TotalCount"] == 23, d
    assert [g["Id"] for g in d["Items"]] == newest_first[:10], \
        "default page is not the 10 newest, newest first: %r" % [g["Id"] for g in d["Items"]]
    for g in d["Items"]:
        _group_ok(g)

    seen = []
    for page in (1, 2, 3):
        r = gw.call(k, "ListAssetGroups", {"PageNumber": page, "PageSize": 10})
        assert r["PageNumber"] == page and r["PageSize"] == 10 and r["TotalCount"] == 23, r
        seen += [g["Id"] for g in r["Items"]]
    assert seen == newest_first, "pages 1-3 are not the groups newest first:\n%r\n%r" % (seen, newest_first)
    r = gw.call(k, "ListAssetGroups", {"PageNumber": 4, "PageSize": 10})
    assert r["Items"] == [] and r["TotalCount"] == 23, r
    r = gw.call(k, "ListAssetGroups", {"PageSize": 100})
    assert len(r["Items"]) == 23, r
    r = gw.call(k, "ListAssetGroups", {"PageSize": 1, "PageNumber": 23})
    assert [g["Id"] for g in r["Items"]] == [ids[0]], r

    r = gw.call(k, "ListAssetGroups", {"Filter": {"Name": "alpha"}, "PageSize": 100})
    want = [i for n, i in enumerate(ids) if n % 3 == 0][::-1]
    assert r["TotalCount"] == len(want) and [g["Id"] for g in r["Items"]] == want, r
    r = gw.call(k, "ListAssetGroups", {"Filter": {"Name": "ta-0"}, "PageSize": 100})  # substring
    assert r["TotalCount"] == 6, "Name filter is a substring match: %r" % r
    r = gw.call(k, "ListAssetGroups", {"Filter": {"GroupType": "AIGC"}, "PageSize": 5, "PageNumber": 2})
    assert r["TotalCount"] == 23 and [g["Id"] for g in r["Items"]] == newest_first[5:10], r
    r = gw.call(k, "ListAssetGroups", {"Filter": {"GroupType": "LivenessFace"}})
    assert r["TotalCount"] == 0 and r["Items"] == [], r
    r = gw.call(k, "ListAssetGroups", {"Filter": {"Name": "nothing-like-this"}})
    assert r["TotalCount"] == 0 and r["Items"] == [], r

    # An empty body counts as {}.
    r = gw.action(k, "ListAssetGroups", b"")
    assert ok(r)["TotalCount"] == 23, r.describe()


def test_list_parameter_validation(gw):
    k = gw.create_key("acme")
    for body in ({"PageSize": 0}, {"PageSize": 101}, {"PageSize": -1}, {"PageNumber": 0},
                 {"PageNumber": -3}, {"PageSize": "10"}, {"PageNumber": 1.5}, {"Filter": "x"},
                 {"Filter": {"Name": 3}}, {"PageSize": True}):
        try:
            expect_error(gw.action(k, "ListAssetGroups", body), "InvalidParameter")
        except AssertionError as e:
            raise AssertionError("%r: %s" % (body, e))
    for size in (1, 100):
        r = gw.call(k, "ListAssetGroups", {"PageSize": size, "PageNumber": 1})
        assert r["PageSize"] == size, r


def test_update_validation(gw):
    k = gw.create_key("acme")
    gid = gw.create_group(k, "orig", Description="d")
    expect_error(gw.action(k, "UpdateAssetGroup", {"Id": gid}), "InvalidParameter")
    expect_error(gw.action(k, "UpdateAssetGroup", {"Name": "x"}), "InvalidParameter")
    expect_error(gw.action(k, "UpdateAssetGroup", {"Id": gid, "Name": 5}), "InvalidParameter")
    expect_error(gw.action(k, "UpdateAssetGroup", {"Id": 5, "Name": "x"}), "InvalidParameter")
    expect_error(gw.action(k, "GetAssetGroup", {}), "InvalidParameter")
    expect_error(gw.action(k, "DeleteAssetGroup", {}), "InvalidParameter")
    g = gw.call(k, "GetAssetGroup", {"Id": gid})
    assert g["Name"] == "orig" and g["Description"] == "d", g


def test_request_ids_unique_and_in_header(gw):
    k = gw.create_key("acme")
    reqs = parallel(lambda i: gw.action(k if i % 2 else "nope", "ListAssetGroups", {}), range(30))
    rids = set()
    for r in reqs:
        assert not isinstance(r, Exception), r
        md = r.json["ResponseMetadata"]
        assert r.headers.get("X-Request-Id") == md["RequestId"], r.describe()
        rids.add(md["RequestId"])
    assert len(rids) == 30, "RequestIds are not unique: %d distinct of 30" % len(rids)


def test_aigc_not_available():
    gw = Gateway()
    k = gw.create_key("noaigc", aigc=False)
    expect_error(gw.action(k, "CreateAssetGroup", {"Name": "x", "GroupType": "AIGC"}), "AIGCNotAvailable")
    # LivenessFace stays InvalidParameter for everyone.
    expect_error(gw.action(k, "CreateAssetGroup", {"Name": "x", "GroupType": "LivenessFace"}), "InvalidParameter")
    r = gw.call(k, "ListAssetGroups", {})
    assert r["TotalCount"] == 0, r
    k2 = gw.create_key("withaigc")
    gw.create_group(k2, "fine")
    gw.stop()
