"""test_audit.py — the audit log (API.md §7 ListAuditEvents, issue 16).

- Every audited kind appears exactly once, with who did it (the key's
  prefix, or "cli" for `porticod keys`/`admin`), from which address, when,
  and what else it says: keys created and revoked over HTTP (an admin key)
  and by the command line; admin keys; face scans started, passed (with
  their LivenessFace group) and failed (with the H5 result code); assets
  registered into the LivenessFace group (by URL and by upload, naming the
  scan that made the group), and not those of AIGC groups; deletes of an
  asset and of a group with its assets; customers created.
- Customers: created, renamed, disabled, enabled, changed over HTTP (the
  admin key and its address) and by `porticod keys create` (cli): exactly
  one entry per kind of change, saying what changed from what; a change
  refused (unknown customer, bad value, name taken) or changing nothing
  leaves none.
- Filters (CustomerId, Type, GroupId, From/To) and pages (PageSize, Cursor)
  give exactly the matching entries, newest first, each once.
- Bad parameters are InvalidParameter.
- In the change's own transaction: deletes racing a SIGKILL of the gateway
  leave, after a restart, exactly one entry per change that happened and
  none for one that did not.
"""
import calendar
import os
import random
import re
import threading
import time

import portico
import test_upload as up
from portico import Gateway, MediaServer, expect_error, http_request, ok, wait_active
from test_liveness import h5_submit, result, start_session


def audit_all(gw, admin, page_size=3, **filters):
    """Every matching entry, following the cursor page by page."""
    items, cursor, pages = [], None, 0
    while True:
        body = dict(filters, PageSize=page_size)
        if cursor:
            body["Cursor"] = cursor
        r = gw.admin_call(admin, "ListAuditEvents", body)
        assert len(r["Items"]) <= page_size, r
        items += r["Items"]
        pages += 1
        assert pages < 200, "the cursor does not end"
        cursor = r["NextCursor"]
        if not cursor:
            return items


def stamp():
    return time.time()


