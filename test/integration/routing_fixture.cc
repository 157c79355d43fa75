#include "routing_fixture.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <thread>

namespace sluice::testing {

namespace json = boost::json;

namespace {

// A backend that answers every request with JSON: its version (argv[1]), the method, target,
// Host and request headers; it waits `x-delay-ms` and answers status `x-status` when asked, and
// logs each request line to stderr (the pod's log). The first request with a given `x-fail-once`
// value is answered 503 (a retry of it succeeds).
const char* kEchoScript = R"(import http.server, json, os, sys, time
version = sys.argv[1]
failed = set()
class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    wbufsize = 65536  # one write per answer (head and body in separate small writes meet Nagle)
    disable_nagle_algorithm = True
    def handle_one(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        sys.stderr.write("%s %s\n" % (self.command, self.path))
        sys.stderr.flush()
        once = self.headers.get("x-fail-once")
        if once and once not in failed:
            failed.add(once)
            self.send_response(503)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        delay = self.headers.get("x-delay-ms")
        if delay:
            time.sleep(int(delay) / 1000.0)
        headers = {}
        for k, v in self.headers.items():
            k = k.lower()
            headers[k] = headers[k] + "," + v if k in headers else v
        out = json.dumps({"version": version, "method": self.command, "path": self.path,
                          "host": self.headers.get("Host"), "headers": headers,
                          "body": body.decode("latin-1")}).encode()
        self.send_response(int(self.headers.get("x-status") or 200))
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(out)
    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = handle_one
    def log_message(self, *args):
        pass
http.server.ThreadingHTTPServer((os.environ["POD_IP"], int(os.environ["PORT"])), Handler).serve_forever()
)";

// One response at the start of `raw` (`noBody`: the answer to a HEAD), or status 0 when it is
// not all there yet.
HttpResponse parseResponse(const std::string& raw, size_t& used, bool noBody) {
  HttpResponse r;
  used = 0;
  size_t headEnd = raw.find("\r\n\r\n");
  if (headEnd == std::string::npos) return r;
  std::string head = raw.substr(0, headEnd + 2);
  size_t lineEnd = head.find("\r\n");
  if (head.size() < 12) return r;
  int status = std::atoi(head.c_str() + 9);
  size_t at = lineEnd + 2;
  while (at < head.size()) {
    size_t end = head.find("\r\n", at);
    std::string line = head.substr(at, end - at);
    at = end + 2;
    size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string name = line.substr(0, colon);
    std::transform(name.begin(), name.end(), name.begin(), ::tolower);
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(' '));
    auto& slot = r.headers[name];
    slot = slot.empty() ? value : slot + ", " + value;
  }
  bool bodiless = noBody || status == 204 || status == 304 || (status >= 100 && status < 200);
  size_t length = bodiless ? 0 : static_cast<size_t>(std::atol(r.header("content-length").c_str()));
  if (raw.size() < headEnd + 4 + length) return HttpResponse{};
  r.body = raw.substr(headEnd + 4, length);
  r.status = status;
  used = headEnd + 4 + length;
  return r;
}

int connectTo(const std::string& ip, int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, ip.c_str(), &addr.sin_addr);
  timeval tv{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

std::string requestText(const std::string& target, const std::vector<std::string>& headers,
                        const std::string& method, const std::string& host, bool close) {
  std::string req = method + " " + target + " HTTP/1.1\r\nHost: " + host + "\r\n";
  for (const auto& h : headers) req += h + "\r\n";
  if (close) req += "Connection: close\r\n";
  return req + "\r\n";
}

// Writes `req` and reads one response; false when the connection failed.
bool exchange(int fd, const std::string& req, const std::string& method, HttpResponse& out) {
  if (write(fd, req.data(), req.size()) != static_cast<ssize_t>(req.size())) return false;
  std::string raw;
  char buf[16384];
  while (true) {
    size_t used = 0;
    out = parseResponse(raw, used, method == "HEAD");
    if (out.status) return true;
    ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) return false;
    raw.append(buf, static_cast<size_t>(n));
  }
}

}  // namespace

json::value HttpResponse::json() const {
  boost::system::error_code ec;
  auto v = json::parse(body, ec);
  return ec ? json::value() : v;
}

std::string versionOf(const HttpResponse& r) {
  auto v = r.json();
  if (!v.is_object()) return "";
  auto* version = v.as_object().if_contains("version");
  return version && version->is_string() ? std::string(version->as_string()) : "";
}

HttpConnection::~HttpConnection() {
  if (fd_ >= 0) close(fd_);
}

bool HttpConnection::connect() {
  if (fd_ < 0) fd_ = connectTo(ip_, port_);
  return fd_ >= 0;
}

HttpResponse HttpConnection::get(const std::string& target, const std::vector<std::string>& headers,
                                 const std::string& method, const std::string& host) {
  std::string req = requestText(target, headers, method, host, false);
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (!connect()) return {};
    HttpResponse r;
    if (exchange(fd_, req, method, r)) {
      if (r.header("connection") == "close") {
        close(fd_);
        fd_ = -1;
      }
      return r;
    }
    close(fd_);
    fd_ = -1;
  }
  return {};
}

