// Splits one fuzzer input into the messages a peer sends, so a single input
// can drive a whole conversation: each record is a command selector byte, a
// 2-byte little-endian body length and that many body bytes (a short last
// record takes what is left). make_corpus.py writes the golden vectors in
// this shape, so the seeds are real conversations.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace zfleet::fuzz {

struct Record {
  std::uint8_t selector = 0;
  std::string body;
};

inline std::vector<Record> split_records(const std::uint8_t* data, std::size_t size) {
  std::vector<Record> out;
  std::size_t at = 0;
  while (at + 3 <= size) {
    Record r;
    r.selector = data[at];
    const std::size_t len = data[at + 1] | (static_cast<std::size_t>(data[at + 2]) << 8);
    at += 3;
    const std::size_t take = len < size - at ? len : size - at;
    r.body.assign(reinterpret_cast<const char*>(data + at), take);
    at += take;
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace zfleet::fuzz
