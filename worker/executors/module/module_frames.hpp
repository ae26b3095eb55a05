// The pipe protocol between the worker and a zfleet-module-runner: each
// message is a frame, a 4-byte big-endian length then one msgpack map.
//   request (worker → runner, on its stdin):  {"id": uint, "args": bin}
//   reply   (runner → worker, on its fd 1 copy):
//     {"kind": "progress", "id", "progress": int 0..100, "message": str}
//     {"kind": "done", "id", "ok": bool, "result": bin | "error": str,
//      "rss_kb": uint (its VmRSS), "cpu_ms": uint (its user+sys so far)}
// A runner that cannot load its module sends one "done" reply with id 0 and
// ok false, then exits. Both ends link this file, so they cannot drift.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/zfleet_module.h"

namespace zfleet::worker {

// Bytes: a frame is its payload plus a small envelope; anything longer is
// refused before it is buffered.
inline constexpr std::size_t kModuleEnvelopeBytes = 64 * 1024;
inline constexpr std::size_t kMaxModuleFrameBytes =
    ZFLEET_MODULE_MAX_RESULT + ZFLEET_MODULE_MAX_ERROR + kModuleEnvelopeBytes;
inline constexpr std::size_t kFrameHeaderBytes = 4;

struct ModuleRequest {
  std::uint64_t id = 0;
  std::string args;  // one msgpack object
};

enum class ModuleReplyKind { kProgress, kDone };

struct ModuleReply {
  ModuleReplyKind kind = ModuleReplyKind::kDone;
  std::uint64_t id = 0;
  // kDone
  bool ok = false;
  std::string result;  // one msgpack object, when ok
  std::string error;   // when not ok
  std::uint64_t rss_kb = 0;
  std::uint64_t cpu_ms = 0;
  // kProgress
  int percent = 0;
  std::string message;
};

// Complete frames, header included.
std::string encode_module_request(const ModuleRequest& request);
std::string encode_module_reply(const ModuleReply& reply);

// Decode one frame's payload; false with `error` when it is not what the
// protocol says.
bool decode_module_request(std::string_view payload, ModuleRequest& out, std::string& error);
bool decode_module_reply(std::string_view payload, ModuleReply& out, std::string& error);

// True when `bytes` is exactly one well-formed msgpack object. Walks it
// without building objects, so a hostile count allocates nothing.
bool is_one_msgpack_object(std::string_view bytes);

// Splits a byte stream into frame payloads.
class ModuleFrameReader {
 public:
  enum class Next { kFrame, kNeedMore, kTooLarge };

  void append(std::string_view bytes);
  // kFrame: `payload` holds the next payload. kTooLarge: the stream is broken
  // (a declared length above kMaxModuleFrameBytes) and stays so.
  Next next(std::string& payload);
  // Bytes received but not yet returned as a frame.
  std::size_t pending() const { return buffer_.size() - offset_; }

 private:
  std::string buffer_;
  std::size_t offset_ = 0;
  bool broken_ = false;
};

}  // namespace zfleet::worker
