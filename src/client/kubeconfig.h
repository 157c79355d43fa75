// Kubeconfig files: reading the current context (server, token, namespace) and writing the one
// `sluice server` hands to its users.
#pragma once

#include <string>

#include "api/error.h"

namespace sluice::client {

struct ClusterAccess {
  std::string server;      // "http://127.0.0.1:6443"
  std::string token;       // bearer token, may be empty
  std::string namespace_;  // the context's namespace, "default" when unset
  std::string source;      // the file it came from, for messages
  std::string caPem;       // the cluster's CA (certificate-authority[-data]); empty: system roots
  bool insecureSkipTlsVerify = false;
};

// Loads `path` (YAML) and resolves its current context, or `context` when given.
api::Result<ClusterAccess> loadKubeconfig(const std::string& path, const std::string& context = "");

// Where a kubeconfig is looked for: the flag, then $KUBECONFIG (first entry), then
// `<default data dir>/kubeconfig`, then ~/.kube/config.
std::string findKubeconfig(const std::string& flagValue);

// The server's default data dir: $XDG_DATA_HOME/sluice, else ~/.local/share/sluice.
std::string defaultDataDir();

// Writes a kubeconfig for `server` and `token` to `path` atomically (temp file + rename), mode
// 0600.
api::Status writeKubeconfig(const std::string& path, const std::string& server,
                            const std::string& token, const std::string& caPem);

}  // namespace sluice::client
