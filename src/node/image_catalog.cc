#include "node/image_catalog.h"

#include <charconv>
#include <filesystem>
#include <map>
#include <set>
#include <system_error>
#include <utility>

#include "api/object.h"
#include "api/yaml.h"

namespace sluice::node {

namespace json = boost::json;

namespace {

constexpr std::string_view kSluicePlaceholder = "{sluice}";
constexpr std::string_view kHttpEchoPlaceholder = "{http-echo}";

// ---------------------------------------------------------------------------------------------
// Image references.

struct Reference {
  std::string domain;  // "docker.io" when the reference names none
  std::string path;    // "library/nginx"
  std::string tag;     // "" when none
  std::string digest;  // "sha256:..." or ""
};

// Splits a reference the way github.com/distribution/reference does, without validating it:
// the first component is a registry when it has a '.' or ':', is "localhost", or has an
// upper-case letter (repository names are lower case); otherwise the image is on Docker Hub.
Reference splitReference(std::string_view image) {
  Reference ref;
  if (size_t at = image.find('@'); at != std::string_view::npos) {
    ref.digest = std::string(image.substr(at + 1));
    image = image.substr(0, at);
  }
  size_t lastSlash = image.rfind('/');
  size_t colon = image.rfind(':');
  if (colon != std::string_view::npos &&
      (lastSlash == std::string_view::npos || colon > lastSlash)) {
    ref.tag = std::string(image.substr(colon + 1));
    image = image.substr(0, colon);
  }
  size_t slash = image.find('/');
  std::string_view first = image.substr(0, slash);
  bool hasRegistry = slash != std::string_view::npos &&
                     (first.find_first_of(".:") != std::string_view::npos || first == "localhost" ||
                      first.find_first_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ") != std::string_view::npos);
  if (hasRegistry) {
    ref.domain = std::string(first);
    ref.path = std::string(image.substr(slash + 1));
  } else {
    ref.domain = "docker.io";
    ref.path = std::string(image);
  }
  if (ref.domain == "index.docker.io") ref.domain = "docker.io";
  if (ref.domain == "docker.io" && ref.path.find('/') == std::string::npos) {
    ref.path = "library/" + ref.path;
  }
  if (ref.tag.empty() && ref.digest.empty()) ref.tag = "latest";
  return ref;
}

std::string joinReference(std::string_view domainAndPath, const Reference& ref) {
  std::string out(domainAndPath);
  if (!ref.tag.empty()) out += ":" + ref.tag;
  if (!ref.digest.empty()) out += "@" + ref.digest;
  return out;
}

// The short form Docker prints: "nginx:latest", "user/app:v2", "example.com/nginx:v1".
std::string familiarReference(const Reference& ref) {
  if (ref.domain != "docker.io") return joinReference(ref.domain + "/" + ref.path, ref);
  std::string_view path = ref.path;
  constexpr std::string_view kLibrary = "library/";
  if (path.starts_with(kLibrary) && path.find('/', kLibrary.size()) == std::string_view::npos) {
    path.remove_prefix(kLibrary.size());
  }
  return joinReference(path, ref);
}

bool isWildcard(std::string_view pattern) {
  return pattern.find('*') != std::string_view::npos;
}

// Two entries are for the same image when their wildcard patterns are equal or their exact
// references normalise to the same image.
std::string entryKey(std::string_view pattern) {
  return isWildcard(pattern) ? std::string(pattern) : canonicalImageReference(pattern);
}

void replaceAll(std::string& s, std::string_view from, std::string_view to) {
  for (size_t pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size())) {
    s.replace(pos, from.size(), to);
  }
}

// ---------------------------------------------------------------------------------------------
// Catalog parsing.

// A scalar as a user would have written it: 1.5 rather than boost::json's 1.5E0.
std::string scalarText(const json::value& v) {
  if (!v.is_double()) return json::serialize(v);
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v.get_double());
  return ec == std::errc() ? std::string(buf, end) : json::serialize(v);
}

// How a wrong value reads in a message: scalars as written, collections by kind.
std::string describeValue(const json::value& v) {
  switch (v.kind()) {
    case json::kind::array:
      return "a list";
    case json::kind::object:
      return "a mapping";
    default:
      return scalarText(v);
  }
}

std::string mustBeString(const json::value& v) {
  std::string msg = "must be a string, got " + describeValue(v);
  if (v.is_number() || v.is_bool()) msg += " (quote it: \"" + scalarText(v) + "\")";
  return msg;
}

class CatalogParser {
 public:
  explicit CatalogParser(std::string_view source) : source_(source) {}

