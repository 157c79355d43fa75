// Schemas shared by the Gateway API kinds, and TCPRoute's.
#include <string>

#include "api/gateway_resources.h"
#include "api/gateway_schemas.h"

namespace sluice::api::gateway {

using crd::Schema;
namespace json = boost::json;

namespace {

const std::string kSubdomain = R"([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*)";

// Members absent or empty compare as CEL's `!has(x) || x == ''` does.
bool unset(const json::value& v, std::string_view key) {
  const json::value* m = crd::member(v, key);
  return !m || (m->is_string() && m->get_string().empty()) ||
         (m->is_int64() && m->get_int64() == 0);
}

bool sameOptional(const json::value& a, const json::value& b, std::string_view key) {
  if (unset(a, key) && unset(b, key)) return true;
  const json::value* x = crd::member(a, key);
  const json::value* y = crd::member(b, key);
  return x && y && *x == *y;
}

// group, kind and name equal, and both namespaces unset or equal.
bool sameParent(const json::value& a, const json::value& b) {
  if (crd::text(a, "group") != crd::text(b, "group") ||
      crd::text(a, "kind") != crd::text(b, "kind") || crd::text(a, "name") != crd::text(b, "name"))
    return false;
  bool aUnset = unset(a, "namespace"), bUnset = unset(b, "namespace");
  if (aUnset || bUnset) return aUnset && bUnset;
  return crd::text(a, "namespace") == crd::text(b, "namespace");
}

}  // namespace

Schema group() {
  return Schema::string().maxLength(253).pattern("^$|^" + kSubdomain + "$");
}
Schema kind() {
  return Schema::string().minLength(1).maxLength(63).pattern(
      R"(^[a-zA-Z]([-a-zA-Z0-9]*[a-zA-Z0-9])?$)");
}
Schema objectName() {
  return Schema::string().minLength(1).maxLength(253);
}
Schema namespaceName() {
  return Schema::string().minLength(1).maxLength(63).pattern(R"(^[a-z0-9]([-a-z0-9]*[a-z0-9])?$)");
}
Schema sectionName() {
  return Schema::string().minLength(1).maxLength(253).pattern("^" + kSubdomain + "$");
}
Schema portNumber() {
  return Schema::integer().minimum(1).maximum(65535);
}
Schema hostname() {
  return Schema::string().minLength(1).maxLength(253).pattern(R"(^(\*\.)?)" + kSubdomain + "$");
}
Schema preciseHostname() {
  return Schema::string().minLength(1).maxLength(253).pattern("^" + kSubdomain + "$");
}
Schema duration() {
  return Schema::string().pattern(R"(^([0-9]{1,5}(h|m|s|ms)){1,4}$)");
}

Schema objectReference(std::string_view defaultKind) {
  return Schema::object({
                            {"group", group().defaultTo("")},
                            {"kind", kind().defaultTo(json::string(defaultKind))},
                            {"name", objectName()},
                            {"namespace", namespaceName()},
                        })
      .required({"name"});
}

Schema parentReference() {
  return Schema::object({
                            {"group", group().defaultTo(json::string(kGatewayGroup))},
                            {"kind", kind().defaultTo("Gateway")},
                            {"name", objectName()},
                            {"namespace", namespaceName()},
                            {"port", portNumber()},
                            {"sectionName", sectionName()},
                        })
      .required({"name"});
}

Schema parentRefs() {
  return Schema::array(parentReference())
      .maxItems(32)
      .rule(
          "sectionName or port must be specified when parentRefs includes 2 or more references "
          "to the same parent",
          [](const json::value& self) {
            for (const auto& p1 : self.get_array())
              for (const auto& p2 : self.get_array())
                if (sameParent(p1, p2) && (unset(p1, "sectionName") != unset(p2, "sectionName") ||
                                           unset(p1, "port") != unset(p2, "port")))
                  return false;
            return true;
          })
      .rule(
          "sectionName or port must be unique when parentRefs includes 2 or more references to "
          "the same parent",
          [](const json::value& self) {
            for (const auto& p1 : self.get_array()) {
              int same = 0;
              for (const auto& p2 : self.get_array())
                if (sameParent(p1, p2) && sameOptional(p1, p2, "sectionName") &&
                    sameOptional(p1, p2, "port"))
                  ++same;
              if (same != 1) return false;
            }
            return true;
          });
}

Schema backendRef() {
  return objectReference("Service")
      .with("port", portNumber())
      .with("weight", Schema::integer().minimum(0).maximum(1000000).defaultTo(1))
      .rule("Must have port for Service reference", [](const json::value& self) {
        bool coreService = crd::text(self, "group").empty() && crd::text(self, "kind") == "Service";
        return !coreService || crd::has(self, "port");
      });
}

Schema conditions() {
  Schema condition =
      Schema::object({
                         {"lastTransitionTime", Schema::string()},
                         {"message", Schema::string().maxLength(32768)},
                         {"observedGeneration", Schema::integer().minimum(0)},
                         {"reason", Schema::string().minLength(1).maxLength(1024).pattern(
                                        R"(^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$)")},
                         {"status", Schema::string().oneOf({"True", "False", "Unknown"})},
                         {"type", Schema::string().maxLength(316).pattern(
                                      "^(" + kSubdomain +
                                      R"(/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$)")},
                     })
          .required({"lastTransitionTime", "message", "reason", "status", "type"});
  return Schema::array(condition).maxItems(8).listMap({"type"});
}

Schema gatewayController() {
  return Schema::string().minLength(1).maxLength(253).pattern(
      "^" + kSubdomain + R"(\/[A-Za-z0-9\/\-._~%!$&'()*+,;=:]+$)");
}

Schema routeStatus() {
  Schema parent = Schema::object({
                                     {"conditions", conditions().minItems(1)},
                                     {"controllerName", gatewayController()},
                                     {"parentRef", parentReference()},
                                 })
                      .required({"conditions", "controllerName", "parentRef"});
  return Schema::object({{"parents", Schema::array(parent).maxItems(32)}}).required({"parents"});
}

json::value pendingStatus(bool withProgrammed) {
  auto pending = [](std::string_view type) {
    return json::object{{"lastTransitionTime", "1970-01-01T00:00:00Z"},
                        {"message", "Waiting for controller"},
                        {"reason", "Pending"},
                        {"status", "Unknown"},
                        {"type", json::string(type)}};
  };
  json::array conditions{pending("Accepted")};
  if (withProgrammed) conditions.push_back(pending("Programmed"));
  return json::object{{"conditions", std::move(conditions)}};
}

Schema resource(Schema spec, std::vector<std::string> required, std::optional<Schema> status) {
  Schema root = Schema::object({
                                   {"apiVersion", Schema::string()},
                                   {"kind", Schema::string()},
                                   {"metadata", Schema::object()},
                                   {"spec", std::move(spec)},
                               })
                    .required(std::move(required));
  if (status) root = root.with("status", std::move(*status));
  return root;
}

// TCPRoute: v1 and v1alpha2 have the same schema.
const Schema& tcpRouteSchema() {
  static const Schema schema = [] {
    Schema rule =
        Schema::object({
                           {"backendRefs", Schema::array(backendRef()).minItems(1).maxItems(16)},
                           {"name", sectionName()},
                       })
            .required({"backendRefs"});
    Schema spec =
        Schema::object({
                           {"parentRefs", parentRefs()},
                           {"rules", Schema::array(rule).minItems(1).maxItems(16).rule(
                                         "Rule name must be unique within the route",
                                         [](const json::value& self) {
                                           for (const auto& r1 : self.get_array()) {
                                             if (!crd::has(r1, "name")) continue;
                                             int same = 0;
                                             for (const auto& r2 : self.get_array())
                                               if (crd::has(r2, "name") &&
                                                   crd::text(r1, "name") == crd::text(r2, "name"))
                                                 ++same;
                                             if (same != 1) return false;
                                           }
                                           return true;
                                         })},
                       })
            .required({"rules"});
    return resource(spec, {"spec"}, routeStatus());
  }();
  return schema;
}

}  // namespace sluice::api::gateway
