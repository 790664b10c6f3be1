"""test_upload_s3.py — POST /v1/portrait/upload with the S3 blob backend
(--blob s3://BUCKET?endpoint=..&region=..) against a real S3 server
(s3rver, started by test_blob_s3.py's harness): the object lands in the
bucket with the uploaded bytes, the upstream fetches it through the
presigned URL and the asset becomes Active, rejected uploads put nothing
in the bucket, and DeleteAsset / DeleteAssetGroup remove the objects.
"""
import os
import urllib.parse

import portico
import test_blob_s3 as s3h
import test_upload as up
from portico import expect_error, ok, wait_active


def _bucket_objects(srv):
    root = os.path.join(srv.data, s3h.BUCKET)
    found = []
    for d, _dirs, files in os.walk(root):
        for f in files:
            if f.endswith("._S3rver_object"):
                found.append(os.path.relpath(os.path.join(d, f), root)[: -len("._S3rver_object")])
    return sorted(found)


def _object_key(url):
    path = urllib.parse.urlsplit(url).path  # /BUCKET/KEY
    prefix = "/%s/" % s3h.BUCKET
    assert path.startswith(prefix), url
    return path[len(prefix):]


def test_upload_s3_object_in_bucket_active_then_deleted():
    srv = s3h.S3rver().start()
    spec = "s3://%s?endpoint=%s&region=%s" % (s3h.BUCKET, srv.endpoint, s3h.REGION)
    gw = portico.Gateway(args=["--blob", spec],
                         env={"PORTICO_S3_ACCESS_KEY_ID": s3h.AK, "PORTICO_S3_SECRET_ACCESS_KEY": s3h.SK})
    key, gid = up.setup(gw)

    # Rejected uploads put nothing in the bucket and leave no staging file.
    expect_error(up.upload(gw, key, gid, portico.GIF_BYTES, filename="x.png"), "UnsupportedMediaType")
    expect_error(up.upload(gw, key, gid, up.png(200, 200)), "InvalidParameter")
    head = up.png(640, 480)
    expect_error(up.upload(gw, key, gid, head + b"\0" * (up.LIMIT + 1 - len(head))), "PayloadTooLarge")
    expect_error(up.upload(gw, key, "group-20240101000000-zzzzz", up.png()), "Forbidden")
    assert _bucket_objects(srv) == []
    assert up.blob_files(gw) == (0, 0)

    data = up.png(640, 480, seed=11)
    a = ok(up.upload(gw, key, gid, data, name="on s3"), "Upload")
    okey = _object_key(a["URL"])
    assert a["URL"].startswith("%s/%s/" % (srv.endpoint, s3h.BUCKET)), a["URL"]
    assert _bucket_objects(srv) == [okey]
    with open(srv.object_file(okey), "rb") as f:
        assert f.read() == data, "the bucket holds other bytes than were uploaded"
    st, h, body = up.fetch(a["URL"])
    assert st == 200 and body == data, (st, len(body))
    assert up.blob_files(gw) == (0, 0)  # nothing local: staging is gone after the PUT

    got = wait_active(gw, key, a["Id"], timeout=15)
    assert _object_key(got["URL"]) == okey
    st, _, body = up.fetch(got["URL"])
    assert st == 200 and body == data

    gw.call(key, "DeleteAsset", {"Id": a["Id"]})
    assert _bucket_objects(srv) == []

    # A group's objects go with the group.
    g2 = gw.create_group(key, "second")
    for i in range(2):
        ok(up.upload(gw, key, g2, up.jpeg(800, 600 + i)), "Upload")
    assert len(_bucket_objects(srv)) == 2
    gw.call(key, "DeleteAssetGroup", {"Id": g2})
    assert _bucket_objects(srv) == []
    gw.stop()
