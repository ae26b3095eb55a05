#!/usr/bin/python3
"""Checks schemas/vectors/v1.json with Python's msgpack alone: every body
decodes to its JSON notation, re-encodes to the same bytes, and the bodies
of invalid vectors are refused or decode as described.

Run: /usr/bin/python3 schemas/tests/test_vectors.py
"""

import json
import os
import unittest

import msgpack

HERE = os.path.dirname(os.path.abspath(__file__))
VECTORS = os.path.join(HERE, "..", "vectors", "v1.json")
DIRECTIONS = {"client->broker", "broker->client", "worker->broker", "broker->worker"}
ERROR_NAMES = {"BAD_FRAMES", "UNSUPPORTED_VERSION", "UNKNOWN_COMMAND", "MALFORMED_BODY",
               "INVALID_FIELD", "TOO_LARGE", "NOT_FOUND", "UNKNOWN_WORKER", "QUEUE_FULL",
               "SHUTTING_DOWN", "INTERNAL"}


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


if __name__ == "__main__":
    unittest.main(verbosity=1)
