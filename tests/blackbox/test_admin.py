"""The operators' API (API.md §7): admin keys (`porticod admin`), the admin
Action endpoint POST /admin/?Action=&Version= on the admin listener with
the public endpoint's envelope and generic checks, customers (Create, List,
Update: Name, AIGCEnabled, KeyRate, Disabled) and their API keys (Create,
List, Revoke) over HTTP, shared with `porticod keys`; the public listener
knows nothing of it (404 on /metrics and every admin path), and neither
listener takes the other's keys (401)."""
import json
import subprocess
import time

import portico
from portico import (RFC3339_UTC_RE, Gateway, check_envelope, expect_error, free_port, http_request, ok,
                     parallel)


def _wait_for(fn, what, timeout=3.0):
    """fn() until it returns a true value; the value. Fails after timeout."""
    t0 = time.monotonic()
    while True:
        v = fn()
        if v:
            return v
        assert time.monotonic() - t0 < timeout, "%s: not within %.1fs" % (what, timeout)
        time.sleep(0.05)


def _customer(gw, ak, name, **fields):
    body = {"Name": name}
    body.update(fields)
    return gw.admin_call(ak, "CreateCustomer", body)["Id"]


def _key(gw, ak, customer_id):
    r = gw.admin_call(ak, "CreateApiKey", {"CustomerId": customer_id})
    return r["Key"], r["Prefix"]


# ---------------------------------------------------------------- admin keys

def test_admin_key_lifecycle(gw):
    ak = gw.create_admin_key()
    assert ak.startswith("ptca_") and len(ak) == 45, ak
    other = gw.create_admin_key()
    assert other != ak
    rows = gw.cli("admin", "list").stdout.decode()
    assert ak not in rows and other not in rows, "admin list prints whole keys:\n" + rows
    prefix = ak[:13]
    assert prefix in rows and other[:13] in rows, rows
    line = [l for l in rows.splitlines() if l.startswith(prefix)][0]
    assert "active" in line, line
    gw.admin_call(ak, "ListCustomers", {})

    cp = gw.cli("admin", "revoke", prefix)
    assert cp.returncode == 0
    # Admin keys are not cached: the revocation holds on the very next request.
    expect_error(gw.admin_action(ak, "ListCustomers", {}), "Unauthorized")
    gw.admin_call(other, "ListCustomers", {})
    line = [l for l in gw.cli("admin", "list").stdout.decode().splitlines() if l.startswith(prefix)][0]
    assert "revoked" in line, line
    # Revoking it again, or an unknown prefix: exit 1 with a message.
    for p in (prefix, "ptca_ZZZZZZZZ"):
        cp = gw.cli("admin", "revoke", p, check=False)
        assert cp.returncode == 1 and b"no active admin key" in cp.stderr, (cp.returncode, cp.stderr)
    # Usage errors: exit 2.
    for args in (("admin",), ("admin", "frobnicate"), ("admin", "revoke")):
        cp = gw.cli(*args, check=False)
        assert cp.returncode == 2, (args, cp.returncode, cp.stderr)
    # It survives a restart; the revoked one stays revoked.
    gw.restart()
    gw.admin_call(other, "ListCustomers", {})
    expect_error(gw.admin_action(ak, "ListCustomers", {}), "Unauthorized")


def test_keys_never_cross_listeners(gw):
    ak = gw.create_admin_key()
    k = gw.create_key("acme")
    gw.call(k, "ListAssetGroups", {})
    # A customer's key on the admin listener: Unauthorized, whatever the Action.
    for action in ("ListCustomers", "CreateApiKey", "NoSuchAction"):
        err = expect_error(gw.admin_action(k, action, {}), "Unauthorized")
        assert "admin" in err["Message"], err
    # An admin key on the public listener: Unauthorized too.
    for action in ("ListAssetGroups", "CreateAssetGroup"):
        expect_error(gw.action(ak, action, {"Name": "x", "GroupType": "AIGC"}), "Unauthorized")
    # ... and on the admin path of the public listener there is nothing at all.
    r = gw.admin_action(ak, "ListCustomers", {}, port=gw.port)
    assert r.status == 404, r.describe()
    # Keys that only look alike: an admin key cut to a customer key's shape,
    # a customer key dressed as an admin key.
    expect_error(gw.action("ptc_" + ak[5:], "ListAssetGroups", {}), "Unauthorized")
    expect_error(gw.admin_action("ptca_" + k[4:], "ListCustomers", {}), "Unauthorized")
    expect_error(gw.admin_action("ptca_" + k[4:] + "x", "ListCustomers", {}), "Unauthorized")
    expect_error(gw.admin_action(ak[:-1] + ("A" if ak[-1] != "A" else "B"), "ListCustomers", {}), "Unauthorized")
    for hdrs in ({"Authorization": None}, {"Authorization": "Basic " + ak}, {"Authorization": ak},
                 {"Authorization": "Bearer "}):
        expect_error(gw.admin_action(None, "ListCustomers", {}, headers=hdrs), "Unauthorized")
    assert gw.admin_call(ak, "ListCustomers", {})["TotalCount"] == 1