  api::Error error(std::string_view where, std::string_view what) const {
    std::string msg = "image catalog " + std::string(source_) + ": ";
    if (!where.empty()) msg += std::string(where) + ": ";
    return api::Error::badRequest(msg + std::string(what));
  }

  api::Result<std::string> string(const json::value& v, const std::string& where) const {
    if (!v.is_string()) return error(where, mustBeString(v));
    std::string s(v.get_string());
    if (s.find('\0') != std::string::npos) return error(where, "must not contain a NUL character");
    return s;
  }

  api::Result<std::vector<std::string>> stringList(const json::value& v,
                                                   const std::string& where) const {
    std::vector<std::string> out;
    if (v.is_null()) return out;
    if (!v.is_array()) return error(where, "must be a list of strings, got " + describeValue(v));
    for (size_t i = 0; i < v.get_array().size(); ++i) {
      auto s = string(v.get_array()[i], where + "[" + std::to_string(i) + "]");
      if (!s) return s.error();
      out.push_back(std::move(*s));
    }
    return out;
  }

  api::Result<std::vector<EnvVar>> env(const json::value& v, const std::string& where) const {
    std::vector<EnvVar> out;
    if (v.is_null()) return out;
    if (!v.is_object()) {
      return error(where, "must be a mapping of names to values, got " + describeValue(v));
    }
    for (const auto& [key, value] : v.get_object()) {
      std::string name(key);
      if (name.empty() || name.find('=') != std::string::npos ||
          name.find('\0') != std::string::npos) {
        return error(where, "invalid variable name \"" + name + "\"");
      }
      auto s = string(value, where + "." + name);
      if (!s) return s.error();
      out.push_back({std::move(name), std::move(*s)});
    }
    return out;
  }

  api::Result<CatalogEntry> entry(const json::value& v, size_t index) const {
    const std::string where = "images[" + std::to_string(index) + "]";
    if (!v.is_object()) {
      return error(where, "must be a mapping with an \"image\" field, got " + describeValue(v));
    }
    const json::object& o = v.get_object();
    CatalogEntry e;
    e.source = std::string(source_);
    const json::value* image = o.if_contains("image");
    if (!image || image->is_null()) return error(where, "missing field \"image\"");
    auto pattern = string(*image, where + ".image");
    if (!pattern) return pattern.error();
    if (pattern->empty()) return error(where + ".image", "must not be empty");
    if (pattern->find_first_of(" \t\r\n") != std::string::npos) {
      return error(where + ".image", "must not contain whitespace, got \"" + *pattern + "\"");
    }
    e.pattern = std::move(*pattern);
    for (const auto& [key, value] : o) {
      const std::string field = where + "." + std::string(key);
      if (key == "image") continue;
      if (key == "command" || key == "args") {
        auto list = stringList(value, field);
        if (!list) return list.error();
        (key == "command" ? e.spec.command : e.spec.args) = std::move(*list);
      } else if (key == "env") {
        auto vars = env(value, field);
        if (!vars) return vars.error();
        e.spec.env = std::move(*vars);
      } else if (key == "workingDir") {
        if (value.is_null()) continue;
        auto dir = string(value, field);
        if (!dir) return dir.error();
        e.spec.workingDir = std::move(*dir);
      } else {
        return error(where, "unknown field \"" + std::string(key) +
                                "\" (known: image, command, args, env, workingDir)");
      }
    }
    return e;
  }

 private:
  std::string_view source_;
};

// ---------------------------------------------------------------------------------------------
// Container → process.

// The variables $(VAR) references may name: the container's own (latest value of a name wins)
// and then the runtime's.
class ReferenceScope {
 public:
  ReferenceScope(const std::vector<EnvVar>& container, const std::vector<EnvVar>& runtime)
      : container_(container), runtime_(runtime) {}

