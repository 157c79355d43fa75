#include "cli/tabwriter.h"

#include <vector>

namespace sluice::cli {

namespace {

struct Aligner {
  std::vector<std::vector<std::string>> lines;  // cells; the last one is not tab-terminated
  size_t minWidth, padding;
  std::vector<size_t> widths;
  std::string out;

  static size_t runeWidth(const std::string& s) {
    size_t n = 0;
    for (unsigned char c : s)
      if ((c & 0xC0) != 0x80) ++n;
    return n;
  }

  void writeLines(size_t from, size_t to) {
    for (size_t i = from; i < to; ++i) {
      const auto& cells = lines[i];
      for (size_t j = 0; j < cells.size(); ++j) {
        out += cells[j];
        if (j < widths.size() && j + 1 < cells.size()) {
          size_t w = runeWidth(cells[j]);
          if (w < widths[j]) out.append(widths[j] - w, ' ');
        }
      }
      if (i + 1 < lines.size()) out += '\n';
    }
  }

  void format(size_t line0, size_t line1) {
    size_t column = widths.size();
    for (size_t cur = line0; cur < line1; ++cur) {
      if (column + 1 >= lines[cur].size()) continue;
      writeLines(line0, cur);
      line0 = cur;
      size_t width = minWidth;
      for (; cur < line1; ++cur) {
        if (column + 1 >= lines[cur].size()) break;
        width = std::max(width, runeWidth(lines[cur][column]) + padding);
      }
      widths.push_back(width);
      format(line0, cur);
      widths.pop_back();
      line0 = cur;
    }
    writeLines(line0, line1);
  }
};

}  // namespace

std::string tabAlign(const std::string& text, size_t minWidth, size_t padding) {
  Aligner a;
  a.minWidth = minWidth;
  a.padding = padding;
  std::vector<std::string> cells;
  std::string cell;
  for (char c : text) {
    if (c == '\t') {
      cells.push_back(cell);
      cell.clear();
    } else if (c == '\n') {
      cells.push_back(cell);
      a.lines.push_back(std::move(cells));
      cells.clear();
      cell.clear();
    } else {
      cell += c;
    }
  }
  cells.push_back(cell);
  a.lines.push_back(std::move(cells));
  a.format(0, a.lines.size());
  return a.out;
}

}  // namespace sluice::cli