def test_public_listener_has_no_admin_paths(gw):
    ak = gw.create_admin_key()
    k = gw.create_key("acme")
    for method, path in (("GET", "/metrics"), ("HEAD", "/metrics"), ("POST", "/metrics"), ("GET", "/admin/"),
                         ("POST", "/admin/"), ("POST", "/admin"), ("POST", "/admin/?Action=ListCustomers"),
                         ("POST", "/admin/?Action=ListCustomers&Version=2024-01-01"), ("GET", "/admin/x")):
        for auth in (None, ak, k):
            hdrs = {"Authorization": "Bearer " + auth} if auth else None
            st, h, raw = http_request(gw.port, method, path, b"{}" if method == "POST" else None, hdrs)
            assert st == 404, "%s %s on the public listener: %d %r" % (method, path, st, raw[:300])
            assert b"ListCustomers" not in raw and b"portico_" not in raw, raw[:300]
    # The admin listener has them, and not the public Actions.
    st, h, raw = gw.admin_get("/metrics")
    assert st == 200 and b"portico_requests_total" in raw, (st, raw[:300])
    st, _, raw = http_request(gw.admin_port, "POST", "/v1/portrait/?Action=ListAssetGroups&Version=2024-01-01",
                              b"{}", {"Authorization": "Bearer " + k})
    assert st == 404, (st, raw[:300])
    assert b"/admin/" in raw, "the admin listener's 404 should point at /admin/: %r" % raw[:300]


def test_admin_endpoint_generic_checks(gw):
    ak = gw.create_admin_key()
    # The envelope: RequestId = X-Request-Id, Action and Version echoed.
    r = gw.admin_action(ak, "ListCustomers", {})
    md = check_envelope(r, "ListCustomers")
    assert "Error" not in md and r.status == 200
    ids = {gw.admin_action(ak, "ListCustomers", {}).json["ResponseMetadata"]["RequestId"] for _ in range(5)}
    assert len(ids) == 5, "RequestId is not unique per request"
    # Unknown Action, missing Action.
    err = expect_error(gw.admin_action(ak, "DeleteEverything", {}), "InvalidAction")
    expect_error(gw.admin_action(ak, "ListAssetGroups", {}), "InvalidAction")  # a public Action
    expect_error(gw.admin_action(ak, None, {}), "InvalidAction", action="")
    # Version: missing or other.
    expect_error(gw.admin_action(ak, "ListCustomers", {}, version=None), "InvalidParameter", version="")
    expect_error(gw.admin_action(ak, "ListCustomers", {}, version="2023-01-01"), "InvalidParameter", version="")
    # Action twice, or spelled otherwise: nothing runs.
    before = gw.admin_call(ak, "ListCustomers", {})["TotalCount"]
    for q in ("Action=CreateCustomer&Action=CreateCustomer&Version=2024-01-01",
              "action=CreateCustomer&Action=CreateCustomer&Version=2024-01-01",
              "Action=CreateCustomer%00&Version=2024-01-01"):
        r = gw.admin_action(ak, None, {"Name": "sneaky"}, query=q)
        assert r.status == 400 and r.json["ResponseMetadata"]["Error"]["Code"] == "InvalidParameter", r.describe()
    assert gw.admin_call(ak, "ListCustomers", {})["TotalCount"] == before
    # The body: a JSON object of at most 64 KiB; empty is {}.
    expect_error(gw.admin_action(ak, "ListCustomers", b"[1, 2]"), "InvalidParameter")
    expect_error(gw.admin_action(ak, "ListCustomers", b"{not json"), "InvalidParameter")
    expect_error(gw.admin_action(ak, "ListCustomers", b'{"a": 1, "a": 2}'), "InvalidParameter")
    ok(gw.admin_action(ak, "ListCustomers", None))
    big = {"Name": "x" * (64 * 1024)}
    expect_error(gw.admin_action(ak, "CreateCustomer", big), "PayloadTooLarge")
    # Wrong method: 405 in the envelope.
    st, h, raw = http_request(gw.admin_port, "GET", "/admin/?Action=ListCustomers&Version=2024-01-01", None,
                              {"Authorization": "Bearer " + ak})
    assert st == 405, (st, raw)
    body = json.loads(raw)
    assert body["ResponseMetadata"]["Error"]["Code"] == "MethodNotAllowed", body
    # Without a key the Action does not run, and is not revealed as unknown first.
    expect_error(gw.admin_action(None, "CreateCustomer", {"Name": "nokey"}), "Unauthorized")
    expect_error(gw.admin_action(None, "DeleteEverything", {}), "Unauthorized")
    assert all(c["Name"] != "nokey" for c in gw.admin_call(ak, "ListCustomers", {"PageSize": 100})["Items"])
    # Every admin request is logged with its Action, never with the key.
    lines = [l for l in gw.log_lines() if l.get("action") == "ListCustomers"]
    assert lines, "no log line for ListCustomers"
    assert ak not in gw.stdout_text() and ak not in gw.stderr_text(), "an admin key in the log"
    assert err["Message"]


