"""The package itself, without a fleet: its version, where it was imported
from, and how ERROR bodies map to exception classes (PROTOCOL.md §9)."""

import importlib.metadata
import os
import re
import unittest

import msgpack

import zfleet


class Package(unittest.TestCase):
    def test_version_is_the_project_version(self):
        expected = os.environ.get("ZFLEET_EXPECTED_VERSION")
        if expected is None:
            self.skipTest("ZFLEET_EXPECTED_VERSION is not set")
        self.assertEqual(zfleet.__version__, expected)

    def test_imported_from_the_installed_package_when_asked(self):
        if os.environ.get("ZFLEET_EXPECT_INSTALLED") != "1":
            self.skipTest("ZFLEET_EXPECT_INSTALLED is not 1")
        source = os.path.realpath(os.environ["ZFLEET_SOURCE_DIR"])
        here = os.path.realpath(zfleet.__file__)
        self.assertFalse(here.startswith(source + os.sep), f"zfleet imported from {here}")
        self.assertEqual(importlib.metadata.version("zfleet"), zfleet.__version__)
        requires = sorted(re.match(r"[A-Za-z0-9_.-]+", r).group(0)
                          for r in importlib.metadata.requires("zfleet"))
        self.assertEqual(requires, ["msgpack", "pyzmq"])


class ErrorMapping(unittest.TestCase):
    def test_every_catalogued_code_has_its_class(self):
        names = {1: "BAD_FRAMES", 2: "UNSUPPORTED_VERSION", 3: "UNKNOWN_COMMAND",
                 4: "MALFORMED_BODY", 5: "INVALID_FIELD", 6: "TOO_LARGE", 7: "NOT_FOUND",
                 8: "UNKNOWN_WORKER", 9: "QUEUE_FULL", 10: "SHUTTING_DOWN", 11: "INTERNAL",
                 12: "INVALID_STATE", 13: "WORKER_ID_IN_USE", 14: "STORAGE_FULL"}
        for code, name in names.items():
            with self.subTest(name):
                error = zfleet.error_from_reply({"code": code, "name": name, "message": "m",
                                                 "req": 3})
                self.assertIsInstance(error, zfleet.BrokerError)
                self.assertEqual((error.code, error.name, error.message, error.req),
                                 (code, name, "m", 3))
                self.assertEqual(str(error), f"{name}: m")

    def test_an_unknown_code_is_a_plain_error_that_may_be_resent(self):  # PROTOCOL.md §4.10
        error = zfleet.error_from_reply({"code": 99, "name": "NEW_THING", "message": "m"})
        self.assertIs(type(error), zfleet.ZfleetError)
        self.assertEqual(error.name, "NEW_THING")
        from zfleet.errors import retryable_submit_error  # noqa: PLC0415
        self.assertTrue(retryable_submit_error(error))
        self.assertFalse(retryable_submit_error(zfleet.NotFound("m")))
        self.assertTrue(retryable_submit_error(zfleet.StorageFull("m")))
        self.assertTrue(retryable_submit_error(zfleet.Timeout("m")))
        self.assertFalse(retryable_submit_error(zfleet.ProtocolError("m")))


class TaskMaps(unittest.TestCase):
    def test_noop_task_has_no_argv(self):  # PROTOCOL.md §4.1, §5.3
        self.assertEqual(zfleet.make_task(task_type="noop"), {"type": "noop"})

    def test_keys_in_the_reference_encoder_order(self):  # PROTOCOL.md §4.1
        task = zfleet.make_task(["/bin/echo", 1], project="p", priority=3, stdin="x",
                                retry=zfleet.make_policy(max_attempts=2, retry_on=["exit"]),
                                idempotency_key="k")
        self.assertEqual(list(task), ["type", "project", "priority", "argv", "stdin", "retry",
                                      "idempotency_key"])
        self.assertEqual(task["argv"], ["/bin/echo", "1"])
        self.assertEqual(msgpack.unpackb(msgpack.packb(task, use_bin_type=True)), task)

    def test_bad_policy_and_key_are_refused_before_sending(self):
        with self.assertRaises(ValueError):
            zfleet.make_policy(retry_on=["sometimes"])
        with self.assertRaises(ValueError):
            zfleet.make_task(["/bin/true"], idempotency_key="k" * 129)


if __name__ == "__main__":
    unittest.main()
