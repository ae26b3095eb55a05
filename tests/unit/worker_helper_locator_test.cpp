// helper_locator: where a worker looks for zfleet-module-runner and
// zfleet-http-fetch, in the build tree and in an installed prefix.
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "worker/sandbox/helper_locator.hpp"

namespace zfleet::worker {
namespace {

TEST(HelperLocator, TriesBesideTheBinaryThenTheInstalledHelperDirectory) {
  const std::vector<std::string> want{"/opt/zf/bin/zfleet-http-fetch",
                                      "/opt/zf/bin/../libexec/zfleet/zfleet-http-fetch"};
  EXPECT_EQ(helper_candidates("/opt/zf/bin", "zfleet-http-fetch", "../libexec/zfleet"), want);
  EXPECT_EQ(helper_candidates("/opt/zf/bin/", "zfleet-http-fetch", "../libexec/zfleet/"), want);
}

TEST(HelperLocator, WithoutAHelperDirectoryOnlyBesideTheBinary) {
  const std::vector<std::string> want{"/b/worker/zfleet-module-runner"};
  EXPECT_EQ(helper_candidates("/b/worker", "zfleet-module-runner", ""), want);
  EXPECT_EQ(helper_candidates("/b/worker", "zfleet-module-runner", "."), want);
}

TEST(HelperLocator, AnUnknownOwnDirectoryFindsNothing) {
  EXPECT_TRUE(helper_candidates("", "zfleet-module-runner", "../libexec/zfleet").empty());
  EXPECT_EQ(find_helper("", "zfleet-module-runner", "../libexec/zfleet",
                        [](const std::string&) { return true; }),
            "");
}

TEST(HelperLocator, BesideTheBinaryWinsOverTheHelperDirectory) {
  const auto any = [](const std::string&) { return true; };
  EXPECT_EQ(find_helper("/b/worker", "zfleet-module-runner", "../libexec/zfleet", any),
            "/b/worker/zfleet-module-runner");
}

TEST(HelperLocator, FallsBackToTheHelperDirectoryOfAnInstall) {
  const std::set<std::string> present{"/usr/local/bin/../libexec/zfleet/zfleet-module-runner"};
  const auto usable = [&](const std::string& path) { return present.count(path) > 0; };
  EXPECT_EQ(find_helper("/usr/local/bin", "zfleet-module-runner", "../libexec/zfleet", usable),
            "/usr/local/bin/../libexec/zfleet/zfleet-module-runner");
  EXPECT_EQ(find_helper("/usr/local/bin", "zfleet-http-fetch", "../libexec/zfleet", usable), "");
}

}  // namespace
}  // namespace zfleet::worker
