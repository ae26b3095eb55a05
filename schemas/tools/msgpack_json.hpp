// The JSON notation of msgpack bodies used by schemas/vectors/v1.json: maps
// keep their wire key order, str becomes a JSON string, bin becomes
// {"$bin": "<hex>"}, ext becomes {"$ext": {"type": N, "hex": "<hex>"}}.
// Header-only so the vector generator and the spec tests share one notation.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <msgpack.hpp>
#include <nlohmann/json.hpp>

namespace zfleet::vectors {

using Json = nlohmann::ordered_json;

inline std::string to_hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 0x0f]);
  }
  return out;
}

// Returns nullopt when `hex` has an odd length or a non-hex digit.
inline std::optional<std::string> from_hex(std::string_view hex) {
  auto digit = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  if (hex.size() % 2 != 0) return std::nullopt;
  std::string out;
  out.reserve(hex.size() / 2);
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    const int hi = digit(hex[i]);
    const int lo = digit(hex[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi * 16 + lo));
  }
  return out;
}

inline Json to_json(const msgpack::object& o) {
  switch (o.type) {
    case msgpack::type::NIL:
      return nullptr;
    case msgpack::type::BOOLEAN:
      return o.via.boolean;
    case msgpack::type::POSITIVE_INTEGER:
      return o.via.u64;
    case msgpack::type::NEGATIVE_INTEGER:
      return o.via.i64;
    case msgpack::type::FLOAT32:
    case msgpack::type::FLOAT64:
      return o.via.f64;
    case msgpack::type::STR:
      return std::string(o.via.str.ptr, o.via.str.size);
    case msgpack::type::BIN:
      return Json{{"$bin", to_hex({o.via.bin.ptr, o.via.bin.size})}};
    case msgpack::type::EXT:
      return Json{
          {"$ext",
           {{"type", o.via.ext.type()}, {"hex", to_hex({o.via.ext.data(), o.via.ext.size})}}}};
    case msgpack::type::ARRAY: {
      Json out = Json::array();
      for (std::uint32_t i = 0; i < o.via.array.size; ++i)
        out.push_back(to_json(o.via.array.ptr[i]));
      return out;
    }
    case msgpack::type::MAP: {
      // Keys of protocol bodies are strings; any other key is written as its
      // JSON text so the notation stays total.
      Json out = Json::object();
      for (std::uint32_t i = 0; i < o.via.map.size; ++i) {
        const auto& kv = o.via.map.ptr[i];
        const std::string key = kv.key.type == msgpack::type::STR
                                    ? std::string(kv.key.via.str.ptr, kv.key.via.str.size)
                                    : to_json(kv.key).dump();
        out[key] = to_json(kv.val);
      }
      return out;
    }
  }
  return nullptr;
}

// The JSON notation of `bytes`, or nullopt when they are not exactly one
// complete msgpack value. No container or string can hold more items or
// bytes than the input has, so the input's size bounds every allocation.
inline std::optional<Json> bytes_to_json(std::string_view bytes) {
  const std::size_t n = bytes.size();
  const msgpack::unpack_limit limits(n, n, n, n, n, 64);
  try {
    std::size_t offset = 0;
    const auto handle = msgpack::unpack(bytes.data(), n, offset, nullptr, nullptr, limits);
    if (offset != bytes.size()) return std::nullopt;
    return to_json(handle.get());
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

}  // namespace zfleet::vectors
