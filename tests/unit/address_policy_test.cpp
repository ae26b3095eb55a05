// AddressPolicy: entry parsing, built-in denies, allow/deny precedence and
// IPv4-mapped IPv6 forms.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "worker/executors/http/address_policy.hpp"

namespace zfleet::worker {
namespace {

AddressPolicy make(const std::vector<std::string>& allow, const std::vector<std::string>& deny) {
  std::string error;
  auto policy = AddressPolicy::parse(allow, deny, error);
  EXPECT_TRUE(policy.has_value()) << error;
  return policy.value_or(AddressPolicy{});
}

IpAddress ip(const char* text) {
  auto parsed = parse_ip(text);
  EXPECT_TRUE(parsed.has_value()) << text;
  return parsed.value_or(IpAddress{});
}

TEST(ParseIp, AcceptsOnlyStrictNumericForms) {
  struct Case {
    const char* text;
    bool is_ip;
  };
  const Case cases[] = {
      {"127.0.0.1", true},     {"::1", true},        {"[::1]", true},  {"::ffff:10.0.0.1", true},
      {"fe80::1", true},       {"0x7f.1", false},    {"127.1", false}, {"2130706433", false},
      {"017700000001", false}, {"localhost", false}, {"", false},      {"1.2.3.4.5", false},
      {"fe80::1%eth0", false},
  };
  for (const auto& c : cases)
    EXPECT_EQ(parse_ip(c.text).has_value(), c.is_ip) << c.text;
}

TEST(ParseIp, MappedIpv6IsTheSameAddressAsIpv4) {
  EXPECT_EQ(ip("::ffff:127.0.0.1"), ip("127.0.0.1"));
  EXPECT_TRUE(ip("::ffff:127.0.0.1").is_v4());
  EXPECT_EQ(ip("::ffff:127.0.0.1").to_string(), "127.0.0.1");
  EXPECT_FALSE(ip("::1").is_v4());
}

TEST(PolicyEntry, ParsesEachKind) {
  struct Case {
    const char* text;
    PolicyEntry::Kind kind;
  };
  const Case cases[] = {
      {"10.0.0.0/8", PolicyEntry::Kind::kNetwork},
      {"::1/128", PolicyEntry::Kind::kNetwork},
      {"192.168.1.7", PolicyEntry::Kind::kNetwork},
      {"fd00::/8", PolicyEntry::Kind::kNetwork},
      {"example.com", PolicyEntry::Kind::kHostName},
      {"Example.COM.", PolicyEntry::Kind::kHostName},
      {"0x7f.1", PolicyEntry::Kind::kHostName},
      {"*.example.com", PolicyEntry::Kind::kHostSuffix},
  };
  for (const auto& c : cases) {
    std::string error;
    const auto entry = parse_policy_entry(c.text, error);
    ASSERT_TRUE(entry.has_value()) << c.text << ": " << error;
    EXPECT_EQ(entry->kind, c.kind) << c.text;
  }
}

TEST(PolicyEntry, RejectsInvalidEntriesWithAClearError) {
  struct Case {
    const char* text;
    const char* message_part;
  };
  const Case cases[] = {
      {"", "empty"},
      {"10.0.0.0/33", "prefix length 33 exceeds 32"},
      {"::/129", "prefix length 129 exceeds 128"},
      {"10.0.0.1/8", "host bits set (did you mean 10.0.0.0/8?)"},
      {"10.0.0.0/x", "invalid prefix length 'x'"},
      {"example.com/8", "not an IP address or CIDR network"},
      {"ex*mple.com", "wildcards only as a leading '*.'"},
      {"*.", "not a valid host name pattern"},
      {"a..b", "not an IP address, CIDR network or host name"},
      {"http://example.com", "invalid policy entry 'http://example.com'"},
  };
  for (const auto& c : cases) {
    std::string error;
    EXPECT_FALSE(parse_policy_entry(c.text, error).has_value()) << c.text;
    EXPECT_NE(error.find(c.message_part), std::string::npos) << c.text << " -> " << error;
  }
}

TEST(AddressPolicy, ParseNamesTheFirstBadEntry) {
  std::string error;
  EXPECT_FALSE(AddressPolicy::parse({"10.0.0.0/8", "bad entry"}, {}, error).has_value());
  EXPECT_NE(error.find("'bad entry'"), std::string::npos) << error;
}

TEST(AddressPolicy, BuiltInDeniesApplyByDefault) {
  const AddressPolicy policy;
  struct Case {
    const char* address;
    const char* reason;  // empty: allowed
  };
  const Case cases[] = {
      {"127.0.0.1", "127.0.0.1 (loopback)"},
      {"127.255.0.3", "127.255.0.3 (loopback)"},
      {"::1", "::1 (loopback)"},
      {"::ffff:127.0.0.1", "127.0.0.1 (loopback)"},
      {"169.254.1.1", "169.254.1.1 (link-local)"},
      {"fe80::1", "fe80::1 (link-local)"},
      {"febf::1", "febf::1 (link-local)"},
      {"169.254.169.254", "169.254.169.254 (cloud metadata)"},
      {"::ffff:169.254.169.254", "169.254.169.254 (cloud metadata)"},
      {"fd00:ec2::254", "fd00:ec2::254 (cloud metadata)"},
      {"100.100.100.200", "100.100.100.200 (cloud metadata)"},
      {"0.0.0.0", "0.0.0.0 (unspecified)"},
      {"0.1.2.3", "0.1.2.3 (unspecified)"},
      {"::", ":: (unspecified)"},
      {"224.0.0.1", "224.0.0.1 (multicast)"},
      {"239.255.255.250", "239.255.255.250 (multicast)"},
      {"ff02::1", "ff02::1 (multicast)"},
      {"::ffff:224.0.0.1", "224.0.0.1 (multicast)"},
      {"93.184.216.34", ""},
      {"10.1.2.3", ""},
      {"2001:db8::1", ""},
      {"fec0::1", ""},
      {"100.100.100.201", ""},
  };
  for (const auto& c : cases) {
    const auto d = policy.check_connection("", ip(c.address));
    EXPECT_EQ(d.allowed, std::string(c.reason).empty()) << c.address;
    EXPECT_EQ(d.reason, c.reason) << c.address;
  }
}

TEST(AddressPolicy, AllowEntryLiftsABuiltInDenyOnlyForWhatItCovers) {
  const auto policy = make({"127.0.0.1"}, {});
  EXPECT_TRUE(policy.check_connection("", ip("127.0.0.1")).allowed);
  EXPECT_TRUE(policy.check_connection("", ip("::ffff:127.0.0.1")).allowed);
  EXPECT_EQ(policy.check_connection("", ip("127.0.0.2")).reason, "127.0.0.2 (loopback)");
  EXPECT_EQ(policy.check_connection("", ip("::1")).reason, "::1 (loopback)");
  // A non-empty allow list admits nothing else.
  EXPECT_EQ(policy.check_connection("", ip("8.8.8.8")).reason, "8.8.8.8 (not in allow list)");
}

TEST(AddressPolicy, BroadAllowNetworkDoesNotLiftNarrowerBuiltIns) {
  const auto everything = make({"0.0.0.0/0", "::/0"}, {});
  EXPECT_TRUE(everything.check_connection("", ip("8.8.8.8")).allowed);
  EXPECT_FALSE(everything.check_connection("", ip("127.0.0.1")).allowed);
  EXPECT_FALSE(everything.check_connection("", ip("169.254.169.254")).allowed);

  const auto link_local = make({"169.254.0.0/16"}, {});
  EXPECT_TRUE(link_local.check_connection("", ip("169.254.1.1")).allowed);
  EXPECT_EQ(link_local.check_connection("", ip("169.254.169.254")).reason,
            "169.254.169.254 (cloud metadata)");

  const auto metadata = make({"169.254.169.254"}, {});
  EXPECT_TRUE(metadata.check_connection("", ip("169.254.169.254")).allowed);
}

TEST(AddressPolicy, DenyEntryWinsOverEverything) {
  const auto policy = make({"10.0.0.0/8", "127.0.0.1", "*.example.com"},
                           {"10.9.0.0/16", "127.0.0.1", "bad.example.com"});
  EXPECT_TRUE(policy.check_connection("", ip("10.1.0.1")).allowed);
  EXPECT_EQ(policy.check_connection("", ip("10.9.0.1")).reason,
            "10.9.0.1 (deny entry 10.9.0.0/16)");
  EXPECT_EQ(policy.check_connection("", ip("::ffff:10.9.0.1")).reason,
            "10.9.0.1 (deny entry 10.9.0.0/16)");
  EXPECT_FALSE(policy.check_connection("", ip("127.0.0.1")).allowed);
  EXPECT_TRUE(policy.check_connection("good.example.com", ip("93.184.216.34")).allowed);
  EXPECT_EQ(policy.check_connection("bad.example.com", ip("93.184.216.34")).reason,
            "93.184.216.34 (deny entry bad.example.com)");
  EXPECT_EQ(policy.check_host("BAD.example.com.").reason,
            "bad.example.com (deny entry bad.example.com)");
}

TEST(AddressPolicy, AllowedNameStillCannotReachBuiltInRanges) {
  // DNS rebinding: an allowed name that resolves to an internal address.
  const auto policy = make({"*.example.com"}, {});
  EXPECT_TRUE(policy.check_host("api.example.com").allowed);
  EXPECT_TRUE(policy.check_connection("api.example.com", ip("93.184.216.34")).allowed);
  EXPECT_EQ(policy.check_connection("api.example.com", ip("127.0.0.1")).reason,
            "127.0.0.1 (loopback)");
  EXPECT_EQ(policy.check_connection("api.example.com", ip("169.254.169.254")).reason,
            "169.254.169.254 (cloud metadata)");
  EXPECT_FALSE(policy.check_connection("other.org", ip("93.184.216.34")).allowed);
}

TEST(AddressPolicy, HostPatternsMatchAsDocumented) {
  const auto policy = make({"example.com", "*.corp.example"}, {});
  struct Case {
    const char* host;
    bool allowed;
  };
  const Case cases[] = {
      {"example.com", true},       {"EXAMPLE.com.", true},      {"www.example.com", false},
      {"a.corp.example", true},    {"a.b.corp.example", true},  {"corp.example", false},
      {"evilcorp.example", false}, {"example.com.evil", false}, {"0x7f.1", false},
  };
  for (const auto& c : cases)
    EXPECT_EQ(policy.check_host(c.host).allowed, c.allowed) << c.host;
}

TEST(AddressPolicy, CheckHostTreatsIpLiteralsAsAddresses) {
  const AddressPolicy policy;
  EXPECT_EQ(policy.check_host("169.254.169.254").reason, "169.254.169.254 (cloud metadata)");
  EXPECT_EQ(policy.check_host("[::1]").reason, "::1 (loopback)");
  EXPECT_EQ(policy.check_host("[::ffff:127.0.0.1]").reason, "127.0.0.1 (loopback)");
  // Not an IP literal: a name, allowed before resolution; the address it
  // resolves to (127.0.0.1) is what gets refused.
  EXPECT_TRUE(policy.check_host("0x7f.1").allowed);
  EXPECT_TRUE(policy.check_host("localhost").allowed);
  EXPECT_EQ(policy.check_connection("localhost", ip("127.0.0.1")).reason, "127.0.0.1 (loopback)");
  EXPECT_EQ(policy.check_connection("localhost", ip("::1")).reason, "::1 (loopback)");
}

TEST(AddressPolicy, NetworkOnlyAllowListDefersNamesToTheirAddresses) {
  const auto policy = make({"10.0.0.0/8"}, {});
  EXPECT_TRUE(policy.check_host("internal.service").allowed);
  EXPECT_TRUE(policy.check_connection("internal.service", ip("10.2.3.4")).allowed);
  EXPECT_FALSE(policy.check_connection("internal.service", ip("11.2.3.4")).allowed);
}

TEST(AddressPolicy, AllowWithinListsNarrowButNeverLiftBuiltIns) {
  std::string error;
  const auto policy = AddressPolicy::parse({"127.0.0.1", "10.0.0.0/8"}, {}, error,
                                           {{"10.1.0.0/16", "127.0.0.1"}, {"10.1.2.0/24"}});
  ASSERT_TRUE(policy.has_value()) << error;
  EXPECT_TRUE(policy->check_connection("", ip("10.1.2.3")).allowed);
  EXPECT_EQ(policy->check_connection("", ip("10.1.3.3")).reason,
            "10.1.3.3 (not in a required allow list)");
  EXPECT_EQ(policy->check_connection("", ip("10.2.0.1")).reason,
            "10.2.0.1 (not in a required allow list)");
  EXPECT_FALSE(policy->check_connection("", ip("127.0.0.1")).allowed);

  const auto only_within = AddressPolicy::parse({}, {}, error, {{"127.0.0.1", "*.example.com"}});
  ASSERT_TRUE(only_within.has_value()) << error;
  EXPECT_EQ(only_within->check_connection("", ip("127.0.0.1")).reason, "127.0.0.1 (loopback)");
  EXPECT_TRUE(only_within->check_connection("a.example.com", ip("93.184.216.34")).allowed);
  EXPECT_FALSE(only_within->check_connection("a.example.org", ip("93.184.216.34")).allowed);

  const auto names_only = AddressPolicy::parse({}, {}, error, {{"*.example.com"}});
  ASSERT_TRUE(names_only.has_value()) << error;
  EXPECT_EQ(names_only->check_host("example.org").reason,
            "example.org (not in a required allow list)");
  EXPECT_FALSE(AddressPolicy::parse({}, {}, error, {{"10.0.0.0/99"}}).has_value());
}

TEST(AddressPolicy, Ipv6NetworksMatchByPrefix) {
  const auto policy = make({"2001:db8::/32"}, {"2001:db8:dead::/48"});
  EXPECT_TRUE(policy.check_connection("", ip("2001:db8:1::1")).allowed);
  EXPECT_FALSE(policy.check_connection("", ip("2001:db8:dead::1")).allowed);
  EXPECT_FALSE(policy.check_connection("", ip("2001:db9::1")).allowed);
}

}  // namespace
}  // namespace zfleet::worker