def test_every_audited_kind_once_with_who_where_and_when(media):
    gw = Gateway()
    t0 = stamp()
    admin = gw.create_admin_key()  # AdminKeyCreated, by cli
    admin_prefix = admin[:13]
    cid = gw.admin_call(admin, "CreateCustomer", {"Name": "acme"})["Id"]
    made = gw.admin_call(admin, "CreateApiKey", {"CustomerId": cid})  # ApiKeyCreated, by the admin key
    key, prefix = made["Key"], made["Prefix"]
    cli_key = gw.create_key("acme")  # ApiKeyCreated, by cli (the same customer, by name)
    cli_prefix = cli_key[:12]
    spare = gw.admin_call(admin, "CreateApiKey", {"CustomerId": cid})
    gw.admin_call(admin, "RevokeApiKey", {"Prefix": spare["Prefix"]})  # ApiKeyRevoked, by the admin key
    gw.revoke_key(cli_prefix)  # ApiKeyRevoked, by cli
    # face scans: one passes, one fails
    s = start_session(gw, key)
    assert h5_submit(s["H5Link"], "pass")[0] == 200
    lg = ok(result(gw, key, s["BytedToken"]))["GroupId"]
    f = start_session(gw, key)
    assert h5_submit(f["H5Link"], "fail")[0] == 200
    expect_error(result(gw, key, f["BytedToken"]), "InvalidToken")
    # assets of the LivenessFace group: by URL and by upload; an AIGC one is not audited
    face_url = gw.create_asset(key, lg, media.png_url(640, 640, "face"))
    face_up = ok(up.upload(gw, key, lg, up.png(640, 480, seed=9)), "Upload")["Id"]
    g = gw.create_group(key, "plain")
    plain = gw.create_asset(key, g, media.png_url(640, 640, "plain"))
    for aid in (face_url, face_up, plain):
        wait_active(gw, key, aid)
    ok(gw.action(key, "DeleteAsset", {"Id": plain}))
    ok(gw.action(key, "DeleteAssetGroup", {"Id": lg}))  # the group and its two faces
    t1 = stamp()

    items = audit_all(gw, admin)
    seen = [(e["Type"], e["Subject"]) for e in items]
    want = {("AdminKeyCreated", admin_prefix), ("CustomerCreated", "acme"), ("ApiKeyCreated", prefix),
            ("ApiKeyCreated", cli_prefix),
            ("ApiKeyCreated", spare["Prefix"]), ("ApiKeyRevoked", spare["Prefix"]), ("ApiKeyRevoked", cli_prefix),
            ("LivenessSessionStarted", s["BytedToken"]), ("LivenessSessionPassed", s["BytedToken"]),
            ("LivenessSessionStarted", f["BytedToken"]), ("LivenessSessionFailed", f["BytedToken"]),
            ("LivenessAssetRegistered", face_url), ("LivenessAssetRegistered", face_up),
            ("AssetDeleted", plain), ("AssetGroupDeleted", lg)}
    assert sorted(seen) == sorted(want), "audit log %r\nwant %r" % (sorted(seen), sorted(want))
    assert [e["Id"] for e in items] == sorted((e["Id"] for e in items), reverse=True)  # newest first, no repeats
    by = {(e["Type"], e["Subject"]): e for e in items}
    for e in items:
        t = calendar.timegm(time.strptime(e["Time"], "%Y-%m-%dT%H:%M:%SZ"))
        assert t0 - 2 <= t <= t1 + 2, (e, t0, t1)
        assert e["CustomerId"] == (0 if e["Type"] == "AdminKeyCreated" else cid), e
        assert e["CustomerName"] == ("" if e["CustomerId"] == 0 else "acme"), e
    # who and from where
    cli = {"KeyPrefix": "cli", "Address": ""}
    here = {"Address": "127.0.0.1"}
    assert by[("AdminKeyCreated", admin_prefix)]["Actor"] == cli
    assert by[("ApiKeyCreated", cli_prefix)]["Actor"] == cli
    assert by[("ApiKeyRevoked", cli_prefix)]["Actor"] == cli
    for k in (("CustomerCreated", "acme"), ("ApiKeyCreated", prefix), ("ApiKeyCreated", spare["Prefix"]),
              ("ApiKeyRevoked", spare["Prefix"])):
        assert by[k]["Actor"] == dict(here, KeyPrefix=admin_prefix), by[k]
    for k in (("LivenessSessionStarted", s["BytedToken"]), ("LivenessSessionPassed", s["BytedToken"]),
              ("LivenessSessionFailed", f["BytedToken"]), ("LivenessAssetRegistered", face_url),
              ("LivenessAssetRegistered", face_up), ("AssetDeleted", plain), ("AssetGroupDeleted", lg)):
        assert by[k]["Actor"] == dict(here, KeyPrefix=prefix), by[k]
    # what each says: the passed scan links its group and its session
    passed = by[("LivenessSessionPassed", s["BytedToken"])]
    assert passed["GroupId"] == lg and passed["Detail"]["ResultCode"] == "10000", passed
    assert passed["Detail"]["ExpireTime"] == s["ExpireTime"], (passed, s)
    assert passed["Detail"]["StartTime"] <= passed["Detail"]["EndTime"] == passed["Time"], passed
    assert by[("LivenessSessionFailed", f["BytedToken"])]["Detail"]["ResultCode"] == "10001"
    assert by[("LivenessSessionStarted", s["BytedToken"])]["Detail"]["ExpireTime"] == s["ExpireTime"]
    for aid in (face_url, face_up):
        e = by[("LivenessAssetRegistered", aid)]
        assert e["GroupId"] == lg and e["Detail"]["BytedToken"] == s["BytedToken"], e
        assert e["Detail"]["AssetType"] == "Image", e
    assert by[("LivenessAssetRegistered", face_up)]["Detail"]["Bytes"] == len(up.png(640, 480, seed=9))
    assert by[("LivenessAssetRegistered", face_url)]["Detail"]["Bytes"] == 0  # not stored by Portico
    assert by[("AssetGroupDeleted", lg)]["Detail"] == {"GroupType": "LivenessFace", "AssetsDeleted": 2}
    assert by[("AssetDeleted", plain)]["GroupId"] == g and by[("AssetDeleted", plain)]["Detail"]["GroupType"] == "AIGC"

    # filters, each against the full list
    def only(pred):
        return [e for e in items if pred(e)]

    assert audit_all(gw, admin, Type="ApiKeyCreated") == only(lambda e: e["Type"] == "ApiKeyCreated")
    assert audit_all(gw, admin, CustomerId=cid, page_size=100) == only(lambda e: e["CustomerId"] == cid)
    assert audit_all(gw, admin, CustomerId=0) == only(lambda e: e["CustomerId"] == 0)
    assert audit_all(gw, admin, GroupId=lg) == only(lambda e: e["GroupId"] == lg)
    assert len(audit_all(gw, admin, GroupId=lg)) == 4  # passed, two faces, the group's delete
    mid = passed["Time"]
    assert audit_all(gw, admin, To=mid) == only(lambda e: e["Time"] < mid)
    assert audit_all(gw, admin, From=mid) == only(lambda e: e["Time"] >= mid)
    assert audit_all(gw, admin, From=mid, Type="LivenessSessionPassed") == [passed]
    assert audit_all(gw, admin, CustomerId=cid + 100) == []
    first = gw.admin_call(admin, "ListAuditEvents", {})
    assert first["Items"] == items[:20] and first["NextCursor"] == "", first  # default page: 20

    # bad parameters
    for body in ({"Type": "Nope"}, {"From": "2026-05-01T00:00:00"}, {"From": "2026-05-01T00:00:00+08:00"},
                 {"From": "2026-05-02T00:00:00Z", "To": "2026-05-01T00:00:00Z"}, {"PageSize": 0},
                 {"PageSize": 101}, {"Cursor": "abc"}, {"Cursor": "-1"}, {"CustomerId": -2}, {"GroupId": "x" * 80},
                 {"Type": 5}):
        expect_error(gw.admin_action(admin, "ListAuditEvents", body), "InvalidParameter")
    expect_error(gw.admin_action(key, "ListAuditEvents", {}), "Unauthorized")
    st, _, _ = http_request(gw.port, "POST", "/admin/?Action=ListAuditEvents&Version=2024-01-01", b"{}",
                            {"Authorization": "Bearer " + admin})
    assert st == 404, st
    gw.stop()


