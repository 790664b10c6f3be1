"""Liveness sessions at the group quota (security review, finding 5).

A customer at 50 groups could still start face scans; each passed scan made
the upstream create a LivenessFace group in the shared account that was
never recorded nor removed (GetVisualValidateResult answered QuotaExceeded),
and the same happened when a customer never asked for the result. Now a
pending session holds a group place, so CreateVisualValidateSession answers
QuotaExceeded at the quota; Portico fetches every session's outcome itself
(the group is recorded for a customer who never asks; an expired or failed
session releases its place); and a sweep removes LivenessFace groups that no
record owns once no session can still claim them.
"""
import os
import time

import portico
from portico import Gateway, expect_error, http_request, ok

from test_liveness import h5_submit, result, start_session

TTL_S = 2


def objects(gw):
    import json
    st, _, raw = http_request(gw.sim_port, "GET", "/_sim/objects", timeout=10)
    assert st == 200, (st, raw[:200])
    return json.loads(raw)


def liveness_upstream(gw):
    return {gid for gid, g in objects(gw)["groups"].items() if g["GroupType"] == "LivenessFace"}


def wait(cond, timeout, what):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = cond()
        if v:
            return v
        time.sleep(0.2)
    raise AssertionError("not within %ss: %s" % (timeout, what))


def forget_session(gw, token):
    """What a lost record looks like: the session row is gone from the store
    (its usage counters, written with it, can no longer equal a recount)."""
    gw.skip_usage_verify("a session row is deleted behind the store's back")
    if portico.store_is_pg():  # tokens are [0-9A-F], safe to inline
        pg = portico._pgserver()
        base, db = gw.store_url.rsplit("/", 1)
        pg.psql(base, db, "DELETE FROM validate_sessions WHERE token = '%s'" % token)
    else:
        import sqlite3
        db = sqlite3.connect(os.path.join(gw.data_dir, "portico.db"), timeout=10)
        try:
            db.execute("DELETE FROM validate_sessions WHERE token = ?", (token,))
            db.commit()
        finally:
            db.close()


def test_session_at_the_group_quota_is_refused(gw):
    k = gw.create_key("full")
    for i in range(50):
        gw.create_group(k, "g%d" % i)
    before = gw.sim_stats()["requests"]["CreateVisualValidateSession"]
    err = expect_error(gw.action(k, "CreateVisualValidateSession", {}), "QuotaExceeded")
    assert "50" in err["Message"], err
    # Refused before the upstream was asked: no session, no H5 link, no group.
    assert gw.sim_stats()["requests"]["CreateVisualValidateSession"] == before
    # At 49, one session takes the last place; a second is refused.
    k2 = gw.create_key("almost")
    for i in range(49):
        gw.create_group(k2, "g%d" % i)
    start_session(gw, k2)
    expect_error(gw.action(k2, "CreateVisualValidateSession", {}), "QuotaExceeded")
    expect_error(gw.action(k2, "CreateAssetGroup", {"Name": "x", "GroupType": "AIGC"}), "QuotaExceeded")


def test_passed_scan_is_recorded_for_a_customer_who_never_asks(gw):
    k = gw.create_key("silent")
    s = start_session(gw, k)
    h5_submit(s["H5Link"], "pass")
    lst = wait(lambda: (lambda r: r if r["TotalCount"] == 1 else None)(
        gw.call(k, "ListAssetGroups", {"Filter": {"GroupType": "LivenessFace"}})), 15,
        "the passed scan's group recorded without GetVisualValidateResult")
    gid = lst["Items"][0]["Id"]
    assert gid in liveness_upstream(gw)
    # Asking later gives the same group, from the record.
    assert ok(result(gw, k, s["BytedToken"]))["GroupId"] == gid


def test_expired_session_releases_its_place():
    gw = Gateway(env={"PORTICO_SIM_TOKEN_TTL_S": TTL_S})
    k = gw.create_key("slow")
    for i in range(49):
        gw.create_group(k, "g%d" % i)
    start_session(gw, k)
    expect_error(gw.action(k, "CreateAssetGroup", {"Name": "x", "GroupType": "AIGC"}), "QuotaExceeded")
    # Nobody asks: the poller learns the token expired and frees the place.
    wait(lambda: gw.action(k, "CreateAssetGroup", {"Name": "x", "GroupType": "AIGC"}).status == 200, 20,
         "the expired session's place released")
    gw.stop()


def test_failed_scan_releases_its_place(gw):
    k = gw.create_key("failing")
    for i in range(49):
        gw.create_group(k, "g%d" % i)
    s = start_session(gw, k)
    h5_submit(s["H5Link"], "fail")
    wait(lambda: gw.action(k, "CreateAssetGroup", {"Name": "x", "GroupType": "AIGC"}).status == 200, 15,
         "the failed session's place released")
    expect_error(result(gw, k, s["BytedToken"]), "InvalidToken")


def test_unowned_liveness_group_is_removed_upstream():
    gw = Gateway(env={"PORTICO_LIVENESS_SWEEP_S": 1, "PORTICO_LIVENESS_ORPHAN_AGE_S": 2})
    k = gw.create_key("owner")
    kept = start_session(gw, k)
    h5_submit(kept["H5Link"], "pass")
    kept_gid = ok(result(gw, k, kept["BytedToken"]))["GroupId"]
    # A session whose record is lost: its scan passes all the same upstream.
    lost = start_session(gw, k)
    forget_session(gw, lost["BytedToken"])
    h5_submit(lost["H5Link"], "pass")
    orphans = wait(lambda: liveness_upstream(gw) - {kept_gid}, 10, "the lost session's group upstream")
    assert len(orphans) == 1, orphans
    t0 = time.time()
    wait(lambda: not (liveness_upstream(gw) & orphans), 20, "the unowned LivenessFace group removed")
    took = time.time() - t0
    assert took >= 1, took  # not before it was old enough
    # The recorded group stays, upstream and in the customer's list.
    assert kept_gid in liveness_upstream(gw)
    time.sleep(2.5)
    assert kept_gid in liveness_upstream(gw)
    assert gw.call(k, "GetAssetGroup", {"Id": kept_gid})["GroupType"] == "LivenessFace"
    assert gw.sim_stats()["faults"]["acted"]["DeleteAssetGroup"] == 1
    assert "orphan sweep removed 1" in gw.stderr_text(), gw.stderr_text()[-2000:]
    gw.stop()


def test_pending_session_protects_younger_groups():
    """A LivenessFace group no record owns yet is left alone while a pending
    session could still be the one it belongs to."""
    gw = Gateway(env={"PORTICO_LIVENESS_SWEEP_S": 1, "PORTICO_LIVENESS_ORPHAN_AGE_S": 1})
    k = gw.create_key("careful")
    pending = start_session(gw, k)  # never scanned: stays pending (120 s)
    lost = start_session(gw, k)
    forget_session(gw, lost["BytedToken"])
    h5_submit(lost["H5Link"], "pass")
    orphan = wait(lambda: liveness_upstream(gw), 10, "the lost session's group upstream")
    time.sleep(4)  # several sweeps, each past the orphan age
    assert liveness_upstream(gw) == orphan  # younger than the pending session: kept
    expect_error(result(gw, k, pending["BytedToken"]), "ValidatePending")
    gw.stop()
