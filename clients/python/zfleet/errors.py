"""Exceptions: one class per code of the error catalogue (PROTOCOL.md §9),
all subclasses of ZfleetError, so callers can catch what they handle
(`except zfleet.NotFound`) and still see every failure as a ZfleetError.

A code this client does not know becomes a plain ZfleetError and is treated
like INTERNAL (§4.10): it may succeed if sent again.
"""


class ZfleetError(Exception):
    """An ERROR reply from the broker (PROTOCOL.md §9) or a protocol failure.

    `name` is the catalogue name ("NOT_FOUND"), `code` its number (0 for
    failures on this side: TIMEOUT, PROTOCOL), `req` the request it answers.
    """

    def __init__(self, name, message, code=0, req=0):
        super().__init__(f"{name}: {message}")
        self.name = name
        self.message = message
        self.code = code
        self.req = req


class Timeout(ZfleetError):
    """No reply within the client's timeout (plus any wait it asked for)."""

    def __init__(self, message):
        super().__init__("TIMEOUT", message)


class ProtocolError(ZfleetError):
    """The broker answered with something this request cannot get."""

    def __init__(self, message):
        super().__init__("PROTOCOL", message)


class BrokerError(ZfleetError):
    """Base of the classes for catalogued ERROR codes."""

    code_number = 0
    retryable = False  # whether the same SUBMIT (same key) may succeed later

    def __init__(self, message, req=0, name=None):
        super().__init__(name or self.error_name, message, self.code_number, req)


def _error_class(class_name, code, error_name, retryable=False, doc=""):
    return type(class_name, (BrokerError,), {"code_number": code, "error_name": error_name,
                                             "retryable": retryable, "__doc__": doc})


BadFrames = _error_class("BadFrames", 1, "BAD_FRAMES", doc="not 3 frames, or a bad command frame")
UnsupportedVersion = _error_class("UnsupportedVersion", 2, "UNSUPPORTED_VERSION",
                                  doc="frame 0 is not zfleet/1")
UnknownCommand = _error_class("UnknownCommand", 3, "UNKNOWN_COMMAND",
                              doc="the command is not one of the clients endpoint")
MalformedBody = _error_class("MalformedBody", 4, "MALFORMED_BODY",
                             doc="the body is not exactly one msgpack map")
InvalidField = _error_class("InvalidField", 5, "INVALID_FIELD",
                            doc="a field is missing, of the wrong type or out of range")
TooLarge = _error_class("TooLarge", 6, "TOO_LARGE", doc="a field is over its size limit (§10)")
NotFound = _error_class("NotFound", 7, "NOT_FOUND", doc="no such task (or it was forgotten)")
UnknownWorker = _error_class("UnknownWorker", 8, "UNKNOWN_WORKER",
                             doc="a worker message before READY (never sent to clients)")
QueueFull = _error_class("QueueFull", 9, "QUEUE_FULL", retryable=True,
                         doc="the broker holds its maximum number of tasks")
ShuttingDown = _error_class("ShuttingDown", 10, "SHUTTING_DOWN", retryable=True,
                            doc="the broker is stopping")
Internal = _error_class("Internal", 11, "INTERNAL", retryable=True,
                        doc="a broker-side failure; a keyed SUBMIT may be resent")
InvalidState = _error_class("InvalidState", 12, "INVALID_STATE",
                            doc="the task's state does not allow the request")
WorkerIdInUse = _error_class("WorkerIdInUse", 13, "WORKER_ID_IN_USE",
                             doc="a worker id another live worker holds (never sent to clients)")
StorageFull = _error_class("StorageFull", 14, "STORAGE_FULL", retryable=True,
                           doc="the broker cannot write its journal; nothing was changed")

BY_CODE = {cls.code_number: cls for cls in (
    BadFrames, UnsupportedVersion, UnknownCommand, MalformedBody, InvalidField, TooLarge,
    NotFound, UnknownWorker, QueueFull, ShuttingDown, Internal, InvalidState, WorkerIdInUse,
    StorageFull)}


def error_from_reply(body):
    """The exception for an ERROR body ({code, name, message, req})."""
    code = body.get("code", 0)
    message = body.get("message", "")
    req = body.get("req", 0)
    cls = BY_CODE.get(code) if isinstance(code, int) else None
    if cls is None:
        return ZfleetError(body.get("name", "UNKNOWN"), message, code, req)
    return cls(message, req, body.get("name") or None)


def retryable_submit_error(error):
    """Whether sending the same SUBMIT again (same key) may succeed (PROTOCOL.md §9)."""
    if isinstance(error, Timeout):
        return True
    if isinstance(error, BrokerError):
        return error.retryable
    # An uncatalogued code: handled like INTERNAL (§4.10).
    return not isinstance(error, ProtocolError)
