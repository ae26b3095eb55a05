// OutputTail keeps the last `cap` bytes a child wrote to one stream plus the
// total byte count, so the worker's memory stays bounded however much a task
// prints. read_available() moves whatever a non-blocking pipe holds into it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace zfleet::worker {

class OutputTail {
 public:
  explicit OutputTail(std::size_t cap) : cap_(cap) {}

  void append(std::string_view bytes);
  // The kept bytes, oldest first.
  std::string contents() const;
  std::size_t size() const { return buffer_.size(); }
  std::size_t cap() const { return cap_; }
  std::uint64_t total_bytes() const { return total_; }

 private:
  std::size_t cap_;
  // Grows to at most cap_; once full it is a ring whose oldest byte is at start_.
  std::string buffer_;
  std::size_t start_ = 0;
  std::uint64_t total_ = 0;
};

enum class PipeState { kOpen, kClosed };

// Reads from non-blocking `fd` until it would block, it reaches end of file, or
// `budget` bytes were read (so one noisy child cannot starve the loop).
// kClosed on end of file or a read error: the caller closes the fd.
PipeState read_available(int fd, OutputTail& tail, std::size_t budget);

}  // namespace zfleet::worker
