#pragma once

namespace sluice::cmd {

// `sluice server [--data-dir DIR] [--listen HOST:PORT]`; argv[0] is "server".
int runServer(int argc, char** argv);

}  // namespace sluice::cmd