  std::optional<std::string_view> operator()(std::string_view name) const {
    for (auto it = container_.rbegin(); it != container_.rend(); ++it) {
      if (it->name == name) return std::string_view(it->value);
    }
    for (auto it = runtime_.rbegin(); it != runtime_.rend(); ++it) {
      if (it->name == name) return std::string_view(it->value);
    }
    return std::nullopt;
  }

 private:
  const std::vector<EnvVar>& container_;
  const std::vector<EnvVar>& runtime_;
};

// Sets `name` in `env`: replaces the value in place when present, else appends.
void setEnv(std::vector<EnvVar>& env, const EnvVar& var) {
  for (EnvVar& existing : env) {
    if (existing.name == var.name) {
      existing.value = var.value;
      return;
    }
  }
  env.push_back(var);
}

class ContainerReader {
 public:
  ContainerReader(const json::value& container) {
    std::string name = api::getString(container, "name");
    prefix_ = name.empty() ? "container: " : "container \"" + name + "\": ";
  }

  api::Error error(std::string_view where, std::string_view what) const {
    return api::Error::badRequest(prefix_ + std::string(where) + ": " + std::string(what));
  }

  api::Result<std::vector<std::string>> stringList(const json::object& c,
                                                   std::string_view field) const {
    std::vector<std::string> out;
    const json::value* v = c.if_contains(field);
    if (!v || v->is_null()) return out;
    if (!v->is_array()) return error(field, "must be a list of strings, got " + describeValue(*v));
    for (size_t i = 0; i < v->get_array().size(); ++i) {
      const json::value& item = v->get_array()[i];
      if (!item.is_string()) {
        return error(std::string(field) + "[" + std::to_string(i) + "]", mustBeString(item));
      }
      out.emplace_back(item.get_string());
    }
    return out;
  }

  // The value of a downward-API field for env (the fields Kubernetes allows there).
  api::Result<std::string> fieldRef(const json::value& ref, const std::string& where,
                                    const json::value* pod) const {
    std::string path = api::getString(ref, "fieldPath");
    if (path.empty()) return error(where, "fieldPath is required");
    if (!pod) return error(where, "the pod is not known, so " + path + " cannot be read");
    // metadata.labels['app'] and metadata.annotations['x']
    for (std::string_view map : {"metadata.labels", "metadata.annotations"}) {
      if (path.starts_with(std::string(map) + "['") && path.ends_with("']")) {
        std::string key = path.substr(map.size() + 2, path.size() - map.size() - 4);
        const json::value* m = api::find(*pod, map);
        const json::value* v = m && m->is_object() ? m->get_object().if_contains(key) : nullptr;
        return v && v->is_string() ? std::string(v->get_string()) : std::string();
      }
    }
    static const char* const kScalarFields[] = {
        "metadata.name",           "metadata.namespace", "metadata.uid", "spec.nodeName",
        "spec.serviceAccountName", "status.hostIP",      "status.podIP"};
    for (const char* field : kScalarFields) {
      if (path == field) return api::getString(*pod, path);
    }
    if (path == "status.podIPs" || path == "status.hostIPs") {
      // Lists of {ip: ...}; the kubelet joins them with commas.
      std::string joined;
      const json::value* list = api::find(*pod, path);
      if (list && list->is_array()) {
        for (const json::value& item : list->get_array()) {
          std::string ip = api::getString(item, "ip");
          if (ip.empty()) continue;
          if (!joined.empty()) joined += ",";
          joined += ip;
        }
      }
      return joined;
    }
    return error(where + ".fieldPath", "unsupported field \"" + path + "\"");
  }

 private:
  std::string prefix_;
};

}  // namespace

// ---------------------------------------------------------------------------------------------

std::string canonicalImageReference(std::string_view image) {
  Reference ref = splitReference(image);
  return joinReference(ref.domain + "/" + ref.path, ref);
}

