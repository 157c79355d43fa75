#include "api/gateway_validation.h"

#include <re2/re2.h>

#include "api/gateway_schemas.h"

namespace sluice::api {

namespace {

const crd::Schema* schemaFor(const ResourceType& type) {
  if (type.kind == "HTTPRoute") return &gateway::httpRouteSchema();
  if (type.kind == "TCPRoute") return &gateway::tcpRouteSchema();
  if (type.kind == "Gateway") return &gateway::gatewaySchema();
  if (type.kind == "GatewayClass") return &gateway::gatewayClassSchema();
  if (type.kind == "ReferenceGrant") return &gateway::referenceGrantSchema();
  return nullptr;
}

}  // namespace

void applyGatewayDefaults(boost::json::object& object, const ResourceType& type) {
  const crd::Schema* schema = schemaFor(type);
  if (!schema) return;
  boost::json::value whole(std::move(object));
  crd::applyDefaults(*schema, whole);
  object = std::move(whole.as_object());
}

std::vector<Cause> validateGatewayApi(const boost::json::object& object,
                                      const boost::json::object* old, const ResourceType& type) {
  const crd::Schema* schema = schemaFor(type);
  if (!schema) return {};
  boost::json::value oldValue = old ? boost::json::value(*old) : boost::json::value();
  return crd::validate(*schema, boost::json::value(object), old ? &oldValue : nullptr);
}

std::optional<std::string> gatewayRegexError(std::string_view pattern) {
  RE2::Options options;
  options.set_log_errors(false);
  RE2 re(re2::StringPiece(pattern.data(), pattern.size()), options);
  if (re.ok()) return std::nullopt;
  return "invalid regular expression " + crd::goValue(boost::json::string(pattern)) + ": " +
         re.error();
}

}  // namespace sluice::api
