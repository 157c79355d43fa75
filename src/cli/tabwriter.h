// Go's text/tabwriter column alignment, which kubectl's describe output is made with: cells are
// tab-terminated, and each column is aligned over the consecutive lines that have it.
#pragma once

#include <string>

namespace sluice::cli {

// Aligns `text` (lines of '\t'-terminated cells) with Go tabwriter semantics.
std::string tabAlign(const std::string& text, size_t minWidth, size_t padding);

}  // namespace sluice::cli
