#include "client/kubeconfig.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "api/base64.h"
#include "api/object.h"
#include "api/yaml.h"

namespace sluice::client {

namespace json = boost::json;

namespace {
const json::value* findNamed(const json::value& config, const char* listKey,
                             const std::string& name) {
  auto* list = api::find(config, listKey);
  if (!list || !list->is_array()) return nullptr;
  for (const auto& e : list->as_array())
    if (api::getString(e, "name") == name) return &e;
  return nullptr;
}
}  // namespace

api::Result<ClusterAccess> loadKubeconfig(const std::string& path, const std::string& context) {
  std::ifstream in(path);
  if (!in) {
    return api::Error::badRequest(
        "cannot read kubeconfig " + path +
        ": no such file (start a server with `sluice server`, or pass --kubeconfig)");
  }
  std::stringstream ss;
  ss << in.rdbuf();
  auto doc = api::parseYamlDocument(ss.str());
  if (!doc) return api::Error::badRequest("kubeconfig " + path + ": " + doc.error().message);
  std::string ctxName = context.empty() ? api::getString(*doc, "current-context") : context;
  if (ctxName.empty())
    return api::Error::badRequest("kubeconfig " + path + ": current-context is not set");
  auto* ctx = findNamed(*doc, "contexts", ctxName);
  if (!ctx)
    return api::Error::badRequest("kubeconfig " + path + ": context \"" + ctxName + "\" not found");
  std::string clusterName = api::getString(*ctx, "context.cluster");
  std::string userName = api::getString(*ctx, "context.user");
  auto* cluster = findNamed(*doc, "clusters", clusterName);
  if (!cluster)
    return api::Error::badRequest("kubeconfig " + path + ": cluster \"" + clusterName +
                                  "\" not found");
  ClusterAccess access;
  access.source = path;
  access.server = api::getString(*cluster, "cluster.server");
  if (access.server.empty())
    return api::Error::badRequest("kubeconfig " + path + ": cluster \"" + clusterName +
                                  "\" has no server");
  if (auto data = api::getString(*cluster, "cluster.certificate-authority-data"); !data.empty()) {
    auto pem = api::base64Decode(data);
    if (!pem)
      return api::Error::badRequest("kubeconfig " + path +
                                    ": certificate-authority-data is not valid base64");
    access.caPem = *pem;
  } else if (auto file = api::getString(*cluster, "cluster.certificate-authority"); !file.empty()) {
    std::ifstream ca(file);
    if (!ca)
      return api::Error::badRequest("kubeconfig " + path + ": cannot read certificate-authority " +
                                    file);
    std::stringstream cs;
    cs << ca.rdbuf();
    access.caPem = cs.str();
  }
  access.insecureSkipTlsVerify = api::getBool(*cluster, "cluster.insecure-skip-tls-verify");
  if (auto* user = findNamed(*doc, "users", userName)) {
    access.token = api::getString(*user, "user.token");
    if (access.token.empty()) {
      auto tokenFile = api::getString(*user, "user.tokenFile");
      if (!tokenFile.empty()) {
        std::ifstream tf(tokenFile);
        std::getline(tf, access.token);
      }
    }
  }
  access.namespace_ = api::getString(*ctx, "context.namespace", "default");
  return access;
}

std::string defaultDataDir() {
  if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg && *xdg)
    return std::string(xdg) + "/sluice";
  const char* home = std::getenv("HOME");
  return std::string(home ? home : ".") + "/.local/share/sluice";
}

std::string findKubeconfig(const std::string& flagValue) {
  if (!flagValue.empty()) return flagValue;
  if (const char* env = std::getenv("KUBECONFIG"); env && *env) {
    std::string first(env);
    if (auto colon = first.find(':'); colon != std::string::npos) first.resize(colon);
    return first;
  }
  std::string own = defaultDataDir() + "/kubeconfig";
  if (access(own.c_str(), R_OK) == 0) return own;
  const char* home = std::getenv("HOME");
  std::string kube = std::string(home ? home : ".") + "/.kube/config";
  if (access(kube.c_str(), R_OK) == 0) return kube;
  return own;
}

api::Status writeKubeconfig(const std::string& path, const std::string& server,
                            const std::string& token, const std::string& caPem) {
  std::string text =
      "apiVersion: v1\n"
      "kind: Config\n"
      "clusters:\n"
      "- cluster:\n" +
      (caPem.empty() ? std::string()
                     : "    certificate-authority-data: " + api::base64Encode(caPem) + "\n") +
      "    server: " + server +
      "\n"
      "  name: sluice\n"
      "contexts:\n"
      "- context:\n"
      "    cluster: sluice\n"
      "    namespace: default\n"
      "    user: sluice-admin\n"
      "  name: sluice\n"
      "current-context: sluice\n"
      "preferences: {}\n"
      "users:\n"
      "- name: sluice-admin\n"
      "  user:\n"
      "    token: " +
      token + "\n";
  std::string tmp = path + ".tmp." + std::to_string(getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) return api::Error::internal("cannot write " + tmp + ": " + std::strerror(errno));
  const char* p = text.data();
  size_t left = text.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      ::close(fd);
      ::unlink(tmp.c_str());
      return api::Error::internal("cannot write " + tmp + ": " + std::strerror(errno));
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  ::fsync(fd);
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return api::Error::internal("cannot rename " + tmp + " to " + path + ": " +
                                std::strerror(errno));
  }
  return {};
}

}  // namespace sluice::client
