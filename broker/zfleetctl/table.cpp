// Column-aligned tables and key/value blocks; see table.hpp.
#include "broker/zfleetctl/table.hpp"

#include <algorithm>

namespace zfleet::ctl {

namespace {

constexpr std::string_view kGap = "  ";

void pad(std::string& out, std::size_t n) {
  out.append(n, ' ');
}

void trim_trailing_spaces(std::string& line) {
  while (!line.empty() && line.back() == ' ')
    line.pop_back();
}

}  // namespace

std::size_t display_width(const std::string& text) {
  return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

Table::Table(std::vector<Column> columns) : columns_(std::move(columns)) {}

void Table::add_row(std::vector<std::string> cells) {
  cells.resize(columns_.size());
  rows_.push_back(std::move(cells));
}

std::string Table::render() const {
  std::vector<std::size_t> widths(columns_.size());
  for (std::size_t c = 0; c < columns_.size(); ++c) {
    widths[c] = display_width(columns_[c].title);
    for (const auto& row : rows_)
      widths[c] = std::max(widths[c], display_width(row[c]));
  }
  auto render_line = [&](auto cell_at) {
    std::string line;
    for (std::size_t c = 0; c < columns_.size(); ++c) {
      if (c > 0) line += kGap;
      const std::string& cell = cell_at(c);
      const std::size_t fill = widths[c] - display_width(cell);
      if (columns_[c].align == Align::kRight) pad(line, fill);
      line += cell;
      if (columns_[c].align == Align::kLeft) pad(line, fill);
    }
    trim_trailing_spaces(line);
    return line + '\n';
  };
  std::string out =
      render_line([&](std::size_t c) -> const std::string& { return columns_[c].title; });
  for (const auto& row : rows_) {
    out += render_line([&](std::size_t c) -> const std::string& { return row[c]; });
  }
  return out;
}

std::string render_fields(const Fields& fields) {
  std::size_t key_width = 0;
  for (const auto& field : fields)
    key_width = std::max(key_width, display_width(field.first));
  std::string out;
  for (const auto& [key, value] : fields) {
    std::string line = key;
    pad(line, key_width - display_width(key) + kGap.size());
    std::size_t start = 0;
    for (;;) {
      const std::size_t end = value.find('\n', start);
      line += value.substr(start, end == std::string::npos ? std::string::npos : end - start);
      trim_trailing_spaces(line);
      out += line + '\n';
      if (end == std::string::npos || end + 1 == value.size()) break;
      start = end + 1;
      line.assign(key_width + kGap.size(), ' ');
    }
  }
  return out;
}

}  // namespace zfleet::ctl