# ---------------------------------------------------------------- customers

def test_customers_create_list_update(gw):
    ak = gw.create_admin_key()
    t0 = time.time()
    acme = _customer(gw, ak, "acme")
    assert isinstance(acme, int) and acme > 0
    beta = _customer(gw, ak, "beta corp", AIGCEnabled=False, KeyRate=7, Disabled=True)
    lst = gw.admin_call(ak, "ListCustomers", {})
    assert lst["TotalCount"] == 2 and lst["PageNumber"] == 1 and lst["PageSize"] == 10, lst
    by = {c["Id"]: c for c in lst["Items"]}
    assert [c["Id"] for c in lst["Items"]] == [beta, acme], "newest first: %r" % lst["Items"]
    a, b = by[acme], by[beta]
    assert (a["Name"], a["AIGCEnabled"], a["KeyRate"], a["Disabled"], a["ActiveKeyCount"]) == \
        ("acme", True, 0, False, 0), a
    assert (b["Name"], b["AIGCEnabled"], b["KeyRate"], b["Disabled"]) == ("beta corp", False, 7, True), b
    assert RFC3339_UTC_RE.match(a["CreateTime"]), a
    assert set(a) == {"Id", "Name", "AIGCEnabled", "KeyRate", "Disabled", "ActiveKeyCount", "CreateTime"}, a

    # Names are unique, also against `porticod keys create --customer`.
    err = expect_error(gw.admin_action(ak, "CreateCustomer", {"Name": "acme"}), "InvalidParameter")
    assert "acme" in err["Message"] and "exists" in err["Message"], err
    gw.create_key("from-cli")
    expect_error(gw.admin_action(ak, "CreateCustomer", {"Name": "from-cli"}), "InvalidParameter")
    # Bad fields.
    for body, word in (({}, "Name"), ({"Name": ""}, "Name"), ({"Name": "x" * 65}, "Name"),
                       ({"Name": "tab\there"}, "control"), ({"Name": 5}, "Name"),
                       ({"Name": "n1", "AIGCEnabled": "yes"}, "AIGCEnabled"),
                       ({"Name": "n2", "AIGCEnabled": 1}, "AIGCEnabled"),
                       ({"Name": "n3", "Disabled": "false"}, "Disabled"),
                       ({"Name": "n4", "KeyRate": -1}, "KeyRate"), ({"Name": "n5", "KeyRate": 1000001}, "KeyRate"),
                       ({"Name": "n6", "KeyRate": 1.5}, "KeyRate"), ({"Name": "n7", "KeyRate": 2 ** 40}, "KeyRate")):
        err = expect_error(gw.admin_action(ak, "CreateCustomer", body), "InvalidParameter")
        assert word in err["Message"], (body, err)
    _customer(gw, ak, "x" * 64)  # 64 bytes is the limit
    _customer(gw, ak, "名字")    # UTF-8 names
    total = gw.admin_call(ak, "ListCustomers", {})["TotalCount"]
    assert total == 5, "a refused CreateCustomer was recorded: %d" % total

    # Paging and the name filter (a substring).
    for i in range(12):
        _customer(gw, ak, "bulk-%02d" % i)
    p1 = gw.admin_call(ak, "ListCustomers", {"PageSize": 5, "Filter": {"Name": "bulk-"}})
    p3 = gw.admin_call(ak, "ListCustomers", {"PageSize": 5, "PageNumber": 3, "Filter": {"Name": "bulk-"}})
    assert p1["TotalCount"] == 12 and len(p1["Items"]) == 5, p1
    assert [c["Name"] for c in p3["Items"]] == ["bulk-01", "bulk-00"], p3
    assert gw.admin_call(ak, "ListCustomers", {"Filter": {"Name": "%"}})["TotalCount"] == 0
    assert gw.admin_call(ak, "ListCustomers", {"Filter": {"Name": "名"}})["TotalCount"] == 1
    for body in ({"PageSize": 0}, {"PageSize": 101}, {"PageNumber": 0}, {"Filter": "x"},
                 {"Filter": {"Name": 3}}, {"PageSize": "5"}):
        expect_error(gw.admin_action(ak, "ListCustomers", body), "InvalidParameter")

    # Update: each field alone, several at once; the answer is the Id.
    assert gw.admin_call(ak, "UpdateCustomer", {"Id": acme, "Name": "acme inc"}) == {"Id": acme}
    gw.admin_call(ak, "UpdateCustomer", {"Id": acme, "KeyRate": 50})
    gw.admin_call(ak, "UpdateCustomer", {"Id": acme, "AIGCEnabled": False, "Disabled": True})
    a = gw.admin_call(ak, "ListCustomers", {"Filter": {"Name": "acme inc"}})["Items"][0]
    assert (a["Id"], a["Name"], a["KeyRate"], a["AIGCEnabled"], a["Disabled"]) == \
        (acme, "acme inc", 50, False, True), a
    gw.admin_call(ak, "UpdateCustomer", {"Id": acme, "KeyRate": 0, "Disabled": False, "AIGCEnabled": True})
    a = gw.admin_call(ak, "ListCustomers", {"Filter": {"Name": "acme inc"}})["Items"][0]
    assert (a["KeyRate"], a["AIGCEnabled"], a["Disabled"]) == (0, True, False), a
    # Update errors.
    err = expect_error(gw.admin_action(ak, "UpdateCustomer", {"Id": 999999, "Name": "ghost"}), "InvalidParameter")
    assert "999999" in err["Message"], err
    expect_error(gw.admin_action(ak, "UpdateCustomer", {"Id": acme}), "InvalidParameter")
    expect_error(gw.admin_action(ak, "UpdateCustomer", {"Name": "no id"}), "InvalidParameter")
    expect_error(gw.admin_action(ak, "UpdateCustomer", {"Id": str(acme), "Name": "s"}), "InvalidParameter")
    err = expect_error(gw.admin_action(ak, "UpdateCustomer", {"Id": acme, "Name": "beta corp"}), "InvalidParameter")
    assert "beta corp" in err["Message"], err
    expect_error(gw.admin_action(ak, "UpdateCustomer", {"Id": acme, "KeyRate": -3}), "InvalidParameter")
    expect_error(gw.admin_action(ak, "UpdateCustomer", {"Id": acme, "Name": ""}), "InvalidParameter")
    assert gw.admin_call(ak, "ListCustomers", {"Filter": {"Name": "acme inc"}})["TotalCount"] == 1
    assert abs(time.time() - t0) < 120


