// hash: digests bytes. args {"data": bin | str, "algorithm": "sha256" |
// "fnv1a64" (default "sha256")} → result {"algorithm", "digest": lowercase
// hex, "bytes": input length}.
#include <msgpack.hpp>

#include <string>
#include <string_view>

#include "common/zfleet_module.h"
#include "modules/hash/sha256.hpp"

namespace {

// Args come from a task, so they are decoded within limits: a small map of
// at most ZFLEET_MODULE_MAX_ARGS bytes of data.
const msgpack::unpack_limit kLimits(64, 64, ZFLEET_MODULE_MAX_ARGS, ZFLEET_MODULE_MAX_ARGS, 0, 8);

const msgpack::object* field(const msgpack::object& map, std::string_view key) {
  for (std::uint32_t i = 0; i < map.via.map.size; ++i) {
    const auto& kv = map.via.map.ptr[i];
    if (kv.key.type == msgpack::type::STR &&
        std::string_view(kv.key.via.str.ptr, kv.key.via.str.size) == key) {
      return &kv.val;
    }
  }
  return nullptr;
}

bool as_bytes(const msgpack::object* o, std::string_view& out) {
  if (o == nullptr) return false;
  if (o->type == msgpack::type::STR) {
    out = {o->via.str.ptr, o->via.str.size};
    return true;
  }
  if (o->type == msgpack::type::BIN) {
    out = {o->via.bin.ptr, o->via.bin.size};
    return true;
  }
  return false;
}

int fail(const zfleet_module_host* host, const char* message) {
  host->set_error(host->ctx, message);
  return 1;
}

int run(const unsigned char* args, std::size_t args_len, const zfleet_module_host* host) {
  std::size_t offset = 0;
  const auto handle = msgpack::unpack(reinterpret_cast<const char*>(args), args_len, offset,
                                      nullptr, nullptr, kLimits);
  const msgpack::object& root = handle.get();
  if (root.type != msgpack::type::MAP) return fail(host, "hash: args must be a map");
  std::string_view data;
  if (!as_bytes(field(root, "data"), data)) {
    return fail(host, "hash: args need \"data\" (bin or str)");
  }
  std::string_view algorithm = "sha256";
  if (const auto* a = field(root, "algorithm"); a != nullptr && !as_bytes(a, algorithm)) {
    return fail(host, "hash: \"algorithm\" must be a string");
  }
  std::string digest;
  if (algorithm == "sha256") {
    digest = zfleet::modules::sha256_hex(data);
  } else if (algorithm == "fnv1a64") {
    digest = zfleet::modules::fnv1a64_hex(data);
  } else {
    return fail(host, "hash: unknown algorithm (use \"sha256\" or \"fnv1a64\")");
  }

  msgpack::sbuffer buffer;
  msgpack::packer<msgpack::sbuffer> pack(buffer);
  pack.pack_map(3);
  pack.pack(std::string_view("algorithm"));
  pack.pack(algorithm);
  pack.pack(std::string_view("digest"));
  pack.pack(digest);
  pack.pack(std::string_view("bytes"));
  pack.pack(static_cast<std::uint64_t>(data.size()));
  if (host->set_result(host->ctx, reinterpret_cast<const unsigned char*>(buffer.data()),
                       buffer.size()) != 0) {
    return fail(host, "hash: result refused");
  }
  return 0;
}

}  // namespace

extern "C" unsigned zfleet_module_abi_version(void) {
  return ZFLEET_MODULE_ABI_VERSION;
}

extern "C" int zfleet_module_run(const unsigned char* args, std::size_t args_len,
                                 const zfleet_module_host* host) {
  // No exception may cross the C ABI.
  try {
    return run(args, args_len, host);
  } catch (const std::exception& e) {
    const std::string message = std::string("hash: bad args: ") + e.what();
    host->set_error(host->ctx, message.c_str());
    return 1;
  }
}
