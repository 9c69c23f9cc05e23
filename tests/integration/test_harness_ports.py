"""The harness's free ports (harness.free_port): tests that ctest runs side
by side must never be handed the same port while both are alive, and a port
must lie outside the kernel's ephemeral range, which any other process's
bind(0) or outgoing connection may take. CI once failed on such a collision
(another test's server answered csmsd's health check). Four processes each
reserve 300 ports at the same moment; the old picker (bind to port 0, close)
handed out the same port twice in most runs of this test."""
import os
import subprocess
import sys
from harness import Checks, _port_range, free_port

c = Checks()
if len(sys.argv) > 2 and sys.argv[2] == "--child":
    got = [free_port() for _ in range(300)]
    print(" ".join(map(str, got)), flush=True)
    sys.stdin.read()  # hold the reservations until the parent has them all
    sys.exit(0)

kids = [subprocess.Popen([sys.executable, __file__, sys.argv[1] if len(sys.argv) > 1 else "build", "--child"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) for _ in range(4)]
lists = [list(map(int, k.stdout.readline().split())) for k in kids]
mine = [free_port() for _ in range(50)]
for k in kids:
    k.stdin.close()
    k.wait(timeout=30)
every = [p for lst in lists for p in lst] + mine
c.eq([len(lst) for lst in lists], [300] * 4, "each child reserved 300 ports")
c.eq(len(set(every)), len(every), "no port handed out twice among five live processes")
lo, hi = _port_range()
c(all(lo <= p < hi for p in every), "every port below the ephemeral range (%d-%d)" % (lo, hi))
with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
    eph = int(f.read().split()[0])
c(all(p < eph for p in every), "no port in the kernel's ephemeral range")
# once a child has ended, its reservations are free again (the lock goes with the process)
import fcntl  # noqa: E402
import tempfile  # noqa: E402
fd = os.open(os.path.join(tempfile.gettempdir(), "csms-it-ports", str(lists[0][0])), os.O_RDWR)
try:
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    c(True, "a port of an ended process is free again")
except OSError:
    c(False, "port %d still reserved after its process ended" % lists[0][0])
os.close(fd)
sys.exit(c.done())
