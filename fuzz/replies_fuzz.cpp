// Fuzz target: every body a client or a worker decodes from the broker
// (replies, TASK, WELCOME, CANCEL, events), through the same decoders the
// C++ client, zfleetctl and zfleet-worker use. A decoder may refuse; it may
// not crash, hang or allocate what the input merely claims.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/messages.hpp"

namespace {

template <typename T>
void decode_one(std::string_view bytes) {
  T out;
  (void)zfleet::msg::decode_bytes(bytes, out);
}

template <typename... T>
void decode_all(std::string_view bytes) {
  (decode_one<T>(bytes), ...);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace m = zfleet::msg;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  decode_all<m::SubmittedReply, m::TaskReply, m::StatsReply, m::WorkersReply, m::ProjectsReply,
             m::OkReply, m::DlqReply, m::PongReply, m::ErrorReply, m::LogsReply, m::Welcome,
             m::TaskAssignment, m::CancelAttempt, m::Heartbeat, m::Disconnect, m::Event,
             m::OutputChunk>(bytes);
  return 0;
}
