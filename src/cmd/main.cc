// sluice: one binary. `sluice server` runs the cluster; every other first word is a kubectl verb.
#include <cstring>
#include <string_view>

#include "cli/cli.h"
#include "cmd/commands.h"

int main(int argc, char** argv) {
  if (argc >= 2 && std::string_view(argv[1]) == "server") return sluice::cmd::runServer(argc - 1, argv + 1);
  return sluice::cli::run(argc, argv);
}
