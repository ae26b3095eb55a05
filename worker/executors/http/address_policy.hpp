// AddressPolicy: which hosts and IP addresses an http task may connect to.
// Entries are CIDR networks, single addresses or host name patterns
// ("example.com", "*.example.com"). Every address is held as 16 bytes with
// IPv4 in its IPv4-mapped IPv6 form (::ffff:a.b.c.d), so a v4 rule covers the
// mapped spelling of the same address and no rule can be bypassed by it.
//
// Evaluation of one connection (host name, resolved address):
//   1. a deny entry matching the address or the name denies;
//   2. a built-in deny (loopback, link-local, cloud metadata, unspecified,
//      multicast) denies unless an allow network at least as specific as that
//      built-in range contains the address;
//   3. a non-empty allow list allows only an address inside an allow network
//      or a connection whose host name matches an allow name pattern;
//   4. every "allow_within" list (a narrowing allow list from a later policy
//      layer) must also match, by network or name; these never lift step 2;
//   5. otherwise the connection is allowed.
// check_host() runs before resolution (names and IP literals in URLs);
// check_connection() runs for every address the transfer is about to connect
// to, which is what defeats DNS rebinding and redirects to internal hosts.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace zfleet::worker {

struct IpAddress {
  std::array<std::uint8_t, 16> bytes{};  // IPv4 as ::ffff:a.b.c.d

  bool is_v4() const;
  std::string to_string() const;  // dotted quad for IPv4 and mapped IPv4
  friend bool operator==(const IpAddress&, const IpAddress&) = default;
};

// Strict numeric forms only (inet_pton): "0x7f.1" or "127.1" are host names.
// Accepts "[v6]" brackets as URLs spell them.
std::optional<IpAddress> parse_ip(std::string_view text);

struct IpNetwork {
  IpAddress base;
  unsigned prefix = 128;  // over the 16-byte form; IPv4 /n is stored as /(96 + n)

  bool contains(const IpAddress& address) const;
  std::string to_string() const;
};

struct PolicyEntry {
  enum class Kind { kNetwork, kHostName, kHostSuffix };
  Kind kind = Kind::kNetwork;
  IpNetwork network;     // kNetwork
  std::string host;      // kHostName: the exact name; kHostSuffix: ".example.com"
  std::string original;  // as written, for messages
};

// Parses one allow or deny entry; nullopt with `error` set when invalid.
std::optional<PolicyEntry> parse_policy_entry(std::string_view text, std::string& error);

struct PolicyDecision {
  bool allowed = true;
  std::string reason;  // when denied: "<address or host> (<why>)"
};

class AddressPolicy {
 public:
  // An empty policy: built-in denies only.
  AddressPolicy() = default;

  // Builds a policy from allow, deny and allow_within entries; nullopt with
  // `error` naming the first invalid entry.
  static std::optional<AddressPolicy> parse(
      const std::vector<std::string>& allow, const std::vector<std::string>& deny,
      std::string& error, const std::vector<std::vector<std::string>>& allow_within = {});

  // A host as written in a URL, before resolution. IP literals are checked as
  // addresses; names against deny patterns and, when the allow list has no
  // networks at all, against the allow patterns.
  PolicyDecision check_host(std::string_view host) const;

  // One address a connection for `host` (empty if unknown) is about to use.
  PolicyDecision check_connection(std::string_view host, const IpAddress& address) const;

 private:
  std::vector<PolicyEntry> allow_;
  std::vector<PolicyEntry> deny_;
  std::vector<std::vector<PolicyEntry>> allow_within_;
};

// The built-in range containing `address`, e.g. "loopback"; nullopt if none.
std::optional<std::string_view> builtin_denied_range(const IpAddress& address);

}  // namespace zfleet::worker
