// Address and host name policy for http tasks; see address_policy.hpp.
#include "worker/executors/http/address_policy.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <charconv>

namespace zfleet::worker {

namespace {

constexpr std::array<std::uint8_t, 12> kMappedPrefix = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
constexpr std::size_t kMaxHostBytes = 253;

struct BuiltinRange {
  const char* network;
  std::string_view label;
};

// Most specific first so an address is named by its narrowest range
// (169.254.169.254 is "cloud metadata", not merely "link-local").
constexpr std::array<BuiltinRange, 12> kBuiltinRanges = {{
    {"169.254.169.254/32", "cloud metadata"},
    {"fd00:ec2::254/128", "cloud metadata"},
    {"100.100.100.200/32", "cloud metadata"},
    {"127.0.0.0/8", "loopback"},
    {"::1/128", "loopback"},
    {"169.254.0.0/16", "link-local"},
    {"fe80::/10", "link-local"},
    {"0.0.0.0/8", "unspecified"},
    {"::/128", "unspecified"},
    {"224.0.0.0/4", "multicast"},
    {"ff00::/8", "multicast"},
    {"255.255.255.255/32", "broadcast"},
}};

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// Case-folded, without the trailing dot that makes a name fully qualified:
// "Example.COM." and "example.com" are the same host.
std::string normalize_host(std::string_view host) {
  if (!host.empty() && host.back() == '.') host.remove_suffix(1);
  return lower(host);
}

bool valid_host_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxHostBytes) return false;
  std::size_t label = 0;
  for (const char c : name) {
    if (c == '.') {
      if (label == 0) return false;
      label = 0;
      continue;
    }
    const bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
    if (!ok || ++label > 63) return false;
  }
  return label != 0;
}

std::optional<IpNetwork> parse_network(std::string_view text, std::string& error) {
  const auto slash = text.find('/');
  const auto address = parse_ip(text.substr(0, slash));
  if (!address) return std::nullopt;
  IpNetwork net{*address, 128};
  if (slash == std::string_view::npos) return net;

  const std::string_view digits = text.substr(slash + 1);
  unsigned bits = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), bits);
  const unsigned max_bits = address->is_v4() ? 32 : 128;
  if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size()) {
    error = "invalid prefix length '" + std::string(digits) + "'";
    return std::nullopt;
  }
  if (bits > max_bits) {
    error = "prefix length " + std::to_string(bits) + " exceeds " + std::to_string(max_bits);
    return std::nullopt;
  }
  net.prefix = address->is_v4() ? 96 + bits : bits;
  // A base with host bits set is almost always a typo for another network.
  IpAddress base = *address;
  for (unsigned i = net.prefix; i < 128; ++i) {
    base.bytes[i / 8] &= static_cast<std::uint8_t>(~(0x80U >> (i % 8)));
  }
  if (base != *address) {
    error =
        "network has host bits set (did you mean " + IpNetwork{base, net.prefix}.to_string() + "?)";
    return std::nullopt;
  }
  return net;
}

bool prefix_matches(const IpAddress& a, const IpAddress& b, unsigned prefix) {
  const unsigned whole = prefix / 8;
  if (!std::equal(a.bytes.begin(), a.bytes.begin() + whole, b.bytes.begin())) return false;
  const unsigned rest = prefix % 8;
  if (rest == 0) return true;
  const auto mask = static_cast<std::uint8_t>(0xFFU << (8 - rest));
  return (a.bytes[whole] & mask) == (b.bytes[whole] & mask);
}

const std::vector<IpNetwork>& builtin_networks() {
  static const std::vector<IpNetwork> networks = [] {
    std::vector<IpNetwork> out;
    for (const auto& range : kBuiltinRanges) {
      std::string ignored;
      out.push_back(*parse_network(range.network, ignored));
    }
    return out;
  }();
  return networks;
}

bool name_matches(const PolicyEntry& entry, const std::string& host) {
  if (entry.kind == PolicyEntry::Kind::kHostName) return host == entry.host;
  if (entry.kind == PolicyEntry::Kind::kHostSuffix) {
    return host.size() > entry.host.size() && host.ends_with(entry.host);
  }
  return false;
}

PolicyDecision deny(std::string subject, std::string_view why) {
  return {false, std::move(subject) + " (" + std::string(why) + ")"};
}

}  // namespace

bool IpAddress::is_v4() const {
  return std::equal(kMappedPrefix.begin(), kMappedPrefix.end(), bytes.begin());
}

std::string IpAddress::to_string() const {
  char text[INET6_ADDRSTRLEN] = {};
  if (is_v4()) {
    ::inet_ntop(AF_INET, bytes.data() + 12, text, sizeof text);
  } else {
    ::inet_ntop(AF_INET6, bytes.data(), text, sizeof text);
  }
  return text;
}

std::optional<IpAddress> parse_ip(std::string_view text) {
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']') {
    text = text.substr(1, text.size() - 2);
  }
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  const std::string z(text);
  IpAddress out;
  if (::inet_pton(AF_INET, z.c_str(), out.bytes.data() + 12) == 1) {
    std::copy(kMappedPrefix.begin(), kMappedPrefix.end(), out.bytes.begin());
    return out;
  }
  if (::inet_pton(AF_INET6, z.c_str(), out.bytes.data()) == 1) return out;
  return std::nullopt;
}

bool IpNetwork::contains(const IpAddress& address) const {
  return prefix_matches(base, address, prefix);
}

