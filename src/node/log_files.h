// Container log files as the agent keeps them: one file per run of a container,
// DATA/pods/<ns>_<pod>_<uid>/<container>/<run>.log (run 0, 1, ... = the restart count when it
// started), holding everything the process wrote to stdout and stderr. Read through LogStream.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "node/pod_logs.h"

namespace sluice::node {

// The file of a container's run `run` in `logDir`.
std::string logFilePath(const std::string& logDir, int64_t run);

// The last `n` lines of `text` (all of it when it has fewer; none when n is 0). A final line
// without a newline counts as a line.
std::string tailLines(std::string_view text, int64_t n);

// Opens `path` (an unreadable file reads as empty), cut to its last `tail` lines if given. With
// `alive`, the stream follows the file: it goes on while alive() holds, which the stream calls on
// every read from the reader's thread.
std::shared_ptr<LogStream> openLogFile(const std::string& path, std::optional<int64_t> tail,
                                       std::function<bool()> alive = {});

}  // namespace sluice::node
