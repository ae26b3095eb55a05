// encode/decode of the event stream's bodies, derived from their field
// lists, and their rules across fields; see event_bodies.hpp.
#include "common/wire/event_bodies.hpp"

#include "common/wire/validate.hpp"

namespace zfleet::msg {

MaybeError Event::check(const Event& m) {
  if (!valid_name(m.kind)) {
    return DecodeError{ErrorCode::kInvalidField,
                       "'kind' must be 1-32 characters of [A-Za-z0-9._:@-]"};
  }
  return std::nullopt;
}

MaybeError OutputChunk::check(const OutputChunk& m) {
  if (m.stream != "stdout" && m.stream != "stderr") {
    return DecodeError{ErrorCode::kInvalidField, "'stream' must be stdout or stderr"};
  }
  return std::nullopt;
}

ZFLEET_WIRE_BODY_CODEC(Event)
ZFLEET_WIRE_BODY_CODEC(OutputChunk)

}  // namespace zfleet::msg
