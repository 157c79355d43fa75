// `sluice server`: wires the store, the API server and (later) controllers, node agent and proxy
// together. This is the one place components meet.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>
#include <string>

#include "apiserver/handler.h"
#include "apiserver/http_server.h"
#include "apiserver/registry.h"
#include "apiserver/tls.h"
#include "client/client.h"
#include "client/kubeconfig.h"
#include "cmd/commands.h"
#include "controllers/deployment/deployment_controller.h"
#include "controllers/replicaset/replicaset_controller.h"
#include "controllers/service/allocator.h"
#include "controllers/service/endpoints_controller.h"
#include "node/agent.h"
#include "node/http_echo.h"
#include "node/image_catalog.h"
#include "proxy/proxy.h"
#include "store/store.h"

namespace sluice::cmd {

namespace {

const char* kUsage =
    "Usage: sluice server [--data-dir DIR] [--listen HOST:PORT] [--cluster-cidr CIDR]\n"
    "                     [--image-catalog FILE]... [--node-name NAME]\n"
    "\n"
    "Runs a single-machine Kubernetes-compatible cluster.\n"
    "\n"
    "Options:\n"
    "  --data-dir DIR      where state, the admin token and the kubeconfig live\n"
    "                      (default $XDG_DATA_HOME/sluice, else ~/.local/share/sluice)\n"
    "  --listen HOST:PORT  the API server's address (default 127.0.0.1:6443; port 0 picks one)\n"
    "  --cluster-cidr CIDR loopback range for pod IPs (default 127.42.0.0/16)\n"
    "  --image-catalog F   an image catalog read after DIR/images.yaml (repeatable)\n"
    "  --service-cidr CIDR loopback range for ClusterIPs (default 127.43.0.0/16)\n"
    "  --loadbalancer-cidr CIDR  loopback range for LoadBalancer IPs (default 127.44.0.0/16)\n"
    "  --node-name NAME    this node's name (default sluice-node)\n"
    "  --rollout-step-interval D  least time between two rollout steps of a Deployment\n"
    "                      (default 1s; 0 steps as fast as Kubernetes' arithmetic allows)\n"
    "  --proxy-workers N   load balancer worker threads (default: one per core)\n";

struct ServerFlags {
  std::string dataDir;
  std::string host = "127.0.0.1";
  int port = 6443;
  std::string clusterCidr = "127.42.0.0/16";
  std::vector<std::string> imageCatalogs;
  std::string nodeName = "sluice-node";
  std::chrono::milliseconds rolloutStepInterval{1000};
  std::string serviceCidr = "127.43.0.0/16";
  std::string loadBalancerCidr = "127.44.0.0/16";
  int proxyWorkers = 0;  // 0: one per core
};

bool takeValue(int& i, int argc, char** argv, std::string_view name, std::string& out) {
  std::string_view arg = argv[i];
  if (arg == name) {
    if (i + 1 >= argc) {
      std::cerr << "error: flag needs an argument: " << name << "\n";
      std::exit(2);
    }
    out = argv[++i];
    return true;
  }
  if (arg.size() > name.size() && arg.substr(0, name.size()) == name && arg[name.size()] == '=') {
    out = std::string(arg.substr(name.size() + 1));
    return true;
  }
  return false;
}

int parseFlags(int argc, char** argv, ServerFlags& flags) {
  for (int i = 1; i < argc; ++i) {
    std::string v;
    if (takeValue(i, argc, argv, "--data-dir", v)) {
      flags.dataDir = v;
    } else if (takeValue(i, argc, argv, "--listen", v)) {
      auto colon = v.rfind(':');
      if (colon == std::string::npos) {
        std::cerr << "error: --listen " << v << ": want HOST:PORT\n";
        return 2;
      }
      flags.host = v.substr(0, colon);
      if (flags.host.size() > 2 && flags.host.front() == '[')
        flags.host = flags.host.substr(1, flags.host.size() - 2);
      char* end = nullptr;
      long port = std::strtol(v.c_str() + colon + 1, &end, 10);
      if (*end != '\0' || port < 0 || port > 65535 || colon + 1 == v.size()) {
        std::cerr << "error: --listen " << v << ": invalid port\n";
        return 2;
      }
      flags.port = static_cast<int>(port);
    } else if (takeValue(i, argc, argv, "--cluster-cidr", v)) {
      flags.clusterCidr = v;
    } else if (takeValue(i, argc, argv, "--image-catalog", v)) {
      flags.imageCatalogs.push_back(v);
    } else if (takeValue(i, argc, argv, "--service-cidr", v)) {
      flags.serviceCidr = v;
    } else if (takeValue(i, argc, argv, "--loadbalancer-cidr", v)) {
      flags.loadBalancerCidr = v;
    } else if (takeValue(i, argc, argv, "--node-name", v)) {
      flags.nodeName = v;
    } else if (takeValue(i, argc, argv, "--rollout-step-interval", v)) {
      auto d = node::parseGoDuration(v);
      if (!d) {
        std::cerr << "error: --rollout-step-interval " << v
                  << ": want a duration such as 1s or 500ms\n";
        return 2;
      }
      flags.rolloutStepInterval = std::chrono::duration_cast<std::chrono::milliseconds>(*d);
    } else if (takeValue(i, argc, argv, "--proxy-workers", v)) {
      char* end = nullptr;
      long n = std::strtol(v.c_str(), &end, 10);
      if (v.empty() || *end != '\0' || n < 1 || n > 256) {
        std::cerr << "error: --proxy-workers " << v << ": want a number of threads, 1 to 256\n";
        return 2;
      }
      flags.proxyWorkers = static_cast<int>(n);
    } else if (std::string_view(argv[i]) == "-h" || std::string_view(argv[i]) == "--help") {
      std::cout << kUsage;
      return 1;
    } else {
      std::cerr << "error: unknown flag: " << argv[i] << "\n" << kUsage;
      return 2;
    }
  }
  if (flags.dataDir.empty()) flags.dataDir = client::defaultDataDir();
  return 0;
}

bool makeDirs(const std::string& path) {
  std::string cur;
  for (size_t i = 0; i <= path.size(); ++i) {
    if (i == path.size() || path[i] == '/') {
      if (!cur.empty() && ::mkdir(cur.c_str(), 0700) != 0 && errno != EEXIST) return false;
    }
    if (i < path.size()) cur += path[i];
  }
  return true;
}

// The admin token: generated on first start, kept in DIR/token (0600).
api::Result<std::string> adminToken(const std::string& dir) {
  std::string path = dir + "/token";
  std::ifstream in(path);
  std::string token;
  if (in && std::getline(in, token) && !token.empty()) return token;
  std::random_device rd;
  static const char* hex = "0123456789abcdef";
  for (int i = 0; i < 40; ++i) token += hex[rd() % 16];
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    if (!out) return api::Error::internal("cannot write " + tmp + ": " + std::strerror(errno));
    out << token << "\n";
  }
  ::chmod(tmp.c_str(), 0600);
  if (::rename(tmp.c_str(), path.c_str()) != 0)
    return api::Error::internal("cannot write " + path + ": " + std::strerror(errno));
  return token;
}

}  // namespace

