// Names of the error catalogue's codes, as they appear on the wire.
#include "common/error_code.hpp"

namespace zfleet {

std::string_view error_name(ErrorCode code) {
  switch (code) {
    case ErrorCode::kBadFrames:
      return "BAD_FRAMES";
    case ErrorCode::kUnsupportedVersion:
      return "UNSUPPORTED_VERSION";
    case ErrorCode::kUnknownCommand:
      return "UNKNOWN_COMMAND";
    case ErrorCode::kMalformedBody:
      return "MALFORMED_BODY";
    case ErrorCode::kInvalidField:
      return "INVALID_FIELD";
    case ErrorCode::kTooLarge:
      return "TOO_LARGE";
    case ErrorCode::kNotFound:
      return "NOT_FOUND";
    case ErrorCode::kUnknownWorker:
      return "UNKNOWN_WORKER";
    case ErrorCode::kQueueFull:
      return "QUEUE_FULL";
    case ErrorCode::kShuttingDown:
      return "SHUTTING_DOWN";
    case ErrorCode::kInternal:
      return "INTERNAL";
    case ErrorCode::kInvalidState:
      return "INVALID_STATE";
    case ErrorCode::kWorkerIdInUse:
      return "WORKER_ID_IN_USE";
    case ErrorCode::kStorageFull:
      return "STORAGE_FULL";
  }
  return "UNKNOWN";
}

std::optional<ErrorCode> error_code_from_number(std::uint64_t number) {
  if (number < 1 || number > static_cast<std::uint64_t>(kLastErrorCode)) return std::nullopt;
  return static_cast<ErrorCode>(number);
}

}  // namespace zfleet
