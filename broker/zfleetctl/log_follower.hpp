// LogFollower: what `zfleetctl logs -f` prints of a task's two streams, so
// that every byte is printed once even though it comes from two sources that
// overlap: LOGS replies (what the broker holds, with the stream offset of its
// first byte) and live OUTPUT chunks (each with its offset). Per stream it
// remembers the offset up to which it printed; bytes before it are repeats.
// A chunk starting past it means bytes were missed (the subscription was not
// active yet, or the publisher dropped them): the caller asks LOGS again,
// and whatever LOGS no longer holds is reported as skipped.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/messages.hpp"

namespace zfleet::ctl {

class LogFollower {
 public:
  struct Print {
    std::string out;            // to stdout
    std::string err;            // to stderr
    std::uint64_t skipped = 0;  // bytes lost between what was printed and this
  };

  // The new bytes of a LOGS reply.
  Print take_logs(const msg::LogsReply& logs);
  // The new bytes of a chunk; nullopt when it leaves a gap (ask LOGS).
  std::optional<Print> take_chunk(const msg::OutputChunk& chunk);

  std::uint64_t printed(bool stdout_stream) const { return stdout_stream ? out_ : err_; }

 private:
  // Appends to `into` the part of [offset, offset + data.size()) past `end`;
  // returns the bytes skipped before it.
  static std::uint64_t take(std::uint64_t& end, std::uint64_t offset, std::string_view data,
                            std::string& into);

  std::uint32_t attempt_ = 0;  // of the chunks seen; a new attempt's streams start at 0
  bool started_ = false;       // the first LOGS sets where printing starts
  std::uint64_t out_ = 0;
  std::uint64_t err_ = 0;
};

}  // namespace zfleet::ctl
