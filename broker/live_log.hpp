// LiveLog: the last bytes a running attempt wrote to stdout and stderr, as its
// worker streamed them (OUTPUT), for LOGS replies and followers. Per stream it
// keeps at most `capacity` bytes and the stream offset of the first byte held,
// so a reader can join the live OUTPUT events without a gap or a repeat.
//
// Chunks carry their stream offset. After a worker reconnects it may send
// bytes again (duplicates or overlaps): only bytes past the held end are
// taken. A chunk starting past the held end means the worker skipped bytes
// (its rate cap): what is held can no longer be contiguous with it, so it is
// dropped and holding restarts at the chunk.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace zfleet::broker {

class LiveLog {
 public:
  static constexpr std::size_t kDefaultCapacity = 16 * 1024;  // bytes per stream

  // The new part of an appended chunk: where it starts in the stream and its bytes.
  struct Accepted {
    std::uint64_t offset = 0;
    std::string_view data;  // a view into the chunk passed to append()
    bool gap = false;       // bytes before it were skipped
  };

  explicit LiveLog(std::size_t capacity = kDefaultCapacity) : capacity_(capacity) {}

  // `stdout_stream` picks the stream. Returns nullopt when the chunk held
  // nothing new (a repeat after a reconnect, or empty).
  std::optional<Accepted> append(bool stdout_stream, std::uint64_t offset, std::string_view data);

  const std::string& data(bool stdout_stream) const { return stream(stdout_stream).data; }
  // The stream offset of the first byte held.
  std::uint64_t offset(bool stdout_stream) const { return stream(stdout_stream).start; }
  // The stream offset just past the last byte held.
  std::uint64_t end(bool stdout_stream) const {
    const Stream& s = stream(stdout_stream);
    return s.start + s.data.size();
  }
  std::uint64_t skipped_bytes() const { return skipped_; }

 private:
  struct Stream {
    std::string data;
    std::uint64_t start = 0;
  };
  Stream& stream(bool out) { return out ? out_ : err_; }
  const Stream& stream(bool out) const { return out ? out_ : err_; }

  std::size_t capacity_;
  Stream out_;
  Stream err_;
  std::uint64_t skipped_ = 0;
};

}  // namespace zfleet::broker
