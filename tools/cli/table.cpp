#include "table.hpp"

#include <algorithm>
#include <cstddef>

#include "text.hpp"

namespace duroxide::cli {

void Table::add_row(std::vector<std::string> cells) {
  cells.resize(header_.size());
  for (auto& cell : cells) {
    if (cell.empty()) {
      cell.push_back('-');
    } else {
      cell = escape(cell);
    }
  }
  rows_.push_back(std::move(cells));
}

void Table::add_rendered_row(std::vector<std::string> cells) {
  cells.resize(header_.size());
  for (auto& cell : cells) {
    // push_back, not `= "-"`: GCC 12 reports a false -Wrestrict for assigning a literal here.
    if (cell.empty()) cell.push_back('-');
  }
  rows_.push_back(std::move(cells));
}

void Table::print(std::ostream& out) const {
  std::vector<std::size_t> widths(header_.size(), 0);
  for (std::size_t i = 0; i < header_.size(); ++i) widths[i] = display_width(header_[i]);
  for (const auto& row : rows_) {
    for (std::size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], display_width(row[i]));
  }
  const auto print_row = [&](const std::vector<std::string>& cells) {
    std::string line;
    for (std::size_t i = 0; i < cells.size(); ++i) {
      line += cells[i];
      if (i + 1 < cells.size()) line.append(widths[i] - display_width(cells[i]) + 2, ' ');
    }
    out << line << '\n';
  };
  print_row(header_);
  for (const auto& row : rows_) print_row(row);
}

void Fields::print(std::ostream& out) const {
  std::size_t width = 0;
  for (const auto& field : fields_) width = std::max(width, display_width(field.label));
  for (const auto& field : fields_) {
    out << field.label << ':' << std::string(width - display_width(field.label) + 2, ' ') << field.value << '\n';
  }
}

}  // namespace duroxide::cli
