// The field-list mechanism of common/wire/fields.hpp on a body of the test's
// own, apart from any protocol body: required and unknown keys, types, write
// rules (omit_default, written_when), str against bin, bounds and their error
// codes, nested prefixes, check(), and encode -> decode round trips.
#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/codec.hpp"
#include "common/wire/fields.hpp"

namespace zfleet {
namespace {

struct Inner {
  std::string tag;

  static constexpr auto fields() {
    return std::tuple{wire::field("tag", &Inner::tag).required().max_bytes(4)};
  }
  bool operator==(const Inner&) const = default;
};

std::size_t tag_size(const Inner& i) {
  return i.tag.size();
}

struct Probe {
  std::uint64_t id = 0;
  std::string name;
  std::string blob;
  std::uint32_t count = 0;
  std::vector<std::string> tags;
  std::optional<int> level;
  bool flagged = false;
  std::string note;  // written only while flagged
  std::optional<Inner> inner;
  std::vector<Inner> items;

  static constexpr auto fields() {
    using P = Probe;
    constexpr auto flagged = [](const P& p) { return p.flagged; };
    return std::tuple{
        wire::field("id", &P::id).required().max(1000),
        wire::field("name", &P::name).max_bytes(8),
        wire::field("blob", &P::blob).bin(),
        wire::field("count", &P::count).omit_default(),
        wire::field("tags", &P::tags).omit_default().max_items(3).max_bytes(4).max_total(6),
        wire::field("level", &P::level).range(-1, 5),
        wire::field("flagged", &P::flagged),
        wire::field("note", &P::note).written_when(flagged),
        wire::field("inner", &P::inner),
        wire::field("items", &P::items).omit_default().indexed_errors().max_sum(tag_size, 5),
    };
  }
  static wire::MaybeError check(const Probe& p) {
    if (p.count > 0 && p.name.empty()) {
      return codec::DecodeError{ErrorCode::kInvalidField, "'count' needs a 'name'"};
    }
    return std::nullopt;
  }
  bool operator==(const Probe&) const = default;
};

wire::MaybeError decode(const std::string& bytes, Probe& out) {
  codec::DecodeError error;
  auto body = codec::parse_body(bytes, error);
  if (!body) return error;
  return wire::decode_body(body->root(), out);
}

// The msgpack type under `key` of an encoded map; NIL when the key is absent.
msgpack::type::object_type type_of(const std::string& bytes, std::string_view key) {
  auto handle = msgpack::unpack(bytes.data(), bytes.size());
  const auto& map = handle.get().via.map;
  for (std::uint32_t i = 0; i < map.size; ++i) {
    const auto& k = map.ptr[i].key;
    if (std::string_view(k.via.str.ptr, k.via.str.size) == key) return map.ptr[i].val.type;
  }
  return msgpack::type::NIL;
}

std::vector<std::string> keys_of(const std::string& bytes) {
  auto handle = msgpack::unpack(bytes.data(), bytes.size());
  const auto& map = handle.get().via.map;
  std::vector<std::string> keys;
  for (std::uint32_t i = 0; i < map.size; ++i) {
    keys.emplace_back(map.ptr[i].key.via.str.ptr, map.ptr[i].key.via.str.size);
  }
  return keys;
}

TEST(WireFields, MissingRequiredFieldIsInvalidField) {
  codec::MapWriter w;
  w.str("name", "x");
  Probe out;
  auto e = decode(w.finish(), out);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code, ErrorCode::kInvalidField);
  EXPECT_EQ(e->message, "missing required field 'id'");
}

TEST(WireFields, UnknownKeysAreIgnored) {
  codec::MapWriter w;
  w.u64("id", 3).str("from_a_newer_peer", "x").u64("another", 9);
  Probe out;
  ASSERT_FALSE(decode(w.finish(), out));
  EXPECT_EQ(out.id, 3u);
}

TEST(WireFields, NilReadsAsAbsent) {
  msgpack::sbuffer buffer;
  msgpack::packer<msgpack::sbuffer> p(buffer);
  p.pack_map(2);
  p.pack("id");
  p.pack(4);
  p.pack("name");
  p.pack_nil();
  Probe out;
  out.name = "kept";
  ASSERT_FALSE(decode(std::string(buffer.data(), buffer.size()), out));
  EXPECT_EQ(out.name, "kept");
}

TEST(WireFields, MistypedFieldIsInvalidField) {
  codec::MapWriter w;
  w.str("id", "seven");
  Probe out;
  auto e = decode(w.finish(), out);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code, ErrorCode::kInvalidField);
  EXPECT_EQ(e->message, "field 'id' must be a non-negative integer");

