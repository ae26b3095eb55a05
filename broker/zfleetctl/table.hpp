// Column-aligned text for people: tables with a header row (workers,
// projects, stats) and key/value blocks (status, result). Widths count UTF-8
// code points, not bytes, so worker labels and hostnames line up. No line ends
// in spaces, so output diffs cleanly.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace zfleet::ctl {

enum class Align { kLeft, kRight };

struct Column {
  std::string title;
  Align align = Align::kLeft;
};

class Table {
 public:
  explicit Table(std::vector<Column> columns);

  // Cells past the last column are dropped; missing cells are blank.
  void add_row(std::vector<std::string> cells);
  std::size_t rows() const { return rows_.size(); }

  // Header and rows, columns separated by two spaces, each line ending in '\n'.
  std::string render() const;

 private:
  std::vector<Column> columns_;
  std::vector<std::vector<std::string>> rows_;
};

using Fields = std::vector<std::pair<std::string, std::string>>;

// "key  value" lines with the values in one column. A multi-line value keeps
// its continuation lines indented under the first.
std::string render_fields(const Fields& fields);

// Code points in `text` (continuation bytes of UTF-8 are not counted).
std::size_t display_width(const std::string& text);

}  // namespace zfleet::ctl
