// Multipart framing of protocol v1; see frames.hpp.
#include "common/frames.hpp"

#include "common/protocol.hpp"

namespace zfleet::frames {

bool receive_parts(zmq::socket_t& socket, std::vector<zmq::message_t>& parts) {
  parts.clear();
  zmq::message_t part;
  if (!socket.recv(part, zmq::recv_flags::dontwait)) return false;
  bool more = part.more();
  parts.push_back(std::move(part));
  while (more) {
    zmq::message_t next;
    // The rest of a multipart message is delivered atomically with its first part.
    if (!socket.recv(next, zmq::recv_flags::none)) break;
    more = next.more();
    parts.push_back(std::move(next));
  }
  return true;
}

std::optional<codec::DecodeError> parse(std::vector<zmq::message_t>& parts, bool with_identity,
                                        Received& out) {
  std::size_t i = 0;
  if (with_identity) {
    if (parts.empty()) return codec::DecodeError{ErrorCode::kBadFrames, "empty message"};
    out.identity = parts[0].to_string();
    i = 1;
  }
  const std::size_t n = parts.size() - i;
  if (n != 3) {
    return codec::DecodeError{
        ErrorCode::kBadFrames,
        "expected 3 frames (version, command, body), got " + std::to_string(n)};
  }
  out.version = parts[i].to_string();
  if (out.version != proto::kProtocolTag) {
    return codec::DecodeError{ErrorCode::kUnsupportedVersion,
                              "this broker speaks " + std::string(proto::kProtocolTag)};
  }
  if (parts[i + 1].size() == 0 || parts[i + 1].size() > proto::kMaxCommandBytes) {
    return codec::DecodeError{ErrorCode::kBadFrames, "command frame is empty or too long"};
  }
  out.command = parts[i + 1].to_string();
  out.body = parts[i + 2].to_string();
  return std::nullopt;
}

bool send_frames(zmq::socket_t& socket, std::string_view identity, std::string_view command,
                 std::string_view body) {
  try {
    if (!identity.empty()) {
      if (!socket.send(zmq::buffer(identity),
                       zmq::send_flags::sndmore | zmq::send_flags::dontwait)) {
        return false;
      }
    }
    // Once the first part is accepted the rest are too (atomic multipart).
    if (!socket.send(zmq::buffer(proto::kProtocolTag),
                     zmq::send_flags::sndmore | zmq::send_flags::dontwait)) {
      return false;
    }
    socket.send(zmq::buffer(command), zmq::send_flags::sndmore);
    socket.send(zmq::buffer(body), zmq::send_flags::none);
    return true;
  } catch (const zmq::error_t&) {
    // EHOSTUNREACH with ZMQ_ROUTER_MANDATORY: the peer is gone.
    return false;
  }
}

void apply_common_options(zmq::socket_t& socket, int hwm) {
  socket.set(zmq::sockopt::linger, 0);
  socket.set(zmq::sockopt::maxmsgsize, proto::kMaxMessageBytes);
  socket.set(zmq::sockopt::sndhwm, hwm);
  socket.set(zmq::sockopt::rcvhwm, hwm);
}

}  // namespace zfleet::frames