  codec::MapWriter w2;
  w2.u64("id", 1).u64("flagged", 1);
  e = decode(w2.finish(), out);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->message, "field 'flagged' must be a boolean");
}

TEST(WireFields, FirstFailureInListOrderWins) {
  codec::MapWriter w;
  w.u64("flagged", 1).str("id", "x");  // map order differs from list order
  Probe out;
  auto e = decode(w.finish(), out);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->message, "field 'id' must be a non-negative integer");
}

TEST(WireFields, KeysFollowTheListOrderAndOmitDefaultsAreNotWritten) {
  Probe p;
  p.id = 1;
  EXPECT_EQ(keys_of(wire::encode_body(p)),
            (std::vector<std::string>{"id", "name", "blob", "flagged"}));
  p.count = 2;
  p.tags = {"a"};
  p.items = {Inner{"t"}};
  EXPECT_EQ(keys_of(wire::encode_body(p)),
            (std::vector<std::string>{"id", "name", "blob", "count", "tags", "flagged", "items"}));
}

TEST(WireFields, AbsentOptionalsAreNotWritten) {
  Probe p;
  const auto bytes = wire::encode_body(p);
  EXPECT_EQ(type_of(bytes, "level"), msgpack::type::NIL);
  EXPECT_EQ(type_of(bytes, "inner"), msgpack::type::NIL);
  p.level = -1;
  p.inner = Inner{"x"};
  const auto with = wire::encode_body(p);
  EXPECT_EQ(type_of(with, "level"), msgpack::type::NEGATIVE_INTEGER);
  EXPECT_EQ(type_of(with, "inner"), msgpack::type::MAP);
}

TEST(WireFields, WrittenWhenFollowsItsPredicate) {
  Probe p;
  p.note = "n";
  EXPECT_EQ(type_of(wire::encode_body(p), "note"), msgpack::type::NIL);
  p.flagged = true;
  EXPECT_EQ(type_of(wire::encode_body(p), "note"), msgpack::type::STR);
}

TEST(WireFields, BinFieldsAreWrittenAsBinAndStrAsStr) {
  Probe p;
  p.name = "nm";
  p.blob = std::string("a\0b", 3);
  const auto bytes = wire::encode_body(p);
  EXPECT_EQ(type_of(bytes, "name"), msgpack::type::STR);
  EXPECT_EQ(type_of(bytes, "blob"), msgpack::type::BIN);

  // Either form is read into a string.
  codec::MapWriter w;
  w.u64("id", 1).bin("name", "b").str("blob", "s");
  Probe out;
  ASSERT_FALSE(decode(w.finish(), out));
  EXPECT_EQ(out.name, "b");
  EXPECT_EQ(out.blob, "s");
}

TEST(WireFields, IntegerOverItsMaximumIsInvalidField) {
  codec::MapWriter ok;
  ok.u64("id", 1000);
  Probe out;
  EXPECT_FALSE(decode(ok.finish(), out));
  codec::MapWriter over;
  over.u64("id", 1001);
  auto e = decode(over.finish(), out);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code, ErrorCode::kInvalidField);
  EXPECT_EQ(e->message, "field 'id' exceeds its maximum 1000");
}

TEST(WireFields, RangeBoundsAreInclusive) {
  for (std::int64_t level : {-1, 0, 5}) {
    codec::MapWriter w;
    w.u64("id", 1).i64("level", level);
    Probe out;
    ASSERT_FALSE(decode(w.finish(), out)) << level;
    EXPECT_EQ(out.level, static_cast<int>(level));
  }
  for (std::int64_t level : {-2, 6}) {
    codec::MapWriter w;
    w.u64("id", 1).i64("level", level);
    Probe out;
    auto e = decode(w.finish(), out);
    ASSERT_TRUE(e) << level;
    EXPECT_EQ(e->code, ErrorCode::kInvalidField);
    EXPECT_EQ(e->message, "'level' must be -1-5");
  }
}

