#!/usr/bin/env python3
"""The include rules of docs/architecture.md ("Layers"), checked on the tree.

Each rule names a group of source files and the groups its `#include "..."`
lines may reach; a group may always include itself and common/. A file in
no group is not checked. Also checked: no include cycle between two files
(a header pair that include each other breaks the layering silently), and
ZeroMQ's headers only where the rules allow them.

Usage: check_layers.py SOURCE_DIR [--self-test]. Exit 0 when the tree obeys
every rule, 1 with one line per breach.
"""
import os
import re
import sys

# Group -> path prefixes (relative to the source dir) that make it up.
GROUPS = {
    "common": ["common/"],
    "broker": ["broker/"],
    "worker/sandbox": ["worker/sandbox/"],
    "worker/monitor": ["worker/monitor/"],
    "worker/policy": ["worker/policy/"],
    "worker/core": ["worker/core/"],
    "worker/executors/http": ["worker/executors/http/"],
    "worker/executors/child": ["worker/executors/child/"],
    "worker/executors/module": ["worker/executors/module/"],
    "worker": ["worker/main.cpp", "worker/task_kinds."],
}

# Group -> groups it may include (besides itself). The worker's libraries
# form a chain from the sandbox up; executors sit on the core and never on
# each other, except that the child executor runs http tasks as a child
# (it uses the http request codec); only the top (task_kinds, main) names
# every executor.
WORKER_BASE = ["worker/sandbox", "worker/monitor", "worker/policy"]
ALLOWED = {
    "common": [],
    "broker": ["common"],
    "worker/sandbox": ["common"],
    "worker/monitor": ["common", "worker/sandbox"],
    "worker/policy": ["common", "worker/sandbox", "worker/monitor"],
    "worker/core": ["common"] + WORKER_BASE,
    "worker/executors/http": ["common"] + WORKER_BASE,
    "worker/executors/child": ["common", "worker/core", "worker/executors/http"] + WORKER_BASE,
    "worker/executors/module": ["common", "worker/core"] + WORKER_BASE,
    "worker": ["common", "worker/core", "worker/executors/http", "worker/executors/child",
               "worker/executors/module"] + WORKER_BASE,
}

# Files that may include <zmq.h>/<zmq.hpp>. In the broker, only the reactor
# (sockets), the event publisher (the PUB socket) and main (the context);
# everything else in broker/ is tested without sockets.
ZMQ_ALLOWED = [
    "broker/reactor", "broker/event_publisher", "broker/main.cpp",
    "common/", "worker/", "clients/", "tests/", "bench/", "fuzz/", "modules/",
]

INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^">]+)[">]')
SOURCE_EXT = (".hpp", ".cpp", ".h", ".cc")


def group_of(path):
    best = None
    for group, prefixes in GROUPS.items():
        for prefix in prefixes:
            if path.startswith(prefix) and (best is None or len(prefix) > best[1]):
                best = (group, len(prefix))
    return best[0] if best else None


def scan(root):
    """Yields (path, line number, quoted?, included name) for every include."""
    for top in ("common", "broker", "worker", "clients", "tests", "bench", "fuzz", "modules"):
        base = os.path.join(root, top)
        for dirpath, _, names in os.walk(base):
            for name in sorted(names):
                if not name.endswith(SOURCE_EXT):
                    continue
                full = os.path.join(dirpath, name)
                rel = os.path.relpath(full, root)
                with open(full, encoding="utf-8", errors="replace") as f:
                    for number, line in enumerate(f, 1):
                        m = INCLUDE.match(line)
                        if m:
                            yield rel, number, m.group(1) == '"', m.group(2)


def check(root):
    breaches = []
    edges = {}
    for path, number, quoted, name in scan(root):
        if not quoted:
            if name in ("zmq.h", "zmq.hpp", "zmq_addon.hpp") and not any(
                    path.startswith(p) for p in ZMQ_ALLOWED):
                breaches.append(f"{path}:{number}: includes <{name}>; only the reactor, "
                                "the event publisher and main may")
            continue
        edges.setdefault(path, set()).add(name)
        source, target = group_of(path), group_of(name)
        if source is None or target is None or source == target:
            continue
        if target not in ALLOWED.get(source, []):
            breaches.append(f"{path}:{number}: {source} may not include {name} ({target})")
    # Two files that include each other.
    for a, names in edges.items():
        for b in names:
            if a in edges.get(b, set()) and a < b:
                breaches.append(f"{a} and {b} include each other")
    return breaches


def self_test():
    """The checker itself catches what it is for, on a tree made up here."""
    import tempfile
    with tempfile.TemporaryDirectory() as root:
        def write(rel, text):
            os.makedirs(os.path.dirname(os.path.join(root, rel)), exist_ok=True)
            with open(os.path.join(root, rel), "w") as f:
                f.write(text)
        write("worker/sandbox/a.hpp", '#include "worker/core/b.hpp"\n')
        write("worker/core/b.hpp", '#include "worker/sandbox/a.hpp"\n')
        write("broker/broker.cpp", "#include <zmq.hpp>\n")
        write("worker/core/c.hpp", '#include "worker/executors/child/d.hpp"\n')
        write("worker/executors/child/d.hpp", '#include "worker/core/e.hpp"\n')
        write("worker/core/e.hpp", '#include "common/clock.hpp"\n')
        found = check(root)
        expected = [
            "worker/sandbox/a.hpp:1: worker/sandbox may not include worker/core/b.hpp",
            "broker/broker.cpp:1: includes <zmq.hpp>",
            "worker/core/c.hpp:1: worker/core may not include worker/executors/child/d.hpp",
            "include each other",
        ]
        missing = [e for e in expected if not any(e in f for f in found)]
        wrong = [f for f in found if "e.hpp" in f]
        if missing or wrong or len(found) != 4:
            print("self-test failed:\n  found: " + "\n  found: ".join(found))
            return 1
    print("self-test: 4 planted breaches found, none invented")
    return 0


def main(argv):
    if len(argv) < 2:
        print(__doc__)
        return 2
    if "--self-test" in argv:
        return self_test()
    breaches = check(argv[1])
    for b in breaches:
        print(b)
    if not breaches:
        print("layers: every include within the rules")
    return 1 if breaches else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
