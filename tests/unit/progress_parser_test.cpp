// ProgressParser: markers found whatever the chunk splits, malformed lines
// ignored, long lines skipped with bounded memory, messages cut to valid UTF-8.
#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "worker/monitor/progress_parser.hpp"

namespace zfleet::worker {
namespace {

std::vector<ProgressMark> feed_in_pieces(std::string_view stream, std::size_t piece) {
  ProgressParser parser;
  std::vector<ProgressMark> out;
  for (std::size_t at = 0; at < stream.size(); at += piece)
    parser.feed(stream.substr(at, piece), out);
  return out;
}

constexpr std::string_view kStream =
    "starting\n"
    "::progress 40\n"
    "noise ::progress 50\n"
    "::progress 75% copying files\n"
    "::progress abc\n"
    "::progress 140\n"
    "::progressive\n"
    "::progress 60x\n"
    "::progress  70\n"
    "::progress -1\n"
    "::progress 1000\n"
    "::progress\n"
    "::progress 100% done\r\n"
    "::progress 99";  // no newline yet: not a marker

TEST(ProgressParser, FindsTheSameMarkersWhateverTheSplit) {
  for (const std::size_t piece :
       {std::size_t{1}, std::size_t{2}, std::size_t{3}, std::size_t{7}, std::size_t{11},
        std::size_t{12}, std::size_t{64}, kStream.size()}) {
    SCOPED_TRACE(piece);
    const auto marks = feed_in_pieces(kStream, piece);
    ASSERT_EQ(marks.size(), 3u);
    EXPECT_EQ(marks[0].percent, 40u);
    EXPECT_EQ(marks[0].message, "");
    EXPECT_EQ(marks[1].percent, 75u);
    EXPECT_EQ(marks[1].message, "copying files");
    EXPECT_EQ(marks[2].percent, 100u);
    EXPECT_EQ(marks[2].message, "done");
  }
}

TEST(ProgressParser, CompletesAMarkerSplitAcrossFeeds) {
  ProgressParser parser;
  std::vector<ProgressMark> out;
  parser.feed("::prog", out);
  parser.feed("ress 3", out);
  EXPECT_TRUE(out.empty());
  parser.feed("3% half\nnext", out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].percent, 33u);
  EXPECT_EQ(out[0].message, "half");
}

TEST(ProgressParser, ParsesLineTable) {
  struct Case {
    std::string_view line;
    bool marker;
    std::uint32_t percent;
    std::string_view message;
  };
  const Case cases[] = {
      {"::progress 0", true, 0, ""},    {"::progress 100", true, 100, ""},
      {"::progress 007", true, 7, ""},  {"::progress 5%", true, 5, ""},
      {"::progress 5 ", true, 5, ""},   {"::progress 5  two spaces", true, 5, " two spaces"},
      {"::progress 5\r", true, 5, ""},  {"::progress 101", false, 0, ""},
      {"::progress 5%%", false, 0, ""}, {"::progress 5.5", false, 0, ""},
      {"::progress +5", false, 0, ""},  {"::progress ", false, 0, ""},
      {" ::progress 5", false, 0, ""},  {"::PROGRESS 5", false, 0, ""},
      {"::progress\t5", false, 0, ""},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.line);
    ProgressMark mark;
    ASSERT_EQ(ProgressParser::parse_line(c.line, mark), c.marker);
    if (!c.marker) continue;
    EXPECT_EQ(mark.percent, c.percent);
    EXPECT_EQ(mark.message, c.message);
  }
}

TEST(ProgressParser, AcceptsALineOfExactlyTheMaximumLength) {
  std::string line = "::progress 10 ";
  line.append(ProgressParser::kMaxLineBytes - line.size(), 'x');
  ASSERT_EQ(line.size(), ProgressParser::kMaxLineBytes);
  const auto marks = feed_in_pieces(line + "\n", 1);
  ASSERT_EQ(marks.size(), 1u);
  EXPECT_EQ(marks[0].percent, 10u);
  EXPECT_EQ(marks[0].message, std::string(ProgressParser::kMaxMessageBytes, 'x'));
}

