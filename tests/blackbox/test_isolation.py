"""Customers never see or touch each other's rows; a foreign id and a
nonexistent id get byte-identical Forbidden bodies (apart from RequestId)."""
from portico import blank_request_id, expect_error, wait_active

NO_GROUP = "group-20240101000000-zzzzz"
NO_ASSET = "asset-20240101000000-zzzzz"


def _setup(gw, media):
    ka = gw.create_key("alice")
    kb = gw.create_key("bob")
    ga = gw.create_group(ka, "alice-group", Description="private")
    aa = gw.create_asset(ka, ga, media.png_url(tag="a"), name="alice-asset")
    gb = gw.create_group(kb, "bob-group")
    ab = gw.create_asset(kb, gb, media.png_url(tag="b"), name="bob-asset")
    return ka, kb, ga, aa, gb, ab


def _id_actions(ga, aa, url):
    """(Action, body using alice's ids, body using ids that do not exist)."""
    return [
        ("GetAssetGroup", {"Id": ga}, {"Id": NO_GROUP}),
        ("UpdateAssetGroup", {"Id": ga, "Name": "taken"}, {"Id": NO_GROUP, "Name": "taken"}),
        ("DeleteAssetGroup", {"Id": ga}, {"Id": NO_GROUP}),
        ("CreateAsset", {"GroupId": ga, "URL": url, "AssetType": "Image"},
         {"GroupId": NO_GROUP, "URL": url, "AssetType": "Image"}),
        ("GetAsset", {"Id": aa}, {"Id": NO_ASSET}),
        ("UpdateAsset", {"Id": aa, "Name": "taken"}, {"Id": NO_ASSET, "Name": "taken"}),
        ("DeleteAsset", {"Id": aa}, {"Id": NO_ASSET}),
        ("ListAssets", {"Filter": {"GroupIds": [ga]}}, {"Filter": {"GroupIds": [NO_GROUP]}}),
    ]


def test_foreign_ids_forbidden(gw, media):
    ka, kb, ga, aa, gb, ab = _setup(gw, media)
    url = media.png_url(tag="x")
    for action, foreign, missing in _id_actions(ga, aa, url):
        r1 = gw.action(kb, action, foreign)
        r2 = gw.action(kb, action, missing)
        try:
            expect_error(r1, "Forbidden")
            expect_error(r2, "Forbidden")
        except AssertionError as e:
            raise AssertionError("%s: %s" % (action, e))
        b1, b2 = blank_request_id(r1.raw), blank_request_id(r2.raw)
        assert b1 == b2, "%s: a foreign id and a nonexistent id answer differently:\n%r\n%r" % (action, b1, b2)
        assert r1.raw != b1, "%s: RequestId not found in the raw body" % action
        # Alice asking for a nonexistent id gets the very same body too.
        r3 = gw.action(ka, action, missing)
        assert blank_request_id(r3.raw) == b1, "%s: the answer depends on the caller:\n%r\n%r" % (
            action, blank_request_id(r3.raw), b1)
    # A foreign id mixed with one's own in a list filter is still refused.
    expect_error(gw.action(kb, "ListAssets", {"Filter": {"GroupIds": [gb, ga]}}), "Forbidden")

    # Nothing of alice's changed.
    g = gw.call(ka, "GetAssetGroup", {"Id": ga})
    assert g["Name"] == "alice-group" and g["Description"] == "private" and g["AssetCount"] == 1, g
    a = gw.call(ka, "GetAsset", {"Id": aa})
    assert a["Name"] == "alice-asset", a
    assert gw.call(ka, "ListAssets", {})["TotalCount"] == 1
    wait_active(gw, ka, aa)
    wait_active(gw, kb, ab)


def test_deleted_ids_look_nonexistent(gw, media):
    ka, kb, ga, aa, gb, ab = _setup(gw, media)
    gw.call(kb, "DeleteAsset", {"Id": ab})
    gw.call(kb, "DeleteAssetGroup", {"Id": gb})
    for action, body, missing in (("GetAsset", {"Id": ab}, {"Id": NO_ASSET}),
                                  ("GetAssetGroup", {"Id": gb}, {"Id": NO_GROUP})):
        r1, r2 = gw.action(kb, action, body), gw.action(kb, action, missing)
        expect_error(r1, "Forbidden")
        assert blank_request_id(r1.raw) == blank_request_id(r2.raw), (r1.raw, r2.raw)


def test_lists_never_show_other_customers(gw, media):
    ka, kb, ga, aa, gb, ab = _setup(gw, media)
    # Same names on both sides: still separate rows.
    gb2 = gw.create_group(kb, "alice-group")
    for key, mine_g, mine_a in ((ka, {ga}, {aa}), (kb, {gb, gb2}, {ab})):
        lg = gw.call(key, "ListAssetGroups", {"PageSize": 100})
        assert {g["Id"] for g in lg["Items"]} == mine_g and lg["TotalCount"] == len(mine_g), lg
        la = gw.call(key, "ListAssets", {"PageSize": 100})
        assert {a["Id"] for a in la["Items"]} == mine_a and la["TotalCount"] == len(mine_a), la
        for filt in ({"Name": "alice"}, {"GroupType": "AIGC"}):
            lg = gw.call(key, "ListAssetGroups", {"Filter": filt, "PageSize": 100})
            assert {g["Id"] for g in lg["Items"]} <= mine_g, (filt, lg)
        for filt in ({"Name": "alice-asset"}, {"Statuses": ["Processing", "Active", "Failed"]},
                     {"AssetType": "Image"}):
            la = gw.call(key, "ListAssets", {"Filter": filt, "PageSize": 100})
            assert {a["Id"] for a in la["Items"]} <= mine_a, (filt, la)
    # bob's quota does not count alice's groups and vice versa.
    assert gw.call(ka, "ListAssetGroups", {})["TotalCount"] == 1


def test_ten_actions_cross_customer(gw, media):
    """Every Action, run by bob, leaves alice's rows untouched and unseen."""
    ka, kb, ga, aa, gb, ab = _setup(gw, media)
    url = media.png_url(tag="y")
    for action, foreign, _ in _id_actions(ga, aa, url):
        expect_error(gw.action(kb, action, foreign), "Forbidden")
    gw.call(kb, "CreateAssetGroup", {"Name": "bob-2", "GroupType": "AIGC"})
    assert gw.call(kb, "ListAssetGroups", {})["TotalCount"] == 2
    assert gw.call(kb, "ListAssets", {})["TotalCount"] == 1
    assert gw.call(ka, "ListAssetGroups", {})["TotalCount"] == 1
    assert gw.call(ka, "GetAssetGroup", {"Id": ga})["AssetCount"] == 1
    assert gw.call(ka, "ListAssets", {})["TotalCount"] == 1
