// encode/decode of the client <-> broker bodies, derived from their field
// lists, and their rules across fields; see client_bodies.hpp.
#include "common/wire/client_bodies.hpp"

#include "common/wire/validate.hpp"

namespace zfleet::msg {

namespace {

constexpr std::string_view kProjectNameRule =
    "'project' must be 1-64 characters of [A-Za-z0-9._:@-]";

}  // namespace

MaybeError SetLimitRequest::check(const SetLimitRequest& m) {
  if (!valid_name(m.project))
    return DecodeError{ErrorCode::kInvalidField, std::string(kProjectNameRule)};
  return std::nullopt;
}

MaybeError SetPolicyRequest::check(const SetPolicyRequest& m) {
  if (!valid_name(m.project))
    return DecodeError{ErrorCode::kInvalidField, std::string(kProjectNameRule)};
  if (auto e = validate(m.policy)) return DecodeError{e->code, "policy: " + e->message};
  return std::nullopt;
}

ZFLEET_WIRE_BODY_CODEC(SubmitRequest)
ZFLEET_WIRE_BODY_CODEC(SubmittedReply)
ZFLEET_WIRE_BODY_CODEC(TaskQuery)
ZFLEET_WIRE_BODY_CODEC(TaskReply)
ZFLEET_WIRE_BODY_CODEC(Request)
ZFLEET_WIRE_BODY_CODEC(StatsReply)
ZFLEET_WIRE_BODY_CODEC(WorkersReply)
ZFLEET_WIRE_BODY_CODEC(ProjectsReply)
ZFLEET_WIRE_BODY_CODEC(SetLimitRequest)
ZFLEET_WIRE_BODY_CODEC(OkReply)
ZFLEET_WIRE_BODY_CODEC(SetPolicyRequest)
ZFLEET_WIRE_BODY_CODEC(DlqListRequest)
ZFLEET_WIRE_BODY_CODEC(DlqReply)
ZFLEET_WIRE_BODY_CODEC(PongReply)
ZFLEET_WIRE_BODY_CODEC(LogsReply)
ZFLEET_WIRE_BODY_CODEC(ErrorReply)

std::uint64_t peek_req(const msgpack::object& root) {
  codec::FieldReader r(root);
  std::uint64_t req = 0;
  r.u64("req", req);
  return r.ok() ? req : 0;
}

}  // namespace zfleet::msg
