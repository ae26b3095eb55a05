// Frames between the worker and its module runners; see module_frames.hpp.
#include "worker/executors/module/module_frames.hpp"

#include <algorithm>
#include <optional>

#include <msgpack.hpp>

#include "common/codec.hpp"

namespace zfleet::worker {

namespace {

std::string framed(const codec::MapWriter& body) {
  const std::string payload = body.finish();
  const auto n = static_cast<std::uint32_t>(payload.size());
  std::string out;
  out.reserve(kFrameHeaderBytes + payload.size());
  out.push_back(static_cast<char>((n >> 24) & 0xff));
  out.push_back(static_cast<char>((n >> 16) & 0xff));
  out.push_back(static_cast<char>((n >> 8) & 0xff));
  out.push_back(static_cast<char>(n & 0xff));
  out += payload;
  return out;
}

// The envelope is a small flat map; only its str and bin fields are large.
std::optional<msgpack::object_handle> unpack_envelope(std::string_view payload,
                                                      std::string& error) {
  const msgpack::unpack_limit limits(16, 16, kMaxModuleFrameBytes, kMaxModuleFrameBytes, 0, 4);
  try {
    std::size_t offset = 0;
    auto handle = msgpack::unpack(payload.data(), payload.size(), offset, nullptr, nullptr, limits);
    if (offset != payload.size()) {
      error = "trailing bytes after the frame's map";
      return std::nullopt;
    }
    if (handle.get().type != msgpack::type::MAP) {
      error = "frame is not a msgpack map";
      return std::nullopt;
    }
    return handle;
  } catch (const std::exception& e) {
    error = std::string("malformed frame: ") + e.what();
    return std::nullopt;
  }
}

}  // namespace

std::string encode_module_request(const ModuleRequest& request) {
  codec::MapWriter w;
  w.u64("id", request.id).bin("args", request.args);
  return framed(w);
}

std::string encode_module_reply(const ModuleReply& reply) {
  codec::MapWriter w;
  if (reply.kind == ModuleReplyKind::kProgress) {
    w.str("kind", "progress").u64("id", reply.id).i64("progress", reply.percent);
    w.str("message", reply.message);
    return framed(w);
  }
  w.str("kind", "done").u64("id", reply.id).boolean("ok", reply.ok);
  if (reply.ok) {
    w.bin("result", reply.result);
  } else {
    w.str("error", reply.error);
  }
  w.u64("rss_kb", reply.rss_kb).u64("cpu_ms", reply.cpu_ms);
  return framed(w);
}

bool decode_module_request(std::string_view payload, ModuleRequest& out, std::string& error) {
  auto handle = unpack_envelope(payload, error);
  if (!handle) return false;
  codec::FieldReader r(handle->get());
  r.u64("id", out.id, codec::Need::kRequired);
  r.bytes("args", out.args, codec::Need::kRequired, ZFLEET_MODULE_MAX_ARGS);
  if (!r.ok()) {
    error = r.take_error().message;
    return false;
  }
  return true;
}

bool decode_module_reply(std::string_view payload, ModuleReply& out, std::string& error) {
  auto handle = unpack_envelope(payload, error);
  if (!handle) return false;
  codec::FieldReader r(handle->get());
  std::string kind;
  r.bytes("kind", kind, codec::Need::kRequired, 16);
  r.u64("id", out.id, codec::Need::kRequired);
  if (r.ok() && kind == "progress") {
    out.kind = ModuleReplyKind::kProgress;
    std::int64_t percent = 0;
    r.i64("progress", percent, codec::Need::kRequired);
    out.percent = static_cast<int>(std::clamp<std::int64_t>(percent, 0, 100));
    r.bytes("message", out.message, codec::Need::kOptional, ZFLEET_MODULE_MAX_ERROR);
  } else if (r.ok() && kind == "done") {
    out.kind = ModuleReplyKind::kDone;
    r.boolean("ok", out.ok, codec::Need::kRequired);
    if (out.ok) {
      r.bytes("result", out.result, codec::Need::kRequired, ZFLEET_MODULE_MAX_RESULT);
    } else {
      r.bytes("error", out.error, codec::Need::kRequired, ZFLEET_MODULE_MAX_ERROR);
    }
    r.u64("rss_kb", out.rss_kb);
    r.u64("cpu_ms", out.cpu_ms);
  } else if (r.ok()) {
    error = "unknown reply kind '" + kind + "'";
    return false;
  }
  if (!r.ok()) {
    error = r.take_error().message;
    return false;
  }
  return true;
}

bool is_one_msgpack_object(std::string_view bytes) {
  msgpack::null_visitor visitor;
  std::size_t offset = 0;
  try {
    return msgpack::parse(bytes.data(), bytes.size(), offset, visitor) && offset == bytes.size();
  } catch (const std::exception&) {
    return false;
  }
}

void ModuleFrameReader::append(std::string_view bytes) {
  // Compact once the consumed prefix dominates, so the buffer stays O(frame).
  if (offset_ > 0 && offset_ >= buffer_.size() / 2) {
    buffer_.erase(0, offset_);
    offset_ = 0;
  }
  buffer_.append(bytes);
}

ModuleFrameReader::Next ModuleFrameReader::next(std::string& payload) {
  if (broken_) return Next::kTooLarge;
  if (pending() < kFrameHeaderBytes) return Next::kNeedMore;
  const auto* p = reinterpret_cast<const unsigned char*>(buffer_.data() + offset_);
  const std::size_t length = (std::size_t{p[0]} << 24) | (std::size_t{p[1]} << 16) |
                             (std::size_t{p[2]} << 8) | std::size_t{p[3]};
  if (length > kMaxModuleFrameBytes) {
    broken_ = true;
    return Next::kTooLarge;
  }
  if (pending() < kFrameHeaderBytes + length) return Next::kNeedMore;
  payload.assign(buffer_, offset_ + kFrameHeaderBytes, length);
  offset_ += kFrameHeaderBytes + length;
  if (offset_ == buffer_.size()) {
    buffer_.clear();
    offset_ = 0;
  }
  return Next::kFrame;
}

}  // namespace zfleet::worker
