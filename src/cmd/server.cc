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

#include <CLI/CLI.hpp>

#include "api/duration.h"
#include "api/gateway_resources.h"
#include "api/object.h"
#include "apiserver/handler.h"
#include "apiserver/http_server.h"
#include "apiserver/in_process_client.h"
#include "apiserver/pod_logs_route.h"
#include "apiserver/registry.h"
#include "apiserver/service_allocator.h"
#include "apiserver/tls.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/random.h"
#include "client/client.h"
#include "client/kubeconfig.h"
#include "client/shared_informers.h"
#include "cmd/commands.h"
#include "controllers/deployment/deployment_controller.h"
#include "controllers/gateway/data_plane.h"
#include "controllers/gateway/gatewayclass_controller.h"
#include "controllers/gateway/status_controller.h"
#include "controllers/replicaset/replicaset_controller.h"
#include "controllers/service/endpoints_controller.h"
#include "node/agent.h"
#include "node/image_catalog.h"
#include "proxy/proxy.h"
#include "store/store.h"

namespace sluice::cmd {

namespace {

struct ServerFlags {
  std::string dataDir;
  std::string listen = "127.0.0.1:6443";
  std::string host = "127.0.0.1";
  int port = 6443;
  std::string clusterCidr = "127.42.0.0/16";
  std::vector<std::string> imageCatalogs;
  std::string nodeName = "sluice-node";
  std::string rolloutStepIntervalText = "1s";
  std::chrono::milliseconds rolloutStepInterval{1000};
  std::string serviceCidr = "127.43.0.0/16";
  std::string loadBalancerCidr = "127.44.0.0/16";
  int proxyWorkers = 0;  // 0: one per core
  std::string logLevel;
  int verbosity = -1;
  spdlog::level::level_enum level = spdlog::level::info;
};

// Returns 0 to run, 1 after --help (exit 0), 2 on a usage error (message printed).
int parseFlags(int argc, char** argv, ServerFlags& flags) {
  CLI::App app("Runs a single-machine Kubernetes-compatible cluster.", "sluice server");
  app.add_option("--data-dir", flags.dataDir,
                 "where state, the admin token and the kubeconfig live\n"
                 "(default $XDG_DATA_HOME/sluice, else ~/.local/share/sluice)")
      ->type_name("DIR");
  app.add_option("--listen", flags.listen, "the API server's address (port 0 picks one)")
      ->type_name("HOST:PORT")
      ->capture_default_str();
  app.add_option("--cluster-cidr", flags.clusterCidr, "loopback range for pod IPs")
      ->type_name("CIDR")
      ->capture_default_str();
  app.add_option("--image-catalog", flags.imageCatalogs,
                 "an image catalog read after DIR/images.yaml (repeatable)")
      ->type_name("FILE")
      ->allow_extra_args(false);
  app.add_option("--service-cidr", flags.serviceCidr, "loopback range for ClusterIPs")
      ->type_name("CIDR")
      ->capture_default_str();
  app.add_option("--loadbalancer-cidr", flags.loadBalancerCidr,
                 "loopback range for LoadBalancer IPs")
      ->type_name("CIDR")
      ->capture_default_str();
  app.add_option("--node-name", flags.nodeName, "this node's name")
      ->type_name("NAME")
      ->capture_default_str();
  app.add_option("--rollout-step-interval", flags.rolloutStepIntervalText,
                 "least time between two rollout steps of a Deployment\n"
                 "(0 steps as fast as Kubernetes' arithmetic allows)")
      ->type_name("DURATION")
      ->capture_default_str();
  app.add_option("--proxy-workers", flags.proxyWorkers,
                 "load balancer worker threads (default: one per core)")
      ->type_name("N")
      ->check(CLI::Range(1, 256));
  app.add_option("--log-level", flags.logLevel,
                 "trace, debug, info, warn, error or off (default info)")
      ->type_name("LEVEL");
  app.add_option("-v,--v", flags.verbosity,
                 "log verbosity as kube components count it: 2 is debug, 4 trace")
      ->type_name("N")
      ->check(CLI::Range(0, 10));
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    std::cout << app.help();
    return 1;
  } catch (const CLI::ParseError& e) {
    std::cerr << "error: " << e.what() << "\n"
              << "Run 'sluice server --help' for usage.\n";
    return 2;
  }

