// Typed messages of protocol v1: one include for every body struct and its
// encode/decode overloads. The bodies are declared by their field lists
// (common/wire/fields.hpp), by area:
// - common/wire/task_spec.hpp: TaskSpec and the structs it nests;
// - common/wire/task_views.hpp: TaskState, Outcome, LiveStatus, TaskView;
// - common/wire/client_bodies.hpp: client <-> broker;
// - common/wire/worker_bodies.hpp: worker <-> broker;
// - common/wire/event_bodies.hpp: events and output chunks;
// - common/wire/validate.hpp: the value rules of specs.
// encode() writes the canonical form (keys in list order, absent optionals
// omitted); decode() accepts any key order, ignores unknown keys, treats nil
// as absent and validates every limit in protocol.hpp. Field meanings, units
// and defaults are specified in schemas/PROTOCOL.md.
#pragma once

#include <string>
#include <string_view>

#include "common/codec.hpp"
#include "common/wire/client_bodies.hpp"
#include "common/wire/event_bodies.hpp"
#include "common/wire/task_spec.hpp"
#include "common/wire/task_views.hpp"
#include "common/wire/validate.hpp"
#include "common/wire/worker_bodies.hpp"

namespace zfleet::msg {

// DRAIN has an empty map for a body.
inline std::string encode_empty() {
  return codec::MapWriter().finish();
}

// Decodes a whole body in one step (parse_body + decode).
template <typename T>
MaybeError decode_bytes(std::string_view bytes, T& out) {
  DecodeError error;
  auto body = codec::parse_body(bytes, error);
  if (!body) return error;
  return decode(body->root(), out);
}

}  // namespace zfleet::msg