def test_concurrent_creates_of_one_name_make_one_customer(gw):
    ak = gw.create_admin_key()
    rs = parallel(lambda i: gw.admin_action(ak, "CreateCustomer", {"Name": "racer"}), range(8))
    oks = [r for r in rs if not isinstance(r, Exception) and r.status == 200]
    assert len(oks) == 1, [getattr(r, "status", r) for r in rs]
    for r in rs:
        if r is not oks[0]:
            expect_error(r, "InvalidParameter")
    assert gw.admin_call(ak, "ListCustomers", {"Filter": {"Name": "racer"}})["TotalCount"] == 1


def test_aigc_flag_applies_to_the_customer(gw):
    ak = gw.create_admin_key()
    cid = _customer(gw, ak, "noaigc", AIGCEnabled=False)
    k, _ = _key(gw, ak, cid)
    expect_error(gw.action(k, "CreateAssetGroup", {"Name": "g", "GroupType": "AIGC"}), "AIGCNotAvailable")
    gw.admin_call(ak, "UpdateCustomer", {"Id": cid, "AIGCEnabled": True})
    _wait_for(lambda: gw.action(k, "CreateAssetGroup", {"Name": "g", "GroupType": "AIGC"}).status == 200,
              "AIGCEnabled true took effect")


# ---------------------------------------------------------------- API keys

