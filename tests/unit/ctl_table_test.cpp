// Column-aligned tables and key/value blocks of zfleetctl's human output.
#include <gtest/gtest.h>

#include "broker/zfleetctl/table.hpp"

namespace zfleet::ctl {
namespace {

TEST(CtlTable, AlignsColumnsToTheWidestCell) {
  Table table({{"ID"}, {"HOST"}, {"SLOTS", Align::kRight}});
  table.add_row({"w-1", "alpha", "4"});
  table.add_row({"worker-22", "b", "128"});
  EXPECT_EQ(table.render(),
            "ID         HOST   SLOTS\n"
            "w-1        alpha      4\n"
            "worker-22  b        128\n");
}

TEST(CtlTable, NoLineEndsInSpaces) {
  Table table({{"A"}, {"B"}});
  table.add_row({"long value", ""});
  for (const auto& line : {std::string("A           B"), std::string("long value")}) {
    EXPECT_NE(table.render().find(line + "\n"), std::string::npos) << line;
  }
}

TEST(CtlTable, HeaderOnlyWhenThereAreNoRows) {
  Table table({{"PROJECT"}, {"LIMIT", Align::kRight}});
  EXPECT_EQ(table.render(), "PROJECT  LIMIT\n");
  EXPECT_EQ(table.rows(), 0u);
}

TEST(CtlTable, MissingCellsAreBlankAndExtraCellsDropped) {
  Table table({{"A"}, {"B"}});
  table.add_row({"1"});
  table.add_row({"2", "3", "ignored"});
  EXPECT_EQ(table.render(), "A  B\n1\n2  3\n");
}

TEST(CtlTable, WidthCountsCodePointsNotBytes) {
  EXPECT_EQ(display_width("h\xC3\xA9llo"), 5u);
  Table table({{"LABEL"}, {"N"}});
  table.add_row({"gr\xC3\xBC\xC3\x9F", "1"});
  EXPECT_EQ(table.render(), "LABEL  N\ngr\xC3\xBC\xC3\x9F   1\n");
}

TEST(CtlFields, AlignsValuesAfterTheLongestKey) {
  EXPECT_EQ(render_fields({{"id", "7"}, {"attempts", "2"}}),
            "id        7\n"
            "attempts  2\n");
}

TEST(CtlFields, IndentsContinuationLinesOfAValue) {
  EXPECT_EQ(render_fields({{"err", "one\ntwo\n"}, {"x", "y"}}),
            "err  one\n"
            "     two\n"
            "x    y\n");
}

}  // namespace
}  // namespace zfleet::ctl