bool wildcardMatch(std::string_view pattern, std::string_view text) {
  // Greedy with one backtrack point: on a mismatch, let the last '*' swallow one more character.
  // Linear for the patterns catalogs hold, O(pattern × text) at worst.
  size_t p = 0, t = 0;
  size_t starP = std::string_view::npos, starT = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      starP = p++;
      starT = t;
    } else if (p < pattern.size() && pattern[p] == text[t]) {
      ++p, ++t;
    } else if (starP != std::string_view::npos) {
      p = starP + 1;
      t = ++starT;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

std::string expandReferences(std::string_view input, const EnvLookup& lookup) {
  std::string out;
  out.reserve(input.size());
  for (size_t i = 0; i < input.size(); ++i) {
    if (input[i] != '$' || i + 1 == input.size()) {
      out += input[i];
      continue;
    }
    char next = input[i + 1];
    if (next == '$') {  // "$$" is an escaped "$"
      out += '$';
      ++i;
    } else if (next == '(') {
      size_t close = input.find(')', i + 2);
      if (close == std::string_view::npos) {  // incomplete: keep "$(" and go on after it
        out += "$(";
        ++i;
        continue;
      }
      std::string_view name = input.substr(i + 2, close - i - 2);
      if (auto value = lookup(name)) {
        out += *value;
      } else {
        out.append(input.substr(i, close - i + 1));
      }
      i = close;
    } else {  // a lone "$": kept, with the character after it
      out += '$';
      out += next;
      ++i;
    }
  }
  return out;
}

api::Result<ImageCatalog> ImageCatalog::parse(std::string_view text, std::string_view source) {
  CatalogParser parser(source);
  auto doc = api::parseYamlDocument(text);
  if (!doc) return parser.error("", doc.error().message);
  ImageCatalog catalog;
  if (doc->is_null()) return catalog;
  if (!doc->is_object()) {
    return parser.error("",
                        "must be a mapping with an \"images\" list, got " + describeValue(*doc));
  }
  for (const auto& [key, value] : doc->get_object()) {
    if (key != "images") return parser.error("", "unknown field \"" + std::string(key) + "\"");
  }
  const json::value* images = doc->get_object().if_contains("images");
  if (!images || images->is_null()) return catalog;
  if (!images->is_array()) {
    return parser.error("images", "must be a list of entries, got " + describeValue(*images));
  }
  std::map<std::string, size_t> seen;  // entry key → index, to catch the same image twice
  for (size_t i = 0; i < images->get_array().size(); ++i) {
    auto entry = parser.entry(images->get_array()[i], i);
    if (!entry) return entry.error();
    auto [it, inserted] = seen.emplace(entryKey(entry->pattern), i);
    if (!inserted) {
      return parser.error("images[" + std::to_string(i) + "].image",
                          "\"" + entry->pattern + "\" is already listed at images[" +
                              std::to_string(it->second) + "]");
    }
    catalog.entries_.push_back(std::move(*entry));
  }
  return catalog;
}

void ImageCatalog::merge(const ImageCatalog& later) {
  std::vector<CatalogEntry> merged = later.entries_;
  std::set<std::string> overridden;
  for (const CatalogEntry& e : later.entries_) overridden.insert(entryKey(e.pattern));
  for (CatalogEntry& e : entries_) {
    if (!overridden.count(entryKey(e.pattern))) merged.push_back(std::move(e));
  }
  entries_ = std::move(merged);
}

std::optional<ResolvedImage> ImageCatalog::resolve(std::string_view image,
                                                   std::string_view sluiceBinary,
                                                   std::string_view httpEchoBinary) const {
  const Reference ref = splitReference(image);
  const std::string canonical = joinReference(ref.domain + "/" + ref.path, ref);
  const std::string familiar = familiarReference(ref);
  const CatalogEntry* match = nullptr;
  for (const CatalogEntry& e : entries_) {
    if (!isWildcard(e.pattern) && canonicalImageReference(e.pattern) == canonical) {
      match = &e;
      break;
    }
  }
  for (size_t i = 0; !match && i < entries_.size(); ++i) {
    const CatalogEntry& e = entries_[i];
    if (isWildcard(e.pattern) &&
        (wildcardMatch(e.pattern, image) || wildcardMatch(e.pattern, familiar) ||
         wildcardMatch(e.pattern, canonical))) {
      match = &e;
    }
  }
  if (!match) return std::nullopt;
  ResolvedImage resolved{match->pattern, match->source, match->spec};
  auto expand = [&](std::string& s) { replaceAll(s, kSluicePlaceholder, sluiceBinary); };
  auto& command = resolved.spec.command;
  if (!command.empty() && command[0] == kHttpEchoPlaceholder) {
    if (httpEchoBinary.empty()) {
      command[0] = std::string(kSluicePlaceholder);
      command.insert(command.begin() + 1, "http-echo");
    } else {
      command[0] = std::string(httpEchoBinary);
    }
  }
  for (std::string& s : command) expand(s);
  for (std::string& s : resolved.spec.args) expand(s);
  for (EnvVar& v : resolved.spec.env) expand(v.value);
  expand(resolved.spec.workingDir);
  return resolved;
}

api::Result<ProcessSpec> buildProcessSpec(const ImageSpec& image, const json::value& container,
                                          const ContainerContext& context) {
  ContainerReader reader(container);
  if (!container.is_object()) return reader.error("spec", "must be an object");
  const json::object& c = container.get_object();

  // Environment: the container's entries, each expanded against those before it.
  std::vector<EnvVar> containerEnv;
  if (const json::value* envFrom = c.if_contains("envFrom");
      envFrom && envFrom->is_array() && !envFrom->get_array().empty()) {
    return reader.error("envFrom", "is not supported by sluice yet (use env)");
  }
  if (const json::value* env = c.if_contains("env"); env && !env->is_null()) {
    if (!env->is_array()) return reader.error("env", "must be a list");
    for (size_t i = 0; i < env->get_array().size(); ++i) {
      const json::value& item = env->get_array()[i];
      std::string where = "env[" + std::to_string(i) + "]";
      std::string name = api::getString(item, "name");
      if (name.empty()) return reader.error(where, "name is required");
      where += " (" + name + ")";
      std::string value;
      const json::value* valueFrom =
          item.is_object() ? item.get_object().if_contains("valueFrom") : nullptr;
      if (valueFrom && !valueFrom->is_null()) {
        const json::value* fieldRef = api::find(*valueFrom, "fieldRef");
        if (!fieldRef) {
          std::string kind = valueFrom->is_object() && !valueFrom->get_object().empty()
                                 ? std::string(valueFrom->get_object().begin()->key())
                                 : "an empty source";
          return reader.error(where + ".valueFrom",
                              kind + " is not supported by sluice yet (use value or fieldRef)");
        }
        auto v = reader.fieldRef(*fieldRef, where + ".valueFrom.fieldRef", context.pod);
        if (!v) return v.error();
        value = std::move(*v);
      } else if (const json::value* v = api::find(item, "value"); v && !v->is_null()) {
        if (!v->is_string()) return reader.error(where + ".value", mustBeString(*v));
        value = expandReferences(v->get_string(), ReferenceScope(containerEnv, context.runtimeEnv));
      }
      setEnv(containerEnv, {std::move(name), std::move(value)});
    }
  }

  ProcessSpec process;
  for (const EnvVar& v : image.env) setEnv(process.env, v);
  for (const EnvVar& v : context.runtimeEnv) setEnv(process.env, v);
  for (const EnvVar& v : containerEnv) setEnv(process.env, v);

  // Command line: entrypoint + arguments, as Docker and the kubelet combine them.
  auto command = reader.stringList(c, "command");
  if (!command) return command.error();
  auto args = reader.stringList(c, "args");
  if (!args) return args.error();
  const ReferenceScope scope(containerEnv, context.runtimeEnv);
  auto expandAll = [&](const std::vector<std::string>& in) {
    for (const std::string& s : in) process.argv.push_back(expandReferences(s, scope));
  };
  if (!command->empty()) {
    expandAll(*command);
    expandAll(*args);  // the image's default args go with its entrypoint
  } else {
    process.argv = image.command;
    if (!args->empty()) {
      expandAll(*args);
    } else {
      process.argv.insert(process.argv.end(), image.args.begin(), image.args.end());
    }
  }
  if (process.argv.empty()) {
    return reader.error("command",
                        "nothing to run: the image has no command or args and the container sets "
                        "none");
  }

  process.workingDir = image.workingDir;
  if (const json::value* dir = c.if_contains("workingDir"); dir && !dir->is_null()) {
    if (!dir->is_string()) return reader.error("workingDir", mustBeString(*dir));
    if (!dir->get_string().empty()) process.workingDir = std::string(dir->get_string());
  }
  return process;
}

std::string currentExecutablePath() {
  std::error_code ec;
  std::filesystem::path p = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string() : p.string();
}

}  // namespace sluice::node