def test_api_keys_over_http(gw):
    ak = gw.create_admin_key()
    acme = _customer(gw, ak, "acme")
    beta = _customer(gw, ak, "beta")
    r = gw.admin_call(ak, "CreateApiKey", {"CustomerId": acme})
    k1 = r["Key"]
    assert set(r) == {"Key", "Prefix", "CustomerId", "CreateTime"}, r
    assert k1.startswith("ptc_") and len(k1) == 44 and k1.startswith(r["Prefix"]) and r["CustomerId"] == acme, r
    assert RFC3339_UTC_RE.match(r["CreateTime"]), r
    # It works on the public listener at once.
    gid = gw.create_group(k1, "first")
    k2, p2 = _key(gw, ak, acme)
    assert gw.call(k2, "GetAssetGroup", {"Id": gid})["Name"] == "first", "a second key is another customer"
    k3, p3 = _key(gw, ak, beta)
    assert gw.call(k3, "ListAssetGroups", {})["TotalCount"] == 0, "beta sees acme's groups"
    # A key made by `porticod keys create` shows too; every key in `keys list`.
    kc = gw.create_key("acme")  # the same customer, by name
    assert gw.call(kc, "GetAssetGroup", {"Id": gid})["Name"] == "first"

    lst = gw.admin_call(ak, "ListApiKeys", {})
    assert lst["TotalCount"] == 4 and lst["PageNumber"] == 1 and lst["PageSize"] == 10, lst
    raw = json.dumps(lst)
    for k in (k1, k2, k3, kc):
        assert k not in raw and k[12:] not in raw, "ListApiKeys shows a key"
    item = [i for i in lst["Items"] if i["Prefix"] == p2][0]
    assert set(item) == {"Prefix", "CustomerId", "CustomerName", "Status", "CreateTime", "RevokeTime"}, item
    assert (item["CustomerId"], item["CustomerName"], item["Status"], item["RevokeTime"]) == \
        (acme, "acme", "Active", None), item
    assert lst["Items"][0]["Prefix"] == kc[:12], "newest first: %r" % lst["Items"]
    only = gw.admin_call(ak, "ListApiKeys", {"CustomerId": beta})
    assert only["TotalCount"] == 1 and only["Items"][0]["Prefix"] == p3, only
    page = gw.admin_call(ak, "ListApiKeys", {"CustomerId": acme, "PageSize": 2, "PageNumber": 2})
    assert page["TotalCount"] == 3 and len(page["Items"]) == 1 and page["Items"][0]["Prefix"] == k1[:12], page
    cust = {c["Id"]: c for c in gw.admin_call(ak, "ListCustomers", {})["Items"]}
    assert cust[acme]["ActiveKeyCount"] == 3 and cust[beta]["ActiveKeyCount"] == 1, cust
    listing = gw.cli("keys", "list").stdout.decode()
    for p in (k1[:12], p2, p3, kc[:12]):
        assert p in listing, "`keys list` misses %s:\n%s" % (p, listing)

    # Revoke over HTTP: the key stops (within the auth cache's second), the others work.
    assert gw.admin_call(ak, "RevokeApiKey", {"Prefix": p2}) == {"Prefix": p2}
    _wait_for(lambda: gw.action(k2, "ListAssetGroups", {}).status == 401, "a revoked key stopped", 1.5)
    expect_error(gw.action(k2, "ListAssetGroups", {}), "Unauthorized")
    gw.call(k1, "ListAssetGroups", {})
    item = [i for i in gw.admin_call(ak, "ListApiKeys", {"CustomerId": acme})["Items"] if i["Prefix"] == p2][0]
    assert item["Status"] == "Revoked" and RFC3339_UTC_RE.match(item["RevokeTime"]), item
    assert "revoked" in [l for l in gw.cli("keys", "list").stdout.decode().splitlines() if l.startswith(p2)][0]
    # The CLI revokes a key made over HTTP, and HTTP one made by the CLI.
    gw.revoke_key(k1[:12])
    gw.admin_call(ak, "RevokeApiKey", {"Prefix": kc[:12]})
    for k in (k1, kc):
        _wait_for(lambda: gw.action(k, "ListAssetGroups", {}).status == 401, "a revoked key stopped", 1.5)

    # Errors.
    for body, word in (({"Prefix": p2}, "Prefix"), ({"Prefix": "ptc_ZZZZZZZZ"}, "Prefix"), ({}, "Prefix"),
                       ({"Prefix": ""}, "Prefix"), ({"Prefix": 5}, "Prefix"), ({"Prefix": "p" * 500}, "Prefix")):
        err = expect_error(gw.admin_action(ak, "RevokeApiKey", body), "InvalidParameter")
        assert word in err["Message"], (body, err)
    for body in ({"CustomerId": 999999}, {}, {"CustomerId": 0}, {"CustomerId": -1}, {"CustomerId": "1"}):
        err = expect_error(gw.admin_action(ak, "CreateApiKey", body), "InvalidParameter")
        assert "CustomerId" in err["Message"], (body, err)
    err = expect_error(gw.admin_action(ak, "ListApiKeys", {"CustomerId": 999999}), "InvalidParameter")
    assert "999999" in err["Message"], err
    expect_error(gw.admin_action(ak, "ListApiKeys", {"PageSize": 1000}), "InvalidParameter")
    assert gw.admin_call(ak, "ListApiKeys", {})["TotalCount"] == 4, "a refused CreateApiKey made a key"


