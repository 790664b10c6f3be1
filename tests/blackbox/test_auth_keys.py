"""API keys: Bearer authentication, `porticod keys create/list/revoke`, hashing."""
import os
import time

from portico import expect_error, ok


def test_unauthorized_variants(gw):
    k = gw.create_key("acme")
    gid = gw.create_group(k, "mine")
    variants = [
        ("no Authorization", {"Authorization": None}, None),
        ("unknown key", None, "pk_unknown_0123456789abcdef"),
        ("key with a byte changed", None, k[:-1] + ("A" if k[-1] != "A" else "B")),
        ("key with a suffix", None, k + "x"),
        ("key truncated", None, k[:-1]),
        ("Basic scheme", {"Authorization": "Basic " + k}, None),
        ("no scheme", {"Authorization": k}, None),
        ("Bearer alone", {"Authorization": "Bearer"}, None),
        ("Bearer and a space", {"Authorization": "Bearer "}, None),
        ("two tokens", {"Authorization": "Bearer %s %s" % (k, k)}, None),
        ("empty header", {"Authorization": ""}, None),
    ]
    for what, headers, key in variants:
        for action, body in (("ListAssetGroups", {}), ("GetAssetGroup", {"Id": gid}),
                             ("CreateAssetGroup", {"Name": "x", "GroupType": "AIGC"})):
            r = gw.action(key, action, body, headers=headers)
            try:
                expect_error(r, "Unauthorized")
            except AssertionError as e:
                raise AssertionError("%s, %s: %s" % (what, action, e))
    assert gw.call(k, "ListAssetGroups", {})["TotalCount"] == 1, "an unauthorized create was recorded"


def test_key_created_while_running(gw):
    k1 = gw.create_key("acme")
    gw.create_group(k1, "first")
    k2 = gw.create_key("acme")  # a second key of the same customer
    assert k2 != k1
    lst = ok(gw.action(k2, "ListAssetGroups", {}))
    assert lst["TotalCount"] == 1, "a second key of the same customer sees other rows: %r" % lst
    k3 = gw.create_key("newcomer")
    assert gw.call(k3, "ListAssetGroups", {})["TotalCount"] == 0
    gw.create_group(k3, "theirs")


def test_revoke(gw):
    k = gw.create_key("acme")
    spare = gw.create_key("acme")
    gw.call(k, "ListAssetGroups", {})
    rows = gw.list_keys()
    listing = "\n".join(line for _, line in rows)
    assert k not in listing and spare not in listing, "keys list prints whole keys:\n" + listing
    prefix = gw.key_prefix(k, "acme")
    assert any(p == prefix for p, _ in rows)
    assert not spare.startswith(prefix) or len(prefix) < 4, "two keys share the prefix %r" % prefix
    gw.revoke_key(prefix)
    t0 = time.monotonic()
    while True:
        r = gw.action(k, "ListAssetGroups", {})
        if r.status == 401:
            break
        assert r.status == 200, r.describe()
        assert time.monotonic() - t0 < 1.5, "a revoked key still works %.1fs later" % (time.monotonic() - t0)
        time.sleep(0.1)
    expect_error(r, "Unauthorized")
    expect_error(gw.action(k, "CreateAssetGroup", {"Name": "x", "GroupType": "AIGC"}), "Unauthorized")
    # The other key of the same customer is untouched.
    gw.call(spare, "ListAssetGroups", {})
    # A revoked key stays revoked across a restart.
    gw.restart()
    expect_error(gw.action(k, "ListAssetGroups", {}), "Unauthorized")
    gw.call(spare, "ListAssetGroups", {})


def test_keys_survive_restart(gw):
    k = gw.create_key("acme")
    gid = gw.create_group(k, "persisted")
    gw.restart()
    assert gw.call(k, "GetAssetGroup", {"Id": gid})["Name"] == "persisted"


def test_keys_not_stored_in_clear(gw):
    keys = [gw.create_key("c%d" % i) for i in range(3)]
    for k in keys:
        gw.create_group(k, "g")
    prefixes = [gw.key_prefix(k) for k in keys]
    gw.stop()  # flush everything (WAL, caches) to the data dir
    needles = []
    for k, p in zip(keys, prefixes):
        needles.append(k.encode())
        secret = k[len(p):].lstrip("_-.") if k.startswith(p) else ""
        if len(secret) >= 8:
            needles.append(secret.encode())
    found = []
    nfiles = 0
    for root, _, files in os.walk(gw.data_dir):
        for f in files:
            path = os.path.join(root, f)
            nfiles += 1
            with open(path, "rb") as fh:
                data = fh.read()
            for n in needles:
                if n in data:
                    found.append((path, n.decode()))
    assert nfiles > 0, "the data dir is empty: where are the keys?"
    assert not found, "API keys stored in clear: %r" % found


def test_keys_cli_under_load(gw):
    """`keys create` and `keys revoke` succeed while the server is busy writing."""
    from portico import parallel
    k = gw.create_key("busy")
    stop = []

    def load(i):
        n = 0
        while not stop and n < 40:
            r = gw.action(k, "ListAssetGroups" if n % 4 else "CreateAssetGroup",
                          {"Name": "l%d-%d" % (i, n), "GroupType": "AIGC"})
            assert r.status in (200, 400), r.describe()  # 400: QuotaExceeded once 50 exist
            n += 1
        return n

    import threading
    load_errs = []

    def guarded(i):
        try:
            load(i)
        except Exception as e:
            load_errs.append(e)

    threads = [threading.Thread(target=guarded, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    try:
        keys = parallel(lambda i: gw.create_key("cli%d" % i), range(8))
    finally:
        stop.append(1)
        for t in threads:
            t.join(60)
    errs = [x for x in keys if isinstance(x, Exception)]
    assert not errs, "keys create failed while the server was busy: %s" % errs[0]
    assert not load_errs, "requests failed while keys were created: %s" % load_errs[0]
    assert len(set(keys)) == 8
    for key in keys:
        gw.call(key, "ListAssetGroups", {})
