// JSON patch (RFC 6902, with JSON pointers of RFC 6901) and JSON merge patch (RFC 7386).
#include "api/patch.h"

#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "api/strategic_merge.h"

namespace sluice::api {

namespace json = boost::json;

namespace {

using strategic::jsonEqual;

// ---------------------------------------------------------------------------------------------
// JSON patch (RFC 6902) and JSON pointers (RFC 6901)
// ---------------------------------------------------------------------------------------------

// Failures of a well-formed operation against the object are 422 Invalid, like the API server
// answers them; a malformed patch document is 400 BadRequest.
Error operationFailed(std::string message) {
  Error e;
  e.code = 422;
  e.reason = "Invalid";
  e.message = std::move(message);
  return e;
}

Result<std::vector<std::string>> parsePointer(std::string_view pointer) {
  std::vector<std::string> tokens;
  if (pointer.empty()) return tokens;
  if (pointer.front() != '/') {
    return Error::badRequest("JSON pointer \"" + std::string(pointer) + "\" must start with /");
  }
  std::string token;
  for (std::size_t i = 1; i <= pointer.size(); ++i) {
    if (i == pointer.size() || pointer[i] == '/') {
      tokens.push_back(std::move(token));
      token.clear();
    } else if (pointer[i] == '~') {
      char next = i + 1 < pointer.size() ? pointer[i + 1] : '\0';
      if (next != '0' && next != '1') {
        return Error::badRequest("JSON pointer \"" + std::string(pointer) +
                                 "\" has an invalid ~ escape");
      }
      token += next == '0' ? '~' : '/';
      ++i;
    } else {
      token += pointer[i];
    }
  }
  return tokens;
}

// An array index token: digits without leading zeros. `-` (one past the end) is handled by add.
std::optional<std::size_t> parseIndex(const std::string& token) {
  if (token.empty() || token.size() > 9) return std::nullopt;
  if (token.size() > 1 && token[0] == '0') return std::nullopt;
  std::size_t index = 0;
  for (char c : token) {
    if (c < '0' || c > '9') return std::nullopt;
    index = index * 10 + static_cast<std::size_t>(c - '0');
  }
  return index;
}

json::value* resolve(json::value& root, const std::vector<std::string>& tokens, std::size_t count) {
  json::value* at = &root;
  for (std::size_t i = 0; i < count; ++i) {
    if (auto* o = at->if_object()) {
      at = o->if_contains(tokens[i]);
    } else if (auto* a = at->if_array()) {
      auto index = parseIndex(tokens[i]);
      at = index && *index < a->size() ? &(*a)[*index] : nullptr;
    } else {
      at = nullptr;
    }
    if (!at) return nullptr;
  }
  return at;
}

struct Operation {
  std::string op;
  std::string path;
  std::vector<std::string> tokens;
};

Status addValue(json::value& doc, const Operation& o, json::value value) {
  if (o.tokens.empty()) {
    doc = std::move(value);
    return {};
  }
  json::value* parent = resolve(doc, o.tokens, o.tokens.size() - 1);
  const std::string& last = o.tokens.back();
  if (parent && parent->is_object()) {
    parent->get_object()[last] = std::move(value);
    return {};
  }
  if (parent && parent->is_array()) {
    auto& array = parent->get_array();
    if (last == "-") {
      array.push_back(std::move(value));
      return {};
    }
    auto index = parseIndex(last);
    if (!index || *index > array.size()) {
      return operationFailed(o.op + " operation does not apply: index out of bounds: \"" + o.path +
                             "\"");
    }
    array.insert(array.begin() + static_cast<std::ptrdiff_t>(*index), std::move(value));
    return {};
  }
  return operationFailed(o.op + " operation does not apply: doc is missing path: \"" + o.path +
                         "\"");
}

Status removeValue(json::value& doc, const Operation& o, const std::vector<std::string>& tokens,
                   const std::string& path) {
  json::value* parent = tokens.empty() ? nullptr : resolve(doc, tokens, tokens.size() - 1);
  if (parent && parent->is_object() && parent->get_object().erase(tokens.back()) == 1) return {};
  if (parent && parent->is_array()) {
    auto index = parseIndex(tokens.back());
    auto& array = parent->get_array();
    if (index && *index < array.size()) {
      array.erase(array.begin() + static_cast<std::ptrdiff_t>(*index));
      return {};
    }
  }
  return operationFailed(o.op + " operation does not apply: doc is missing path: \"" + path + "\"");
}

Result<json::value> valueOf(const json::object& operation, const Operation& o) {
  const auto* value = operation.if_contains("value");
  if (!value) return Error::badRequest(o.op + " operation at \"" + o.path + "\" has no value");
  return *value;
}

Result<json::value> fromValue(json::value& doc, const json::object& operation, const Operation& o,
                              std::vector<std::string>& fromTokens, std::string& from) {
  const auto* f = operation.if_contains("from");
  if (!f || !f->is_string()) {
    return Error::badRequest(o.op + " operation at \"" + o.path + "\" has no \"from\"");
  }
  from = std::string(f->get_string());
  auto tokens = parsePointer(from);
  if (!tokens) return tokens.error();
  fromTokens = std::move(*tokens);
  json::value* source = resolve(doc, fromTokens, fromTokens.size());
  if (!source) {
    return operationFailed(o.op + " operation does not apply: doc is missing from path: \"" + from +
                           "\"");
  }
  return *source;
}

Status applyOperation(json::value& doc, const json::value& entry) {
  const auto* operation = entry.if_object();
  if (!operation) return Error::badRequest("JSON patch operation must be an object");
  const auto* op = operation->if_contains("op");
  const auto* path = operation->if_contains("path");
  if (!op || !op->is_string()) return Error::badRequest("JSON patch operation has no \"op\"");
  Operation o{std::string(op->get_string()), {}, {}};
  if (!path || !path->is_string()) {
    return Error::badRequest(o.op + " operation has no \"path\"");
  }
  o.path = std::string(path->get_string());
  auto tokens = parsePointer(o.path);
  if (!tokens) return tokens.error();
  o.tokens = std::move(*tokens);

  if (o.op == "add") {
    auto value = valueOf(*operation, o);
    if (!value) return value.error();
    return addValue(doc, o, std::move(*value));
  }
  if (o.op == "remove") return removeValue(doc, o, o.tokens, o.path);
  if (o.op == "replace") {
    auto value = valueOf(*operation, o);
    if (!value) return value.error();
    json::value* target = resolve(doc, o.tokens, o.tokens.size());
    if (!target) {
      return operationFailed("replace operation does not apply: doc is missing key: \"" + o.path +
                             "\"");
    }
    *target = std::move(*value);
    return {};
  }
  if (o.op == "test") {
    auto value = valueOf(*operation, o);
    if (!value) return value.error();
    json::value* target = resolve(doc, o.tokens, o.tokens.size());
    if (!target || !jsonEqual(*target, *value)) {
      return operationFailed("test operation failed: value at \"" + o.path + "\" is not " +
                             json::serialize(*value));
    }
    return {};
  }
  if (o.op == "move" || o.op == "copy") {
    std::vector<std::string> fromTokens;
    std::string from;
    auto value = fromValue(doc, *operation, o, fromTokens, from);
    if (!value) return value.error();
    if (o.op == "move") {
      if (from == o.path) return {};
      if (o.path.starts_with(from + "/")) {
        return operationFailed("move operation does not apply: \"" + o.path + "\" is inside \"" +
                               from + "\"");
      }
      if (auto st = removeValue(doc, o, fromTokens, from); !st) return st;
    }
    return addValue(doc, o, std::move(*value));
  }
  return Error::badRequest("unknown JSON patch operation \"" + o.op + "\" at \"" + o.path + "\"");
}

// RFC 7386 MergePatch(target, patch).
json::value mergePatch(const json::value& target, const json::value& patch) {
  const auto* p = patch.if_object();
  if (!p) return patch;
  json::object result = target.is_object() ? target.get_object() : json::object{};
  for (const auto& [key, value] : *p) {
    if (value.is_null()) {
      result.erase(key);
      continue;
    }
    const auto* existing = result.if_contains(key);
    result[key] = mergePatch(existing ? *existing : json::value(), value);
  }
  return result;
}

}  // namespace

Result<json::value> applyMergePatch(const json::value& target, const json::value& patch) {
  return mergePatch(target, patch);
}

Result<json::value> applyJsonPatch(const json::value& target, const json::value& patch) {
  const auto* operations = patch.if_array();
  if (!operations) return Error::badRequest("a JSON patch must be a list of operations");
  json::value doc = target;
  for (const auto& operation : *operations) {
    if (auto st = applyOperation(doc, operation); !st) return st.error();
  }
  return doc;
}

}  // namespace sluice::api
