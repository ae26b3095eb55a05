// encode/decode of the worker <-> broker bodies, derived from their field
// lists, and their rules across fields; see worker_bodies.hpp.
#include "common/wire/worker_bodies.hpp"

#include "common/wire/validate.hpp"

namespace zfleet::msg {

MaybeError Ready::check(const Ready& m) {
  auto invalid = [](std::string s) { return DecodeError{ErrorCode::kInvalidField, std::move(s)}; };
  if (m.max_slots != 0 && (m.min_slots > m.max_slots || m.slots > m.max_slots)) {
    return invalid("'slots' must lie within 'min_slots'..'max_slots'");
  }
  if (!valid_name(m.worker_id)) {
    return invalid("'worker_id' must be 1-64 characters of [A-Za-z0-9._:@-]");
  }
  if (m.credit > m.slots) return invalid("'credit' may not exceed 'slots'");
  return std::nullopt;
}

MaybeError Welcome::check(const Welcome& m) {
  if (m.heartbeat_ms < proto::kMinHeartbeatMs) {
    return DecodeError{ErrorCode::kInvalidField, "'heartbeat_ms' is below the minimum"};
  }
  return std::nullopt;
}

ZFLEET_WIRE_BODY_CODEC(Ready)
ZFLEET_WIRE_BODY_CODEC(Welcome)
ZFLEET_WIRE_BODY_CODEC(TaskAssignment)
ZFLEET_WIRE_BODY_CODEC(Started)
ZFLEET_WIRE_BODY_CODEC(Credit)
ZFLEET_WIRE_BODY_CODEC(Done)
ZFLEET_WIRE_BODY_CODEC(Failed)
ZFLEET_WIRE_BODY_CODEC(Reject)
ZFLEET_WIRE_BODY_CODEC(CancelAttempt)
ZFLEET_WIRE_BODY_CODEC(Heartbeat)
ZFLEET_WIRE_BODY_CODEC(Disconnect)

}  // namespace zfleet::msg
