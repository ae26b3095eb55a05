// msgpack body codec; see codec.hpp.
#include "common/codec.hpp"

#include <limits>

#include "common/protocol.hpp"

namespace zfleet::codec {

namespace {

std::string_view as_view(const msgpack::object& o) {
  if (o.type == msgpack::type::STR) return {o.via.str.ptr, o.via.str.size};
  return {o.via.bin.ptr, o.via.bin.size};
}

bool is_bytes(const msgpack::object& o) {
  return o.type == msgpack::type::STR || o.type == msgpack::type::BIN;
}

std::string quoted(std::string_view key) {
  return "'" + std::string(key) + "'";
}

}  // namespace

// ---- MapWriter ---------------------------------------------------------------

void MapWriter::key(std::string_view k) {
  packer_.pack_str(static_cast<std::uint32_t>(k.size()));
  packer_.pack_str_body(k.data(), static_cast<std::uint32_t>(k.size()));
  ++count_;
}

MapWriter& MapWriter::u64(std::string_view k, std::uint64_t value) {
  key(k);
  packer_.pack(value);
  return *this;
}

MapWriter& MapWriter::i64(std::string_view k, std::int64_t value) {
  key(k);
  packer_.pack(value);
  return *this;
}

MapWriter& MapWriter::boolean(std::string_view k, bool value) {
  key(k);
  packer_.pack(value);
  return *this;
}

MapWriter& MapWriter::str(std::string_view k, std::string_view value) {
  key(k);
  packer_.pack_str(static_cast<std::uint32_t>(value.size()));
  packer_.pack_str_body(value.data(), static_cast<std::uint32_t>(value.size()));
  return *this;
}

MapWriter& MapWriter::bin(std::string_view k, std::string_view value) {
  key(k);
  packer_.pack_bin(static_cast<std::uint32_t>(value.size()));
  packer_.pack_bin_body(value.data(), static_cast<std::uint32_t>(value.size()));
  return *this;
}

MapWriter& MapWriter::str_list(std::string_view k, const std::vector<std::string>& values) {
  key(k);
  packer_.pack_array(static_cast<std::uint32_t>(values.size()));
  for (const auto& v : values) {
    packer_.pack_str(static_cast<std::uint32_t>(v.size()));
    packer_.pack_str_body(v.data(), static_cast<std::uint32_t>(v.size()));
  }
  return *this;
}

MapWriter& MapWriter::str_map(std::string_view k, const StringPairs& values) {
  key(k);
  packer_.pack_map(static_cast<std::uint32_t>(values.size()));
  for (const auto& [name, value] : values) {
    packer_.pack_str(static_cast<std::uint32_t>(name.size()));
    packer_.pack_str_body(name.data(), static_cast<std::uint32_t>(name.size()));
    packer_.pack_str(static_cast<std::uint32_t>(value.size()));
    packer_.pack_str_body(value.data(), static_cast<std::uint32_t>(value.size()));
  }
  return *this;
}

MapWriter& MapWriter::u64_map(std::string_view k,
                              const std::vector<std::pair<std::string, std::uint64_t>>& values) {
  key(k);
  packer_.pack_map(static_cast<std::uint32_t>(values.size()));
  for (const auto& [name, value] : values) {
    packer_.pack_str(static_cast<std::uint32_t>(name.size()));
    packer_.pack_str_body(name.data(), static_cast<std::uint32_t>(name.size()));
    packer_.pack(value);
  }
  return *this;
}

MapWriter& MapWriter::map(std::string_view k, const MapWriter& value) {
  key(k);
  const std::string encoded = value.finish();
  buffer_.write(encoded.data(), encoded.size());
  return *this;
}

MapWriter& MapWriter::map_list(std::string_view k, const std::vector<std::string>& encoded_maps) {
  key(k);
  packer_.pack_array(static_cast<std::uint32_t>(encoded_maps.size()));
  for (const auto& m : encoded_maps)
    buffer_.write(m.data(), m.size());
  return *this;
}

MapWriter& MapWriter::raw(std::string_view k, std::string_view encoded) {
  key(k);
  buffer_.write(encoded.data(), encoded.size());
  return *this;
}

std::string MapWriter::finish() const {
  msgpack::sbuffer header;
  msgpack::packer<msgpack::sbuffer>(header).pack_map(count_);
  std::string out;
  out.reserve(header.size() + buffer_.size());
  out.append(header.data(), header.size());
  out.append(buffer_.data(), buffer_.size());
  return out;
}

// ---- parse_body ----------------------------------------------------------------

std::optional<Body> parse_body(std::string_view bytes, DecodeError& error) {
  const msgpack::unpack_limit limits(proto::kUnpackMaxArray, proto::kUnpackMaxMap,
                                     proto::kUnpackMaxStr, proto::kUnpackMaxBin,
                                     proto::kUnpackMaxExt, proto::kUnpackMaxDepth);
  Body body;
  try {
    std::size_t offset = 0;
    body.handle_ = msgpack::unpack(bytes.data(), bytes.size(), offset, nullptr, nullptr, limits);
    if (offset != bytes.size()) {
      error = {ErrorCode::kMalformedBody, "trailing bytes after the msgpack map"};
      return std::nullopt;
    }
  } catch (const msgpack::size_overflow& e) {
    // Covers array, map, str, bin, ext and depth limits (depth_size_overflow).
    error = {ErrorCode::kTooLarge, std::string("msgpack limit exceeded: ") + e.what()};
    return std::nullopt;
  } catch (const std::exception& e) {
    // msgpack-c reports truncated and invalid input with several exception
    // types (insufficient_bytes, parse_error, ...); all mean the same here.
    error = {ErrorCode::kMalformedBody, std::string("invalid msgpack: ") + e.what()};
    return std::nullopt;
  }
  if (body.root().type != msgpack::type::MAP) {
    error = {ErrorCode::kMalformedBody, "body is not a msgpack map"};
    return std::nullopt;
  }
  return body;
}

// ---- FieldReader ---------------------------------------------------------------

FieldReader::FieldReader(const msgpack::object& object) {
  if (object.type == msgpack::type::MAP) {
    map_ = &object.via.map;
  } else {
    error_ = DecodeError{ErrorCode::kMalformedBody, "expected a msgpack map"};
  }
}

void FieldReader::fail(ErrorCode code, std::string message) {
  if (!error_) error_ = DecodeError{code, std::move(message)};
}

const msgpack::object* FieldReader::find(std::string_view key) const {
  if (map_ == nullptr) return nullptr;
  for (std::uint32_t i = 0; i < map_->size; ++i) {
    const auto& kv = map_->ptr[i];
    if (is_bytes(kv.key) && as_view(kv.key) == key) {
      return kv.val.type == msgpack::type::NIL ? nullptr : &kv.val;
    }
  }
  return nullptr;
}

const msgpack::object* FieldReader::fetch(std::string_view key, Need need) {
  if (error_) return nullptr;
  const msgpack::object* o = find(key);
  if (o == nullptr && need == Need::kRequired) {
    fail(ErrorCode::kInvalidField, "missing required field " + quoted(key));
  }
  return o;
}

void FieldReader::wrong_type(std::string_view key, std::string_view expected) {
  fail(ErrorCode::kInvalidField, "field " + quoted(key) + " must be " + std::string(expected));
}

void FieldReader::object(std::string_view key, std::string& out, Need need, std::size_t max) {
  const msgpack::object* o = fetch(key, need);
  if (o == nullptr) return;
  msgpack::sbuffer buffer;
  msgpack::pack(buffer, *o);
  if (buffer.size() > max) {
    return fail(ErrorCode::kTooLarge,
                "field " + quoted(key) + " is over " + std::to_string(max) + " bytes");
  }
  out.assign(buffer.data(), buffer.size());
}

void FieldReader::u64(std::string_view key, std::uint64_t& out, Need need, std::uint64_t max) {
  const msgpack::object* o = fetch(key, need);
  if (o == nullptr) return;
  if (o->type != msgpack::type::POSITIVE_INTEGER) return wrong_type(key, "a non-negative integer");
  if (o->via.u64 > max) {
    return fail(ErrorCode::kInvalidField,
                "field " + quoted(key) + " exceeds its maximum " + std::to_string(max));
  }
  out = o->via.u64;
}

void FieldReader::u32(std::string_view key, std::uint32_t& out, Need need, std::uint32_t max) {
  std::uint64_t wide = out;
  u64(key, wide, need, max);
  if (ok()) out = static_cast<std::uint32_t>(wide);
}

void FieldReader::i64(std::string_view key, std::int64_t& out, Need need) {
  const msgpack::object* o = fetch(key, need);
  if (o == nullptr) return;
  if (o->type == msgpack::type::NEGATIVE_INTEGER) {
    out = o->via.i64;
  } else if (o->type == msgpack::type::POSITIVE_INTEGER &&
             o->via.u64 <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    out = static_cast<std::int64_t>(o->via.u64);
  } else {
    wrong_type(key, "a signed 64-bit integer");
  }
}

void FieldReader::opt_int(std::string_view key, std::optional<int>& out) {
  const msgpack::object* o = fetch(key, Need::kOptional);
  if (o == nullptr) return;
  std::int64_t v = 0;
  i64(key, v, Need::kOptional);
  if (!ok()) return;
  if (v < std::numeric_limits<int>::min() || v > std::numeric_limits<int>::max()) {
    return wrong_type(key, "a 32-bit integer");
  }
  out = static_cast<int>(v);
}

void FieldReader::boolean(std::string_view key, bool& out, Need need) {
  const msgpack::object* o = fetch(key, need);
  if (o == nullptr) return;
  if (o->type != msgpack::type::BOOLEAN) return wrong_type(key, "a boolean");
  out = o->via.boolean;
}

void FieldReader::bytes(std::string_view key, std::string& out, Need need, std::size_t max) {
  const msgpack::object* o = fetch(key, need);
  if (o == nullptr) return;
  if (!is_bytes(*o)) return wrong_type(key, "a string");
  const std::string_view v = as_view(*o);
  if (v.size() > max) {
    return fail(ErrorCode::kTooLarge,
                "field " + quoted(key) + " is longer than " + std::to_string(max) + " bytes");
  }
  out.assign(v);
}

void FieldReader::str_list(std::string_view key, std::vector<std::string>& out, Need need,
                           std::size_t max_items, std::size_t max_item_bytes,
                           std::size_t max_total_bytes) {
  const msgpack::object* o = fetch(key, need);
  if (o == nullptr) return;
  if (o->type != msgpack::type::ARRAY) return wrong_type(key, "an array of strings");
  const auto& arr = o->via.array;
  if (arr.size > max_items) {
    return fail(ErrorCode::kTooLarge,
                "field " + quoted(key) + " has more than " + std::to_string(max_items) + " items");
  }
  std::vector<std::string> values;
  values.reserve(arr.size);
  std::size_t total = 0;
  for (std::uint32_t i = 0; i < arr.size; ++i) {
    if (!is_bytes(arr.ptr[i])) return wrong_type(key, "an array of strings");
    const std::string_view v = as_view(arr.ptr[i]);
    total += v.size();
    if (v.size() > max_item_bytes || total > max_total_bytes) {
      return fail(ErrorCode::kTooLarge, "field " + quoted(key) + " is too large");
    }
    values.emplace_back(v);
  }
  out = std::move(values);
}

void FieldReader::str_map(std::string_view key, StringPairs& out, Need need, std::size_t max_items,
                          std::size_t max_total_bytes) {
  const msgpack::object* o = fetch(key, need);
  if (o == nullptr) return;
  if (o->type != msgpack::type::MAP) return wrong_type(key, "a map of strings to strings");
  const auto& m = o->via.map;
  if (m.size > max_items) {
    return fail(ErrorCode::kTooLarge, "field " + quoted(key) + " has more than " +
                                          std::to_string(max_items) + " entries");
  }
  StringPairs values;
  values.reserve(m.size);
  std::size_t total = 0;
  for (std::uint32_t i = 0; i < m.size; ++i) {
    if (!is_bytes(m.ptr[i].key) || !is_bytes(m.ptr[i].val)) {
      return wrong_type(key, "a map of strings to strings");
    }
    const std::string_view k = as_view(m.ptr[i].key);
    const std::string_view v = as_view(m.ptr[i].val);
    total += k.size() + v.size();
    if (total > max_total_bytes) {
      return fail(ErrorCode::kTooLarge, "field " + quoted(key) + " is too large");
    }
    values.emplace_back(std::string(k), std::string(v));
  }
  out = std::move(values);
}

const msgpack::object* FieldReader::map(std::string_view key, Need need) {
  const msgpack::object* o = fetch(key, need);
  if (o == nullptr) return nullptr;
  if (o->type != msgpack::type::MAP) {
    wrong_type(key, "a map");
    return nullptr;
  }
  return o;
}

const msgpack::object* FieldReader::map_list(std::string_view key, Need need,
                                             std::size_t max_items) {
  const msgpack::object* o = fetch(key, need);
  if (o == nullptr) return nullptr;
  if (o->type != msgpack::type::ARRAY) {
    wrong_type(key, "an array of maps");
    return nullptr;
  }
  if (o->via.array.size > max_items) {
    fail(ErrorCode::kTooLarge, "field " + quoted(key) + " has too many items");
    return nullptr;
  }
  for (std::uint32_t i = 0; i < o->via.array.size; ++i) {
    if (o->via.array.ptr[i].type != msgpack::type::MAP) {
      wrong_type(key, "an array of maps");
      return nullptr;
    }
  }
  return o;
}

}  // namespace zfleet::codec
