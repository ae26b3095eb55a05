// The spec stored on its own and TaskSpec's check; see task_spec.hpp.
#include "common/wire/task_spec.hpp"

#include "common/wire/validate.hpp"

namespace zfleet::msg {

MaybeError TaskSpec::check(const TaskSpec& spec) {
  return validate(spec);
}

std::string encode_spec(const TaskSpec& spec) {
  return wire::encode_body(spec);
}

MaybeError decode_spec(std::string_view bytes, TaskSpec& out) {
  DecodeError error;
  auto body = codec::parse_body(bytes, error);
  if (!body) return error;
  return wire::decode_body(body->root(), out, "task");
}

}  // namespace zfleet::msg
