// Bodies declared by their field lists. A body struct lists its fields once,
// in `static constexpr auto fields()`, as a tuple of descriptors built with
// wire::field(); encode_body() and decode_body() walk that list, so:
// - the canonical key order of a body is the list's order;
// - a field is written unless its write rule says otherwise (omit_default(),
//   written_when()); absent optionals are never written;
// - decoding goes through codec::FieldReader, which keeps the protocol's
//   rules: unknown keys ignored, nil read as absent, a missing required field
//   or a value of the wrong type is INVALID_FIELD, a string or list over its
//   bound is TOO_LARGE, an integer over its maximum is INVALID_FIELD; the
//   first failure wins, in list order;
// - a nested struct (or optional or list of them) is a nested map decoded by
//   its own list; its errors are prefixed with its label ("task: ...");
// - rules across fields live in the struct's `static MaybeError
//   check(const T&)`, run after every field decoded without error.
// The member type picks the wire form: unsigned -> uint, int64 -> int,
// bool, string (str, bin() or raw() msgpack), vector<string>, StringPairs,
// Counters, optional<int>, TaskState-like enums named through WireEnum,
// ErrorCode (as its number), and described structs.
#pragma once

#include <algorithm>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "common/codec.hpp"
#include "common/error_code.hpp"

namespace zfleet::wire {

using codec::DecodeError;
using codec::FieldReader;
using codec::MapWriter;
using codec::Need;
using MaybeError = std::optional<DecodeError>;
using Counters = std::vector<std::pair<std::string, std::uint64_t>>;

// Names of an enum that travels as a string. A specialisation provides
// `static std::string_view name(E)`, and `static MaybeError parse(
// std::string_view, E&)`, which says why a name is refused (the message
// without a field prefix).
template <class E>
struct WireEnum;

template <class E>
concept NamedEnum = requires(E e, std::string_view s) {
  { WireEnum<E>::name(e) } -> std::convertible_to<std::string_view>;
  { WireEnum<E>::parse(s, e) } -> std::same_as<MaybeError>;
};

template <class T>
concept Described = requires {
  T::fields();
};

template <class T>
concept Checked = requires(const T& t) {
  { T::check(t) } -> std::same_as<MaybeError>;
};

enum class Write : std::uint8_t {
  kAlways,
  kUnlessDefault,  // omitted when equal to the member of a default-built T (lists: empty)
};
enum class Form : std::uint8_t { kStr, kBin, kRaw };  // how a std::string is written

template <class M>
struct ItemOf {
  using type = M;
};
template <class I>
struct ItemOf<std::vector<I>> {
  using type = I;
};

template <class T, class M>
struct Field {
  using Item = typename ItemOf<M>::type;

  std::string_view key;
  M T::*member = nullptr;
  Need need = Need::kOptional;
  Write write = Write::kAlways;
  Form form = Form::kStr;
  bool (*when)(const T&) = nullptr;  // written only when it holds
  std::uint64_t max_value = UINT64_MAX;
  std::int64_t min_value = 0;  // optional<int> with range(): the allowed span
  bool ranged = false;
  std::size_t bytes_max = SIZE_MAX;  // a string, or each string of a list
  std::size_t items_max = SIZE_MAX;
  std::size_t total_max = SIZE_MAX;                 // all strings of a list or map together
  std::size_t (*item_size)(const Item&) = nullptr;  // lists of structs: bytes counted
  std::size_t max_item_sizes = SIZE_MAX;            // ... against this sum
  std::string_view label;                           // error prefix; empty: the key
  bool indexed = false;                             // list items' errors name their index
  bool flat = false;  // a struct whose fields sit in this map, not nested

