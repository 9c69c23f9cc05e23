"""The event loop and the open files limit (issue 14): csmsd runs on an
epoll loop (libev through lws's plugin) and says so; with 300 idle
connections held, a charger's calls are answered (each after its turn's
commit: the MeterValues is stored when its answer arrives); at start the
soft limit on open files is set to max_connections + 128 (lws 4.1 sizes
its fd table by it: a smaller table given by fd_limit_per_thread makes it
look each ready socket up by a linear search), raised or lowered, with a
log line, and a hard limit below that is a warning."""
import json
import os
import resource
import sqlite3
from harness import Csmsd, Checks, Ws, boot_frame

c = Checks()


def soft_limit(pid):
    with open("/proc/%d/limits" % pid) as f:
        for line in f:
            if line.startswith("Max open files"):
                return int(line.split()[3])
    return -1


def has_epoll(pid):
    d = "/proc/%d/fd" % pid
    for fd in os.listdir(d):
        try:
            if os.readlink(os.path.join(d, fd)) == "anon_inode:[eventpoll]":
                return True
        except OSError:
            pass
    return False


soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (100, hard))
try:
    d = Csmsd(unknown_chargers="accept", max_connections=400)
finally:
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
try:
    log = d.logtext()
    c("event loop: libev (epoll)" in log, "the loop is libev's epoll: %r" % log[-600:])
    c(has_epoll(d.proc.pid), "csmsd holds an epoll descriptor")
    c.eq(soft_limit(d.proc.pid), 528, "the soft open files limit is max_connections + 128")
    c("open files limit raised from 100 to 528 (max_connections + 128; hard limit %d)" % hard in log,
      "the raise is logged: %r" % log[-600:])
    idle = [Ws(d.ws_port, "/ocpp/IDLE%d" % i) for i in range(300)]
    w = Ws(d.ws_port, "/ocpp/BUSY")
    r = json.loads(w.call(boot_frame()))
    c.eq(r[2].get("status"), "Accepted", "boot answered with 300 idle connections held")
    for i in range(20):
        mv = [2, "m%d" % i, "MeterValues", {"connectorId": 1, "meterValue": [
            {"timestamp": "2026-01-01T00:%02d:00Z" % i, "sampledValue": [{"value": str(i)}]}]}]
        r = json.loads(w.call(json.dumps(mv)))
        c.eq(r[:2], [3, "m%d" % i], "MeterValues %d answered" % i)
        # the answer comes after the turn's commit: the row is there, seen
        # by another connection to the database
        db = sqlite3.connect(d.db, timeout=10)
        n = db.execute("SELECT count(*) FROM meter_values").fetchone()[0]
        db.close()
        c(n >= i + 1, "MeterValues %d durable when answered: %d rows" % (i, n))
    for s in idle + [w]:
        s.close()
    c.eq(d.stop(), 0, "stops cleanly")
except Exception as e:
    c(False, "exception: %r\n%s" % (e, d.logtext()[-2000:]))
    d.kill()
finally:
    d.cleanup()

# A soft limit above what is needed is lowered to it (lws's table)
d = Csmsd(unknown_chargers="accept", max_connections=200)
try:
    log = d.logtext()
    c.eq(soft_limit(d.proc.pid), 328, "a larger soft limit is set to max_connections + 128")
    c("open files limit lowered from %d to 328" % soft in log, "the change is logged: %r" % log[-600:])
    c.eq(d.stop(), 0, "stops cleanly")
except Exception as e:
    c(False, "exception: %r\n%s" % (e, d.logtext()[-2000:]))
    d.kill()
finally:
    d.cleanup()

# A hard limit below what max_connections needs: a warning (last: the hard
# limit cannot be raised again).
resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))
d = Csmsd(unknown_chargers="accept", max_connections=1000)
try:
    log = d.logtext()
    c("WARN" in log and "open files limit 256 is below max_connections + 128 = 1128" in log,
      "a hard limit too low is a warning: %r" % log[-600:])
    c("raised from" not in log and "lowered from" not in log, "no change when soft = hard is too low")
    c.eq(d.stop(), 0, "stops cleanly")
except Exception as e:
    c(False, "exception: %r\n%s" % (e, d.logtext()[-2000:]))
    d.kill()
finally:
    d.cleanup()
c.done()