std::string IpNetwork::to_string() const {
  if (base.is_v4() && prefix >= 96) return base.to_string() + "/" + std::to_string(prefix - 96);
  return base.to_string() + "/" + std::to_string(prefix);
}

std::optional<PolicyEntry> parse_policy_entry(std::string_view text, std::string& error) {
  const auto fail = [&](const std::string& why) -> std::optional<PolicyEntry> {
    error = "invalid policy entry '" + std::string(text) + "': " + why;
    return std::nullopt;
  };
  if (text.empty()) return fail("empty");
  PolicyEntry entry;
  entry.original = std::string(text);

  const auto slash = text.find('/');
  if (slash != std::string_view::npos || parse_ip(text)) {
    std::string why;
    auto net = parse_network(text, why);
    if (!net) return fail(why.empty() ? "not an IP address or CIDR network" : why);
    entry.kind = PolicyEntry::Kind::kNetwork;
    entry.network = *net;
    return entry;
  }

  if (text.starts_with("*.")) {
    const std::string suffix = normalize_host(text.substr(2));
    if (!valid_host_name(suffix)) return fail("not a valid host name pattern");
    entry.kind = PolicyEntry::Kind::kHostSuffix;
    entry.host = "." + suffix;  // "*.example.com" must never match "badexample.com"
    return entry;
  }
  std::string host = normalize_host(text);
  if (!valid_host_name(host)) {
    return fail("not an IP address, CIDR network or host name (wildcards only as a leading '*.')");
  }
  entry.kind = PolicyEntry::Kind::kHostName;
  entry.host = std::move(host);
  return entry;
}

std::optional<std::string_view> builtin_denied_range(const IpAddress& address) {
  const auto& networks = builtin_networks();
  for (std::size_t i = 0; i < networks.size(); ++i) {
    if (networks[i].contains(address)) return kBuiltinRanges[i].label;
  }
  return std::nullopt;
}

std::optional<AddressPolicy> AddressPolicy::parse(
    const std::vector<std::string>& allow, const std::vector<std::string>& deny, std::string& error,
    const std::vector<std::vector<std::string>>& allow_within) {
  AddressPolicy policy;
  const auto parse_all = [&](const std::vector<std::string>& texts, std::vector<PolicyEntry>& out) {
    for (const auto& text : texts) {
      auto entry = parse_policy_entry(text, error);
      if (!entry) return false;
      out.push_back(std::move(*entry));
    }
    return true;
  };
  if (!parse_all(allow, policy.allow_) || !parse_all(deny, policy.deny_)) return std::nullopt;
  for (const auto& list : allow_within) {
    if (!parse_all(list, policy.allow_within_.emplace_back())) return std::nullopt;
  }
  return policy;
}

PolicyDecision AddressPolicy::check_host(std::string_view host) const {
  if (const auto address = parse_ip(host)) return check_connection({}, *address);
  const std::string name = normalize_host(host);
  for (const auto& entry : deny_) {
    if (name_matches(entry, name)) return deny(name, "deny entry " + entry.original);
  }
  // With only name patterns allowed no address can rescue an unlisted name,
  // so refuse it before any DNS query leaks it.
  const auto refuses = [&](const std::vector<PolicyEntry>& list) {
    const bool any_network = std::any_of(list.begin(), list.end(), [](const PolicyEntry& e) {
      return e.kind == PolicyEntry::Kind::kNetwork;
    });
    return !list.empty() && !any_network &&
           std::none_of(list.begin(), list.end(),
                        [&](const PolicyEntry& e) { return name_matches(e, name); });
  };
  if (refuses(allow_)) return deny(name, "not in allow list");
  for (const auto& list : allow_within_) {
    if (refuses(list)) return deny(name, "not in a required allow list");
  }
  return {};
}

PolicyDecision AddressPolicy::check_connection(std::string_view host,
                                               const IpAddress& address) const {
  const std::string name = normalize_host(host);
  const std::string shown = address.to_string();
  for (const auto& entry : deny_) {
    const bool hit = entry.kind == PolicyEntry::Kind::kNetwork ? entry.network.contains(address)
                                                               : name_matches(entry, name);
    if (hit) return deny(shown, "deny entry " + entry.original);
  }

  // Each built-in range containing the address must be lifted on its own,
  // and only by an allow network at least as narrow as that range: "0.0.0.0/0"
  // must not silently open the metadata service.
  const auto& networks = builtin_networks();
  for (std::size_t i = 0; i < networks.size(); ++i) {
    if (!networks[i].contains(address)) continue;
    const bool lifted = std::any_of(allow_.begin(), allow_.end(), [&](const PolicyEntry& e) {
      return e.kind == PolicyEntry::Kind::kNetwork && e.network.contains(address) &&
             e.network.prefix >= networks[i].prefix;
    });
    if (!lifted) return deny(shown, kBuiltinRanges[i].label);
  }

  const auto matches = [&](const std::vector<PolicyEntry>& list) {
    return std::any_of(list.begin(), list.end(), [&](const PolicyEntry& e) {
      return e.kind == PolicyEntry::Kind::kNetwork ? e.network.contains(address)
                                                   : name_matches(e, name);
    });
  };
  if (!allow_.empty() && !matches(allow_)) return deny(shown, "not in allow list");
  for (const auto& list : allow_within_) {
    if (!matches(list)) return deny(shown, "not in a required allow list");
  }
  return {};
}

}  // namespace zfleet::worker
