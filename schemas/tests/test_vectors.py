#!/usr/bin/python3
"""Checks schemas/vectors/v1.json with Python's msgpack alone: every body
decodes to its JSON notation, re-encodes to the same bytes, and the bodies
of invalid vectors are refused or decode as described. When pyzmq is there
too, checks that the Python client (clients/python) builds the same bodies.

Run: /usr/bin/python3 schemas/tests/test_vectors.py
"""

import json
import os
import re
import sys
import unittest

import msgpack

HERE = os.path.dirname(os.path.abspath(__file__))
VECTORS = os.path.join(HERE, "..", "vectors", "v1.json")
DIRECTIONS = {"client->broker", "broker->client", "worker->broker", "broker->worker"}
ERROR_NAMES = {"BAD_FRAMES", "UNSUPPORTED_VERSION", "UNKNOWN_COMMAND", "MALFORMED_BODY",
               "INVALID_FIELD", "TOO_LARGE", "NOT_FOUND", "UNKNOWN_WORKER", "QUEUE_FULL",
               "SHUTTING_DOWN", "INTERNAL", "INVALID_STATE", "WORKER_ID_IN_USE",
               "STORAGE_FULL"}
STATES = {"queued", "scheduled", "running", "succeeded", "failed", "cancelled", "dead"}
FINAL = {"succeeded", "failed", "cancelled", "dead"}
# PROTOCOL.md §4.1, §6.5: the six kinds a retry_on may name.
RETRY_KINDS = {"exit", "signal", "timeout", "lost", "error", "spawn"}
MODULE_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
# PROTOCOL.md §2.3, §4, §5: every command of each direction.
COMMANDS = {
    "client->broker": {"SUBMIT", "STATUS", "RESULT", "STATS", "WORKERS", "PROJECTS",
                       "SET_LIMIT", "PING", "CANCEL", "DLQ_LIST", "DLQ_RETRY", "DLQ_PURGE",
                       "SET_POLICY", "SUSPEND", "RESUME", "LOGS"},
    "broker->client": {"SUBMITTED", "STATUS_REPLY", "RESULT_REPLY", "STATS_REPLY",
                       "WORKERS_REPLY", "PROJECTS_REPLY", "OK", "PONG", "DLQ_REPLY", "ERROR",
                       "LOGS_REPLY"},
    "worker->broker": {"READY", "STARTED", "CREDIT", "DONE", "FAILED", "REJECT", "DRAIN",
                       "DISCONNECT", "HEARTBEAT", "EVENT", "OUTPUT"},
    "broker->worker": {"WELCOME", "TASK", "HEARTBEAT", "DISCONNECT", "ERROR", "CANCEL",
                       "SUSPEND", "RESUME"},
}


def load_vectors():
    with open(VECTORS, encoding="utf-8") as f:
        return json.load(f)


def from_notation(value):
    """JSON notation -> the Python value msgpack.unpackb(raw=False) gives."""
    if isinstance(value, dict):
        if set(value) == {"$bin"}:
            return bytes.fromhex(value["$bin"])
        if set(value) == {"$ext"}:
            return msgpack.ExtType(value["$ext"]["type"], bytes.fromhex(value["$ext"]["hex"]))
        return {key: from_notation(item) for key, item in value.items()}
    if isinstance(value, list):
        return [from_notation(item) for item in value]
    return value


