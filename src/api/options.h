// The options of API requests, shared by the API server (which serves them) and every client
// (which sends them): list and watch, writes, deletes, and the patch types.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace sluice::api {

struct ListOptions {
  std::string labelSelector;
  std::string fieldSelector;
  int64_t limit = 0;
  std::string continueToken;
  std::string resourceVersion;  // for watch: start after this revision; "" or "0" = now
};

enum class PatchType { Strategic, Merge, Json };

struct WriteOptions {
  bool dryRun = false;
  std::string fieldManager;
};

struct DeleteOptions {
  std::string propagationPolicy;  // "Background" (default), "Foreground", "Orphan"
  std::optional<int64_t> gracePeriodSeconds;
  std::string preconditionUid;
  std::string preconditionResourceVersion;
  bool dryRun = false;
};

}  // namespace sluice::api