def test_disabled_customer(gw):
    ak = gw.create_admin_key()
    cid = _customer(gw, ak, "acme")
    k, _ = _key(gw, ak, cid)
    other = gw.create_key("other")
    gid = gw.create_group(k, "kept")
    gw.admin_call(ak, "UpdateCustomer", {"Id": cid, "Disabled": True})
    # Within the auth cache's time (under a second) every key of it stops.
    r = _wait_for(lambda: (lambda r: r if r.status == 401 else None)(gw.action(k, "ListAssetGroups", {})),
                  "Disabled took effect", 1.5)
    err = expect_error(r, "Unauthorized")
    assert "disabled" in err["Message"] and "operator" in err["Message"], err
    k2, _ = _key(gw, ak, cid)  # a key made while disabled does not work either
    err = expect_error(gw.action(k2, "ListAssetGroups", {}), "Unauthorized")
    assert "disabled" in err["Message"], err
    gw.call(other, "ListAssetGroups", {})  # other customers are untouched
    gw.admin_call(ak, "UpdateCustomer", {"Id": cid, "Disabled": False})
    _wait_for(lambda: gw.action(k, "GetAssetGroup", {"Id": gid}).status == 200, "re-enabled", 1.5)
    _wait_for(lambda: gw.action(k2, "ListAssetGroups", {}).status == 200, "re-enabled", 1.5)
    gw.call(k2, "GetAssetGroup", {"Id": gid})  # its records were kept
    # A customer created disabled.
    cid2 = _customer(gw, ak, "dormant", Disabled=True)
    k3, _ = _key(gw, ak, cid2)
    expect_error(gw.action(k3, "ListAssetGroups", {}), "Unauthorized")


