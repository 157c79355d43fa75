// The `sluice <verb>` command line: kubectl's verbs, flags and output over the Kubernetes API.
#pragma once

namespace sluice::cli {

// argv[0] is the program, argv[1] the verb. Returns the process exit status.
int run(int argc, char** argv);

}  // namespace sluice::cli
