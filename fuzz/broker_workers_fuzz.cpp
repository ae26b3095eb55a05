// Fuzz target: a conversation of worker commands (READY, STARTED, DONE,
// FAILED, HEARTBEAT, ...) at the broker's worker socket, with tasks queued.
#include <cstddef>
#include <cstdint>

#include "fuzz/broker_conversation.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::vector<std::string> commands = {
      "READY",      "STARTED",   "CREDIT", "DONE",   "FAILED", "REJECT", "DRAIN",
      "DISCONNECT", "HEARTBEAT", "EVENT",  "OUTPUT", "SUBMIT", "ready"};
  zfleet::fuzz::play(zfleet::fuzz::Side::kWorkers, commands, data, size);
  return 0;
}
