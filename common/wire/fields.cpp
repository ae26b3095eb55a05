// The field-list codec's one non-template reader; see fields.hpp.
#include "common/wire/fields.hpp"

namespace zfleet::wire::detail {

void read_counters(FieldReader& r, std::string_view key, Need need, Counters& out) {
  const auto* map = r.map(key, need);
  if (map == nullptr) return;
  for (std::uint32_t i = 0; i < map->via.map.size; ++i) {
    const auto& kv = map->via.map.ptr[i];
    if (kv.key.type != msgpack::type::STR || kv.val.type != msgpack::type::POSITIVE_INTEGER) {
      return r.fail(ErrorCode::kInvalidField,
                    "'" + std::string(key) + "' must map names to non-negative integers");
    }
    out.emplace_back(std::string(kv.key.via.str.ptr, kv.key.via.str.size), kv.val.via.u64);
  }
}

}  // namespace zfleet::wire::detail