HttpResponse request(const std::string& ip, int port, const std::string& target,
                     const std::vector<std::string>& headers, const std::string& method,
                     const std::string& host) {
  int fd = connectTo(ip, port);
  if (fd < 0) return {};
  HttpResponse r;
  exchange(fd, requestText(target, headers, method, host, true), method, r);
  close(fd);
  return r;
}

Server* RoutingTest::server = nullptr;
TempDir* RoutingTest::dir = nullptr;

void RoutingTest::SetUpTestSuite() {
  dir = new TempDir();
  writeFile(dir->path() + "/echo.py", kEchoScript);
  std::string catalog = readFile(seedFile("images.yaml"));
  for (const char* v : {"v1", "v2", "v3"})
    catalog += std::string("  - image: \"echo:") + v + "\"\n    command: [\"python3\", \"" +
               dir->path() + "/echo.py\", \"" + v + "\"]\n    env: {PORT: \"8080\"}\n";
  writeFile(dir->path() + "/images.yaml", catalog);
  auto args = privateRanges().flags();
  args.insert(args.end(), {"--image-catalog", dir->path() + "/images.yaml"});
  server = new Server("", args);
}

void RoutingTest::TearDownTestSuite() {
  delete server;
  server = nullptr;
  delete dir;
  dir = nullptr;
}

std::string RoutingTest::ns() {
  std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
  std::string out;
  for (char c : name) {
    if (std::isupper(static_cast<unsigned char>(c))) {
      if (!out.empty()) out += '-';
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    } else if (std::isalnum(static_cast<unsigned char>(c))) {
      out += c;
    }
  }
  out = out.substr(0, 60);
  if (server->sluice({"get", "namespace", out}).exitCode != 0)
    server->sluice({"create", "namespace", out});
  return out;
}

bool RoutingTest::applyWithKubectl = false;

void RoutingTest::apply(const std::string& yaml) {
  if (applyWithKubectl) {
    auto r = server->kubectl("1.33", {"apply", "-n", ns(), "-f", "-"}, yaml);
    ASSERT_TRUE(r) << "kubectl 1.33 is not installed";
    ASSERT_EQ(r->exitCode, 0) << r->err << "\n" << yaml;
    return;
  }
  auto r = server->sluice({"apply", "-n", ns(), "-f", "-"}, yaml);
  ASSERT_EQ(r.exitCode, 0) << r.err << "\n" << yaml;
}

void RoutingTest::backend(const std::string& name, const std::string& version, int replicas,
                          const std::string& app, const std::string& serviceType) {
  std::string a = app.empty() ? name : app;
  apply("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: " + name +
        "\nspec:\n  replicas: " + std::to_string(replicas) +
        "\n  selector:\n    matchLabels: {app: " + a + ", version: " + version +
        "}\n  template:\n    metadata:\n      labels: {app: " + a + ", version: " + version +
        "}\n    spec:\n      containers:\n      - name: echo\n        image: echo:" + version +
        "\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: " + name +
        "\nspec:\n  type: " + serviceType + "\n  selector: {app: " + a + ", version: " + version +
        "}\n  ports:\n  - {name: http, port: 8080, targetPort: 8080}\n");
}

void RoutingTest::waitReady(const std::string& name, int n) {
  std::string namespaceName = ns();
  bool ok = waitFor(
      [&] {
        auto r = server->sluice({"get", "endpoints", name, "-n", namespaceName, "-o",
                                 "jsonpath={range .subsets[*].addresses[*]}{.ip} {end}"});
        std::stringstream ss(r.out);
        std::string ip;
        int count = 0;
        while (ss >> ip) {
          if (request(ip, 8080, "/").status != 200) return false;
          ++count;
        }
        return count >= n;
      },
      std::chrono::seconds(60));
  ASSERT_TRUE(ok) << "service " << name << " never got " << n << " answering endpoints";
}

std::string RoutingTest::clusterIp(const std::string& name) {
  auto r = server->sluice({"get", "svc", name, "-n", ns(), "-o", "jsonpath={.spec.clusterIP}"});
  return r.out;
}

HttpResponse RoutingTest::eventually(const std::string& ip, int port, const std::string& target,
                                     const std::function<bool(const HttpResponse&)>& accept,
                                     const std::vector<std::string>& headers,
                                     const std::string& host) {
  HttpResponse last;
  // As the conformance suite does: the answer must hold for several requests in a row, so a
  // route that is half applied cannot pass.
  int inARow = 0;
  bool ok = waitFor(
      [&] {
        last = request(ip, port, target, headers, "GET", host);
        inARow = accept(last) ? inARow + 1 : 0;
        return inARow >= 3;
      },
      std::chrono::seconds(30));
  EXPECT_TRUE(ok) << "GET " << target << " at " << ip << ":" << port
                  << " never gave the expected answer; last: " << last.status << " " << last.body;
  return last;
}

std::string RoutingTest::gatewayAddress(const std::string& name) {
  std::string address;
  std::string namespaceName = ns();
  bool ok = waitFor(
      [&] {
        address = server
                      ->sluice({"get", "gateway", name, "-n", namespaceName, "-o",
                                "jsonpath={.status.addresses[0].value}"})
                      .out;
        return !address.empty();
      },
      std::chrono::seconds(30));
  EXPECT_TRUE(ok) << "gateway " << name << " got no address";
  return address;
}

}  // namespace sluice::testing