TEST(WireFields, StringOverItsBytesIsTooLarge) {
  codec::MapWriter w;
  w.u64("id", 1).str("name", "123456789");
  Probe out;
  auto e = decode(w.finish(), out);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code, ErrorCode::kTooLarge);
  EXPECT_EQ(e->message, "field 'name' is longer than 8 bytes");
}

TEST(WireFields, ListBoundsAreTooLarge) {
  auto decode_tags = [](std::vector<std::string> tags) {
    codec::MapWriter w;
    w.u64("id", 1).str_list("tags", tags);
    Probe out;
    return decode(w.finish(), out);
  };
  EXPECT_FALSE(decode_tags({"ab", "cd", "ef"}));
  auto items = decode_tags({"a", "b", "c", "d"});
  ASSERT_TRUE(items);
  EXPECT_EQ(items->code, ErrorCode::kTooLarge);
  EXPECT_EQ(items->message, "field 'tags' has more than 3 items");
  auto bytes = decode_tags({"abcde"});
  ASSERT_TRUE(bytes);
  EXPECT_EQ(bytes->code, ErrorCode::kTooLarge);
  auto total = decode_tags({"abcd", "efg"});
  ASSERT_TRUE(total);
  EXPECT_EQ(total->code, ErrorCode::kTooLarge);
}

TEST(WireFields, NestedErrorsCarryTheirPrefix) {
  codec::MapWriter inner;
  inner.str("tag", "toolong");
  codec::MapWriter w;
  w.u64("id", 1).map("inner", inner);
  Probe out;
  auto e = decode(w.finish(), out);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code, ErrorCode::kTooLarge);
  EXPECT_EQ(e->message, "inner: field 'tag' is longer than 4 bytes");
}

TEST(WireFields, IndexedListErrorsNameTheItem) {
  codec::MapWriter empty;
  std::vector<std::string> encoded = {wire::encode_body(Inner{"a"}), empty.finish()};
  codec::MapWriter w;
  w.u64("id", 1).map_list("items", encoded);
  Probe out;
  auto e = decode(w.finish(), out);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->message, "items[1]: missing required field 'tag'");
}

TEST(WireFields, ItemSizesOverTheirSumAreTooLarge) {
  Probe p;
  p.id = 1;
  p.items = {Inner{"abc"}, Inner{"de"}};
  Probe out;
  EXPECT_FALSE(decode(wire::encode_body(p), out));
  p.items.push_back(Inner{"f"});
  auto e = decode(wire::encode_body(p), out);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code, ErrorCode::kTooLarge);
  EXPECT_EQ(e->message, "'items' hold more than 5 bytes");
}

TEST(WireFields, CheckRunsAfterTheFields) {
  Probe p;
  p.id = 1;
  p.count = 3;
  Probe out;
  auto e = decode(wire::encode_body(p), out);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->message, "'count' needs a 'name'");
  // A field's own error comes first: check() does not run.
  p.name = "123456789";
  e = decode(wire::encode_body(p), out);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code, ErrorCode::kTooLarge);
}

TEST(WireFields, DecodeBodyLabelPrefixesTheError) {
  codec::MapWriter w;
  w.str("name", "x");
  codec::DecodeError error;
  auto body = codec::parse_body(w.finish(), error);
  ASSERT_TRUE(body);
  Probe out;
  auto e = wire::decode_body(body->root(), out, "probe");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->message, "probe: missing required field 'id'");
}

TEST(WireFields, RoundTripKeepsEveryField) {
  Probe in;
  in.id = 999;
  in.name = "name";
  in.blob = std::string("\0\xff", 2);
  in.count = 7;
  in.tags = {"ab", "cd"};
  in.level = 5;
  in.flagged = true;
  in.note = "why";
  in.inner = Inner{"in"};
  in.items = {Inner{"x"}, Inner{"yz"}};
  const auto bytes = wire::encode_body(in);
  Probe out;
  ASSERT_FALSE(decode(bytes, out));
  EXPECT_EQ(out, in);
  EXPECT_EQ(wire::encode_body(out), bytes);
}

}  // namespace
}  // namespace zfleet
