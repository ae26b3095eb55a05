#!/usr/bin/env python3
"""Writes the fuzz targets' seed corpus from the golden vectors.

usage: make_corpus.py VECTORS_JSON OUT_DIR

OUT_DIR/<target>/ gets one file per seed: for the broker targets, each
client->broker (worker->broker) vector as a one-record conversation, plus one
conversation of all of them in order (fuzz_records.hpp's record shape: a
selector byte, a 2-byte little-endian length, the body); for the decoder
targets, the raw bodies. The seeds are regenerated from the vectors at every
build, so they never drift from the spec.
"""
import json
import os
import sys

# Must match the command lists in broker_clients_fuzz.cpp and
# broker_workers_fuzz.cpp (a selector is an index into them).
CLIENT_COMMANDS = ["SUBMIT", "STATUS", "RESULT", "STATS", "WORKERS", "PROJECTS", "SET_LIMIT",
                   "PING", "CANCEL", "DLQ_LIST", "DLQ_RETRY", "DLQ_PURGE", "SET_POLICY",
                   "SUSPEND", "RESUME", "LOGS", "submit", "READY"]
WORKER_COMMANDS = ["READY", "STARTED", "CREDIT", "DONE", "FAILED", "REJECT", "DRAIN",
                   "DISCONNECT", "HEARTBEAT", "EVENT", "OUTPUT", "SUBMIT", "ready"]


def record(commands, command, body):
    selector = commands.index(command)
    return bytes([selector, len(body) & 0xFF, len(body) >> 8]) + body


def write(out, target, name, data):
    d = os.path.join(out, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def main():
    vectors_path, out = sys.argv[1], sys.argv[2]
    with open(vectors_path) as f:
        vectors = json.load(f)
    conversations = {"broker_clients": b"", "broker_workers": b""}
    for v in vectors:
        body = bytes.fromhex(v["body_hex"])
        direction, command, name = v["direction"], v["command"], v["name"]
        if direction == "client->broker" and command in CLIENT_COMMANDS and len(body) < 65536:
            r = record(CLIENT_COMMANDS, command, body)
            write(out, "broker_clients", name, r)
            conversations["broker_clients"] += r
        elif direction == "worker->broker" and command in WORKER_COMMANDS and len(body) < 65536:
            r = record(WORKER_COMMANDS, command, body)
            write(out, "broker_workers", name, r)
            conversations["broker_workers"] += r
        elif direction.startswith("broker->"):
            write(out, "replies", name, body)
        if command == "SUBMIT":
            write(out, "journal_rows", name, body)
    for target, data in conversations.items():
        write(out, target, "all_in_order", data)
    # Module frames have no golden vectors; a request and a done reply as
    # the worker and the runner write them (payload only, no length header).
    write(out, "module_frames", "request", bytes.fromhex("82a2696401a461726773c40190"))
    write(out, "module_frames", "done",
          bytes.fromhex("85a46b696e64a4646f6e65a2696401a26f6bc3a6726573756c74c40190a6727373"
                        "5f6b6200"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
