#include "node/catalog_files.h"

#include <fstream>
#include <sstream>

namespace sluice::node {

CatalogFiles::CatalogFiles(std::vector<std::string> paths, base::Logger log)
    : paths_(std::move(paths)), log_(std::move(log)) {}

CatalogFiles::Lookup CatalogFiles::resolve(std::string_view image, std::string_view sluiceBinary,
                                           std::string_view httpEchoBinary) {
  std::lock_guard lock(mu_);
  refreshLocked();
  return {catalog_.resolve(image, sluiceBinary, httpEchoBinary), problem_};
}

void CatalogFiles::refreshLocked() {
  std::map<std::string, std::filesystem::file_time_type> times;
  for (const auto& p : paths_) {
    std::error_code ec;
    auto t = std::filesystem::last_write_time(p, ec);
    if (!ec) times[p] = t;
  }
  // An empty catalog is read again every time: the files may have been empty or broken.
  if (times == times_ && !catalog_.empty()) return;
  times_ = times;
  ImageCatalog merged;
  problem_.clear();
  for (const auto& p : paths_) {
    if (!times.count(p)) continue;
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    auto parsed = ImageCatalog::parse(ss.str(), p);
    if (!parsed) {
      problem_ = parsed.error().message;
      log_->warn("image catalog {} left out: {}", p, problem_);
      continue;
    }
    merged.merge(*parsed);
  }
  catalog_ = std::move(merged);
}

}  // namespace sluice::node
