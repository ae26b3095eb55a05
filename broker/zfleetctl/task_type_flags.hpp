// What `submit` takes for module and http tasks and for a task's sandbox
// limits, from flags (--module, --args JSON, --url, --header 'Name: value',
// --memory 256M, ...) and from the "module", "args", "http" and "sandbox"
// keys of a JSON task file. Sizes accept binary suffixes (units.hpp). Values
// are checked here; the spec as a whole by msg::validate().
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/messages.hpp"

namespace zfleet::ctl {

struct HttpFlags {
  std::string url;
  std::string method = "GET";
  std::vector<std::string> headers;  // "Name: value" each
  std::string data;                  // the request body
  std::optional<std::uint64_t> max_response_bytes;
  std::optional<std::uint32_t> max_redirects;
  std::vector<std::string> allow;
  std::vector<std::string> deny;
};

struct SandboxFlags {
  std::string memory;  // sizes: "256M", "1G", "1048576"
  std::string memory_soft;
  std::string address_space;
  std::string file_size;
  std::uint64_t cpu_seconds = 0;
  std::uint64_t open_files = 0;
  std::uint64_t processes = 0;
  std::string network;  // none | host
  std::uint64_t stall_ms = 0;
  bool kill_on_stall = false;
};

// "Name: value" -> {"Name", "value"} (spaces after the colon dropped).
std::optional<std::string> parse_header(std::string_view text,
                                        std::pair<std::string, std::string>& out);
std::optional<std::string> build_http(const HttpFlags& flags, msg::HttpSpec& out);
std::optional<std::string> build_sandbox(const SandboxFlags& flags, msg::SandboxRequest& out);
// JSON text -> one msgpack value (empty text: no args).
std::optional<std::string> build_args(const std::string& json_text, std::string& out);

// Task file values: "http" an object of the wire's keys (headers an object),
// "sandbox" an object of the wire's keys where the *_bytes keys (and
// "memory", "memory_soft", "address_space", "file_size") also take sizes.
std::optional<std::string> read_http_json(const nlohmann::json& value, msg::HttpSpec& out);
std::optional<std::string> read_sandbox_json(const nlohmann::json& value, msg::SandboxRequest& out);

}  // namespace zfleet::ctl