def test_customer_changes_each_leave_their_entry_and_refused_ones_none():
    gw = Gateway()
    admin = gw.create_admin_key()
    by_admin = {"KeyPrefix": admin[:13], "Address": "127.0.0.1"}
    cli = {"KeyPrefix": "cli", "Address": ""}

    def customer_log():
        return [e for e in reversed(audit_all(gw, admin, page_size=100)) if e["Type"].startswith("Customer")]

    def update(body):
        gw.admin_call(admin, "UpdateCustomer", dict(body, Id=cid))

    cid = gw.admin_call(admin, "CreateCustomer", {"Name": "globex", "KeyRate": 5})["Id"]
    update({"Name": "globex-eu"})
    update({"Disabled": True})
    update({"Disabled": False})
    update({"AIGCEnabled": False, "KeyRate": 10, "Disabled": True})  # two kinds of change: two entries
    update({"Disabled": True, "KeyRate": 10, "Name": "globex-eu"})  # as it is: nothing changed, no entry
    # `porticod keys create` makes a customer it does not know, and sets the AIGC flag of one it does
    gw.create_key("initech")
    gw.create_key("initech", aigc=False)
    gw.create_key("initech", aigc=False)  # the flag as it is: no entry
    initech = next(c["Id"] for c in gw.admin_call(admin, "ListCustomers", {"Filter": {"Name": "initech"}})["Items"])

    log = customer_log()
    got = [(e["Type"], e["CustomerId"], e["Subject"], e["Detail"]) for e in log]
    assert got == [
        ("CustomerCreated", cid, "globex", {"AIGCEnabled": True, "KeyRate": 5, "Disabled": False}),
        ("CustomerUpdated", cid, "globex-eu", {"Name": {"From": "globex", "To": "globex-eu"}}),
        ("CustomerDisabled", cid, "globex-eu", {}),
        ("CustomerEnabled", cid, "globex-eu", {}),
        ("CustomerUpdated", cid, "globex-eu", {"AIGCEnabled": {"From": True, "To": False},
                                               "KeyRate": {"From": 5, "To": 10}}),
        ("CustomerDisabled", cid, "globex-eu", {}),
        ("CustomerCreated", initech, "initech", {"AIGCEnabled": True, "KeyRate": 0, "Disabled": False}),
        ("CustomerUpdated", initech, "initech", {"AIGCEnabled": {"From": True, "To": False}}),
    ], got
    for e in log:
        assert e["Actor"] == (by_admin if e["CustomerId"] == cid else cli), e
        assert e["CustomerName"] == ("globex-eu" if e["CustomerId"] == cid else "initech"), e
        assert e["GroupId"] == "", e
    # the two entries of one UpdateCustomer: one transaction, one time
    assert log[4]["Time"] == log[5]["Time"] and log[4]["Id"] + 1 == log[5]["Id"], log[4:6]

    # each type is a filter, as is every AuditType the description lists
    whole = audit_all(gw, admin, page_size=100)
    for t in ("CustomerCreated", "CustomerUpdated", "CustomerDisabled", "CustomerEnabled"):
        assert audit_all(gw, admin, Type=t) == [e for e in whole if e["Type"] == t], t
    with open(os.path.join(portico.ROOT, "docs", "openapi.yaml"), encoding="utf-8") as f:
        listed = re.search(r"^    AuditType: \{type: string, enum: \[([^\]]*)\]\}$", f.read(), re.M)
    assert listed and "CustomerDisabled" in listed.group(1), "no AuditType enum in docs/openapi.yaml"
    for t in listed.group(1).split(","):
        assert audit_all(gw, admin, Type=t.strip()) == [e for e in whole if e["Type"] == t.strip()], t
    assert audit_all(gw, admin, CustomerId=initech) == [e for e in whole if e["CustomerId"] == initech]

    # refused changes leave nothing
    gw.admin_call(admin, "CreateCustomer", {"Name": "hooli"})
    whole = audit_all(gw, admin, page_size=100)
    for body in ({"Id": 999999, "Disabled": False}, {"Id": 999999, "Name": "ghost"}, {"Id": cid, "KeyRate": -1},
                 {"Id": cid, "KeyRate": 2000000}, {"Id": cid, "Disabled": "no"}, {"Id": cid, "Name": ""},
                 {"Id": cid, "Name": "hooli"}, {"Id": cid}, {"Id": cid, "AIGCEnabled": 1, "Disabled": False}):
        expect_error(gw.admin_action(admin, "UpdateCustomer", body), "InvalidParameter")
    for body in ({"Name": "hooli"}, {"Name": ""}, {"Name": "x", "KeyRate": -5}):
        expect_error(gw.admin_action(admin, "CreateCustomer", body), "InvalidParameter")
    assert audit_all(gw, admin, page_size=100) == whole
    rows = {c["Id"]: c for c in gw.admin_call(admin, "ListCustomers", {"PageSize": 100})["Items"]}
    assert (rows[cid]["Name"], rows[cid]["Disabled"], rows[cid]["KeyRate"]) == ("globex-eu", True, 10), rows[cid]
    gw.stop()


