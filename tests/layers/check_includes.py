#!/usr/bin/env python3
"""The layering of csms/ (csms/CMakeLists.txt): a file may include headers
of its own layer and of the layers below it, never above. Every upward
include not in upward.txt fails this test, and so does an entry of
upward.txt that is no longer there (the list only shrinks).

usage: check_includes.py CSMS_DIR ALLOWLIST"""
import os
import re
import sys

LAYERS = ["lib", "ocpp", "store", "net", "central", "glue", "api", "app"]


def main():
    root, allow_path = sys.argv[1], sys.argv[2]
    owner = {}
    for i, layer in enumerate(LAYERS):
        for f in os.listdir(os.path.join(root, layer)):
            if f.endswith(".h"):
                if f in owner:
                    print("header %s is in two layers" % f)
                    return 1
                owner[f] = i
    allowed = set()
    with open(allow_path) as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if line:
                allowed.add(line)
    found, bad = set(), []
    for i, layer in enumerate(LAYERS):
        d = os.path.join(root, layer)
        for f in sorted(os.listdir(d)):
            if not f.endswith((".c", ".h")):
                continue
            for n, line in enumerate(open(os.path.join(d, f)), 1):
                m = re.match(r'\s*#\s*include\s+"([^"]+)"', line)
                if not m:
                    continue
                h = os.path.basename(m.group(1))
                if "/" in m.group(1):
                    bad.append("%s/%s:%d: include by path %s: name the header only" % (layer, f, n, m.group(1)))
                    continue
                if h in owner and owner[h] > i:
                    edge = "%s/%s -> %s" % (layer, f, h)
                    found.add(edge)
                    if edge not in allowed:
                        bad.append("%s/%s:%d: includes %s from %s/, a layer above %s/"
                                   % (layer, f, n, h, LAYERS[owner[h]], layer))
    for edge in sorted(allowed - found):
        bad.append("upward.txt: '%s' is gone: delete the line" % edge)
    for b in bad:
        print(b)
    print("%d upward includes left (upward.txt), %d problems" % (len(found), len(bad)))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
