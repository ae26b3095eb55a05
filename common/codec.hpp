// msgpack body codec: MapWriter builds a body (one msgpack map, keys in the
// order written, integers in their smallest form), FieldReader reads one with
// type and size checks. Every body from the network goes through
// parse_body(), which applies the protocol's unpack limits; no decoder ever
// calls msgpack::unpack without them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <msgpack.hpp>

#include "common/error_code.hpp"

namespace zfleet::codec {

struct DecodeError {
  ErrorCode code = ErrorCode::kMalformedBody;
  std::string message;
};

using StringPairs = std::vector<std::pair<std::string, std::string>>;

class MapWriter {
 public:
  MapWriter() : packer_(buffer_) {}
  MapWriter(const MapWriter&) = delete;
  MapWriter& operator=(const MapWriter&) = delete;

  MapWriter& u64(std::string_view key, std::uint64_t value);
  MapWriter& i64(std::string_view key, std::int64_t value);
  MapWriter& boolean(std::string_view key, bool value);
  MapWriter& str(std::string_view key, std::string_view value);
  MapWriter& bin(std::string_view key, std::string_view value);
  MapWriter& str_list(std::string_view key, const std::vector<std::string>& values);
  MapWriter& str_map(std::string_view key, const StringPairs& values);
  MapWriter& u64_map(std::string_view key,
                     const std::vector<std::pair<std::string, std::uint64_t>>& values);
  MapWriter& map(std::string_view key, const MapWriter& value);
  MapWriter& map_list(std::string_view key, const std::vector<std::string>& encoded_maps);
  // `encoded` is exactly one msgpack object, written as it is (module args
  // and results travel as the producer's own msgpack, not wrapped in bin).
  MapWriter& raw(std::string_view key, std::string_view encoded);

  // The complete map: header then entries.
  std::string finish() const;
  std::uint32_t size() const { return count_; }

 private:
  void key(std::string_view key);
  msgpack::sbuffer buffer_;
  msgpack::packer<msgpack::sbuffer> packer_;
  std::uint32_t count_ = 0;
};

// A decoded body; owns the memory the msgpack objects point into.
class Body {
 public:
  const msgpack::object& root() const { return handle_.get(); }

 private:
  friend std::optional<Body> parse_body(std::string_view, DecodeError&);
  msgpack::object_handle handle_;
};

// Decodes `bytes` as exactly one msgpack map within the protocol's limits.
std::optional<Body> parse_body(std::string_view bytes, DecodeError& error);

enum class Need { kOptional, kRequired };

// Typed, bounded access to a map's fields. The first failure is remembered
// (later calls are no-ops) so a decoder reads every field then checks ok().
// Absent optional fields and nil values leave the output untouched. Unknown
// keys are ignored, as the protocol requires.
class FieldReader {
 public:
  explicit FieldReader(const msgpack::object& object);

  bool ok() const { return !error_.has_value(); }
  const std::optional<DecodeError>& error() const { return error_; }
  DecodeError take_error() const { return error_.value_or(DecodeError{}); }
  void fail(ErrorCode code, std::string message);

  bool has(std::string_view key) const { return find(key) != nullptr; }
  const msgpack::object* find(std::string_view key) const;

  void u64(std::string_view key, std::uint64_t& out, Need need = Need::kOptional,
           std::uint64_t max = UINT64_MAX);
  void u32(std::string_view key, std::uint32_t& out, Need need = Need::kOptional,
           std::uint32_t max = UINT32_MAX);
  void i64(std::string_view key, std::int64_t& out, Need need = Need::kOptional);
  void opt_int(std::string_view key, std::optional<int>& out);
  void boolean(std::string_view key, bool& out, Need need = Need::kOptional);
  // Accepts msgpack str or bin. `max` is in bytes.
  void bytes(std::string_view key, std::string& out, Need need, std::size_t max);
  void str_list(std::string_view key, std::vector<std::string>& out, Need need,
                std::size_t max_items, std::size_t max_item_bytes, std::size_t max_total_bytes);
  void str_map(std::string_view key, StringPairs& out, Need need, std::size_t max_items,
               std::size_t max_total_bytes);
  // Any msgpack object, re-encoded into `out` (at most `max` bytes).
  void object(std::string_view key, std::string& out, Need need, std::size_t max);
  // A nested map; returns nullptr (and records an error if required) otherwise.
  const msgpack::object* map(std::string_view key, Need need);
  // A list of maps; returns nullptr (and records an error if required) otherwise.
  const msgpack::object* map_list(std::string_view key, Need need, std::size_t max_items);

 private:
  const msgpack::object* fetch(std::string_view key, Need need);
  void wrong_type(std::string_view key, std::string_view expected);

  const msgpack::object_map* map_ = nullptr;
  std::optional<DecodeError> error_;
};

// True when `s` contains a NUL byte (cannot appear in argv, env or paths).
inline bool has_nul(std::string_view s) {
  return s.find('\0') != std::string_view::npos;
}

}  // namespace zfleet::codec
