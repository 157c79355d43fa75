#include "cli/context.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "api/object.h"
#include "api/yaml.h"
#include "cli/errors.h"
#include "client/kubeconfig.h"

namespace sluice::cli {

api::Result<client::HttpClient*> Context::api() {
  if (client_) return client_.get();
  std::string path = client::findKubeconfig(flags.get("kubeconfig"));
  auto access = client::loadKubeconfig(path, flags.get("context"));
  if (!access) return clientError(access.error().message);
  if (flags.has("server")) access->server = flags.get("server");
  if (flags.has("token")) access->token = flags.get("token");
  ns_ = access->namespace_;
  client_ = std::make_unique<client::HttpClient>(*access);
  return client_.get();
}

std::string Context::ns() {
  if (flags.has("namespace") && !flags.get("namespace").empty()) return flags.get("namespace");
  if (!client_) (void)api();
  return ns_.empty() ? "default" : ns_;
}

std::string displayName(const api::ResourceType& type, const std::string& name) {
  std::string kind = type.kind;
  std::transform(kind.begin(), kind.end(), kind.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return kind + (type.group.empty() ? "" : "." + type.group) + "/" + name;
}

std::string quotedName(const api::ResourceType& type, const std::string& name) {
  std::string prefix = displayName(type, "");
  prefix.pop_back();  // the '/'
  return prefix + " \"" + name + "\"";
}

api::Result<const api::ResourceType*> resolveType(const std::string& text) {
  const auto* t = api::resolveResource(text);
  if (!t) return clientError("the server doesn't have a resource type \"" + text + "\"");
  return t;
}

api::Result<std::vector<Target>> targetsFromArgs(Context& ctx, const std::vector<std::string>& args,
                                                 bool allowCollections) {
  std::vector<Target> out;
  if (args.empty()) return out;
  std::string ns = ctx.ns();
  bool slashForm = args[0].find('/') != std::string::npos;
  if (slashForm) {
    for (const auto& a : args) {
      auto slash = a.find('/');
      if (slash == std::string::npos)
        return clientError(
            "there is no need to specify a resource type as a separate argument "
            "when passing arguments in resource/name form (e.g. 'kubectl get "
            "resource/<resource_name>' instead of 'kubectl get resource "
            "resource/<resource_name>'");
      auto type = resolveType(a.substr(0, slash));
      if (!type) return type.error();
      out.push_back(Target{*type, ns, a.substr(slash + 1), nullptr, ""});
    }
    return out;
  }
  std::vector<const api::ResourceType*> types;
  std::stringstream ss(args[0]);
  std::string part;
  while (std::getline(ss, part, ',')) {
    if (part == "all") {
      for (const auto& t : api::resourceTypes())
        if (std::find(t.categories.begin(), t.categories.end(), "all") != t.categories.end())
          types.push_back(&t);
      continue;
    }
    auto type = resolveType(part);
    if (!type) return type.error();
    types.push_back(*type);
  }
  if (args.size() == 1) {
    if (!allowCollections)
      return clientError("resource(s) were provided, but no name was specified");
    for (const auto* t : types) out.push_back(Target{t, ns, "", nullptr, ""});
    return out;
  }
  if (types.size() > 1)
    return clientError("you may only specify a single resource type when giving names");
  for (size_t i = 1; i < args.size(); ++i) {
    if (args[i].find('/') != std::string::npos)
      return clientError(
          "there is no need to specify a resource type as a separate argument "
          "when passing arguments in resource/name form");
    out.push_back(Target{types[0], ns, args[i], nullptr, ""});
  }
  return out;
}

namespace {

bool isDir(const std::string& p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

void listManifests(const std::string& dir, bool recursive, std::vector<std::string>& out) {
  DIR* d = ::opendir(dir.c_str());
  if (!d) return;
  std::vector<std::string> names;
  while (auto* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n == "." || n == "..") continue;
    names.push_back(n);
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  for (const auto& n : names) {
    std::string p = dir + "/" + n;
    if (isDir(p)) {
      if (recursive) listManifests(p, recursive, out);
      continue;
    }
    auto dot = n.rfind('.');
    std::string ext = dot == std::string::npos ? "" : n.substr(dot);
    if (ext == ".yaml" || ext == ".yml" || ext == ".json") out.push_back(p);
  }
}

api::Status readTargets(Context& ctx, const std::string& source, const std::string& text,
                        std::vector<Target>& out) {
  auto docs = api::parseManifests(text, source);
  if (!docs) return clientError(docs.error().message);
  for (auto& doc : *docs) {
    if (!doc.is_object())
      return clientError("error validating \"" + source + "\": the document is not an object");
    std::string apiVersion = api::getString(doc, "apiVersion");
    std::string kind = api::getString(doc, "kind");
    if (kind.empty() || apiVersion.empty()) {
      return clientError("error validating \"" + source + "\": error validating data: [" +
                         std::string(apiVersion.empty() ? "apiVersion not set" : "") +
                         (apiVersion.empty() && kind.empty() ? ", " : "") +
                         (kind.empty() ? "kind not set" : "") + "]");
    }
    const auto* type = api::findByKind(apiVersion, kind);
    if (!type) {
      return clientError("resource mapping not found for name: \"" + api::nameOf(doc) +
                         "\" namespace: \"" + api::namespaceOf(doc) + "\" from \"" + source +
                         "\": no matches for kind \"" + kind + "\" in version \"" + apiVersion +
                         "\"\nensure CRDs are installed first");
    }
    Target t;
    t.type = type;
    t.source = source;
    t.name = api::nameOf(doc);
    if (t.name.empty() && api::getString(doc, "metadata.generateName").empty()) {
      return clientError("error validating \"" + source + "\": " + kind +
                         ": metadata.name: Required value: name or generateName is required");
    }
    if (type->namespaced) {
      std::string objNs = api::namespaceOf(doc);
      if (!objNs.empty() && ctx.namespaceFlagGiven() && objNs != ctx.ns()) {
        return clientError("the namespace from the provided object \"" + objNs +
                           "\" does not match the namespace \"" + ctx.ns() +
                           "\". You must pass '--namespace=" + objNs +
                           "' to perform this operation.");
      }
      t.ns = objNs.empty() ? ctx.ns() : objNs;
    }
    t.object = std::move(doc);
    out.push_back(std::move(t));
  }
  return {};
}

}  // namespace

api::Result<std::vector<Target>> targetsFromFiles(Context& ctx, bool recursive) {
  std::vector<Target> out;
  for (const auto& f : ctx.flags.all("filename")) {
    std::vector<std::string> files;
    if (f == "-") {
      std::stringstream ss;
      ss << std::cin.rdbuf();
      if (auto st = readTargets(ctx, "STDIN", ss.str(), out); !st) return st.error();
      continue;
    }
    if (isDir(f)) {
      listManifests(f, recursive, files);
      if (files.empty())
        return clientError("error reading [" + f +
                           "]: recognized file extensions are [.json .yaml .yml]");
    } else {
      files.push_back(f);
    }
    for (const auto& path : files) {
      std::ifstream in(path);
      if (!in) return clientError("the path \"" + path + "\" does not exist");
      std::stringstream ss;
      ss << in.rdbuf();
      if (auto st = readTargets(ctx, path, ss.str(), out); !st) return st.error();
    }
  }
  if (out.empty() && !ctx.flags.all("filename").empty())
    return clientError("no objects passed to " + ctx.verb);
  return out;
}

api::Result<std::vector<Target>> targetsFromFilesOrArgs(Context& ctx,
                                                        const std::vector<std::string>& args,
                                                        bool allowCollections) {
  if (!ctx.flags.all("filename").empty())
    return targetsFromFiles(ctx, ctx.flags.getBool("recursive"));
  return targetsFromArgs(ctx, args, allowCollections);
}

int fail(Context& ctx, const api::Error& error, const std::string& prefix) {
  if (isClientError(error)) {
    ctx.err << "error: " << error.message << "\n";
  } else if (error.reason == "ServiceUnavailable" &&
             error.message.rfind("The connection", 0) == 0) {
    ctx.err << error.message << "\n";
  } else {
    ctx.err << "Error from server" << (error.reason.empty() ? "" : " (" + error.reason + ")")
            << ": " << prefix << error.message << "\n";
  }
  return 1;
}

}  // namespace sluice::cli