  auto colon = flags.listen.rfind(':');
  if (colon == std::string::npos) {
    std::cerr << "error: --listen " << flags.listen << ": want HOST:PORT\n";
    return 2;
  }
  flags.host = flags.listen.substr(0, colon);
  if (flags.host.size() > 2 && flags.host.front() == '[')
    flags.host = flags.host.substr(1, flags.host.size() - 2);
  char* end = nullptr;
  long port = std::strtol(flags.listen.c_str() + colon + 1, &end, 10);
  if (*end != '\0' || port < 0 || port > 65535 || colon + 1 == flags.listen.size()) {
    std::cerr << "error: --listen " << flags.listen << ": invalid port\n";
    return 2;
  }
  flags.port = static_cast<int>(port);

  auto d = api::parseGoDuration(flags.rolloutStepIntervalText);
  if (!d || d->count() < 0) {
    std::cerr << "error: --rollout-step-interval " << flags.rolloutStepIntervalText
              << ": want a duration such as 1s or 500ms\n";
    return 2;
  }
  flags.rolloutStepInterval = std::chrono::duration_cast<std::chrono::milliseconds>(*d);

  if (!flags.logLevel.empty() && flags.verbosity >= 0) {
    std::cerr << "error: --log-level and -v: give one of them\n";
    return 2;
  }
  if (!flags.logLevel.empty() && !base::parseLogLevel(flags.logLevel, flags.level)) {
    std::cerr << "error: --log-level " << flags.logLevel
              << ": want trace, debug, info, warn, error or off\n";
    return 2;
  }
  if (flags.verbosity >= 0) flags.level = base::levelForVerbosity(flags.verbosity);
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

// The built-in load balancer as the data plane the Gateway status controller waits on.
class ProxyDataPlane : public controllers::gateway::DataPlane {
 public:
  explicit ProxyDataPlane(proxy::Proxy& proxy) : proxy_(proxy) {}
  int64_t servedGeneration(const std::string& kind, const std::string& ns,
                           const std::string& name) const override {
    return proxy_.servedGeneration(kind, ns, name);
  }
  void subscribe(std::function<void()> onChange) override {
    proxy_.onServedChange(std::move(onChange));
  }

