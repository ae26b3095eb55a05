// msgpack <-> JSON for the values zfleetctl shows and takes: a module task's
// `args` (JSON on the command line and in task files, msgpack on the wire)
// and an outcome's `result` (msgpack on the wire, JSON on screen).
//
// JSON -> msgpack: objects become maps, arrays arrays, strings str, integers
// int (unsigned when non-negative), other numbers float64, true/false/null
// as themselves.
// msgpack -> JSON: str becomes a JSON string (invalid UTF-8 replaced when
// dumped); bin becomes {"$base64": "..."} so bytes survive a round trip
// through text; ext becomes {"$ext": N, "$base64": "..."}; map keys that are
// not strings are written as their JSON text.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "broker/zfleetctl/json_view.hpp"

namespace zfleet::ctl {

std::string json_to_msgpack(const Json& value);

// nullopt when `bytes` is not exactly one msgpack value (or nests deeper
// than the protocol allows).
std::optional<Json> msgpack_to_json(std::string_view bytes);

std::string base64(std::string_view bytes);

}  // namespace zfleet::ctl
