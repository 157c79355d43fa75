#pragma once

#include "api/error.h"

namespace sluice::cli {

// Errors found by the CLI itself (printed `error: ...`), as opposed to errors from the server
// (printed `Error from server (Reason): ...`).
inline api::Error clientError(std::string message) {
  api::Error e;
  e.code = 0;
  e.reason = "";
  e.message = std::move(message);
  return e;
}
inline bool isClientError(const api::Error& e) {
  return e.code == 0;
}

}  // namespace sluice::cli
