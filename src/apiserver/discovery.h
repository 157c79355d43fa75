// Discovery (/api, /apis, aggregated and legacy), /version and the minimal OpenAPI documents
// kubectl needs to validate server-side. All generated from the resource table.
#pragma once

#include <boost/json.hpp>
#include <optional>
#include <string>

namespace sluice::apiserver {

struct DiscoveryDocument {
  std::string contentType;
  boost::json::value body;
};

boost::json::value versionInfo();
// `core` selects /api (else /apis). Aggregated discovery (v2 or v2beta1) when `accept` asks for
// it, legacy APIVersions/APIGroupList otherwise.
DiscoveryDocument discoveryRoot(bool core, const std::string& accept,
                                const std::string& serverAddress);
std::optional<boost::json::value> discoveryGroup(const std::string& group);
std::optional<boost::json::value> discoveryResources(const std::string& group,
                                                     const std::string& version);
boost::json::value openApiV3Index();
// `relative`: "api/v1" or "apis/apps/v1".
std::optional<boost::json::value> openApiV3Document(const std::string& relative);

}  // namespace sluice::apiserver
