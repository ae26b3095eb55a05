// Multipart framing of protocol v1: [identity (ROUTER side only)] "zfleet/1",
// COMMAND, BODY. FrameParser validates the frame layout of one received
// message; send_frames() writes one. Sockets are owned by their reactors.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <zmq.hpp>

#include "common/codec.hpp"
#include "common/received_message.hpp"

namespace zfleet::frames {

// Reads every part of one multipart message (never blocks once the first part
// is in). Returns false when nothing was waiting.
bool receive_parts(zmq::socket_t& socket, std::vector<zmq::message_t>& parts);

// Validates parts as [identity?] version command body. With `with_identity`
// the first part is the ROUTER's peer identity. On error, `out.identity` is
// still filled where it could be read so a reply can be addressed.
std::optional<codec::DecodeError> parse(std::vector<zmq::message_t>& parts, bool with_identity,
                                        Received& out);

// Sends one message; identity empty for DEALER sockets. Never blocks: returns
// false when the peer's queue is full or unroutable (the message is dropped).
bool send_frames(zmq::socket_t& socket, std::string_view identity, std::string_view command,
                 std::string_view body);

// Socket options every zfleet socket gets: no linger on close, bounded
// message size, and the given high-water marks.
void apply_common_options(zmq::socket_t& socket, int hwm);

}  // namespace zfleet::frames
