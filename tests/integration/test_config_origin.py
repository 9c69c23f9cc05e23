"""Where a setting's value comes from (issue 11, item 4): command line >
environment > stored through the API > config file > default. A breaker
set through PUT /api/v1/dlm yields at the next start to --dlm_breaker_a,
with a warning naming both values; it wins over the file; GET
/api/v1/dlm shows each setting's origin; a PUT of a setting the command
line gives says in its answer that the command line wins at the next
start; the start log says which value won where sources disagree."""
import os
from harness import Csmsd, Checks

c = Checks()


def og(g, key):
    """The origin of one setting in a GET /api/v1/dlm answer (None without one)."""
    return (g.get("origin") or {}).get(key)


def dlm(d):
    st, g = d.get("/api/v1/dlm")
    c.eq(st, 200, "GET /api/v1/dlm")
    return g


d = None
tmp = None
try:
    d = Csmsd(dlm_sensor="api")
    tmp, db = d.tmp, d.db
    conf = os.path.join(tmp, "csmsd.conf")
    with open(conf, "w") as f:
        f.write("dlm_breaker_a = 20\nheartbeat_interval = 111\n")
    c.eq(d.stop(), 0, "stop")
    env = dict(os.environ, CSMS_DLM_MARGIN_A="2")

    def start(*args, **kw):
        e = dict(env)
        e.update(kw.pop("env", {}))
        return Csmsd("-c", conf, *args, db=db, tmp=tmp, env=e, dlm_sensor="api", **kw)

    d = start("--dlm_fallback_a", "5", "--heartbeat_interval", "333")
    g = dlm(d)
    o = g.get("origin") or {}
    c.eq((g["breakerA"], o.get("breakerA")), (20, "file"), "breaker from the file")
    c.eq((g["marginA"], o.get("marginA")), (2, "environment"), "margin from the environment")
    c.eq((g["fallbackA"], o.get("fallbackA")), (5, "commandLine"), "fallback from the command line")
    c.eq(o.get("staleS"), "default", "stale time: the default")
    c.eq(o.get("sensor.type"), "commandLine", "sensor from the command line")
    c("heartbeat_interval = 333 from the command line wins over 111 from the config file" in d.logtext(),
      "the start log names the winner and the value it beat")

    # PUT: in force at once, origin api; the answer warns where the command line wins later
    st, r = d.put("/api/v1/dlm", {"breakerA": 32, "fallbackA": 6, "staleS": 20})
    c.eq(st, 200, "PUT breaker 32, fallback 6, stale 20")
    c.eq((r["breakerA"], og(r, "breakerA")), (32, "api"), "breaker 32 from the api now")
    w = r.get("warnings")
    c(isinstance(w, list) and len(w) == 1 and "fallbackA" in w[0] and "--dlm_fallback_a" in w[0],
      "the answer warns that --dlm_fallback_a wins at the next start: %r" % w)
    c.eq(d.put("/api/v1/dlm", {"breakerA": 31})[1].get("warnings"), [], "no warning for a setting only the file gave")
    d.put("/api/v1/dlm", {"breakerA": 32})
    c.eq(d.stop(), 0, "stop")

    # the command line wins over the stored breaker, with a warning naming both
    d = start("--dlm_breaker_a", "25", "--dlm_fallback_a", "5")
    g = dlm(d)
    c.eq((g["breakerA"], og(g, "breakerA")), (25, "commandLine"), "--dlm_breaker_a 25 wins over 32 from the API")
    c.eq((g["fallbackA"], og(g, "fallbackA")), (5, "commandLine"), "--dlm_fallback_a wins over the stored 6")
    c.eq((g["staleS"], og(g, "staleS")), (20, "api"), "stored stale time wins over the default")
    log = d.logtext()
    c(any("dlm_breaker_a = 25 from the command line wins over 32 stored through the API" in l
          and "WARN" in l.upper() for l in log.splitlines()),
      "a warning at start names both breaker values:\n%s" % log[-1500:])
    c.eq(d.stop(), 0, "stop")

    # without the command line the stored value wins over the file
    d = start()
    g = dlm(d)
    c.eq((g["breakerA"], og(g, "breakerA")), (32, "api"), "stored 32 wins over the file's 20")
    c("dlm_breaker_a = 32 stored through the API wins over 20 from the config file" in d.logtext(),
      "the start log says the stored value won over the file")
    c.eq(d.stop(), 0, "stop")

    # the environment wins over the stored value too
    d = start(env={"CSMS_DLM_BREAKER_A": "30"})
    g = dlm(d)
    c.eq((g["breakerA"], og(g, "breakerA")), (30, "environment"), "CSMS_DLM_BREAKER_A wins over the stored 32")
    c("dlm_breaker_a = 30 from the environment wins over 32 stored through the API" in d.logtext(),
      "the start log names the environment's value and the stored one")
    c.eq(d.stop(), 0, "stop")
except Exception as e:
    import traceback
    traceback.print_exc()
    c(False, "exception: %r\n%s" % (e, d.logtext()[-2000:] if d else ""))
    if d:
        d.kill()
finally:
    if d:
        d.cleanup()
c.done()