def test_deletes_killed_midway_leave_an_entry_exactly_for_each_change(media):
    """Deletes race a SIGKILL; after the restart each asset and group that
    is gone has exactly one entry saying so, and nothing that stayed has
    one: the entry is written in the transaction of the change."""
    gw = Gateway(processing_ms=100)
    admin = gw.create_admin_key()
    key = gw.create_key("acme")
    groups = [gw.create_group(key, "g%d" % i) for i in range(4)]
    assets = {}
    for i in range(40):
        g = groups[i % len(groups)]
        assets[gw.create_asset(key, g, media.png_url(640, 640, "k%d" % i))] = g
    for aid in assets:
        wait_active(gw, key, aid)
    acked = set()
    lock = threading.Lock()
    rnd = random.Random(7)
    order = list(assets) + groups[2:]
    rnd.shuffle(order)

    def delete(ids):
        for x in ids:
            action = "DeleteAssetGroup" if x.startswith("group-") else "DeleteAsset"
            try:
                st, _, _ = http_request(gw.port, "POST", "/v1/portrait/?Action=%s&Version=2024-01-01" % action,
                                        ('{"Id": "%s"}' % x).encode(), {"Authorization": "Bearer " + key,
                                                                        "Content-Type": "application/json"},
                                        timeout=10)
            except OSError:
                return  # the gateway is gone
            if st == 200:
                with lock:
                    acked.add(x)

    workers = [threading.Thread(target=delete, args=(order[i::6],)) for i in range(6)]
    for w in workers:
        w.start()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with lock:
            if len(acked) >= 12:
                break
        time.sleep(0.01)
    gw.kill()  # SIGKILL: deletes in flight die wherever they are
    for w in workers:
        w.join()
    gw.start()
    items = audit_all(gw, admin, page_size=100)
    deleted_assets = [e["Subject"] for e in items if e["Type"] == "AssetDeleted"]
    deleted_groups = [e["Subject"] for e in items if e["Type"] == "AssetGroupDeleted"]
    assert len(deleted_assets) == len(set(deleted_assets)) and len(deleted_groups) == len(set(deleted_groups))
    assert acked <= set(deleted_assets) | set(deleted_groups), acked - set(deleted_assets) - set(deleted_groups)
    assert len(acked) >= 12, acked
    for g in groups:
        gone = gw.action(key, "GetAssetGroup", {"Id": g}).status == 403
        assert gone == (g in deleted_groups), (g, gone)
    for aid, g in assets.items():
        gone = gw.action(key, "GetAsset", {"Id": aid}).status == 403
        alone = aid in deleted_assets
        with_group = g in deleted_groups
        assert gone == (alone or with_group), (aid, gone, alone, with_group)
        if alone and with_group:  # deleted alone first: the group's delete came later
            entry = {e["Subject"]: e["Id"] for e in items}
            assert entry[aid] < entry[g], (aid, g)
    # The group entries count the assets each took along.
    for e in items:
        if e["Type"] == "AssetGroupDeleted":
            took = sum(1 for aid, g in assets.items() if g == e["Subject"] and aid not in deleted_assets)
            assert e["Detail"]["AssetsDeleted"] == took, (e, took)
    rc, out = gw.verify_usage()
    assert rc == 0, out
    gw.stop()