  constexpr Field required() const {
    return with([](Field& f) { f.need = Need::kRequired; });
  }
  constexpr Field omit_default() const {
    return with([](Field& f) { f.write = Write::kUnlessDefault; });
  }
  constexpr Field bin() const {
    return with([](Field& f) { f.form = Form::kBin; });
  }
  // Any one msgpack object, carried as its encoded bytes.
  constexpr Field raw() const {
    return with([](Field& f) { f.form = Form::kRaw; });
  }
  constexpr Field written_when(bool (*pred)(const T&)) const {
    return with([=](Field& f) { f.when = pred; });
  }
  constexpr Field max(std::uint64_t v) const {
    return with([=](Field& f) { f.max_value = v; });
  }
  // optional<int>: outside [lo, hi] is INVALID_FIELD "'key' must be lo-hi".
  constexpr Field range(std::int64_t lo, std::uint64_t hi) const {
    return with([=](Field& f) {
      f.min_value = lo;
      f.max_value = hi;
      f.ranged = true;
    });
  }
  constexpr Field max_bytes(std::size_t n) const {
    return with([=](Field& f) { f.bytes_max = n; });
  }
  constexpr Field max_items(std::size_t n) const {
    return with([=](Field& f) { f.items_max = n; });
  }
  constexpr Field max_total(std::size_t n) const {
    return with([=](Field& f) { f.total_max = n; });
  }
  // A list of structs whose items' `size` may not add up to more than `n`:
  // TOO_LARGE "'key' hold more than n bytes".
  constexpr Field max_sum(std::size_t (*size)(const Item&), std::size_t n) const {
    return with([=](Field& f) {
      f.item_size = size;
      f.max_item_sizes = n;
    });
  }
  constexpr Field errors_as(std::string_view prefix) const {
    return with([=](Field& f) { f.label = prefix; });
  }
  constexpr Field indexed_errors() const {
    return with([](Field& f) { f.indexed = true; });
  }
  constexpr std::string_view prefix() const { return label.empty() ? key : label; }

