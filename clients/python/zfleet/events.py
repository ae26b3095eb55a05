"""Events: a subscriber of the broker's events endpoint (PROTOCOL.md §13)."""

import time

import msgpack
import zmq


class Events:
    """A SUB socket on the events endpoint.

    Topics are "task.<id>.<kind>" and "worker.<id>.<kind>" with an event map,
    and "log.<id>.<stream>" with an OUTPUT body ("offset", "data"). Delivery
    is at-most-once and a subscription takes effect only once it has reached
    the broker: re-read state (status, logs) after subscribing.

        with Events(client.events_endpoint(), ["task.", "log."]) as events:
            topic, body = events.receive(timeout=5)
    """

    def __init__(self, endpoint, prefixes=("",), context=None):
        self._socket = (context or zmq.Context.instance()).socket(zmq.SUB)
        self._socket.setsockopt(zmq.LINGER, 0)
        for prefix in prefixes:
            self._socket.setsockopt(zmq.SUBSCRIBE, prefix.encode())
        self._socket.connect(endpoint)

    def close(self):
        self._socket.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def receive(self, timeout):
        """(topic, body) of the next message within `timeout` s, or None."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if not self._socket.poll(max(0, int(left * 1000)), zmq.POLLIN):
                return None
            frames = self._socket.recv_multipart()
            if len(frames) != 2:
                continue  # not an events message: ignore
            try:
                body = msgpack.unpackb(frames[1], raw=False)
            except Exception:  # noqa: BLE001 - any undecodable body is dropped
                continue
            if isinstance(body, dict):
                return frames[0].decode("utf-8", "replace"), body
