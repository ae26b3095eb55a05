// One protocol message as a reactor received it, already split into its
// frames (common/frames.hpp does the splitting). Socket-free, so the
// broker's core can take messages without including ZeroMQ.
#pragma once

#include <string>

namespace zfleet::frames {

// identity is empty for messages read from a DEALER.
struct Received {
  std::string identity;
  std::string version;
  std::string command;
  std::string body;
};

}  // namespace zfleet::frames
