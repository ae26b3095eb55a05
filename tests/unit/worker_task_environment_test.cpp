// TaskEnvironment: the worker's environment plus the task's additions.
#include <cstring>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "worker/sandbox/task_environment.hpp"

namespace zfleet::worker {
namespace {

std::vector<std::string> entries(char** envp) {
  std::vector<std::string> out;
  for (char** e = envp; *e != nullptr; ++e)
    out.emplace_back(*e);
  return out;
}

TEST(TaskEnvironment, WithoutAdditionsIsTheBase) {
  TaskEnvironment env({"A=1", "B=2"});
  EXPECT_EQ(entries(env.build({})), (std::vector<std::string>{"A=1", "B=2"}));
}

TEST(TaskEnvironment, AdditionsOverrideAndAppend) {
  TaskEnvironment env({"A=1", "B=2", "PATH=/bin"});
  EXPECT_EQ(entries(env.build({{"B", "x=y"}, {"C", ""}})),
            (std::vector<std::string>{"A=1", "PATH=/bin", "B=x=y", "C="}));
}

TEST(TaskEnvironment, LastRepeatedAdditionWins) {
  TaskEnvironment env({"A=1"});
  EXPECT_EQ(entries(env.build({{"X", "1"}, {"X", "2"}})), (std::vector<std::string>{"A=1", "X=2"}));
}

TEST(TaskEnvironment, ReuseDoesNotLeakEarlierAdditions) {
  TaskEnvironment env({"A=1"});
  env.build({{"X", "1"}, {"Y", "2"}, {"Z", "3"}});
  EXPECT_EQ(entries(env.build({{"Q", "9"}})), (std::vector<std::string>{"A=1", "Q=9"}));
  EXPECT_EQ(entries(env.build({})), (std::vector<std::string>{"A=1"}));
}

TEST(TaskEnvironment, NameIsMatchedWhole) {
  TaskEnvironment env({"AB=1", "A=2"});
  EXPECT_EQ(entries(env.build({{"A", "3"}})), (std::vector<std::string>{"AB=1", "A=3"}));
}

}  // namespace
}  // namespace zfleet::worker
