// The server's TLS identity: a cluster CA kept in the data dir, and a serving certificate for the
// listen address signed by it at every start. kubectl only sends bearer tokens over TLS, so the
// kubeconfig the server writes points at https:// and carries the CA.
#pragma once

#include <string>
#include <vector>

#include "api/error.h"

namespace sluice::apiserver {

struct TlsIdentity {
  std::string caCertPem;
  std::string certPem;  // serving certificate
  std::string keyPem;   // its private key
};

// Loads DIR/ca.crt and DIR/ca.key (creating them on first use, key mode 0600) and issues a serving
// certificate whose subjectAltNames cover `hosts` (IPs or DNS names) plus 127.0.0.1, ::1 and
// localhost.
api::Result<TlsIdentity> loadOrCreateTlsIdentity(const std::string& dir,
                                                 const std::vector<std::string>& hosts);

}  // namespace sluice::apiserver
