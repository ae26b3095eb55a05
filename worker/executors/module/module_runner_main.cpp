// zfleet-module-runner MODULE.so: loads one module and serves its tasks one
// at a time for as long as its stdin stays open (wire: module_frames.hpp).
// Replies go to a private copy of fd 1; fd 1 itself becomes a copy of
// stderr, so whatever the module prints lands in the worker's stderr tail
// and can never corrupt the framing.
// Exit status: 0 at end of stdin, 2 for bad usage, 3 when the module cannot
// be loaded (after one reply with id 0 saying why), 4 on a broken request
// stream or a reply that could not be written.
#include <dlfcn.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <string>
#include <string_view>

#include "common/zfleet_module.h"
#include "worker/executors/module/module_frames.hpp"

namespace {

using zfleet::worker::ModuleReply;
using zfleet::worker::ModuleReplyKind;
using zfleet::worker::ModuleRequest;

constexpr int kExitUsage = 2;
constexpr int kExitLoadFailed = 3;
constexpr int kExitBrokenStream = 4;

bool write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

enum class ReadResult { kOk, kEof, kError };

// kEof only when the stream ends before the first byte.
ReadResult read_exact(int fd, char* buffer, std::size_t size) {
  std::size_t taken = 0;
  while (taken < size) {
    const ssize_t n = ::read(fd, buffer + taken, size - taken);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ReadResult::kError;
    if (n == 0) return taken == 0 ? ReadResult::kEof : ReadResult::kError;
    taken += static_cast<std::size_t>(n);
  }
  return ReadResult::kOk;
}

std::uint64_t own_rss_kb() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::strtoull(line.c_str() + 6, nullptr, 10);
  }
  return 0;
}

std::uint64_t own_cpu_ms() {
  rusage usage{};
  if (::getrusage(RUSAGE_SELF, &usage) != 0) return 0;
  auto ms = [](const timeval& t) {
    return static_cast<std::uint64_t>(t.tv_sec) * 1000 +
           static_cast<std::uint64_t>(t.tv_usec) / 1000;
  };
  return ms(usage.ru_utime) + ms(usage.ru_stime);
}

// One task's state, reached by the module through zfleet_module_host::ctx.
struct TaskContext {
  int reply_fd = -1;
  std::uint64_t id = 0;
  bool has_result = false;
  std::string result;
  std::string error;
  bool write_failed = false;
};

int host_set_result(void* ctx, const unsigned char* bytes, std::size_t len) {
  auto& task = *static_cast<TaskContext*>(ctx);
  if (bytes == nullptr || len > ZFLEET_MODULE_MAX_RESULT) return -1;
  const std::string_view view(reinterpret_cast<const char*>(bytes), len);
  if (!zfleet::worker::is_one_msgpack_object(view)) return -1;
  task.result.assign(view);
  task.has_result = true;
  return 0;
}

int host_set_error(void* ctx, const char* message) {
  auto& task = *static_cast<TaskContext*>(ctx);
  if (message == nullptr) return -1;
  task.error.assign(message, ::strnlen(message, ZFLEET_MODULE_MAX_ERROR));
  return 0;
}

void host_progress(void* ctx, int percent, const char* message) {
  auto& task = *static_cast<TaskContext*>(ctx);
  ModuleReply reply;
  reply.kind = ModuleReplyKind::kProgress;
  reply.id = task.id;
  reply.percent = percent < 0 ? 0 : (percent > 100 ? 100 : percent);
  if (message != nullptr)
    reply.message.assign(message, ::strnlen(message, ZFLEET_MODULE_MAX_ERROR));
  // The module's own output so far belongs before the progress line.
  std::fflush(stdout);
  if (!write_all(task.reply_fd, zfleet::worker::encode_module_reply(reply)))
    task.write_failed = true;
}

struct Module {
  zfleet_module_run_fn run = nullptr;
};

