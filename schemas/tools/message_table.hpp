// A decode + re-encode round trip of a golden vector's body through the typed
// message its (command, direction) carries, looked up in the command table
// (common/wire/commands.hpp). Shared by the golden-vector generator and the
// spec tests so both read a vector the same way. The direction strings are
// the vectors' spelling of wire::Direction.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/messages.hpp"
#include "common/wire/bodies.hpp"
#include "common/wire/commands.hpp"

namespace zfleet::vectors {

inline constexpr std::string_view kClientToBroker = "client->broker";
inline constexpr std::string_view kBrokerToClient = "broker->client";
inline constexpr std::string_view kWorkerToBroker = "worker->broker";
inline constexpr std::string_view kBrokerToWorker = "broker->worker";

inline std::optional<wire::Direction> find_direction(std::string_view text) {
  if (text == kClientToBroker) return wire::Direction::kClientToBroker;
  if (text == kBrokerToClient) return wire::Direction::kBrokerToClient;
  if (text == kWorkerToBroker) return wire::Direction::kWorkerToBroker;
  if (text == kBrokerToWorker) return wire::Direction::kBrokerToWorker;
  return std::nullopt;
}

struct RoundTrip {
  bool known = true;      // false: no message of that command in that direction
  msg::MaybeError error;  // set when decoding failed
  std::string reencoded;  // encode(decode(bytes)) when decoding succeeded
};

inline RoundTrip round_trip(std::string_view command, std::string_view direction,
                            std::string_view bytes) {
  RoundTrip out;
  const auto dir = find_direction(direction);
  const auto found = dir ? wire::find_command(command, *dir) : std::nullopt;
  if (!found) {
    out.known = false;
    return out;
  }
  out.error = wire::decode_and_visit(*found, bytes,
                                     [&](const auto& body) { out.reencoded = msg::encode(body); });
  return out;
}

}  // namespace zfleet::vectors
