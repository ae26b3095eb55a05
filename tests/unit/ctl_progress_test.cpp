// The progress line of `zfleetctl submit --file` and its redraw throttle.
#include <gtest/gtest.h>

#include <cstdio>
#include <memory>

#include "broker/zfleetctl/progress.hpp"

namespace zfleet::ctl {
namespace {

std::string contents(std::FILE* file) {
  std::fflush(file);
  std::rewind(file);
  std::string out;
  for (int c = std::fgetc(file); c != EOF; c = std::fgetc(file))
    out += static_cast<char>(c);
  return out;
}

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};
using File = std::unique_ptr<std::FILE, FileCloser>;

TEST(CtlProgress, FormatShowsCountBarPercentAndRate) {
  EXPECT_EQ(format_progress({"submitted", 50, 100, 0, Millis{2000}}),
            "submitted   50/100 [##########..........]  50%  25.0/s");
}

TEST(CtlProgress, FormatAddsFailuresOnlyWhenThereAreSome) {
  EXPECT_EQ(format_progress({"done", 100, 100, 3, Millis{1000}}),
            "done       100/100 [####################] 100%  100/s  failed 3");
}

TEST(CtlProgress, FormatOfAnEmptyBatchIsComplete) {
  EXPECT_EQ(format_progress({"done", 0, 0, 0, Millis{0}}),
            "done       0/0 [####################] 100%  -");
}

TEST(CtlProgress, DisabledBarWritesNothing) {
  File file(std::tmpfile());
  FakeClock clock;
  {
    ProgressBar bar(file.get(), false, clock, "done", 10);
    bar.update(5, 0);
    bar.finish();
  }
  EXPECT_EQ(contents(file.get()), "");
}

TEST(CtlProgress, RedrawsAtMostOncePerIntervalThenEndsTheLine) {
  File file(std::tmpfile());
  FakeClock clock;
  ProgressBar bar(file.get(), true, clock, "done", 10);
  bar.update(1, 0);
  bar.update(2, 0);  // within the interval: not drawn
  clock.advance(ProgressBar::kRedrawInterval);
  bar.update(3, 0);
  bar.finish();
  bar.update(4, 0);  // after finish: ignored
  const std::string out = contents(file.get());
  EXPECT_NE(out.find(" 1/10"), std::string::npos);
  EXPECT_EQ(out.find(" 2/10"), std::string::npos);
  EXPECT_NE(out.find(" 3/10"), std::string::npos);
  EXPECT_EQ(out.find(" 4/10"), std::string::npos);
  EXPECT_EQ(out.back(), '\n');
}

}  // namespace
}  // namespace zfleet::ctl
