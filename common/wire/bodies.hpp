// What each Command of common/wire/commands.hpp carries: the BodyOf trait
// and decode_and_visit(), both expanded from the command table, so a new
// row gets its type and its decoding without another list to edit. Also
// msg::Empty, the body of commands without fields (DRAIN). Separate from
// commands.hpp because it needs common/messages.hpp, which itself includes
// common/protocol.hpp and so the table.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "common/messages.hpp"
#include "common/wire/commands.hpp"

namespace zfleet::msg {

// A body with no fields: any msgpack map is accepted and its keys ignored
// (PROTOCOL.md: DRAIN); it encodes as the empty map.
struct Empty {};

inline std::string encode(const Empty&) {
  return encode_empty();
}
inline MaybeError decode(const msgpack::object&, Empty&) {
  return std::nullopt;
}

}  // namespace zfleet::msg

namespace zfleet::wire {

template <Command C>
struct BodyOf;

#define ZFLEET_WIRE_ROW(id, constant, name, direction, body, senders) \
  ZFLEET_WIRE_ALSO_ROW(id, constant, direction, body, senders)
#define ZFLEET_WIRE_ALSO_ROW(id, constant, direction, body, senders) \
  template <>                                                        \
  struct BodyOf<Command::id> {                                       \
    using type = body;                                               \
  };
ZFLEET_WIRE_COMMANDS(ZFLEET_WIRE_ROW, ZFLEET_WIRE_ALSO_ROW)
#undef ZFLEET_WIRE_ALSO_ROW

template <Command C>
using BodyOf_t = typename BodyOf<C>::type;

// Decodes `body_bytes` as the body `command` carries and, when that
// succeeds, calls visitor(body) with the decoded message (an lvalue the
// visitor may move from). Returns the decode error otherwise; the visitor
// is then not called.
template <class Visitor>
msg::MaybeError decode_and_visit(Command command, std::string_view body_bytes, Visitor&& visitor) {
  switch (command) {
#define ZFLEET_WIRE_ALSO_ROW(id, constant, direction, body, senders)       \
  case Command::id: {                                                      \
    BodyOf_t<Command::id> decoded;                                         \
    if (auto error = msg::decode_bytes(body_bytes, decoded)) return error; \
    std::forward<Visitor>(visitor)(decoded);                               \
    return std::nullopt;                                                   \
  }
    ZFLEET_WIRE_COMMANDS(ZFLEET_WIRE_ROW, ZFLEET_WIRE_ALSO_ROW)
#undef ZFLEET_WIRE_ALSO_ROW
  }
  // Only a value cast from outside the enumeration reaches here.
  return msg::DecodeError{ErrorCode::kMalformedBody, "no such command"};
}

#undef ZFLEET_WIRE_ROW

}  // namespace zfleet::wire
