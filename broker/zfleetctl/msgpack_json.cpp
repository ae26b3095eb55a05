// msgpack <-> JSON conversion; see msgpack_json.hpp.
#include "broker/zfleetctl/msgpack_json.hpp"

#include <msgpack.hpp>

#include "common/protocol.hpp"

namespace zfleet::ctl {

namespace {

void pack(msgpack::packer<msgpack::sbuffer>& p, const Json& v) {
  switch (v.type()) {
    case Json::value_t::null:
    case Json::value_t::discarded:
      p.pack_nil();
      break;
    case Json::value_t::boolean:
      v.get<bool>() ? p.pack_true() : p.pack_false();
      break;
    case Json::value_t::number_unsigned:
      p.pack_uint64(v.get<std::uint64_t>());
      break;
    case Json::value_t::number_integer:
      if (v.get<std::int64_t>() >= 0) {
        p.pack_uint64(static_cast<std::uint64_t>(v.get<std::int64_t>()));
      } else {
        p.pack_int64(v.get<std::int64_t>());
      }
      break;
    case Json::value_t::number_float:
      p.pack_double(v.get<double>());
      break;
    case Json::value_t::string: {
      const auto& s = v.get_ref<const std::string&>();
      p.pack_str(static_cast<std::uint32_t>(s.size()));
      p.pack_str_body(s.data(), static_cast<std::uint32_t>(s.size()));
      break;
    }
    case Json::value_t::binary: {
      const auto& b = v.get_binary();
      p.pack_bin(static_cast<std::uint32_t>(b.size()));
      p.pack_bin_body(reinterpret_cast<const char*>(b.data()),
                      static_cast<std::uint32_t>(b.size()));
      break;
    }
    case Json::value_t::array:
      p.pack_array(static_cast<std::uint32_t>(v.size()));
      for (const auto& item : v)
        pack(p, item);
      break;
    case Json::value_t::object:
      p.pack_map(static_cast<std::uint32_t>(v.size()));
      for (const auto& [key, item] : v.items()) {
        p.pack_str(static_cast<std::uint32_t>(key.size()));
        p.pack_str_body(key.data(), static_cast<std::uint32_t>(key.size()));
        pack(p, item);
      }
      break;
  }
}

Json to_json(const msgpack::object& o) {
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
      return Json{{"$base64", base64({o.via.bin.ptr, o.via.bin.size})}};
    case msgpack::type::EXT:
      return Json{{"$ext", o.via.ext.type()},
                  {"$base64", base64({o.via.ext.data(), o.via.ext.size})}};
    case msgpack::type::ARRAY: {
      Json out = Json::array();
      for (std::uint32_t i = 0; i < o.via.array.size; ++i)
        out.push_back(to_json(o.via.array.ptr[i]));
      return out;
    }
    case msgpack::type::MAP: {
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

}  // namespace

std::string json_to_msgpack(const Json& value) {
  msgpack::sbuffer buffer;
  msgpack::packer<msgpack::sbuffer> packer(buffer);
  pack(packer, value);
  return std::string(buffer.data(), buffer.size());
}

std::optional<Json> msgpack_to_json(std::string_view bytes) {
  // No container or string can hold more items or bytes than the input has.
  const std::size_t n = bytes.size();
  const msgpack::unpack_limit limits(n, n, n, n, n, proto::kUnpackMaxDepth);
  try {
    std::size_t offset = 0;
    const auto handle = msgpack::unpack(bytes.data(), n, offset, nullptr, nullptr, limits);
    if (offset != n) return std::nullopt;
    return to_json(handle.get());
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::string base64(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const auto n = (static_cast<unsigned char>(bytes[i]) << 16) |
                   (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                   static_cast<unsigned char>(bytes[i + 2]);
    out += {kAlphabet[(n >> 18) & 63], kAlphabet[(n >> 12) & 63], kAlphabet[(n >> 6) & 63],
            kAlphabet[n & 63]};
  }
  if (i + 1 == bytes.size()) {
    const auto n = static_cast<unsigned char>(bytes[i]) << 16;
    out += {kAlphabet[(n >> 18) & 63], kAlphabet[(n >> 12) & 63], '=', '='};
  } else if (i + 2 == bytes.size()) {
    const auto n = (static_cast<unsigned char>(bytes[i]) << 16) |
                   (static_cast<unsigned char>(bytes[i + 1]) << 8);
    out += {kAlphabet[(n >> 18) & 63], kAlphabet[(n >> 12) & 63], kAlphabet[(n >> 6) & 63], '='};
  }
  return out;
}

}  // namespace zfleet::ctl
