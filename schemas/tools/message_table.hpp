// Which typed message of common/messages.hpp a (command, direction) pair
// carries, and a decode + re-encode round trip through it. Shared by the
// golden-vector generator and the spec tests so both read a vector the same way.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/messages.hpp"
#include "common/protocol.hpp"

namespace zfleet::vectors {

inline constexpr std::string_view kClientToBroker = "client->broker";
inline constexpr std::string_view kBrokerToClient = "broker->client";
inline constexpr std::string_view kWorkerToBroker = "worker->broker";
inline constexpr std::string_view kBrokerToWorker = "broker->worker";

struct RoundTrip {
  bool known = true;      // false: no message of that command in that direction
  msg::MaybeError error;  // set when decoding failed
  std::string reencoded;  // encode(decode(bytes)) when decoding succeeded
};

namespace detail {

template <typename T>
RoundTrip round_trip_as(std::string_view bytes) {
  T message;
  RoundTrip out;
  out.error = msg::decode_bytes(bytes, message);
  if (!out.error) out.reencoded = msg::encode(message);
  return out;
}

// DRAIN carries an empty map; any map is accepted and its fields ignored.
inline RoundTrip round_trip_empty(std::string_view bytes) {
  RoundTrip out;
  codec::DecodeError error;
  if (codec::parse_body(bytes, error)) {
    out.reencoded = msg::encode_empty();
  } else {
    out.error = error;
  }
  return out;
}

}  // namespace detail

inline RoundTrip round_trip(std::string_view command, std::string_view direction,
                            std::string_view bytes) {
  namespace c = proto::cmd;
  using detail::round_trip_as;
  if (direction == kClientToBroker) {
    if (command == c::kSubmit) return round_trip_as<msg::SubmitRequest>(bytes);
    if (command == c::kStatus || command == c::kResult) return round_trip_as<msg::TaskQuery>(bytes);
    if (command == c::kStats || command == c::kWorkers || command == c::kProjects ||
        command == c::kPing) {
      return round_trip_as<msg::Request>(bytes);
    }
    if (command == c::kSetLimit) return round_trip_as<msg::SetLimitRequest>(bytes);
    if (command == c::kCancel || command == c::kDlqRetry || command == c::kSuspend ||
        command == c::kResume || command == c::kLogs) {
      return round_trip_as<msg::TaskQuery>(bytes);
    }
    if (command == c::kDlqList) return round_trip_as<msg::DlqListRequest>(bytes);
    if (command == c::kDlqPurge) return round_trip_as<msg::Request>(bytes);
    if (command == c::kSetPolicy) return round_trip_as<msg::SetPolicyRequest>(bytes);
  } else if (direction == kBrokerToClient) {
    if (command == c::kSubmitted) return round_trip_as<msg::SubmittedReply>(bytes);
    if (command == c::kStatusReply || command == c::kResultReply) {
      return round_trip_as<msg::TaskReply>(bytes);
    }
    if (command == c::kStatsReply) return round_trip_as<msg::StatsReply>(bytes);
    if (command == c::kWorkersReply) return round_trip_as<msg::WorkersReply>(bytes);
    if (command == c::kProjectsReply) return round_trip_as<msg::ProjectsReply>(bytes);
    if (command == c::kOk) return round_trip_as<msg::OkReply>(bytes);
    if (command == c::kPong) return round_trip_as<msg::PongReply>(bytes);
    if (command == c::kDlqReply) return round_trip_as<msg::DlqReply>(bytes);
    if (command == c::kLogsReply) return round_trip_as<msg::LogsReply>(bytes);
    if (command == c::kError) return round_trip_as<msg::ErrorReply>(bytes);
  } else if (direction == kWorkerToBroker) {
    if (command == c::kReady) return round_trip_as<msg::Ready>(bytes);
    if (command == c::kStarted) return round_trip_as<msg::Started>(bytes);
    if (command == c::kCredit) return round_trip_as<msg::Credit>(bytes);
    if (command == c::kDone) return round_trip_as<msg::Done>(bytes);
    if (command == c::kFailed) return round_trip_as<msg::Failed>(bytes);
    if (command == c::kReject) return round_trip_as<msg::Reject>(bytes);
    if (command == c::kDrain) return detail::round_trip_empty(bytes);
    if (command == c::kDisconnect) return round_trip_as<msg::Disconnect>(bytes);
    if (command == c::kHeartbeat) return round_trip_as<msg::Heartbeat>(bytes);
    if (command == c::kEvent) return round_trip_as<msg::Event>(bytes);
    if (command == c::kOutput) return round_trip_as<msg::OutputChunk>(bytes);
  } else if (direction == kBrokerToWorker) {
    if (command == c::kWelcome) return round_trip_as<msg::Welcome>(bytes);
    if (command == c::kTask) return round_trip_as<msg::TaskAssignment>(bytes);
    if (command == c::kHeartbeat) return round_trip_as<msg::Heartbeat>(bytes);
    if (command == c::kDisconnect) return round_trip_as<msg::Disconnect>(bytes);
    if (command == c::kError) return round_trip_as<msg::ErrorReply>(bytes);
    if (command == c::kCancel || command == c::kSuspend || command == c::kResume) {
      return round_trip_as<msg::CancelAttempt>(bytes);
    }
  }
  RoundTrip unknown;
  unknown.known = false;
  return unknown;
}

}  // namespace zfleet::vectors
