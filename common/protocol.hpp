// The wire contract's constants, in one place: the protocol tag, every
// command name (from the command table, common/wire/commands.hpp), default
// endpoints and intervals, and the size limits every decoder enforces.
// schemas/PROTOCOL.md is the normative text; this header must agree with it
// (the spec tests check the golden vectors against both).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/wire/commands.hpp"

namespace zfleet::proto {

// Frame 0 of every message. A peer speaking another version gets ERROR
// UNSUPPORTED_VERSION (client socket) or is ignored and counted (worker socket).
inline constexpr std::string_view kProtocolTag = "zfleet/1";
inline constexpr std::string_view kProtocolPrefix = "zfleet/";
inline constexpr int kProtocolVersion = 1;

inline constexpr std::string_view kDefaultClientEndpoint = "tcp://127.0.0.1:5555";
inline constexpr std::string_view kDefaultWorkerEndpoint = "tcp://127.0.0.1:5556";
// The broker's PUB socket: task and worker events, live task output.
inline constexpr std::string_view kDefaultEventsEndpoint = "tcp://127.0.0.1:5557";

// The command names (cmd::kSubmit, ...) are defined by the command table,
// common/wire/commands.hpp, included above.

// FAILED reasons (§5.6) the broker treats specially; others are free words.
namespace fail_reason {
// execve refused the program (ENOENT, EACCES, ENOEXEC, ...): the ending kind
// is "spawn", which the default retry policy does not retry.
inline constexpr std::string_view kCannotExec = "cannot_exec";
inline constexpr std::string_view kSpawnFailed = "spawn_failed";
}  // namespace fail_reason

// Heartbeats (Paranoid Pirate): each side sends at least one message per
// interval; a peer silent for kHeartbeatLiveness intervals is dead.
inline constexpr std::uint32_t kDefaultHeartbeatMs = 1000;
inline constexpr std::uint32_t kHeartbeatLiveness = 3;
inline constexpr std::uint32_t kMinHeartbeatMs = 10;
inline constexpr std::uint32_t kMaxHeartbeatMs = 60'000;

// Sizes. Any message larger than kMaxMessageBytes is dropped by libzmq
// (ZMQ_MAXMSGSIZE) before it reaches a decoder; the rest are checked per field.
inline constexpr std::int64_t kMaxMessageBytes = 8 * 1024 * 1024;
inline constexpr std::size_t kMaxCommandBytes = 32;
inline constexpr std::size_t kMaxIdentityBytes = 255;  // libzmq's own limit
inline constexpr std::size_t kMaxArgvItems = 4096;
inline constexpr std::size_t kMaxArgvBytes = 1024 * 1024;  // sum of all argv strings
inline constexpr std::size_t kMaxEnvItems = 1024;
inline constexpr std::size_t kMaxEnvBytes = 1024 * 1024;  // sum of all names and values
inline constexpr std::size_t kMaxStdinBytes = 1024 * 1024;
inline constexpr std::size_t kMaxPathBytes = 4096;
// Files sent with a task (TaskSpec::files). They travel in every SUBMIT and
// TASK and are kept in the broker's memory and journal with the task, so the
// total is small: scripts and inputs, not data sets.
inline constexpr std::size_t kMaxTaskFiles = 64;
inline constexpr std::size_t kMaxTaskFilesBytes = 1024 * 1024;  // sum of all contents
inline constexpr std::size_t kMaxTaskFilePathBytes = 1024;
inline constexpr std::size_t kMaxTaskFilePathParts = 16;
inline constexpr std::size_t kMaxTaskFileNameBytes = 255;  // one part (NAME_MAX)
inline constexpr std::uint32_t kMaxTaskFileMode = 0777;
inline constexpr std::uint32_t kDefaultTaskFileMode = 0644;
inline constexpr std::size_t kMaxNameBytes = 64;  // project names, worker ids
inline constexpr std::size_t kMaxLabels = 64;
inline constexpr std::size_t kMaxLabelBytes = 128;
inline constexpr std::size_t kMaxErrorMessageBytes = 4096;
inline constexpr std::uint64_t kMaxOutputCapBytes = 1024 * 1024;  // per stream
inline constexpr std::uint64_t kDefaultOutputCapBytes = 64 * 1024;
inline constexpr std::uint32_t kMaxSlots = 4096;
inline constexpr std::uint32_t kMaxProjectLimit = 1'000'000;
inline constexpr std::uint64_t kMaxWaitMs = 3'600'000;
inline constexpr std::uint64_t kMaxTimeoutMs = 7ULL * 24 * 3600 * 1000;
inline constexpr std::size_t kMaxIdempotencyKeyBytes = 128;
inline constexpr std::uint32_t kMaxAttempts = 1000;
inline constexpr std::uint64_t kMaxBackoffMs = 24ULL * 3600 * 1000;
inline constexpr std::uint64_t kMaxDlqList = 10'000;
// Module and HTTP tasks.
inline constexpr std::size_t kMaxModuleArgsBytes = 1024 * 1024;  // one msgpack object
// Outcome.result: a full 4 MiB HTTP body plus its response map (headers
// are capped at 64 KiB) must fit.
inline constexpr std::size_t kMaxResultBytes = 4 * 1024 * 1024 + 128 * 1024;
inline constexpr std::size_t kMaxUrlBytes = 8192;
inline constexpr std::size_t kMaxHttpHeaders = 100;
inline constexpr std::size_t kMaxHttpHeaderBytes = 64 * 1024;
inline constexpr std::size_t kMaxHttpBodyBytes = 1024 * 1024;
inline constexpr std::uint64_t kDefaultHttpResponseCap = 1024 * 1024;
inline constexpr std::uint64_t kMaxHttpResponseCap = 4 * 1024 * 1024;
inline constexpr std::uint32_t kDefaultHttpRedirects = 5;
inline constexpr std::uint32_t kMaxHttpRedirects = 20;
inline constexpr std::size_t kMaxHostRules = 256;
// Live monitoring.
inline constexpr std::size_t kMaxOutputChunkBytes = 64 * 1024;
inline constexpr std::size_t kMaxProgressMessageBytes = 256;
inline constexpr std::size_t kMaxEventKindBytes = 32;

// msgpack decoder limits applied to every body from the network. Without
// them a 17-byte input can ask msgpack-c for ~128 GiB: the decoder allocates
// an array's or map's objects from the declared count before reading them.
// Strings and binaries are referenced in place and need their bytes present,
// so the message size bounds them; their per-field limits are checked after
// decoding, where the error reply can still carry the request id.
// Arrays and maps are capped at kMaxListItems (replies list every worker and
// project); at the depth limit that bounds one message's transient
// allocation to a few tens of MiB. Request fields have tighter limits of
// their own (kMaxArgvItems, kMaxEnvItems), checked after decoding.
inline constexpr std::size_t kMaxListItems = 65'536;
inline constexpr std::size_t kUnpackMaxArray = kMaxListItems;
inline constexpr std::size_t kUnpackMaxMap = kMaxListItems;
inline constexpr std::size_t kUnpackMaxStr = kMaxMessageBytes;
inline constexpr std::size_t kUnpackMaxBin = kMaxMessageBytes;
inline constexpr std::size_t kUnpackMaxExt = 0;
inline constexpr std::size_t kUnpackMaxDepth = 16;

// Task priorities: 0 (lowest) .. 10 (highest); FIFO within one priority.
inline constexpr int kMinPriority = 0;
inline constexpr int kMaxPriority = 10;
inline constexpr int kDefaultPriority = 5;
inline constexpr std::string_view kDefaultProject = "default";

}  // namespace zfleet::proto
