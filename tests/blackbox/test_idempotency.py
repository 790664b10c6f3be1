"""test_idempotency.py — issue 8, point 3: ClientToken.

CreateAssetGroup, CreateAsset and upload accept an optional ClientToken
(at most 64 printable ASCII characters). A repeat with the same token
returns the first result and creates nothing, also when the repeats arrive
at the same moment; the same token with a different request is
InvalidParameter; tokens are per customer; a create that failed frees its
token. (Expiry after 24 h is covered by tests/unit/test_store_idem.c.)
"""
import json
import os

import portico
from portico import Gateway, expect_error, ok, parallel, http_request


def sim_stats(gw):
    return gw.sim_stats()


def acted(gw, action):
    return sim_stats(gw)["faults"]["acted"][action]


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


def upload(gw, key, fields, data):
    body, ct = form(fields, data)
    st, h, raw = http_request(gw.port, "POST", "/v1/portrait/upload", body,
                              {"Authorization": "Bearer " + key, "Content-Type": ct}, timeout=60)
    return portico.Resp(st, h, json.loads(raw) if raw else None, raw, 0, {"action": "Upload"})


def test_create_group_repeat_returns_first_id_and_creates_nothing(gw):
    key = gw.create_key("alice")
    body = {"Name": "holiday", "GroupType": "AIGC", "ClientToken": "req-0001"}
    first = gw.call(key, "CreateAssetGroup", body)["Id"]
    before = acted(gw, "CreateAssetGroup")
    for _ in range(3):
        assert gw.call(key, "CreateAssetGroup", body)["Id"] == first
    assert acted(gw, "CreateAssetGroup") == before
    assert gw.call(key, "ListAssetGroups", {})["TotalCount"] == 1
    # The same token with a different request is refused; nothing is made.
    err = expect_error(gw.action(key, "CreateAssetGroup", dict(body, Name="other")), "InvalidParameter")
    assert "ClientToken" in err["Message"]
    # Another Action with the same token is a different request too.
    expect_error(gw.action(key, "CreateAsset", {"GroupId": first, "URL": "http://127.0.0.1:9/a.png",
                                                "AssetType": "Image", "ClientToken": "req-0001"}),
                 "InvalidParameter")
    assert gw.call(key, "ListAssetGroups", {})["TotalCount"] == 1
    # Without a token every call creates.
    a = gw.create_group(key, "x")
    b = gw.create_group(key, "x")
    assert a != b


def test_client_token_is_validated(gw):
    key = gw.create_key("alice")
    base = {"Name": "g", "GroupType": "AIGC"}
    for bad in ("", "x" * 65, "has space", "caf\u00e9", 7):
        expect_error(gw.action(key, "CreateAssetGroup", dict(base, ClientToken=bad)), "InvalidParameter")
    ok(gw.action(key, "CreateAssetGroup", dict(base, ClientToken="x" * 64)))
    assert gw.call(key, "ListAssetGroups", {})["TotalCount"] == 1


def test_tokens_are_per_customer(gw):
    alice, bob = gw.create_key("alice"), gw.create_key("bob")
    body = {"Name": "same", "GroupType": "AIGC", "ClientToken": "shared-token"}
    a = gw.call(alice, "CreateAssetGroup", body)["Id"]
    b = gw.call(bob, "CreateAssetGroup", body)["Id"]
    assert a != b
    assert gw.call(alice, "CreateAssetGroup", body)["Id"] == a
    assert gw.call(bob, "CreateAssetGroup", body)["Id"] == b


def test_concurrent_repeats_create_once(gw, media):
    key = gw.create_key("alice")
    gid = gw.create_group(key, "g")
    body = {"GroupId": gid, "URL": media.png_url(), "AssetType": "Image", "Name": "n", "ClientToken": "burst-1"}
    before = acted(gw, "CreateAsset")
    rs = parallel(lambda _: gw.action(key, "CreateAsset", body), range(12))
    ids = {ok(r, "CreateAsset")["Id"] for r in rs}
    assert len(ids) == 1, ids
    assert acted(gw, "CreateAsset") == before + 1
    assert gw.call(key, "GetAssetGroup", {"Id": gid})["AssetCount"] == 1
    print("  idempotency: 12 concurrent repeats -> 1 asset, 1 upstream create", flush=True)


def test_failed_create_frees_its_token(gw, media):
    key = gw.create_key("alice")
    body = {"GroupId": "group-20200101000000-zzzzz", "URL": media.png_url(), "AssetType": "Image",
            "ClientToken": "retry-me"}
    expect_error(gw.action(key, "CreateAsset", body), "Forbidden")
    gid = gw.create_group(key, "g")
    # Not the same request (another GroupId): the failed one left no claim.
    first = gw.call(key, "CreateAsset", dict(body, GroupId=gid))["Id"]
    assert gw.call(key, "CreateAsset", dict(body, GroupId=gid))["Id"] == first


def test_upload_repeat_returns_first_asset(gw):
    key = gw.create_key("alice")
    gid = gw.create_group(key, "uploads")
    data = portico.png_bytes(320, 320, seed=1)
    objects = os.path.join(gw.data_dir, "blobs", "objects")
    first = ok(upload(gw, key, [("GroupId", gid), ("ClientToken", "up-1")], data), "Upload")
    before = acted(gw, "CreateAsset")
    again = ok(upload(gw, key, [("GroupId", gid), ("ClientToken", "up-1")], data), "Upload")
    assert again["Id"] == first["Id"] and again["GroupId"] == gid
    assert acted(gw, "CreateAsset") == before
    assert sum(len(f) for _r, _d, f in os.walk(objects)) == 1  # the repeat stored nothing
    # Another file with the same token is a different request.
    expect_error(upload(gw, key, [("GroupId", gid), ("ClientToken", "up-1")], portico.png_bytes(320, 320, seed=2)),
                 "InvalidParameter", action="Upload")
    assert gw.call(key, "GetAssetGroup", {"Id": gid})["AssetCount"] == 1
    assert sum(len(f) for _r, _d, f in os.walk(objects)) == 1
