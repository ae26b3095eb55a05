// crashy: a module that misbehaves on request, for the module pool's tests.
// args {"action": str, ...}:
//   "segv"                 dies of SIGSEGV
//   "alloc", "mib": n      allocates and touches n MiB and keeps them
//   "print", "text": s     writes s to stdout and "err:" s to stderr
//   "sleep", "ms": n       sleeps n ms
//   "progress"             reports 10%, 50%, 100%
//   "fail", "text": s      fails with error s
//   "exit", "code": n      exits the runner with status n
//   "pid"                  returns the runner's pid
//   "uid"                  returns the runner's uid
//   "exists", "path": s    returns 1 if s exists for the runner, else 0
// any other action (or none) returns the args unchanged.
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <string_view>
#include <vector>

#include <msgpack.hpp>

#include "common/zfleet_module.h"

namespace {

// Reachable memory, so leak checkers stay quiet about it.
std::vector<void*> kept;

const msgpack::object* field(const msgpack::object& map, std::string_view key) {
  if (map.type != msgpack::type::MAP) return nullptr;
  for (std::uint32_t i = 0; i < map.via.map.size; ++i) {
    const auto& kv = map.via.map.ptr[i];
    if (kv.key.type == msgpack::type::STR &&
        std::string_view(kv.key.via.str.ptr, kv.key.via.str.size) == key) {
      return &kv.val;
    }
  }
  return nullptr;
}

std::string text(const msgpack::object& map, std::string_view key) {
  const auto* o = field(map, key);
  if (o == nullptr || o->type != msgpack::type::STR) return {};
  return std::string(o->via.str.ptr, o->via.str.size);
}

std::uint64_t number(const msgpack::object& map, std::string_view key) {
  const auto* o = field(map, key);
  return o != nullptr && o->type == msgpack::type::POSITIVE_INTEGER ? o->via.u64 : 0;
}

int result_u64(const zfleet_module_host* host, std::uint64_t value) {
  msgpack::sbuffer buffer;
  msgpack::packer<msgpack::sbuffer>(buffer).pack(value);
  return host->set_result(host->ctx, reinterpret_cast<const unsigned char*>(buffer.data()),
                          buffer.size());
}

int run(const unsigned char* args, std::size_t len, const zfleet_module_host* host) {
  const auto handle = msgpack::unpack(reinterpret_cast<const char*>(args), len);
  const msgpack::object& root = handle.get();
  const std::string action = text(root, "action");
  if (action == "segv") {
    // Past any handler a sanitizer installed: the runner must really die.
    ::signal(SIGSEGV, SIG_DFL);
    ::raise(SIGSEGV);
  } else if (action == "alloc") {
    const std::size_t bytes = number(root, "mib") * 1024 * 1024;
    void* p = std::malloc(bytes);
    if (p == nullptr) {
      host->set_error(host->ctx, "out of memory");
      return 1;
    }
    std::memset(p, 0x5a, bytes);
    kept.push_back(p);
  } else if (action == "print") {
    const std::string s = text(root, "text");
    std::printf("%s", s.c_str());  // left in stdio's buffer on purpose
    std::fprintf(stderr, "err:%s", s.c_str());
  } else if (action == "sleep") {
    const std::uint64_t ms = number(root, "ms");
    timespec ts{static_cast<time_t>(ms / 1000), static_cast<long>(ms % 1000) * 1000000L};
    while (::nanosleep(&ts, &ts) != 0) {
    }
  } else if (action == "progress") {
    host->progress(host->ctx, 10, "started");
    host->progress(host->ctx, 50, "half");
    host->progress(host->ctx, 100, nullptr);
  } else if (action == "fail") {
    host->set_error(host->ctx, text(root, "text").c_str());
    return 1;
  } else if (action == "exit") {
    std::_Exit(static_cast<int>(number(root, "code")));
  } else if (action == "pid") {
    return result_u64(host, static_cast<std::uint64_t>(::getpid()));
  } else if (action == "uid") {
    return result_u64(host, ::getuid());
  } else if (action == "exists") {
    return result_u64(host, ::access(text(root, "path").c_str(), F_OK) == 0 ? 1 : 0);
  } else {
    return host->set_result(host->ctx, args, len);
  }
  return 0;
}

}  // namespace

extern "C" unsigned zfleet_module_abi_version(void) {
  return ZFLEET_MODULE_ABI_VERSION;
}

extern "C" int zfleet_module_run(const unsigned char* args, std::size_t len,
                                 const zfleet_module_host* host) {
  try {
    return run(args, len, host);
  } catch (const std::exception& e) {
    host->set_error(host->ctx, e.what());
    return 1;
  }
}
