// A table for the human output: a header and rows of cells, columns aligned by display width.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace duroxide::cli {

class Table {
 public:
  explicit Table(std::vector<std::string> header) : header_(std::move(header)) {}

  /// A row of raw values: each cell is escaped (text.hpp) when printed; an empty cell prints "-".
  void add_row(std::vector<std::string> cells);
  /// A row of cells already rendered with escape() or quote(): printed as given ("" as "-").
  void add_rendered_row(std::vector<std::string> cells);
  bool empty() const { return rows_.empty(); }

  /// The header and the rows, two spaces between columns, the last column not padded.
  void print(std::ostream& out) const;

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

/// Label/value lines ("name:    value"), labels padded to one width. Values are printed as given:
/// render them with escape() or quote() first.
class Fields {
 public:
  void add(std::string label, std::string rendered) { fields_.push_back({std::move(label), std::move(rendered)}); }
  void print(std::ostream& out) const;

 private:
  struct Field {
    std::string label;
    std::string value;
  };
  std::vector<Field> fields_;
};

}  // namespace duroxide::cli
