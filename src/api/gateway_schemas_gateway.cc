// The schemas of Gateway (listeners and their CEL rules, addresses), GatewayClass and
// ReferenceGrant.
#include <algorithm>
#include <string>

#include "api/gateway_schemas.h"

namespace sluice::api::gateway {

using crd::Schema;
namespace json = boost::json;

namespace {

// CEL's `l.protocol.matches('(?i)^(HTTP|TCP|UDP)$')`.
bool protocolIs(const json::value& listener, std::string_view regex) {
  return crd::matches(regex, crd::text(listener, "protocol"));
}

// self.all(l, cond(l)).
template <class F>
auto all(F cond) {
  return [cond](const json::value& self) {
    const auto& a = self.get_array();
    return std::all_of(a.begin(), a.end(), cond);
  };
}

// self.all(l1, self.exists_one(l2, same(l1, l2))).
template <class F>
auto unique(F same) {
  return [same](const json::value& self) {
    const auto& a = self.get_array();
    return std::all_of(a.begin(), a.end(), [&](const json::value& l1) {
      return std::count_if(a.begin(), a.end(),
                           [&](const json::value& l2) { return same(l1, l2); }) == 1;
    });
  };
}

Schema routeGroupKind() {
  return Schema::object({
                            {"group", group().defaultTo("gateway.networking.k8s.io")},
                            {"kind", kind()},
                        })
      .required({"kind"});
}

Schema labelSelector() {
  Schema requirement = Schema::object({
                                          {"key", Schema::string()},
                                          {"operator", Schema::string()},
                                          {"values", Schema::array(Schema::string())},
                                      })
                           .required({"key", "operator"});
  return Schema::object({
      {"matchExpressions", Schema::array(requirement)},
      {"matchLabels", Schema::map(Schema::string())},
  });
}

Schema listener() {
  Schema allowedRoutes = Schema::object({
      {"kinds", Schema::array(routeGroupKind()).maxItems(8)},
      {"namespaces",
       Schema::object(
           {
               {"from", Schema::string().oneOf({"All", "Selector", "Same"}).defaultTo("Same")},
               {"selector", labelSelector()},
           })
           .defaultTo(json::object{{"from", "Same"}})},
  });
  Schema tls =
      Schema::object(
          {
              {"certificateRefs", Schema::array(objectReference("Secret")).maxItems(64)},
              {"mode", Schema::string().oneOf({"Terminate", "Passthrough"}).defaultTo("Terminate")},
              {"options", Schema::map(Schema::string().maxLength(4096)).maxProperties(16)},
          })
          .rule("certificateRefs or options must be specified when mode is Terminate",
                [](const json::value& self) {
                  const json::value* options = crd::member(self, "options");
                  bool hasOptions =
                      options && options->is_object() && !options->get_object().empty();
                  return crd::text(self, "mode") != "Terminate" ||
                         !crd::items(self, "certificateRefs").empty() || hasOptions;
                });
  return Schema::object(
             {
                 {"allowedRoutes", allowedRoutes.defaultTo(json::object{
                                       {"namespaces", json::object{{"from", "Same"}}}})},
                 {"hostname", hostname()},
                 {"name", sectionName()},
                 {"port", portNumber()},
                 {"protocol",
                  Schema::string().minLength(1).maxLength(255).pattern(
                      R"(^[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?$|[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/[A-Za-z0-9]+$)")},
                 {"tls", tls},
             })
      .required({"name", "port", "protocol"});
}

Schema listeners() {
  auto hostnameOf = [](const json::value& l) -> const json::value* {
    return crd::member(l, "hostname");
  };
  return Schema::array(listener())
      .minItems(1)
      .maxItems(64)
      .listMap({"name"})
      .rule("tls must not be specified for protocols ['HTTP', 'TCP', 'UDP']",
            all([](const json::value& l) {
              return !protocolIs(l, "(?i)^(HTTP|TCP|UDP)$") || !crd::has(l, "tls");
            }))
      .rule("tls mode must be Terminate for protocol HTTPS", all([](const json::value& l) {
              const json::value* tls = crd::member(l, "tls");
              if (!protocolIs(l, "(?i)^HTTPS$") || !tls) return true;
              std::string_view mode = crd::text(*tls, "mode");
              return mode.empty() || mode == "Terminate";
            }))
      .rule("tls mode must be set for protocol TLS", all([](const json::value& l) {
              const json::value* tls = crd::member(l, "tls");
              return !protocolIs(l, "(?i)^TLS$") || (tls && !crd::text(*tls, "mode").empty());
            }))
      .rule("hostname must not be specified for protocols ['TCP', 'UDP']",
            all([](const json::value& l) {
              return !protocolIs(l, "(?i)^(TCP|UDP)$") || crd::text(l, "hostname").empty();
            }))
      .rule("Listener name must be unique within the Gateway",
            unique([](const json::value& a, const json::value& b) {
              return crd::text(a, "name") == crd::text(b, "name");
            }))
      .rule("Combination of port, protocol and hostname must be unique for each listener",
            unique([hostnameOf](const json::value& a, const json::value& b) {
              const json::value* pa = crd::member(a, "port");
              const json::value* pb = crd::member(b, "port");
              if (!pa || !pb || *pa != *pb || crd::text(a, "protocol") != crd::text(b, "protocol"))
                return false;
              const json::value* ha = hostnameOf(a);
              const json::value* hb = hostnameOf(b);
              return ha && hb ? *ha == *hb : !ha && !hb;
            }));
}

constexpr std::string_view kHostnameAddress =
    R"(^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$)";

Schema addressType() {
  return Schema::string().minLength(1).maxLength(253).pattern(
      R"(^Hostname|IPAddress|NamedAddress|[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/[A-Za-z0-9\/\-._~%!$&'()*+,;=:]+$)");
}

Schema specAddresses() {
  Schema address =
      Schema::object({
                         {"type", addressType().defaultTo("IPAddress")},
                         {"value", Schema::string().maxLength(253)},
                     })
          .rule(
              "Hostname value must be empty or contain only valid characters (matching "
              "^(\\*\\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$)",
              [](const json::value& self) {
                return crd::text(self, "type") != "Hostname" || !crd::has(self, "value") ||
                       crd::matches(kHostnameAddress, crd::text(self, "value"));
              });
  auto uniqueValues = [](std::string type) {
    return [type](const json::value& self) {
      const auto& a = self.get_array();
      return std::all_of(a.begin(), a.end(), [&](const json::value& a1) {
        if (crd::text(a1, "type") != type || !crd::has(a1, "value")) return true;
        return std::count_if(a.begin(), a.end(), [&](const json::value& a2) {
                 return crd::text(a2, "type") == type && crd::has(a2, "value") &&
                        crd::text(a2, "value") == crd::text(a1, "value");
               }) == 1;
      });
    };
  };
  return Schema::array(address)
      .maxItems(16)
      .rule("IPAddress values must be unique", uniqueValues("IPAddress"))
      .rule("Hostname values must be unique", uniqueValues("Hostname"));
}

Schema gatewayStatus() {
  Schema address =
      Schema::object({
                         {"type", addressType().defaultTo("IPAddress")},
                         {"value", Schema::string().minLength(1).maxLength(253)},
                     })
          .required({"value"})
          .rule(
              "Hostname value must only contain valid characters (matching "
              "^(\\*\\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$)",
              [](const json::value& self) {
                return crd::text(self, "type") != "Hostname" ||
                       crd::matches(kHostnameAddress, crd::text(self, "value"));
              });
  Schema listenerStatus =
      Schema::object({
                         {"attachedRoutes", Schema::integer()},
                         {"conditions", conditions()},
                         {"name", sectionName()},
                         {"supportedKinds", Schema::array(routeGroupKind()).maxItems(8)},
                     })
          .required({"attachedRoutes", "conditions", "name", "supportedKinds"});
  return Schema::object(
             {
                 {"addresses", Schema::array(address).maxItems(16)},
                 {"conditions",
                  conditions().defaultTo(pendingStatus(true).as_object().at("conditions"))},
                 {"listeners", Schema::array(listenerStatus).maxItems(64).listMap({"name"})},
             })
      .defaultTo(pendingStatus(true));
}

}  // namespace

const Schema& gatewaySchema() {
  static const Schema schema = [] {
    Schema infrastructure = Schema::object({
        {"annotations", Schema::map(Schema::string().maxLength(4096)).maxProperties(16)},
        {"labels", Schema::map(Schema::string().maxLength(63)).maxProperties(8)},
        {"parametersRef", Schema::object({
                                             {"group", group()},
                                             {"kind", kind()},
                                             {"name", Schema::string().minLength(1).maxLength(253)},
                                         })
                              .required({"group", "kind", "name"})},
    });
    Schema spec = Schema::object({
                                     {"addresses", specAddresses()},
                                     {"gatewayClassName", objectName()},
                                     {"infrastructure", infrastructure},
                                     {"listeners", listeners()},
                                 })
                      .required({"gatewayClassName", "listeners"});
    return resource(spec, {"spec"}, gatewayStatus());
  }();
  return schema;
}

const Schema& gatewayClassSchema() {
  static const Schema schema = [] {
    Schema spec =
        Schema::object(
            {
                {"controllerName",
                 gatewayController().transitionRule(
                     "Value is immutable",
                     [](const json::value& self, const json::value& old) { return self == old; })},
                {"description", Schema::string().maxLength(64)},
                {"parametersRef",
                 Schema::object({
                                    {"group", group()},
                                    {"kind", kind()},
                                    {"name", Schema::string().minLength(1).maxLength(253)},
                                    {"namespace", namespaceName()},
                                })
                     .required({"group", "kind", "name"})},
            })
            .required({"controllerName"});
    Schema status =
        Schema::object(
            {
                {"conditions",
                 conditions().defaultTo(pendingStatus(false).as_object().at("conditions"))},
                {"supportedFeatures",
                 Schema::array(Schema::object({{"name", Schema::string()}}).required({"name"}))
                     .maxItems(64)
                     .listMap({"name"})},
            })
            .defaultTo(pendingStatus(false));
    return resource(spec, {"spec"}, status);
  }();
  return schema;
}

const Schema& referenceGrantSchema() {
  static const Schema schema = [] {
    Schema from = Schema::object({
                                     {"group", group()},
                                     {"kind", kind()},
                                     {"namespace", namespaceName()},
                                 })
                      .required({"group", "kind", "namespace"});
    Schema to = Schema::object({
                                   {"group", group()},
                                   {"kind", kind()},
                                   {"name", objectName()},
                               })
                    .required({"group", "kind"});
    Schema spec = Schema::object({
                                     {"from", Schema::array(from).minItems(1).maxItems(16)},
                                     {"to", Schema::array(to).minItems(1).maxItems(16)},
                                 })
                      .required({"from", "to"});
    return resource(spec, {"spec"}, std::nullopt);
  }();
  return schema;
}

}  // namespace sluice::api::gateway