bool load(const char* path, Module& module, std::string& error) {
  void* handle = ::dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = ::dlerror();
    error = std::string("cannot load module: ") + (why != nullptr ? why : path);
    return false;
  }
  // The handle stays open for the life of the process: the module is ours.
  auto version =
      reinterpret_cast<zfleet_module_abi_version_fn>(::dlsym(handle, "zfleet_module_abi_version"));
  module.run = reinterpret_cast<zfleet_module_run_fn>(::dlsym(handle, "zfleet_module_run"));
  if (version == nullptr || module.run == nullptr) {
    error = std::string("not a zfleet module (needs zfleet_module_abi_version and ") +
            "zfleet_module_run): " + path;
    return false;
  }
  if (const unsigned v = version(); v != ZFLEET_MODULE_ABI_VERSION) {
    error = "module ABI version " + std::to_string(v) + ", this runner speaks " +
            std::to_string(ZFLEET_MODULE_ABI_VERSION) + ": " + path;
    return false;
  }
  auto init = reinterpret_cast<zfleet_module_init_fn>(::dlsym(handle, "zfleet_module_init"));
  if (init != nullptr) {
    if (const int rc = init(); rc != 0) {
      error = "zfleet_module_init returned " + std::to_string(rc) + ": " + path;
      return false;
    }
  }
  return true;
}

ModuleReply serve(const Module& module, const ModuleRequest& request, int reply_fd,
                  bool& write_failed) {
  TaskContext task;
  task.reply_fd = reply_fd;
  task.id = request.id;
  const zfleet_module_host host{&task, host_set_result, host_set_error, host_progress};
  const int rc = module.run(reinterpret_cast<const unsigned char*>(request.args.data()),
                            request.args.size(), &host);
  // Output the module left in stdio buffers is flushed before the reply, so
  // the worker has it when the task finishes.
  std::cout.flush();
  std::fflush(stdout);
  std::fflush(stderr);

  ModuleReply reply;
  reply.id = request.id;
  reply.ok = rc == 0;
  if (reply.ok) {
    // No result given: msgpack nil, still one object.
    reply.result = task.has_result ? std::move(task.result) : std::string(1, '\xc0');
  } else {
    reply.error =
        !task.error.empty() ? std::move(task.error) : "module returned " + std::to_string(rc);
  }
  reply.rss_kb = own_rss_kb();
  reply.cpu_ms = own_cpu_ms();
  write_failed = task.write_failed;
  return reply;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: zfleet-module-runner MODULE.so\n");
    return kExitUsage;
  }
  const int reply_fd = ::fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
  if (reply_fd < 0 || ::dup2(STDERR_FILENO, STDOUT_FILENO) < 0) {
    std::perror("zfleet-module-runner: fd setup");
    return kExitBrokenStream;
  }

  Module module;
  std::string error;
  if (!load(argv[1], module, error)) {
    std::fflush(stdout);
    ModuleReply reply;
    reply.error = error.substr(0, ZFLEET_MODULE_MAX_ERROR);
    reply.rss_kb = own_rss_kb();
    reply.cpu_ms = own_cpu_ms();
    write_all(reply_fd, zfleet::worker::encode_module_reply(reply));
    return kExitLoadFailed;
  }

  std::string payload;
  for (;;) {
    char header[zfleet::worker::kFrameHeaderBytes];
    const ReadResult head = read_exact(STDIN_FILENO, header, sizeof header);
    if (head == ReadResult::kEof) return 0;
    if (head == ReadResult::kError) return kExitBrokenStream;
    const auto* h = reinterpret_cast<const unsigned char*>(header);
    const std::size_t length = (std::size_t{h[0]} << 24) | (std::size_t{h[1]} << 16) |
                               (std::size_t{h[2]} << 8) | std::size_t{h[3]};
    if (length > zfleet::worker::kMaxModuleFrameBytes) return kExitBrokenStream;
    payload.resize(length);
    if (read_exact(STDIN_FILENO, payload.data(), length) != ReadResult::kOk) {
      return kExitBrokenStream;
    }
    ModuleRequest request;
    if (!zfleet::worker::decode_module_request(payload, request, error)) {
      std::fprintf(stderr, "zfleet-module-runner: bad request: %s\n", error.c_str());
      return kExitBrokenStream;
    }
    bool write_failed = false;
    const ModuleReply reply = serve(module, request, reply_fd, write_failed);
    if (write_failed || !write_all(reply_fd, zfleet::worker::encode_module_reply(reply))) {
      return kExitBrokenStream;
    }
  }
}
