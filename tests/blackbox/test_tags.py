"""Reconciliation tags cannot be forged (security review, finding 6).

Every upstream Name ends in " #<tag>", which reconciliation matches after a
create's reply is lost. The tag was predictable (row sequence and wall
clock) and UpdateAssetGroup sent a customer's new Name as is, so a customer
could rename its groups to carry the tag another customer's create was
about to get; after a lost reply the victim then adopted the attacker's
group. Now the tag is 12 random characters kept with the record, every
rename re-appends the object's own tag, and customers never see it.
"""
import json
import re
import threading
import time

from portico import Gateway, expect_error, http_request, ok

TAG_RE = re.compile(r" #([a-z0-9]{12})$")


def sim(gw, method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    st, _, raw = http_request(gw.sim_port, method, path, data,
                              {"Content-Type": "application/json"} if data else None, timeout=10)
    assert st == 200, "%s %s -> %d %r" % (method, path, st, raw[:300])
    return json.loads(raw)


def base36(n):
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        out = digits[n % 36] + out
        n //= 36
        if not n:
            return out


def upstream_names(gw):
    return {gid: g["Name"] for gid, g in sim(gw, "GET", "/_sim/objects")["groups"].items()}


def test_renames_keep_the_objects_own_tag(media):
    gw = Gateway()
    k = gw.create_key("tenant")
    gid = gw.create_group(k, "first")
    aid = gw.create_asset(k, gid, media.png_url(640, 640), name="pic")
    name0 = upstream_names(gw)[gid]
    m = TAG_RE.search(name0)
    assert m and name0.startswith("first #"), name0
    tag = m.group(1)
    # A name that itself ends in something tag-like, and the longest name:
    # the upstream Name still ends in the group's own tag, and the customer
    # sees exactly what it set.
    for new in ("evil #p1t1abcdef", "x" * 48 + " #", "y" * 50):
        gw.call(k, "UpdateAssetGroup", {"Id": gid, "Name": new})
        up = upstream_names(gw)[gid]
        assert up == new + " #" + tag, (new, up)
        assert gw.call(k, "GetAssetGroup", {"Id": gid})["Name"] == new
    gw.call(k, "UpdateAssetGroup", {"Id": gid, "Description": "only the description"})
    assert upstream_names(gw)[gid].endswith(" #" + tag)
    # Assets too.
    gw.call(k, "UpdateAsset", {"Id": aid, "Name": "renamed #abcdefghijkl"})
    a = gw.call(k, "GetAsset", {"Id": aid})
    assert a["Name"] == "renamed #abcdefghijkl", a
    assert tag not in json.dumps(a) and tag not in json.dumps(gw.call(k, "GetAssetGroup", {"Id": gid}))
    # Tags differ between objects and are random, not a sequence.
    g2 = gw.create_group(k, "second")
    tag2 = TAG_RE.search(upstream_names(gw)[g2]).group(1)
    assert tag2 != tag, (tag, tag2)
    gw.stop()


def test_forged_tag_is_not_adopted_after_a_lost_reply():
    """The attacker renames its groups to carry the old-style tags the
    victim's next create would have had (the next row and every
    millisecond around the moment it is sent); the victim's create loses
    its reply, and reconciliation adopts the victim's own group."""
    gw = Gateway()
    attacker = gw.create_key("attacker")
    victim = gw.create_key("victim")
    mine = [gw.create_group(attacker, "a%d" % i) for i in range(30)]
    before = upstream_names(gw)
    acted0 = sim(gw, "GET", "/_sim/stats")["faults"]["acted"]["CreateAssetGroup"]
    next_handle = len(mine) + 1
    t0 = int(time.time() * 1000) + 600
    for i, gid in enumerate(mine):
        forged = "evil #p%st%s" % (base36(next_handle), base36(t0 - 15 + i))
        gw.call(attacker, "UpdateAssetGroup", {"Id": gid, "Name": forged})
    forged_names = upstream_names(gw)
    for gid in mine:  # each still ends in its own tag, after the forged one
        assert forged_names[gid].startswith("evil #p") and TAG_RE.search(forged_names[gid]), forged_names[gid]

    sim(gw, "POST", "/_sim/faults", {"lost_reply": 1.0})
    result = {}

    def create():
        time.sleep(max(0, t0 / 1000 - time.time()))
        result["r"] = gw.action(victim, "CreateAssetGroup", {"Name": "victim", "GroupType": "AIGC"})

    th = threading.Thread(target=create)
    th.start()
    deadline = time.time() + 20
    while sim(gw, "GET", "/_sim/stats")["faults"]["acted"]["CreateAssetGroup"] == acted0:
        assert time.time() < deadline, "the victim's create never reached the upstream"
        time.sleep(0.01)
    sim(gw, "POST", "/_sim/faults", {"rate": 0})  # the lookups that follow get answers
    th.join(60)
    vid = ok(result["r"], "CreateAssetGroup")["Id"]
    names = upstream_names(gw)
    assert vid not in mine, vid
    assert names[vid].startswith("victim #") and TAG_RE.search(names[vid]), names[vid]
    assert len(names) == len(before) + 1, (len(names), len(before))  # made once, adopted
    g = gw.call(victim, "GetAssetGroup", {"Id": vid})
    assert g["Name"] == "victim", g
    assert gw.call(victim, "ListAssetGroups", {})["TotalCount"] == 1
    assert gw.call(attacker, "ListAssetGroups", {"PageSize": 100})["TotalCount"] == 30
    # The victim's quota holds exactly its one group: nothing leaked.
    for i in range(49):
        gw.create_group(victim, "v%d" % i)
    expect_error(gw.action(victim, "CreateAssetGroup", {"Name": "one too many", "GroupType": "AIGC"}), "QuotaExceeded")
    gw.stop()