def test_key_rate_per_customer(gw):
    """KeyRate r: r requests/s for each of the customer's keys, burst 2r,
    instead of --key-rate (100/s, burst 200 by default)."""
    ak = gw.create_admin_key()
    slow = _customer(gw, ak, "slow", KeyRate=2)
    ks, _ = _key(gw, ak, slow)
    kd = gw.create_key("default")
    rs = [gw.action(ks, "ListAssetGroups", {}) for _ in range(10)]
    codes = [r.status for r in rs]
    assert codes[:4] == [200] * 4 and 429 in codes[4:], "KeyRate 2 (burst 4): %r" % codes
    limited = [r for r in rs if r.status == 429][0]
    expect_error(limited, "TooManyRequests")
    assert int(limited.headers.get("Retry-After", "0")) >= 1, limited.headers
    assert all(gw.action(kd, "ListAssetGroups", {}).status == 200 for _ in range(10)), "the default limit moved"
    # Back to the gateway's default: the key flows again.
    gw.admin_call(ak, "UpdateCustomer", {"Id": slow, "KeyRate": 0})
    time.sleep(1.0)
    codes = [gw.action(ks, "ListAssetGroups", {}).status for _ in range(10)]
    assert codes == [200] * 10, "KeyRate 0 (the default, 100/s): %r" % codes
    # A rate above the gateway's applies too.
    gw2 = Gateway(env={"PORTICO_KEY_RATE": "1", "PORTICO_KEY_BURST": "1"})
    ak2 = gw2.create_admin_key()
    fast = _customer(gw2, ak2, "fast", KeyRate=100)
    kf, _ = _key(gw2, ak2, fast)
    kn = gw2.create_key("normal")
    assert all(gw2.action(kf, "ListAssetGroups", {}).status == 200 for _ in range(10))
    codes = [gw2.action(kn, "ListAssetGroups", {}).status for _ in range(5)]
    assert 429 in codes, "--key-rate 1 did not limit a customer without KeyRate: %r" % codes


# ---------------------------------------------------------------- nodes

def test_keys_over_http_on_any_node(gw):
    """Two gateways on one store (the same SQLite file, or the same
    PostgreSQL database in the pg pass): an admin key made once works on
    both; a key made over HTTP on A works on B at once; revoked over HTTP
    on B, it stops on A within the auth cache's second."""
    b = Gateway(data_dir=gw.data_dir)
    ak = gw.create_admin_key()
    cid = gw.admin_call(ak, "CreateCustomer", {"Name": "acme"})["Id"]
    assert any(c["Id"] == cid for c in b.admin_call(ak, "ListCustomers", {})["Items"])
    k, prefix = _key(gw, ak, cid)
    gw.call(k, "ListAssetGroups", {})
    b.create_group(k, "via-b")
    assert [g["Name"] for g in gw.call(k, "ListAssetGroups", {})["Items"]] == ["via-b"]
    b.admin_call(ak, "RevokeApiKey", {"Prefix": prefix})
    t0 = time.monotonic()
    _wait_for(lambda: gw.action(k, "ListAssetGroups", {}).status == 401, "revoked on B stopped on A", 1.5)
    expect_error(gw.action(k, "ListAssetGroups", {}), "Unauthorized")
    # Disabled on A stops its keys on B.
    k2, _ = _key(b, ak, cid)
    b.call(k2, "ListAssetGroups", {})
    gw.admin_call(ak, "UpdateCustomer", {"Id": cid, "Disabled": True})
    _wait_for(lambda: b.action(k2, "ListAssetGroups", {}).status == 401, "disabled on A stopped on B", 1.5)
    # An admin key revoked through one node's store is refused by both at once.
    gw.cli("admin", "revoke", ak[:13])
    for node in (gw, b):
        expect_error(node.admin_action(ak, "ListCustomers", {}), "Unauthorized")
    assert time.monotonic() - t0 < 30


def test_admin_listen_must_differ_from_listen():
    port = free_port()
    gw = Gateway(start=False)
    env = portico._clean_env()
    cp = subprocess.run([gw.binary, "--listen", "127.0.0.1:%d" % port, "--admin-listen", "127.0.0.1:%d" % port,
                         "--data-dir", gw.data_dir], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                        stdin=subprocess.DEVNULL, timeout=30)
    assert cp.returncode == 2, (cp.returncode, cp.stderr[-500:])
    assert b"admin" in cp.stderr, cp.stderr[-500:]
