// The error catalogue: stable numeric codes and names carried in ERROR
// replies. Codes are never reused or renumbered; new ones are appended.
// schemas/PROTOCOL.md ("Error catalogue") documents each.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace zfleet {

enum class ErrorCode : std::uint16_t {
  kBadFrames = 1,           // wrong number of frames, empty or oversize frame
  kUnsupportedVersion = 2,  // frame 0 is not a protocol tag this broker speaks
  kUnknownCommand = 3,      // frame 1 names no command of this socket
  kMalformedBody = 4,       // frame 2 is not one msgpack map within the limits
  kInvalidField = 5,        // a field is missing, of the wrong type or out of range
  kTooLarge = 6,            // a field is larger than its limit
  kNotFound = 7,            // no such task
  kUnknownWorker = 8,       // worker message before READY (or after expiry)
  kQueueFull = 9,           // the broker holds its maximum number of tasks
  kShuttingDown = 10,       // the broker is stopping and accepts no new work
  kInternal = 11,           // a broker-side failure; the request may be retried
  kInvalidState = 12,   // the task is not in a state that allows this (e.g. cancel a final task)
  kWorkerIdInUse = 13,  // READY under a worker id another live worker holds
  kStorageFull = 14,    // the journal cannot be written (disk full, I/O error): no change taken
};
inline constexpr ErrorCode kLastErrorCode = ErrorCode::kStorageFull;

std::string_view error_name(ErrorCode code);
std::optional<ErrorCode> error_code_from_number(std::uint64_t number);

}  // namespace zfleet