int runServer(int argc, char** argv) {
  ServerFlags flags;
  if (int rc = parseFlags(argc, argv, flags); rc != 0) return rc == 1 ? 0 : rc;

  // Block the stop signals before any thread starts, so only sigwait below sees them.
  sigset_t stopSignals;
  sigemptyset(&stopSignals);
  sigaddset(&stopSignals, SIGTERM);
  sigaddset(&stopSignals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stopSignals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  if (!makeDirs(flags.dataDir)) {
    std::cerr << "error: cannot create data dir " << flags.dataDir << ": " << std::strerror(errno)
              << "\n";
    return 1;
  }
  auto token = adminToken(flags.dataDir);
  if (!token) {
    std::cerr << "error: " << token.error().message << "\n";
    return 1;
  }
  auto store = store::openSqliteStore(flags.dataDir + "/state.db");
  if (!store) {
    std::cerr << "error: " << store.error().message << "\n";
    return 1;
  }
  apiserver::Registry registry(**store);
  controllers::ServiceAllocator::Options allocatorOptions;
  allocatorOptions.serviceCidr = flags.serviceCidr;
  allocatorOptions.loadBalancerCidr = flags.loadBalancerCidr;
  auto allocator = controllers::ServiceAllocator::create(allocatorOptions);
  if (!allocator) {
    std::cerr << "error: " << allocator.error().message << "\n";
    return 1;
  }
  {
    auto services = registry.list(*api::findByKind("v1", "Service"), "", {});
    if (services)
      for (const auto& s : services->at("items").as_array()) (*allocator)->observe(s);
  }
  registry.addAdmission("Service",
                        [&allocator](boost::json::object& svc, const boost::json::object* old) {
                          return (*allocator)->admit(svc, old);
                        });
  registry.addDeleteHook(
      "Service", [&allocator](const boost::json::value& svc) { (*allocator)->release(svc); });
  if (auto st = registry.bootstrap(); !st) {
    std::cerr << "error: " << st.error().message << "\n";
    return 1;
  }

  // Image catalogs given by flag must be readable and valid: a typo here should stop the server
  // with a clear message rather than surface later as ErrImagePull.
  for (const auto& f : flags.imageCatalogs) {
    std::ifstream in(f);
    if (!in) {
      std::cerr << "error: --image-catalog " << f << ": cannot read the file\n";
      return 1;
    }
    std::stringstream ss;
    ss << in.rdbuf();
    if (auto parsed = node::ImageCatalog::parse(ss.str(), f); !parsed) {
      std::cerr << "error: " << parsed.error().message << "\n";
      return 1;
    }
  }
  auto client = client::newInProcessClient(registry);
  auto clock = [] { return std::chrono::system_clock::now(); };
  node::NodeAgent::Options agentOptions;
  agentOptions.nodeName = flags.nodeName;
  agentOptions.podCidr = flags.clusterCidr;
  agentOptions.dataDir = flags.dataDir;
  agentOptions.catalogFiles = flags.imageCatalogs;
  agentOptions.sluiceBinary = node::currentExecutablePath();
  // The small http-echo executable is built and installed beside sluice; without it the
  // catalog's "{http-echo}" runs `sluice http-echo`.
  if (auto slash = agentOptions.sluiceBinary.rfind('/'); slash != std::string::npos) {
    std::string echo = agentOptions.sluiceBinary.substr(0, slash + 1) + "sluice-http-echo";
    if (::access(echo.c_str(), X_OK) == 0) agentOptions.httpEchoBinary = echo;
  }
  node::NodeAgent agent(*client, agentOptions, clock);
  controllers::ReplicaSetController replicaSets(*client, clock);
  controllers::DeploymentController deployments(*client, clock, flags.rolloutStepInterval);
  controllers::EndpointsController endpoints(*client, clock);
  proxy::Proxy loadBalancer(*client, {.workers = flags.proxyWorkers});

  apiserver::Handler::Options handlerOptions;
  handlerOptions.token = *token;
  apiserver::Handler handler(registry, handlerOptions);
  handler.addPath("/metrics", [&loadBalancer](const apiserver::Request&) {
    apiserver::Response r;
    r.contentType = "text/plain; version=0.0.4";
    r.body = loadBalancer.metrics();
    return r;
  });
  handler.addSubresource(
      "pods", "log",
      [&agent](const apiserver::Request& req, const apiserver::ResourcePath& path,
               const std::map<std::string, std::string>& query) {
        return agent.logs(req, path, query);
      });
  auto tls = apiserver::loadOrCreateTlsIdentity(flags.dataDir, {flags.host});
  if (!tls) {
    std::cerr << "error: " << tls.error().message << "\n";
    return 1;
  }
  apiserver::HttpServer::Options httpOptions;
  httpOptions.tlsCertPem = tls->certPem;
  httpOptions.tlsKeyPem = tls->keyPem;
  httpOptions.address = flags.host;
  httpOptions.port = static_cast<uint16_t>(flags.port);
  apiserver::HttpServer http(handler, httpOptions);
  if (auto st = http.start(); !st) {
    std::cerr << "error: " << st.error().message << "\n";
    return 1;
  }
  std::string hostPart =
      flags.host.find(':') != std::string::npos ? "[" + flags.host + "]" : flags.host;
  std::string server = "https://" + hostPart + ":" + std::to_string(http.port());
  std::string kubeconfig = flags.dataDir + "/kubeconfig";
  if (auto st = client::writeKubeconfig(kubeconfig, server, *token, tls->caCertPem); !st) {
    std::cerr << "error: " << st.error().message << "\n";
    return 1;
  }
  if (auto st = agent.start(); !st) {
    std::cerr << "error: " << st.error().message << "\n";
    return 1;
  }
  replicaSets.start();
  deployments.start();
  endpoints.start();
  if (auto st = loadBalancer.start(); !st) {
    std::cerr << "error: " << st.error().message << "\n";
    return 1;
  }
  std::cerr << "sluice server listening on " << server << " (TLS; plain HTTP too)\n"
            << "kubeconfig: " << kubeconfig << "\n";

  int sig = 0;
  sigwait(&stopSignals, &sig);
  std::cerr << "sluice server: " << (sig == SIGTERM ? "SIGTERM" : "SIGINT") << ", stopping\n";
  loadBalancer.stop();
  endpoints.stop();
  deployments.stop();
  replicaSets.stop();
  agent.stop();
  http.stop();
  return 0;
}

}  // namespace sluice::cmd