 private:
  template <class Edit>
  constexpr Field with(Edit edit) const {
    Field f = *this;
    edit(f);
    return f;
  }
};

template <class T, class M>
constexpr Field<T, M> field(std::string_view key, M T::*member) {
  Field<T, M> f;
  f.key = key;
  f.member = member;
  return f;
}

// A described struct whose fields are written into the enclosing map (DONE
// carries the outcome's fields next to task_id and attempt).
template <class T, class M>
constexpr Field<T, M> flat(M T::*member) {
  Field<T, M> f;
  f.member = member;
  f.flat = true;
  return f;
}

// A field no member holds as it is written: for the few keys derived from
// other fields. `read` may be null (written for readers, ignored on input).
template <class T>
struct Custom {
  std::string_view key;
  void (*write)(MapWriter&, std::string_view key, const T&) = nullptr;
  void (*read)(FieldReader&, std::string_view key, T&) = nullptr;
};

template <class T>
constexpr Custom<T> custom(std::string_view key,
                           void (*write)(MapWriter&, std::string_view, const T&),
                           void (*read)(FieldReader&, std::string_view, T&) = nullptr) {
  return Custom<T>{key, write, read};
}

template <class M>
struct IsOptional : std::false_type {};
template <class M>
struct IsOptional<std::optional<M>> : std::true_type {};
template <class M>
struct IsVector : std::false_type {};
template <class M>
struct IsVector<std::vector<M>> : std::true_type {};

template <Described T>
void write_fields(MapWriter& w, const T& m);
template <Described T>
void read_fields(FieldReader& r, T& out);

template <Described T>
std::string encode_body(const T& m) {
  MapWriter w;
  write_fields(w, m);
  return w.finish();
}

// Reads `root` into `out`, then runs T::check. With a `label`, any error is
// prefixed "label: " (a nested map, or a spec stored on its own).
template <Described T>
MaybeError decode_body(const msgpack::object& root, T& out, std::string_view label = {}) {
  FieldReader r(root);
  read_fields(r, out);
  if constexpr (Checked<T>) {
    if (r.ok()) {
      if (auto e = T::check(out)) r.fail(e->code, std::move(e->message));
    }
  }
  if (r.ok()) return std::nullopt;
  DecodeError e = r.take_error();
  if (!label.empty()) e.message = std::string(label) + ": " + e.message;
  return e;
}

namespace detail {

template <class T, class M>
void write_value(MapWriter& w, std::string_view key, const M& v, const Field<T, M>& f) {
  if constexpr (Described<M>) {
    MapWriter nested;
    write_fields(nested, v);
    w.map(key, nested);
  } else if constexpr (IsOptional<M>::value) {
    if (!v) return;
    if constexpr (Described<typename M::value_type>) {
      MapWriter nested;
      write_fields(nested, *v);
      w.map(key, nested);
    } else {
      static_assert(std::is_same_v<M, std::optional<int>>);
      w.i64(key, *v);
    }
  } else if constexpr (std::is_same_v<M, std::vector<std::string>>) {
    w.str_list(key, v);
  } else if constexpr (std::is_same_v<M, codec::StringPairs>) {
    w.str_map(key, v);
  } else if constexpr (std::is_same_v<M, Counters>) {
    w.u64_map(key, v);
  } else if constexpr (IsVector<M>::value) {
    static_assert(Described<typename M::value_type>);
    std::vector<std::string> items;
    items.reserve(v.size());
    for (const auto& item : v)
      items.push_back(encode_body(item));
    w.map_list(key, items);
  } else if constexpr (std::is_same_v<M, std::string>) {
    if (f.form == Form::kBin) {
      w.bin(key, v);
    } else if (f.form == Form::kRaw) {
      w.raw(key, v);
    } else {
      w.str(key, v);
    }
  } else if constexpr (std::is_same_v<M, bool>) {
    w.boolean(key, v);
  } else if constexpr (std::is_same_v<M, std::int64_t>) {
    w.i64(key, v);
  } else if constexpr (std::is_same_v<M, std::uint64_t> || std::is_same_v<M, std::uint32_t>) {
    w.u64(key, v);
  } else if constexpr (std::is_same_v<M, ErrorCode>) {
    w.u64(key, static_cast<std::uint64_t>(v));
  } else {
    static_assert(NamedEnum<M>, "no wire form for this member type");
    w.str(key, WireEnum<M>::name(v));
  }
}

// A nested map read by its own list and check; errors carry `prefix`.
template <Described S>
void read_nested(FieldReader& r, const msgpack::object& o, S& out, std::string_view prefix) {
  if (auto e = decode_body(o, out, prefix)) r.fail(e->code, std::move(e->message));
}

template <class T, class M>
void read_list(FieldReader& r, M& out, const Field<T, M>& f) {
  using Item = typename M::value_type;
  const auto* list = r.map_list(f.key, f.need, f.items_max);
  if (list == nullptr) return;
  std::size_t total = 0;
  for (std::uint32_t i = 0; i < list->via.array.size && r.ok(); ++i) {
    Item item;
    if (f.indexed) {
      read_nested(r, list->via.array.ptr[i], item,
                  std::string(f.prefix()) + "[" + std::to_string(i) + "]");
    } else {
      read_nested(r, list->via.array.ptr[i], item, f.prefix());
    }
    if (!r.ok()) return;
    if (f.item_size != nullptr) {
      total += f.item_size(item);
      if (total > f.max_item_sizes) {
        return r.fail(ErrorCode::kTooLarge, "'" + std::string(f.key) + "' hold more than " +
                                                std::to_string(f.max_item_sizes) + " bytes");
      }
    }
    out.push_back(std::move(item));
  }
}

void read_counters(FieldReader& r, std::string_view key, Need need, Counters& out);

template <class T, class M>
void read_value(FieldReader& r, M& out, const Field<T, M>& f) {
  const std::string_view key = f.key;
  if constexpr (Described<M>) {
    if (const auto* o = r.map(key, f.need)) read_nested(r, *o, out, f.prefix());
  } else if constexpr (IsOptional<M>::value) {
    if constexpr (Described<typename M::value_type>) {
      if (const auto* o = r.map(key, f.need)) {
        typename M::value_type value;
        read_nested(r, *o, value, f.prefix());
        out = std::move(value);
      }
    } else {
      static_assert(std::is_same_v<M, std::optional<int>>);
      r.opt_int(key, out);
      if (f.ranged && r.ok() && out &&
          (*out < f.min_value || (*out > 0 && static_cast<std::uint64_t>(*out) > f.max_value))) {
        r.fail(ErrorCode::kInvalidField, "'" + std::string(key) + "' must be " +
                                             std::to_string(f.min_value) + "-" +
                                             std::to_string(f.max_value));
      }
    }
  } else if constexpr (std::is_same_v<M, std::vector<std::string>>) {
    r.str_list(key, out, f.need, f.items_max, f.bytes_max, f.total_max);
  } else if constexpr (std::is_same_v<M, codec::StringPairs>) {
    r.str_map(key, out, f.need, f.items_max, f.total_max);
  } else if constexpr (std::is_same_v<M, Counters>) {
    read_counters(r, key, f.need, out);
  } else if constexpr (IsVector<M>::value) {
    read_list(r, out, f);
  } else if constexpr (std::is_same_v<M, std::string>) {
    if (f.form == Form::kRaw) {
      r.object(key, out, f.need, f.bytes_max);
    } else {
      r.bytes(key, out, f.need, f.bytes_max);
    }
  } else if constexpr (std::is_same_v<M, bool>) {
    r.boolean(key, out, f.need);
  } else if constexpr (std::is_same_v<M, std::int64_t>) {
    r.i64(key, out, f.need);
  } else if constexpr (std::is_same_v<M, std::uint64_t>) {
    r.u64(key, out, f.need, f.max_value);
  } else if constexpr (std::is_same_v<M, std::uint32_t>) {
    r.u32(key, out, f.need,
          static_cast<std::uint32_t>(std::min<std::uint64_t>(f.max_value, UINT32_MAX)));
  } else if constexpr (std::is_same_v<M, ErrorCode>) {
    std::uint64_t number = 0;
    r.u64(key, number, f.need);
    // An unknown code from a newer broker is kept readable as INTERNAL.
    if (r.ok() && r.has(key)) out = error_code_from_number(number).value_or(ErrorCode::kInternal);
  } else {
    static_assert(NamedEnum<M>, "no wire form for this member type");
    std::string name;
    r.bytes(key, name, f.need, f.bytes_max);
    if (!r.ok() || !r.has(key)) return;
    if (auto e = WireEnum<M>::parse(name, out)) r.fail(e->code, std::move(e->message));
  }
}

template <class T, class M>
void write_one(MapWriter& w, const T& m, const Field<T, M>& f) {
  if (f.when != nullptr && !f.when(m)) return;
  const M& v = m.*f.member;
  if constexpr (IsVector<M>::value) {
    // Every list member defaults to empty (and std::vector's == would not
    // tell whether its items compare).
    if (f.write == Write::kUnlessDefault && v.empty()) return;
  } else if constexpr (std::equality_comparable<M>) {
    static const T defaults{};
    if (f.write == Write::kUnlessDefault && v == defaults.*f.member) return;
  }
  if constexpr (Described<M>) {
    if (f.flat) return write_fields(w, v);
  }
  write_value(w, f.key, v, f);
}

template <class T>
void write_one(MapWriter& w, const T& m, const Custom<T>& c) {
  if (c.write != nullptr) c.write(w, c.key, m);
}

template <class T, class M>
void read_one(FieldReader& r, T& out, const Field<T, M>& f) {
  if constexpr (Described<M>) {
    if (f.flat) return read_fields(r, out.*f.member);
  }
  read_value(r, out.*f.member, f);
}

template <class T>
void read_one(FieldReader& r, T& out, const Custom<T>& c) {
  if (c.read != nullptr) c.read(r, c.key, out);
}

}  // namespace detail

template <Described T>
void write_fields(MapWriter& w, const T& m) {
  static constexpr auto kFields = T::fields();
  std::apply([&](const auto&... f) { (detail::write_one(w, m, f), ...); }, kFields);
}

template <Described T>
void read_fields(FieldReader& r, T& out) {
  static constexpr auto kFields = T::fields();
  std::apply([&](const auto&... f) { (detail::read_one(r, out, f), ...); }, kFields);
}

}  // namespace zfleet::wire

namespace zfleet::msg {
using codec::DecodeError;
using MaybeError = wire::MaybeError;
}  // namespace zfleet::msg

// Defines msg::encode and msg::decode of a described body (in a .cpp, inside
// namespace zfleet::msg).
#define ZFLEET_WIRE_BODY_CODEC(T)                          \
  std::string encode(const T& m) {                         \
    return ::zfleet::wire::encode_body(m);                 \
  }                                                        \
  MaybeError decode(const msgpack::object& root, T& out) { \
    return ::zfleet::wire::decode_body(root, out);         \
  }