TEST(ProgressParser, IgnoresALongerLineAndRecoversAfterIt) {
  std::string line = "::progress 10 ";
  line.append(ProgressParser::kMaxLineBytes + 1 - line.size(), 'x');
  for (const std::size_t piece : {std::size_t{1}, std::size_t{1000}, std::size_t{100000}}) {
    SCOPED_TRACE(piece);
    const auto marks = feed_in_pieces(line + "\n::progress 20\n", piece);
    ASSERT_EQ(marks.size(), 1u);
    EXPECT_EQ(marks[0].percent, 20u);
  }
}

TEST(ProgressParser, CountsTheCarriageReturnTowardsTheLimit) {
  std::string line = "::progress 10 ";
  line.append(ProgressParser::kMaxLineBytes - line.size(), 'x');
  EXPECT_TRUE(feed_in_pieces(line + "\r\n", 7).empty());
  line.pop_back();
  EXPECT_EQ(feed_in_pieces(line + "\r\n", 7).size(), 1u);
}

TEST(ProgressParser, SkipsAHugeOrdinaryLineInOneChunk) {
  std::string stream(10 * 1024 * 1024, 'y');
  stream += "\n::progress 1\n";
  EXPECT_EQ(feed_in_pieces(stream, stream.size()).size(), 1u);
}

TEST(ProgressParser, ReplacesInvalidUtf8AndControlBytes) {
  ProgressMark mark;
  ASSERT_TRUE(
      ProgressParser::parse_line("::progress 1 a\xff"
                                 "b\xc3(\xe2\x82 \xed\xa0\x80 \xc0\xaf \x1b[31m tab\tok",
                                 mark));
  EXPECT_EQ(mark.message, "a?b?(?? ??? ?? ?[31m tab\tok");
}

TEST(ProgressParser, KeepsValidMultibyteText) {
  ProgressMark mark;
  ASSERT_TRUE(ProgressParser::parse_line(
      "::progress 1 \xc3\xa9t\xc3\xa9 \xe2\x82\xac \xf0\x9f\x9a\x80", mark));
  EXPECT_EQ(mark.message, "\xc3\xa9t\xc3\xa9 \xe2\x82\xac \xf0\x9f\x9a\x80");
}

TEST(ProgressParser, TruncatesBeforeASplitMultibyteSequence) {
  // 255 ASCII bytes then a 3-byte euro sign: it does not fit, so it is dropped whole.
  std::string text(255, 'a');
  text += "\xe2\x82\xac";
  ProgressMark mark;
  ASSERT_TRUE(ProgressParser::parse_line("::progress 1 " + text, mark));
  EXPECT_EQ(mark.message, std::string(255, 'a'));
  // Two-byte characters only: 128 of them fill the limit exactly.
  std::string wide;
  for (int i = 0; i < 200; ++i)
    wide += "\xc3\xa9";
  ASSERT_TRUE(ProgressParser::parse_line("::progress 1 " + wide, mark));
  EXPECT_EQ(mark.message.size(), 256u);
  EXPECT_EQ(mark.message, wide.substr(0, 256));
}

TEST(ProgressParser, SanitizeNeverGrowsBeyondTheLimit) {
  EXPECT_EQ(sanitize_utf8(std::string(300, '\xff'), 256), std::string(256, '?'));
  EXPECT_EQ(sanitize_utf8("\xf4\x90\x80\x80", 10), "????");  // above U+10FFFF
  EXPECT_EQ(sanitize_utf8("\xf0\x9f\x9a", 10), "???");       // cut short
  EXPECT_EQ(sanitize_utf8("", 10), "");
}

}  // namespace
}  // namespace zfleet::worker