 private:
  proxy::Proxy& proxy_;
};

// Gateways of sluice's classes that exist at start-up keep the addresses they hold.
api::Status observeGatewayAddresses(apiserver::Registry& registry,
                                    apiserver::ServiceAllocator& allocator) {
  std::string group(api::kGatewayGroup);
  auto gateways = registry.list(*api::findByKind(group + "/v1", "Gateway"), "", {});
  if (!gateways) return gateways.error();
  for (const auto& g : gateways->at("items").as_array()) {
    auto gatewayClass = registry.get(*api::findByKind(group + "/v1", "GatewayClass"), "",
                                     api::getString(g, "spec.gatewayClassName"));
    if (gatewayClass &&
        api::getString(*gatewayClass, "spec.controllerName") == api::kSluiceGatewayController)
      allocator.observeGateway(g);
  }
  return {};
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
  auto log = base::newStderrLogger("server", flags.level);
  const base::Clock& clock = base::realClock();
  auto random = base::newRandom();
  apiserver::Registry registry(**store, clock, *random);
  apiserver::ServiceAllocator::Options allocatorOptions;
  allocatorOptions.serviceCidr = flags.serviceCidr;
  allocatorOptions.loadBalancerCidr = flags.loadBalancerCidr;
  auto allocator = apiserver::ServiceAllocator::create(allocatorOptions);
  if (!allocator) {
    std::cerr << "error: " << allocator.error().message << "\n";
    return 1;
  }
  {
    auto services = registry.list(*api::findByKind("v1", "Service"), "", {});
    if (!services) {
      std::cerr << "error: cannot list Services to recover their addresses: "
                << services.error().message << "\n";
      return 1;
    }
    for (const auto& s : services->at("items").as_array()) (*allocator)->observe(s);
  }
  registry.addAdmission("Service",
                        [&allocator](boost::json::object& svc, const boost::json::object* old) {
                          return (*allocator)->admit(svc, old);
                        });
  registry.addDeleteHook(
      "Service", [&allocator](const boost::json::value& svc) { (*allocator)->release(svc); });
  if (auto st = observeGatewayAddresses(registry, **allocator); !st) {
    std::cerr << "error: cannot list Gateways to recover their addresses: " << st.error().message
              << "\n";
    return 1;
  }
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
  auto client = apiserver::newInProcessClient(registry);
  // One cache per resource type for every component in this process.
  client::SharedInformers informers(*client, clock, base::childLogger(log, "informers"));
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
  node::NodeAgent agent(*client, informers, agentOptions, clock, base::childLogger(log, "kubelet"));
  controllers::ReplicaSetController replicaSets(*client, informers, clock,
                                                base::childLogger(log, "replicaset-controller"));
  controllers::DeploymentController deployments(*client, informers, clock,
                                                base::childLogger(log, "deployment-controller"),
                                                flags.rolloutStepInterval);
  controllers::EndpointsController endpoints(*client, informers, clock,
                                             base::childLogger(log, "endpoint-controller"));
  controllers::gateway::GatewayClassController gatewayClasses(
      *client, informers, clock, base::childLogger(log, "gatewayclass-controller"));
  proxy::Proxy loadBalancer(*client, informers, clock, base::childLogger(log, "proxy"),
                            {.workers = flags.proxyWorkers});
  ProxyDataPlane dataPlane(loadBalancer);
  controllers::gateway::GatewayStatusController gatewayStatus(
      *client, informers, dataPlane, clock, base::childLogger(log, "gateway-status-controller"));
  // Gateway addresses come from the LoadBalancer range on the write, as Services' do; whether a
  // Gateway is sluice's is read from the controller's GatewayClass cache (the admission runs
  // under the store's lock, where the registry cannot be asked).
  registry.addAdmission("Gateway", [&allocator, &gatewayStatus](boost::json::object& gateway,
                                                                const boost::json::object* old) {
    bool ours = gatewayStatus.ownsClass(
        api::getString(boost::json::value(gateway), "spec.gatewayClassName"));
    (*allocator)->admitGateway(gateway, old, ours);
    return api::Status{};
  });
  registry.addDeleteHook("Gateway", [&allocator](const boost::json::value& gateway) {
    (*allocator)->releaseGateway(gateway);
  });

  apiserver::Handler::Options handlerOptions;
  handlerOptions.token = *token;
  apiserver::Handler handler(registry, handlerOptions);
  handler.addPath("/metrics", [&loadBalancer](const apiserver::Request&) {
    apiserver::Response r;
    r.contentType = "text/plain; version=0.0.4";
    r.body = loadBalancer.metrics();
    return r;
  });
  handler.addSubresource("pods", "log", apiserver::podLogsRoute(agent));
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
  informers.start();
  if (!informers.waitForSync(std::chrono::seconds(30))) {
    std::cerr << "error: the informers did not sync within 30s\n";
    return 1;
  }
  if (auto st = agent.start(); !st) {
    std::cerr << "error: " << st.error().message << "\n";
    return 1;
  }
  replicaSets.start();
  deployments.start();
  endpoints.start();
  gatewayClasses.start();
  gatewayStatus.start();
  if (auto st = loadBalancer.start(); !st) {
    std::cerr << "error: " << st.error().message << "\n";
    return 1;
  }
  log->info("listening on {} (TLS; plain HTTP too); kubeconfig {}", server, kubeconfig);

  int sig = 0;
  sigwait(&stopSignals, &sig);
  log->info("{}: stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
  // Informer threads call into the components: stop them first.
  informers.stop();
  loadBalancer.stop();
  gatewayStatus.stop();
  gatewayClasses.stop();
  endpoints.stop();
  deployments.stop();
  replicaSets.stop();
  agent.stop();
  http.stop();
  return 0;
}

}  // namespace sluice::cmd
