// The image catalog as the agent reads it: DATA/images.yaml, then every --image-catalog file,
// merged in that order (later entries win), and read again when one of the files changes, so a
// user can add an image without restarting the server.
//
// Threading: safe from any thread.
#pragma once

#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/log.h"
#include "node/image_catalog.h"

namespace sluice::node {

class CatalogFiles {
 public:
  // `paths` in merge order; a missing file is an empty one.
  explicit CatalogFiles(std::vector<std::string> paths, base::Logger log = base::nullLogger());

  const std::vector<std::string>& paths() const { return paths_; }

  struct Lookup {
    std::optional<ResolvedImage> image;  // nullopt: no entry matches
    std::string problem;  // the last file that failed to parse, and why; "" when none did
  };
  // Reads the files again if one changed (or nothing was read yet), then resolves `image` as
  // ImageCatalog::resolve does. A file that fails to parse is left out.
  Lookup resolve(std::string_view image, std::string_view sluiceBinary,
                 std::string_view httpEchoBinary);

 private:
  void refreshLocked();

  const std::vector<std::string> paths_;
  base::Logger log_;
  std::mutex mu_;
  ImageCatalog catalog_;
  std::map<std::string, std::filesystem::file_time_type> times_;
  std::string problem_;
};

}  // namespace sluice::node
