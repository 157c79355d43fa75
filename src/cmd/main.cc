// sluice: one binary. `sluice server` runs the cluster, `sluice http-echo` is the built-in test
// server used as an image; every other first word is a kubectl verb.
#include <string_view>

#include "cli/cli.h"
#include "cmd/commands.h"
#include "echo/http_echo.h"

int main(int argc, char** argv) {
  if (argc >= 2) {
    std::string_view sub = argv[1];
    if (sub == "server") return sluice::cmd::runServer(argc - 1, argv + 1);
    if (sub == "http-echo") return sluice::echo::runHttpEcho(argc - 1, argv + 1);
  }
  return sluice::cli::run(argc, argv);
}
