// TaskState's names and the outcome stored on its own; see task_views.hpp.
#include "common/wire/task_views.hpp"

namespace zfleet::msg {

std::string_view state_name(TaskState state) {
  switch (state) {
    case TaskState::kQueued:
      return "queued";
    case TaskState::kRunning:
      return "running";
    case TaskState::kSucceeded:
      return "succeeded";
    case TaskState::kFailed:
      return "failed";
    case TaskState::kScheduled:
      return "scheduled";
    case TaskState::kCancelled:
      return "cancelled";
    case TaskState::kDead:
      return "dead";
  }
  return "unknown";
}

std::optional<TaskState> state_from_name(std::string_view name) {
  for (auto s : {TaskState::kQueued, TaskState::kRunning, TaskState::kSucceeded, TaskState::kFailed,
                 TaskState::kScheduled, TaskState::kCancelled, TaskState::kDead}) {
    if (state_name(s) == name) return s;
  }
  return std::nullopt;
}

std::string encode_outcome(const Outcome& outcome) {
  return wire::encode_body(outcome);
}

MaybeError decode_outcome(std::string_view bytes, Outcome& out) {
  DecodeError error;
  auto body = codec::parse_body(bytes, error);
  if (!body) return error;
  return wire::decode_body(body->root(), out);
}

}  // namespace zfleet::msg

namespace zfleet::wire {

MaybeError WireEnum<msg::TaskState>::parse(std::string_view name, msg::TaskState& out) {
  if (auto s = msg::state_from_name(name)) {
    out = *s;
    return std::nullopt;
  }
  return DecodeError{ErrorCode::kInvalidField, "unknown task state '" + std::string(name) + "'"};
}

}  // namespace zfleet::wire
