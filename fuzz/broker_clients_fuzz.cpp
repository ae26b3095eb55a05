// Fuzz target: a conversation of client commands (SUBMIT, STATUS, CANCEL,
// SET_POLICY, ...) at the broker's client socket, with a worker connected.
#include <cstddef>
#include <cstdint>

#include "fuzz/broker_conversation.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::vector<std::string> commands = {
      "SUBMIT",     "STATUS",  "RESULT", "STATS",    "WORKERS",   "PROJECTS",
      "SET_LIMIT",  "PING",    "CANCEL", "DLQ_LIST", "DLQ_RETRY", "DLQ_PURGE",
      "SET_POLICY", "SUSPEND", "RESUME", "LOGS",     "submit",    "READY"};
  zfleet::fuzz::play(zfleet::fuzz::Side::kClients, commands, data, size);
  return 0;
}