def same(a, b):
    """Equality that tells bool from int and keeps map key order."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return a == b


def unpack(data):
    return msgpack.unpackb(data, raw=False, strict_map_key=False)


class GoldenVectorFile(unittest.TestCase):
    def test_every_vector_is_well_formed(self):
        names = set()
        for v in load_vectors():
            with self.subTest(v.get("name")):
                for key in ("name", "command", "direction", "body_hex", "body", "description"):
                    self.assertIn(key, v)
                self.assertNotIn(v["name"], names)
                names.add(v["name"])
                self.assertIn(v["direction"], DIRECTIONS)
                self.assertTrue(v["command"].isascii() and v["command"].isupper())
                self.assertIn(v["command"], COMMANDS[v["direction"]])
                if "expect_error" in v:
                    self.assertIn(v["expect_error"], ERROR_NAMES)

    def test_bodies_decode_to_their_json_notation(self):
        for v in load_vectors():
            if v["body"] is None:
                continue
            with self.subTest(v["name"]):
                decoded = unpack(bytes.fromhex(v["body_hex"]))
                self.assertTrue(same(decoded, from_notation(v["body"])),
                                f"{decoded!r} != {v['body']!r}")

    def test_valid_bodies_are_maps(self):
        for v in load_vectors():
            if "expect_error" in v:
                continue
            with self.subTest(v["name"]):
                self.assertIsInstance(unpack(bytes.fromhex(v["body_hex"])), dict)

    def test_packing_the_notation_gives_the_same_bytes(self):
        # Python's packer and the C++ encoder both choose the smallest form
        # for every integer, string and container and keep key order, so the
        # canonical form is reproducible byte for byte.
        for v in load_vectors():
            if v["body"] is None:
                continue
            with self.subTest(v["name"]):
                packed = msgpack.packb(from_notation(v["body"]), use_bin_type=True)
                self.assertEqual(packed.hex(), v["body_hex"])

    def test_canonical_forms_decode_and_pack_back(self):
        for v in load_vectors():
            if "canonical_hex" not in v:
                continue
            with self.subTest(v["name"]):
                canonical = bytes.fromhex(v["canonical_hex"])
                decoded = unpack(canonical)
                self.assertIsInstance(decoded, dict)
                self.assertEqual(msgpack.packb(decoded, use_bin_type=True), canonical)

    def test_bodies_without_notation_are_not_one_msgpack_value(self):
        for v in load_vectors():
            if v["body"] is not None:
                continue
            with self.subTest(v["name"]):
                self.assertIn(v.get("expect_error"), {"MALFORMED_BODY", "TOO_LARGE"})
                with self.assertRaises(Exception):
                    unpack(bytes.fromhex(v["body_hex"]))


    def test_every_command_has_a_valid_vector(self):
        have = {(v["direction"], v["command"]) for v in load_vectors() if "expect_error" not in v}
        for direction, commands in COMMANDS.items():
            for command in commands:
                with self.subTest(f"{command} {direction}"):
                    self.assertIn((direction, command), have)


def task_views(body):
    """Every task view in a reply body."""
    if isinstance(body.get("task"), dict) and "state" in body["task"]:
        yield body["task"]
    for view in body.get("tasks") or []:
        if "state" in view:  # HEARTBEAT's tasks are activity entries, not views
            yield view


def policies(body):
    """Every retry policy map in a body (SUBMIT, TASK, SET_POLICY, PROJECTS_REPLY)."""
    for holder in (body.get("task"), body.get("spec")):
        if isinstance(holder, dict) and isinstance(holder.get("retry"), dict):
            yield holder["retry"]
    if isinstance(body.get("policy"), dict):
        yield body["policy"]
    for project in body.get("projects") or []:
        if isinstance(project.get("policy"), dict):
            yield project["policy"]


class Semantics(unittest.TestCase):
    """A few rules of PROTOCOL.md read straight off the vectors."""

    def vector(self, name):
        for v in load_vectors():
            if v["name"] == name:
                return v
        self.fail(f"no vector {name}")

    def test_success_is_exit_zero_without_timeout_or_error(self):  # PROTOCOL.md §6.2
        outcome = self.vector("result_reply_succeeded")["body"]["task"]["outcome"]
        self.assertEqual(outcome["exit_code"], 0)
        self.assertFalse(outcome["timed_out"])
        self.assertNotIn("error", outcome)

    def test_error_replies_carry_code_and_name(self):  # PROTOCOL.md §9
        body = self.vector("error_unsupported_version")["body"]
        self.assertEqual((body["req"], body["code"], body["name"]), (0, 2, "UNSUPPORTED_VERSION"))

    def test_priority_above_ten_is_invalid(self):  # PROTOCOL.md §4.1
        self.assertEqual(self.vector("submit_priority_11")["expect_error"], "INVALID_FIELD")

    def test_task_views_use_the_seven_states(self):  # PROTOCOL.md §4.4, §6.1
        seen = set()
        for v in load_vectors():
            if "expect_error" in v or v["body"] is None:
                continue
            for view in task_views(v["body"]):
                with self.subTest(v["name"]):
                    self.assertIn(view["state"], STATES)
                    seen.add(view["state"])
                    if view["state"] == "scheduled":
                        self.assertGreater(view.get("not_before_ms", 0), 0)
                    if view["state"] in FINAL:
                        self.assertGreater(view.get("finished_at_ms", 0), 0)
        self.assertEqual(seen, STATES)
        self.assertEqual(self.vector("status_reply_unknown_state")["expect_error"],
                         "INVALID_FIELD")

    def test_retry_policies_are_valid(self):  # PROTOCOL.md §4.1, §6.5
        for v in load_vectors():
            if "expect_error" in v or v["body"] is None:
                continue
            for policy in policies(v["body"]):
                with self.subTest(v["name"]):
                    self.assertLessEqual(set(policy.get("retry_on") or []), RETRY_KINDS)
                    self.assertLessEqual(policy.get("max_attempts") or 0, 1000)
                    if policy.get("backoff_max_ms"):
                        self.assertLessEqual(policy.get("backoff_ms") or 0,
                                             policy["backoff_max_ms"])

    def test_new_field_limits(self):  # PROTOCOL.md §4.1, §10
        expected = {
            "submit_retry_on_unknown_kind": "INVALID_FIELD",
            "submit_backoff_above_max": "INVALID_FIELD",
            "submit_idempotency_key_129_bytes": "TOO_LARGE",
            "submit_max_attempts_1001": "INVALID_FIELD",
            "submit_not_before_negative": "INVALID_FIELD",
            "submit_retry_on_too_many": "TOO_LARGE",
            "dlq_list_limit_too_large": "INVALID_FIELD",
        }
        for name, error in expected.items():
            with self.subTest(name):
                self.assertEqual(self.vector(name)["expect_error"], error)
        key = self.vector("submit_idempotency_key_129_bytes")["body"]["task"]["idempotency_key"]
        self.assertEqual(len(key.encode()), 129)

    def test_file_paths_follow_the_rules(self):  # PROTOCOL.md §4.1 "files"
        def path_ok(path):
            parts = path.split("/")
            return (0 < len(path.encode()) <= 1024 and not path.startswith("/")
                    and "\0" not in path and len(parts) <= 16
                    and all(p not in ("", ".", "..") and len(p.encode()) <= 255 for p in parts))
        files = self.vector("submit_with_files")["body"]["task"]["files"]
        self.assertEqual([f["path"] for f in files], ["job.sh", "in/data.txt"])
        self.assertEqual(files[0]["mode"], 0o755)
        self.assertNotIn("mode", files[1])  # 0644, the default
        self.assertTrue(all(path_ok(f["path"]) for f in files))
        for name in ("submit_file_path_escapes", "submit_file_path_absolute"):
            with self.subTest(name):
                v = self.vector(name)
                self.assertEqual(v["expect_error"], "INVALID_FIELD")
                self.assertFalse(path_ok(v["body"]["task"]["files"][0]["path"]))
        expected = {"submit_file_path_twice": "INVALID_FIELD",
                    "submit_file_and_directory": "INVALID_FIELD",
                    "submit_file_mode_setuid": "INVALID_FIELD",
                    "submit_files_too_many": "TOO_LARGE",
                    "submit_files_on_noop_task": "INVALID_FIELD"}
        for name, error in expected.items():
            with self.subTest(name):
                self.assertEqual(self.vector(name)["expect_error"], error)
        self.assertEqual(len(self.vector("submit_files_too_many")["body"]["task"]["files"]), 65)

    def test_duplicate_submit_names_the_original(self):  # PROTOCOL.md §6.9
        body = self.vector("submitted_duplicate")["body"]
        self.assertIs(body["duplicate"], True)
        self.assertNotIn("duplicate", self.vector("submitted")["body"])

    def test_ok_count_is_left_out_when_zero(self):  # PROTOCOL.md §4.14
        self.assertEqual(self.vector("ok_count")["body"]["count"], 17)
        canonical = unpack(bytes.fromhex(self.vector("ok_count_zero")["canonical_hex"]))
        self.assertNotIn("count", canonical)

    def test_dlq_reply_lists_dead_tasks_in_id_order(self):  # PROTOCOL.md §4.12
        for name in ("dlq_reply", "dlq_reply_truncated", "dlq_reply_empty",
                     "dlq_reply_with_outcome"):
            with self.subTest(name):
                body = self.vector(name)["body"]
                self.assertGreaterEqual(body["total"], len(body["tasks"]))
                ids = [view["id"] for view in body["tasks"]]
                self.assertEqual(ids, sorted(ids))
                for view in body["tasks"]:
                    self.assertEqual(view["state"], "dead")
        # The broker's form carries each outcome; a reader accepts views without.
        sent = self.vector("dlq_reply_with_outcome")["body"]["tasks"]
        self.assertTrue(all("outcome" in view for view in sent))
        self.assertGreater(sent[0]["finished_at_ms"], sent[1]["finished_at_ms"])
        self.assertNotIn("outcome", self.vector("dlq_reply")["body"]["tasks"][0])

    def test_cannot_exec_is_failed_after_one_attempt(self):  # PROTOCOL.md §5.6, §6.5
        self.assertEqual(self.vector("failed_cannot_exec")["body"]["reason"], "cannot_exec")
        task = self.vector("result_reply_spawn_error")["body"]["task"]
        self.assertEqual((task["state"], task["attempts"]), ("failed", 1))
        self.assertIn("error", task["outcome"])
        self.assertNotIn("exit_code", task["outcome"])

    def test_module_names_follow_the_rule(self):  # PROTOCOL.md §4.1 "module"
        for name in ("submit_module", "submit_module_name_rules"):
            with self.subTest(name):
                module = self.vector(name)["body"]["task"]["module"]
                self.assertTrue(MODULE_NAME.fullmatch(module))
        expected = {"submit_module_name_uppercase": "INVALID_FIELD",
                    "submit_module_name_path": "INVALID_FIELD",
                    "submit_module_name_leading_dash": "INVALID_FIELD",
                    "submit_module_name_65_bytes": "TOO_LARGE"}
        for name, error in expected.items():
            with self.subTest(name):
                v = self.vector(name)
                self.assertEqual(v["expect_error"], error)
                self.assertFalse(MODULE_NAME.fullmatch(v["body"]["task"]["module"]))
        self.assertEqual(self.vector("submit_module_without_name")["expect_error"],
                         "INVALID_FIELD")

    def test_output_cap_zero_is_written(self):  # PROTOCOL.md §4.1 "output_cap"
        v = self.vector("submit_output_cap_zero")
        self.assertEqual(v["body"]["task"]["output_cap"], 0)
        self.assertNotIn("canonical_hex", v)

    def test_req_and_id_rules(self):  # PROTOCOL.md §3.3, §4.2
        self.assertEqual(self.vector("status_id_zero")["body"]["id"], 0)
        self.assertNotIn("expect_error", self.vector("status_id_zero"))
        for name in ("ping_req_string", "ping_req_negative"):
            with self.subTest(name):
                self.assertEqual(self.vector(name)["expect_error"], "INVALID_FIELD")
        body = self.vector("error_unknown_command")["body"]
        self.assertEqual((body["code"], body["name"]), (3, "UNKNOWN_COMMAND"))
        self.assertGreater(body["req"], 0)

    def test_depths_said_in_descriptions_match_the_bodies(self):  # PROTOCOL.md §10
        def depth(value):
            if isinstance(value, dict):
                return 1 + max((depth(item) for item in value.values()), default=0)
            if isinstance(value, list):
                return 1 + max((depth(item) for item in value), default=0)
            return 0
        checked = 0
        for v in load_vectors():
            said = re.search(r"(\d+) deep", v["description"])
            if not said or v["body"] is None:
                continue
            with self.subTest(v["name"]):
                self.assertEqual(depth(v["body"]), int(said.group(1)))
                self.assertEqual("expect_error" in v, depth(v["body"]) > 16)
                checked += 1
        self.assertGreaterEqual(checked, 2)
        self.assertEqual(depth(self.vector("ping_nested_16_deep")["body"]), 16)

    def test_noop_tasks_carry_no_argv(self):  # PROTOCOL.md §4.1, §5.3
        for name in ("submit_noop", "task_noop"):
            with self.subTest(name):
                body = self.vector(name)["body"]
                self.assertNotIn("argv", body.get("task") or body.get("spec"))
        canonical = unpack(bytes.fromhex(self.vector("submit_noop_without_argv")["canonical_hex"]))
        self.assertNotIn("argv", canonical["task"])

    def test_cancel_to_a_worker_names_an_attempt(self):  # PROTOCOL.md §5.13
        body = self.vector("cancel_worker")["body"]
        done = self.vector("done_cancelled")["body"]
        self.assertEqual((done["task_id"], done["attempt"]), (body["task_id"], body["attempt"]))
        self.assertIs(done["cancelled"], True)


def load_client():
    """The client package of clients/python, or None when pyzmq is not installed."""
    sys.path.insert(0, os.path.join(HERE, "..", "..", "clients", "python"))
    try:
        import zfleet  # noqa: PLC0415
    except ImportError:
        return None
    return zfleet


class ExampleClient(unittest.TestCase):
    """The Python client (clients/python) builds the bodies of the golden vectors."""

    def setUp(self):
        self.client = load_client()
        if self.client is None:
            self.skipTest("pyzmq is not installed")

    def vector_body(self, name):
        for v in load_vectors():
            if v["name"] == name:
                return from_notation(v["body"])
        self.fail(f"no vector {name}")

    def packed(self, body):
        return msgpack.packb(body, use_bin_type=True)

    def test_make_task_with_every_field_packs_like_submit_full(self):  # PROTOCOL.md §4.1
        c = self.client
        want = self.vector_body("submit_full")
        t = want["task"]
        task = c.make_task(t["argv"], project=t["project"], priority=t["priority"],
                           stdin=t["stdin"], env=t["env"], cwd=t["cwd"],
                           timeout_ms=t["timeout_ms"], grace_ms=t["grace_ms"],
                           output_cap=t["output_cap"], retry=c.make_policy(**t["retry"]),
                           not_before_ms=t["not_before_ms"],
                           idempotency_key=t["idempotency_key"])
        self.assertEqual(self.packed({"req": want["req"], "task": task}).hex(),
                         self.packed(want).hex())

    def test_make_task_with_files_packs_like_the_vector(self):  # PROTOCOL.md §4.1 "files"
        c = self.client
        want = self.vector_body("submit_with_files")
        t = want["task"]
        files = [c.task_file(f["path"], f["data"], f.get("mode", 0o644)) for f in t["files"]]
        task = c.make_task(t["argv"], project=t["project"], priority=t["priority"], files=files)
        self.assertEqual(self.packed({"req": want["req"], "task": task}).hex(),
                         self.packed(want).hex())
        with self.assertRaises(ValueError):
            c.task_file("tool", b"x", 0o4755)
        with self.assertRaises(ValueError):
            c.make_task(["./a"], files={f"f{i}": b"" for i in range(65)})

    def test_noop_task_has_no_argv(self):  # PROTOCOL.md §4.1, §5.3
        task = self.client.make_task(task_type="noop")
        self.assertEqual(task, {"type": "noop"})

    def test_set_policy_body_packs_like_the_vector(self):  # PROTOCOL.md §4.15
        want = self.vector_body("set_policy")
        body = {"req": want["req"], "project": want["project"],
                "policy": self.client.make_policy(**want["policy"])}
        self.assertEqual(self.packed(body), self.packed(want))

    def test_policy_refuses_unknown_kinds(self):  # PROTOCOL.md §6.5
        with self.assertRaises(ValueError):
            self.client.make_policy(retry_on=["crash"])

    def test_key_over_128_bytes_is_refused_before_sending(self):  # PROTOCOL.md §10
        with self.assertRaises(ValueError):
            self.client.make_task(["/bin/true"], idempotency_key="k" * 129)

    def test_submit_keeps_or_adds_an_idempotency_key(self):  # PROTOCOL.md §6.9
        with_key = self.client.Client._with_key
        self.assertEqual(with_key({"type": "noop"}, "k1")["idempotency_key"], "k1")
        self.assertEqual(with_key({"type": "noop", "idempotency_key": "k2"}, None)
                         ["idempotency_key"], "k2")
        generated = with_key({"type": "noop"}, None)["idempotency_key"]
        self.assertTrue(0 < len(generated) <= 128)
        self.assertNotIn("idempotency_key", with_key({"type": "noop", "idempotency_key": "x"}, ""))

    def test_final_states_match_the_protocol(self):  # PROTOCOL.md §6.1
        self.assertEqual(set(self.client.FINAL_STATES), FINAL)
        self.assertEqual(set(self.client.RETRY_KINDS), RETRY_KINDS)


if __name__ == "__main__":
    unittest.main(verbosity=1)
