#!/usr/bin/env python3
"""Independent derivation of the Volcengine V4 vectors hard-coded in
tests/unit/test_sign.c. Uses only hashlib/hmac/urllib from the Python
standard library — none of Portico's C code — so that the C test compares
two implementations rather than one with itself.

Run: python3 tests/unit/vectors/volc_sign_independent.py
It first checks itself against ../shared/vectors/volc-sign-v4.json
(Volcengine's published example), then prints the POST vectors."""
import hashlib
import hmac
import json
import os
import sys
from urllib.parse import quote, unquote_plus


def enc(s):
    # RFC 3986: keep unreserved, %XX (uppercase) everything else, after
    # decoding what the caller already encoded ('+' is a space, as in
    # Volcengine's SDK, which parses the query as a form).
    return quote(unquote_plus(s), safe="-_.~")


def canonical_query(q):
    pairs = []
    for seg in q.split("&"):
        if not seg:
            continue
        name, _, value = seg.partition("=")
        pairs.append((enc(name), enc(value)))
    pairs.sort()
    return "&".join(f"{n}={v}" for n, v in pairs)


def hm(key, msg):
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def sign(method, host, path, query, x_date, body, region, service, ak, sk,
         content_type=None, sign_sha=False):
    payload = hashlib.sha256(body).hexdigest()
    hdrs = {"host": host, "x-date": x_date}
    if content_type is not None:
        hdrs["content-type"] = content_type
    if sign_sha:
        hdrs["x-content-sha256"] = payload
    names = sorted(hdrs)
    canon = "\n".join([
        method, path, canonical_query(query),
        "".join(f"{n}:{hdrs[n].strip()}\n" for n in names),
        ";".join(names), payload])
    creq_hash = hashlib.sha256(canon.encode()).hexdigest()
    scope = f"{x_date[:8]}/{region}/{service}/request"
    sts = "\n".join(["HMAC-SHA256", x_date, scope, creq_hash])
    k = hm(sk.encode(), x_date[:8])
    k = hm(k, region)
    k = hm(k, service)
    k = hm(k, "request")
    sig = hmac.new(k, sts.encode(), hashlib.sha256).hexdigest()
    auth = (f"HMAC-SHA256 Credential={ak}/{scope}, SignedHeaders={';'.join(names)}, "
            f"Signature={sig}")
    return dict(canonical_request=canon, canonical_request_sha256=creq_hash,
                string_to_sign=sts, signing_key_hex=k.hex(), signature=sig,
                authorization=auth, payload_hash=payload)


def self_check():
    here = os.path.dirname(os.path.abspath(__file__))
    path = os.path.join(here, "..", "..", "..", "..", "shared", "vectors", "volc-sign-v4.json")
    if not os.path.exists(path):
        print("(shared vector not found, skipping self-check)", file=sys.stderr)
        return
    v = json.load(open(path))
    url = v["request"]["url"]
    query = url.split("?", 1)[1]
    r = sign(v["request"]["method"], v["request"]["headers"]["Host"], "/", query,
             v["request"]["headers"]["X-Date"], v["request"]["body"].encode(),
             v["region"], v["service"], v["access_key_id"], v["secret_access_key"])
    for k in ("canonical_request", "canonical_request_sha256", "string_to_sign",
              "signing_key_hex", "signature", "authorization"):
        assert r[k] == v[k], k
    print("self-check against volc-sign-v4.json: ok", file=sys.stderr)


AK = "AKLTportico0000test0000key"
SK = "cG9ydGljby10ZXN0LXNlY3JldA=="

VECTORS = [
    ("post_create_group", dict(
        method="POST", host="localhost", path="/",
        query="Action=CreateAssetGroup&Version=2024-01-01", x_date="20240619T071306Z",
        body=b'{"Name":"demo","Description":"first group","GroupType":"AIGC"}',
        region="cn-beijing", service="ark", ak=AK, sk=SK,
        content_type="application/json", sign_sha=True)),
    ("post_get_asset_port_unsorted", dict(
        method="POST", host="127.0.0.1:8089", path="/",
        query="Version=2024-01-01&Action=GetAsset", x_date="20260102T235959Z",
        body=b'{"Id":"asset-20260102235959-ab1cd"}',
        region="cn-beijing", service="ark", ak=AK, sk=SK,
        content_type="application/json", sign_sha=True)),
    ("post_encoded_query_utf8_body", dict(
        method="POST", host="[::1]:9", path="/",
        query="Version=2024-01-01&Action=UpdateAsset&Note=a%20b+c&Z=%e4%b8%ad*&A=",
        x_date="20251231T120000Z",
        body='{"Id":"asset-20251231120000-zz9yy","Name":"名字 ✓"}'.encode(),
        region="cn-shanghai", service="ark", ak=AK, sk=SK,
        content_type="application/json; charset=utf-8", sign_sha=True)),
]


def c_str(s):
    return json.dumps(s, ensure_ascii=True)


if __name__ == "__main__":
    self_check()
    print(f"AK={AK} SK={SK}")
    for name, v in VECTORS:
        r = sign(**v)
        print(f"== {name}")
        print("body (C literal):", c_str(v["body"].decode()))
        for k in ("payload_hash", "canonical_request", "canonical_request_sha256",
                  "string_to_sign", "signing_key_hex", "signature", "authorization"):
            print(f"{k}: {c_str(r[k])}")
