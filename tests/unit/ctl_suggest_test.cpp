// "Did you mean ...?": edit distance and the nearest candidate.
#include <gtest/gtest.h>

#include "broker/zfleetctl/suggest.hpp"

namespace zfleet::ctl {
namespace {

const std::vector<std::string> kVerbs = {"submit", "status",  "result",   "cancel",    "dlq",
                                         "stats",  "workers", "projects", "set-limit", "set-policy",
                                         "ping",   "events",  "logs",     "suspend",   "resume"};

TEST(CtlSuggest, EditDistanceCountsEachEditOnce) {
  EXPECT_EQ(edit_distance("", ""), 0u);
  EXPECT_EQ(edit_distance("abc", ""), 3u);
  EXPECT_EQ(edit_distance("", "abc"), 3u);
  EXPECT_EQ(edit_distance("submit", "submit"), 0u);
  EXPECT_EQ(edit_distance("submt", "submit"), 1u);    // insertion
  EXPECT_EQ(edit_distance("submiit", "submit"), 1u);  // deletion
  EXPECT_EQ(edit_distance("subnit", "submit"), 1u);   // substitution
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
}

TEST(CtlSuggest, SwappedNeighboursAreOneEdit) {
  EXPECT_EQ(edit_distance("sumbit", "submit"), 1u);
  EXPECT_EQ(edit_distance("cancle", "cancel"), 1u);
  EXPECT_EQ(edit_distance("ab", "ba"), 1u);
}

TEST(CtlSuggest, EditDistanceIgnoresAsciiCase) {
  EXPECT_EQ(edit_distance("SUBMIT", "submit"), 0u);
  EXPECT_EQ(edit_distance("Status", "status"), 0u);
}

TEST(CtlSuggest, NearestFindsTheTypoedVerb) {
  EXPECT_EQ(nearest("sumbit", kVerbs), "submit");
  EXPECT_EQ(nearest("stauts", kVerbs), "status");
  EXPECT_EQ(nearest("wokers", kVerbs), "workers");
  EXPECT_EQ(nearest("log", kVerbs), "logs");
  EXPECT_EQ(nearest("set-limt", kVerbs), "set-limit");
}

TEST(CtlSuggest, NearestPrefersTheSmallestDistanceThenTheEarlierCandidate) {
  // "stat" is 1 from "stats" and 2 from "status".
  EXPECT_EQ(nearest("stat", kVerbs), "stats");
  EXPECT_EQ(nearest("ab", {"ax", "ay"}), "ax");
}

TEST(CtlSuggest, NearestSuggestsNothingFarAway) {
  EXPECT_EQ(nearest("xyz", kVerbs), std::nullopt);
  EXPECT_EQ(nearest("frobnicate", kVerbs), std::nullopt);
  EXPECT_EQ(nearest("", kVerbs), std::nullopt);
  EXPECT_EQ(nearest("submit", {}), std::nullopt);
  // One edit in a three-letter word is the limit: two would match anything.
  EXPECT_EQ(nearest("dxx", kVerbs), std::nullopt);
}

TEST(CtlSuggest, AUniquePrefixOfThreeOrMoreIsSuggested) {
  EXPECT_EQ(nearest("sub", kVerbs), "submit");
  EXPECT_EQ(nearest("proj", kVerbs), "projects");
  EXPECT_EQ(nearest("max-att", {"max-attempts", "backoff-ms"}), "max-attempts");
  // Ambiguous or too short: listing the choices is better than a guess.
  EXPECT_EQ(nearest("set", kVerbs), std::nullopt);
  EXPECT_EQ(nearest("su", {"submit"}), std::nullopt);
}

}  // namespace
}  // namespace zfleet::ctl
