"""zfleet.Client against a real broker and worker (fleet.py): submit and
result, status of a running task, cancel, and broker errors raised as the
exception class of their code (PROTOCOL.md §9)."""

import socket
import time
import unittest

import zfleet

from fleet import Fleet

FLEET = Fleet()


def setUpModule():  # noqa: N802 - unittest's name
    FLEET.start()
    deadline = time.monotonic() + 15
    with zfleet.Client(FLEET.clients) as client:
        while not client.workers():
            if time.monotonic() > deadline:
                raise RuntimeError("the worker did not register\n" + FLEET.logs())
            time.sleep(0.05)


def tearDownModule():  # noqa: N802
    FLEET.stop()


class ClientOnAFleet(unittest.TestCase):
    def setUp(self):
        self.client = zfleet.Client(FLEET.clients, timeout=5.0)
        self.addCleanup(self.client.close)

    def wait_for(self, task_id, accept, timeout=15):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            view = self.client.status(task_id)
            if accept(view):
                return view
            time.sleep(0.05)
        self.fail(f"task {task_id} never got there: {view}\n{FLEET.logs()}")

    def test_ping_names_the_broker_version(self):  # PROTOCOL.md §4.9
        self.assertEqual(self.client.ping()["version"], zfleet.__version__)

    def test_submit_then_result_waits_for_the_output(self):  # PROTOCOL.md §4.1, §4.3
        task_id = self.client.submit(["/bin/echo", "from python"], project="py-pkg")
        view = self.client.result(task_id, wait=30)
        self.assertTrue(zfleet.succeeded(view), view)
        self.assertEqual(view["outcome"]["stdout"], b"from python\n")
        self.assertEqual(view["project"], "py-pkg")

    def test_files_go_into_the_task_directory(self):  # PROTOCOL.md §4.1 "files"
        files = [zfleet.task_file("run.sh", "#!/bin/sh\nexec cat data/in.bin\n", 0o755),
                 zfleet.task_file("data/in.bin", b"\x00\xffbytes")]
        task_id = self.client.submit(["./run.sh"], files=files)
        view = self.client.result(task_id, wait=30)
        self.assertTrue(zfleet.succeeded(view), view)
        self.assertEqual(view["outcome"]["stdout"], b"\x00\xffbytes")
        with self.assertRaises(zfleet.InvalidField):
            self.client.submit(["/bin/true"], files={"../escape": b"x"})

    def test_status_shows_a_running_task_and_cancel_ends_it(self):  # PROTOCOL.md §4.2, §4.11
        task_id = self.client.submit(["/bin/sleep", "30"], grace_ms=500)
        running = self.wait_for(task_id, lambda v: v["state"] == "running")
        self.assertEqual(running["worker"], "py-pkg-w1")
        self.client.cancel(task_id)
        view = self.client.result(task_id, wait=15)
        self.assertEqual(view["state"], "cancelled", view)
        self.assertTrue(zfleet.is_final(view))

    def test_cancel_of_a_finished_task_raises_invalid_state(self):  # PROTOCOL.md §4.11, §9
        task_id = self.client.submit(task_type="noop")
        self.assertEqual(self.client.result(task_id, wait=15)["state"], "succeeded")
        with self.assertRaises(zfleet.InvalidState) as caught:
            self.client.cancel(task_id)
        self.assertEqual((caught.exception.code, caught.exception.name), (12, "INVALID_STATE"))

    def test_unknown_task_raises_not_found(self):  # PROTOCOL.md §4.2, §9
        with self.assertRaises(zfleet.NotFound) as caught:
            self.client.status(987654321)
        error = caught.exception
        self.assertIsInstance(error, zfleet.ZfleetError)
        self.assertEqual((error.code, error.name), (7, "NOT_FOUND"))
        self.assertGreater(error.req, 0)

    def test_out_of_range_field_raises_invalid_field_without_resending(self):  # §4.1, §9
        with self.assertRaises(zfleet.InvalidField) as caught:
            self.client.submit(["/bin/true"], priority=99)
        self.assertIn("priority", caught.exception.message)

    def test_submit_many_and_results_many(self):  # PROTOCOL.md §4.1, §4.3
        ids = self.client.submit_many([zfleet.make_task(task_type="noop") for _ in range(20)])
        self.assertEqual(len(set(ids)), 20, ids)
        views = self.client.results_many(ids, wait=15)
        self.assertEqual(sorted(views), sorted(ids))
        self.assertTrue(all(v["state"] == "succeeded" for v in views.values()), views)

    def test_a_broker_that_never_answers_raises_timeout(self):
        with socket.socket() as s:  # a free port, closed again: nothing listens there
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        with zfleet.Client(f"tcp://127.0.0.1:{port}", timeout=0.3) as silent:
            with self.assertRaises(zfleet.Timeout):
                silent.status(1)


if __name__ == "__main__":
    unittest.main()
