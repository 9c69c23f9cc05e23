#!/usr/bin/env python3
"""The layering of csms/ (csms/CMakeLists.txt): a file may include headers
of its own layer and of the layers below it, never above, and names a
header by its name only (the build's include paths say where it is). Each
header name belongs to one layer. Fails, naming the file and line, on any
include that points up.

usage: check_includes.py CSMS_DIR"""
import os
import re
import sys

LAYERS = ["lib", "ocpp", "store", "net", "core", "central", "glue", "api", "integ", "app"]


def main():
    root = sys.argv[1]
    owner = {}
    bad = []
    for i, layer in enumerate(LAYERS):
        for f in os.listdir(os.path.join(root, layer)):
            if f.endswith(".h"):
                if f in owner:
                    bad.append("header %s is in two layers" % f)
                owner[f] = i
    n_inc = 0
    for i, layer in enumerate(LAYERS):
        d = os.path.join(root, layer)
        for f in sorted(os.listdir(d)):
            if not f.endswith((".c", ".h", ".def")):
                continue
            for n, line in enumerate(open(os.path.join(d, f)), 1):
                m = re.match(r'\s*#\s*include\s+"([^"]+)"', line)
                if not m:
                    continue
                n_inc += 1
                h = m.group(1)
                if "/" in h:
                    bad.append("%s/%s:%d: include by path %s: name the header only" % (layer, f, n, h))
                elif h in owner and owner[h] > i:
                    bad.append("%s/%s:%d: includes %s from %s/, a layer above %s/"
                               % (layer, f, n, h, LAYERS[owner[h]], layer))
    for b in bad:
        print(b)
    print("%d includes in %d layers, %d pointing up" % (n_inc, len(LAYERS), len(bad)))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
