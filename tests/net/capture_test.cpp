// The protocol detectors on real traffic: a real server and a real client from the test
// bed's runtime root file system (Debian bookworm packages) talk through a recording relay
// (support/flow_recorder.h), then identify() looks at what was recorded. The servers run in
// a runc container over an overlay of that root file system, sharing the host's network
// namespace, so they listen on the test's 127.0.0.1. MongoDB and Kafka have no server in
// Debian: their real clients talk to a listener that only accepts and reads.
//
// BULKHEAD_SAVE_FLOWS=<dir> saves each recorded flow as <dir>/<protocol>-<client>.flow
// (tests/net/flows/ holds the committed corpus; see its README.md).

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "net/protocol/detector.h"
#include "support/flow_recorder.h"
#include "support/runc_container.h"
#include "support/testbed.h"

namespace bulkhead::net {
namespace {

namespace fs = std::filesystem;
using bulkhead::testing::CommandResult;
using bulkhead::testing::FlowRecord;
using bulkhead::testing::FlowRecorder;
using bulkhead::testing::RuncContainer;
using namespace std::chrono_literals;

// ------------------------------------------------------------------- helpers

// A port that was free a moment ago on 127.0.0.1, for TCP and (when asked) UDP too.
std::uint16_t freePort(bool udpToo = false) {
  for (int attempt = 0; attempt < 50; ++attempt) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    const bool bound = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
                       ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0;
    bool ok = bound;
    if (ok && udpToo) {
      const int u = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
      ok = ::bind(u, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
      ::close(u);
    }
    ::close(fd);
    if (ok) return ntohs(a.sin_port);
  }
  return 0;
}

bool tcpAnswers(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

bool waitForTcp(std::uint16_t port, std::chrono::milliseconds timeout) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < until) {
    if (tcpAnswers(port)) return true;
    std::this_thread::sleep_for(100ms);
  }
  return false;
}

// Stands in for a server Debian does not ship: accepts, reads everything, never answers,
// and closes when the client does.
class SinkServer {
 public:
  SinkServer() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd_, 16) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
      ADD_FAILURE() << "sink server: cannot listen on 127.0.0.1";
    }
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { run(); });
  }
  ~SinkServer() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }
  std::uint16_t port() const { return port_; }

 private:
  void run() {
    std::vector<int> clients;
    char buffer[16384];
    while (!stop_) {
      std::vector<pollfd> fds{{fd_, POLLIN, 0}};
      for (int c : clients) fds.push_back({c, POLLIN, 0});
      if (::poll(fds.data(), fds.size(), 100) <= 0) continue;
      if (fds[0].revents & POLLIN) {
        const int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (c >= 0) clients.push_back(c);
      }
      for (std::size_t i = 1; i < fds.size(); ++i) {
        if (fds[i].revents == 0) continue;
        if (::recv(fds[i].fd, buffer, sizeof buffer, 0) <= 0) {
          ::close(fds[i].fd);
          std::erase(clients, fds[i].fd);
        }
      }
    }
    for (int c : clients) ::close(c);
  }
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

std::vector<std::string> values(const Identification& id, std::string_view key) {
  std::vector<std::string> out;
  for (const auto& [k, v] : id.attributes) {
    if (k == key) out.push_back(v);
  }
  return out;
}

bool contains(const std::vector<std::string>& list, const std::string& value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

std::string kindName(Detection::Kind k) {
  switch (k) {
    case Detection::Kind::Match: return "Match";
    case Detection::Kind::NeedMore: return "NeedMore";
    case Detection::Kind::NoMatch: return "NoMatch";
  }
  return "?";
}

std::string dump(std::span<const std::uint8_t> bytes, std::size_t max = 384) {
  std::ostringstream out;
  out << bytes.size() << " bytes:";
  char hex[4];
  for (std::size_t i = 0; i < bytes.size() && i < max; ++i) {
    if (i % 32 == 0) out << "\n    ";
    std::snprintf(hex, sizeof hex, "%02x", bytes[i]);
    out << hex;
  }
  if (bytes.size() > max) out << " ...";
  out << "\n    text: ";
  for (std::size_t i = 0; i < bytes.size() && i < max; ++i) {
    const char c = static_cast<char>(bytes[i]);
    out << (c >= 0x20 && c < 0x7f ? c : '.');
  }
  return out.str();
}

// What identify() said, and the bytes it said it about: the message of every failure.
std::string describe(const FlowRecord& flow, const Detection& d) {
  std::ostringstream out;
  out << "identify(): " << kindName(d.kind) << " protocol=\"" << d.id.protocol << "\" {";
  for (const auto& [k, v] : d.id.attributes) out << ' ' << k << "=\"" << v << '"';
  out << " }\n  client " << dump(flow.client) << "\n  server " << dump(flow.server) << '\n';
  return out.str();
}

// The data of DNS answers: "10.9.8.7" from "db.example.test A 10.9.8.7", or as it is.
std::vector<std::string> answerData(const Identification& id) {
  std::vector<std::string> out;
  for (const auto& a : values(id, "answer")) {
    const auto space = a.rfind(' ');
    out.push_back(space == std::string::npos ? a : a.substr(space + 1));
  }
  return out;
}

std::string firstLine(const std::string& text) {
  std::string line = text.substr(0, text.find('\n'));
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

// ------------------------------------------------------------------- fixture

class Capture : public ::testing::Test {
 protected:
  void SetUp() override {
    BULKHEAD_REQUIRE_TESTBED();
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to run containers";
    if (bulkhead::testing::findRuntimeBinary("runc").empty()) GTEST_SKIP() << "runc is not installed";
    const std::string lowerdir = bulkhead::testing::testbedValue("TESTBED_RUNTIME_ROOTFS");
    ASSERT_FALSE(lowerdir.empty()) << "the test bed has no TESTBED_RUNTIME_ROOTFS: run tests/testbed/testbed.sh build";
    ASSERT_TRUE(fs::exists(lowerdir + "/usr/sbin/sshd") && fs::exists(lowerdir + "/usr/bin/kcat"))
        << lowerdir << " predates the capture packages: run tests/testbed/testbed.sh build";
    bulkhead::testing::ContainerSpec spec;
    spec.lowerdir = lowerdir;
    spec.newNetwork = false;  // the servers listen on the test's own 127.0.0.1
    spec.capabilities = bulkhead::testing::dockerDefaultCapabilities();
    auto c = RuncContainer::prepare(std::move(spec));
    ASSERT_TRUE(c) << c.error().message;
    container_ = std::move(*c);
    const Status started = container_->runDetached();
    ASSERT_TRUE(started.ok()) << started.error().message;
  }

  void TearDown() override {
    if (container_ && HasFailure()) {  // the servers' own words
      std::error_code ec;
      for (const auto& e : fs::directory_iterator(container_->rootfs() + "/tmp", ec)) {
        const auto ext = e.path().extension();
        if (ext != ".log" && ext != ".err") continue;
        std::ifstream in(e.path());
        std::string text((std::istreambuf_iterator<char>(in)), {});
        if (text.size() > 3000) text = "..." + text.substr(text.size() - 3000);
        std::printf("--- %s\n%s\n", e.path().filename().c_str(), text.c_str());
      }
    }
    container_.reset();
  }

  CommandResult sh(const std::string& script) { return container_->exec({"sh", "-c", script}); }

  // Runs a server in the background in the container; its output goes to /tmp/<name>.log.
  void startServer(const std::string& name, const std::string& command) {
    const auto r = sh("setsid " + command + " >/tmp/" + name + ".log 2>&1 </dev/null &");
    ASSERT_EQ(r.exitCode, 0) << "starting " << name << ": " << r.err;
  }

  void writeFile(const std::string& path, const std::string& text) {
    std::ofstream(container_->rootfs() + path, std::ios::binary) << text;
  }

  // Runs the client (a shell script in the container) and waits until the recorder has
  // seen at least `count` flows and every one of them has ended, or a while has passed.
  std::vector<FlowRecord> runClient(FlowRecorder& recorder, const std::string& script, std::size_t count = 1,
                                    bool mustSucceed = true) {
    const auto r = sh(script);
    if (mustSucceed) {
      EXPECT_EQ(r.exitCode, 0) << "client failed: " << script << "\nstdout: " << r.out << "\nstderr: " << r.err;
    }
    clientOut_ = r.out;
    recorder.waitFor(
        [&](const std::vector<FlowRecord>& flows) {
          if (flows.size() < count) return false;
          return std::all_of(flows.begin(), flows.end(), [](const FlowRecord& f) { return f.closed; });
        },
        15s);
    auto flows = recorder.flows();
    EXPECT_GE(flows.size(), count) << "the recorder saw too few connections for: " << script;
    return flows;
  }

  // Keeps the flow as <protocol>-<name>.flow when BULKHEAD_SAVE_FLOWS names a directory.
  static void save(const FlowRecord& flow, const std::string& name) {
    const char* dir = std::getenv("BULKHEAD_SAVE_FLOWS");
    if (dir == nullptr || *dir == '\0') return;
    fs::create_directories(dir);
    const Status s = bulkhead::testing::saveFlow(std::string(dir) + "/" + name + ".flow", flow);
    EXPECT_TRUE(s.ok()) << s.error().message;
  }

  std::unique_ptr<RuncContainer> container_;
  std::string clientOut_;
};

// nginx serving plain HTTP/1.1 and h2c (prior knowledge) on two ports, and HTTPS (h2 and
// http/1.1 by ALPN) on a third, with a self-signed certificate made in the container.
std::string nginxConfig(std::uint16_t http, std::uint16_t h2c, std::uint16_t https) {
  return "worker_processes 1;\n"
         "daemon off;\n"
         "pid /tmp/nginx.pid;\n"
         "error_log /tmp/nginx-error.log info;\n"
         "events { worker_connections 64; }\n"
         "http {\n"
         "  access_log /tmp/nginx-access.log;\n"
         "  server {\n"
         "    listen 127.0.0.1:" + std::to_string(http) + ";\n"
         "    listen 127.0.0.1:" + std::to_string(h2c) + " http2;\n"
         "    listen 127.0.0.1:" + std::to_string(https) + " ssl http2;\n"
         "    ssl_certificate /tmp/cert.pem;\n"
         "    ssl_certificate_key /tmp/key.pem;\n"
         "    location / { return 200 \"hello from nginx\\n\"; }\n"
         "  }\n"
         "}\n";
}

class NginxCapture : public Capture {
 protected:
  void SetUp() override {
    Capture::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    http_ = freePort();
    h2c_ = freePort();
    https_ = freePort();
    const auto cert = sh(
        "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=tls.example.test "
        "-addext subjectAltName=DNS:tls.example.test -keyout /tmp/key.pem -out /tmp/cert.pem 2>/tmp/openssl.log");
    ASSERT_EQ(cert.exitCode, 0) << cert.err;
    writeFile("/tmp/nginx.conf", nginxConfig(http_, h2c_, https_));
    startServer("nginx", "nginx -c /tmp/nginx.conf");
    ASSERT_TRUE(waitForTcp(http_, 20s) && waitForTcp(h2c_, 5s) && waitForTcp(https_, 5s)) << "nginx did not start";
  }
  std::uint16_t http_ = 0, h2c_ = 0, https_ = 0;
};

// -------------------------------------------------------------------- tests

TEST_F(NginxCapture, Http1FromCurl) {
  auto recorder = FlowRecorder::tcp(http_);
  ASSERT_TRUE(recorder) << recorder.error().message;
  const std::string port = std::to_string((*recorder)->port());
  const auto flows = runClient(**recorder, "curl -sS --max-time 20 -o /dev/null -H 'Host: web.example.test' "
                                           "http://127.0.0.1:" + port + "/api/v1/items");
  ASSERT_FALSE(flows.empty());
  save(flows[0], "http-curl");
  const Detection d = identify(flows[0].sample());
  ASSERT_TRUE(d.matched()) << describe(flows[0], d);
  EXPECT_EQ(d.id.protocol, "http") << describe(flows[0], d);
  EXPECT_EQ(d.id.get("method"), "GET") << describe(flows[0], d);
  EXPECT_EQ(d.id.get("host"), "web.example.test") << describe(flows[0], d);
  EXPECT_EQ(d.id.get("path"), "/api/v1/items") << describe(flows[0], d);
  EXPECT_NE(d.id.get("version").find("1.1"), std::string_view::npos) << describe(flows[0], d);
}

TEST_F(NginxCapture, TlsFromCurl) {
  auto recorder = FlowRecorder::tcp(https_);
  ASSERT_TRUE(recorder) << recorder.error().message;
  const std::string port = std::to_string((*recorder)->port());
  // curl sends no SNI for an IP address: --resolve gives it a name
  const auto flows = runClient(**recorder, "curl -sS --max-time 20 -k -o /dev/null --resolve tls.example.test:" + port +
                                               ":127.0.0.1 https://tls.example.test:" + port + "/secure");
  ASSERT_FALSE(flows.empty());
  save(flows[0], "tls-curl");
  const Detection d = identify(flows[0].sample());
  ASSERT_TRUE(d.matched()) << describe(flows[0], d);
  EXPECT_EQ(d.id.protocol, "tls") << describe(flows[0], d);
  EXPECT_EQ(d.id.get("sni"), "tls.example.test") << describe(flows[0], d);
  const auto alpn = values(d.id, "alpn");  // curl (built with nghttp2) offers both
  EXPECT_TRUE(contains(alpn, "h2") && contains(alpn, "http/1.1")) << describe(flows[0], d);
  EXPECT_EQ(d.id.get("version"), "1.3") << "curl with OpenSSL 3 offers TLS 1.3\n" << describe(flows[0], d);
}

// HTTP/2 attributes may be missing when HPACK is beyond the detector; when present they
// must be right, and the protocol always.
void expectHttp2(const FlowRecord& flow, const Detection& d, const std::string& protocol, const std::string& method,
                 const std::string& path, const std::string& authority) {
  ASSERT_TRUE(d.matched()) << describe(flow, d);
  EXPECT_EQ(d.id.protocol, protocol) << describe(flow, d);
  if (d.id.get("path").empty()) {
    std::printf("NOTE: %s: no path attribute\n%s", protocol.c_str(), describe(flow, d).c_str());
  } else {
    EXPECT_EQ(d.id.get("path"), path) << describe(flow, d);
  }
  if (!d.id.get("method").empty()) {
    EXPECT_EQ(d.id.get("method"), method) << describe(flow, d);
  }
  const std::string_view host = !d.id.get("authority").empty() ? d.id.get("authority") : d.id.get("host");
  if (!authority.empty() && !host.empty()) {
    EXPECT_EQ(host, authority) << describe(flow, d);
  }
}

TEST_F(NginxCapture, Http2PriorKnowledgeFromCurlAndNghttp) {
  auto recorder = FlowRecorder::tcp(h2c_);
  ASSERT_TRUE(recorder) << recorder.error().message;
  const std::string port = std::to_string((*recorder)->port());
  const auto flows = runClient(**recorder,
                               "curl -sS --max-time 20 --http2-prior-knowledge -o /dev/null --resolve h2.example.test:" +
                                   port + ":127.0.0.1 http://h2.example.test:" + port + "/h2/curl && "
                                   "nghttp -t 20 http://127.0.0.1:" + port + "/h2/nghttp >/dev/null",
                               2);
  ASSERT_GE(flows.size(), 2u);
  save(flows[0], "http2-curl");
  save(flows[1], "http2-nghttp");
  const Detection curl = identify(flows[0].sample());
  expectHttp2(flows[0], curl, "http2", "GET", "/h2/curl", "h2.example.test:" + port);
  const Detection nghttp = identify(flows[1].sample());
  expectHttp2(flows[1], nghttp, "http2", "GET", "/h2/nghttp", "127.0.0.1:" + port);
}

TEST_F(Capture, GrpcFromPythonGrpcio) {
  writeFile("/tmp/grpc_server.py",
            "import sys\n"
            "from concurrent import futures\n"
            "import grpc\n"
            "def say(request, context):\n"
            "    return b'pong:' + request\n"
            "handler = grpc.method_handlers_generic_handler(\n"
            "    'bulkhead.capture.Echo', {'Say': grpc.unary_unary_rpc_method_handler(say)})\n"
            "server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))\n"
            "server.add_generic_rpc_handlers((handler,))\n"
            "assert server.add_insecure_port('127.0.0.1:' + sys.argv[1]) != 0\n"
            "server.start()\n"
            "print('serving', flush=True)\n"
            "server.wait_for_termination()\n");
  writeFile("/tmp/grpc_client.py",
            "import sys\n"
            "import grpc\n"
            "with grpc.insecure_channel('127.0.0.1:' + sys.argv[1]) as channel:\n"
            "    say = channel.unary_unary('/bulkhead.capture.Echo/Say')\n"  // bytes in, bytes out
            "    print(say(b'ping', timeout=20).decode())\n");
  const std::uint16_t server = freePort();
  startServer("grpc-server", "python3 /tmp/grpc_server.py " + std::to_string(server));
  ASSERT_TRUE(waitForTcp(server, 30s)) << "the grpcio server did not start";
  auto recorder = FlowRecorder::tcp(server);
  ASSERT_TRUE(recorder) << recorder.error().message;
  const auto flows =
      runClient(**recorder, "python3 /tmp/grpc_client.py " + std::to_string((*recorder)->port()));
  EXPECT_EQ(firstLine(clientOut_), "pong:ping");
  ASSERT_FALSE(flows.empty());
  save(flows[0], "grpc-python");
  const Detection d = identify(flows[0].sample());
  expectHttp2(flows[0], d, "grpc", "POST", "/bulkhead.capture.Echo/Say", "");
}

TEST_F(Capture, DnsFromDigToDnsmasq) {
  const std::uint16_t server = freePort(true);
  const std::string sport = std::to_string(server);
  startServer("dnsmasq", "dnsmasq -k --log-facility=- --log-queries --port=" + sport +
                             " --listen-address=127.0.0.1 --bind-interfaces --no-resolv --no-hosts"
                             " --pid-file=/tmp/dnsmasq.pid --host-record=db.example.test,10.9.8.7,fd00::7"
                             " --cname=alias.example.test,db.example.test");
  const auto ready = sh("for i in $(seq 50); do dig +short +tries=1 +timeout=1 @127.0.0.1 -p " + sport +
                        " db.example.test A | grep -qx 10.9.8.7 && exit 0; sleep 0.2; done; exit 1");
  ASSERT_EQ(ready.exitCode, 0) << "dnsmasq does not answer";
  auto recorder = FlowRecorder::udp(server);
  ASSERT_TRUE(recorder) << recorder.error().message;
  const std::string dig = "dig +tries=1 +timeout=10 @127.0.0.1 -p " + std::to_string((*recorder)->port());
  const auto flows = runClient(
      **recorder, dig + " db.example.test A && " + dig + " alias.example.test A && " + dig + " db.example.test AAAA", 3);
  ASSERT_GE(flows.size(), 3u);
  save(flows[0], "dns-dig-a");
  save(flows[1], "dns-dig-cname");
  save(flows[2], "dns-dig-aaaa");

  const Detection a = identify(flows[0].sample());
  ASSERT_TRUE(a.matched()) << describe(flows[0], a);
  EXPECT_EQ(a.id.protocol, "dns") << describe(flows[0], a);
  EXPECT_EQ(a.id.get("qname"), "db.example.test") << describe(flows[0], a);
  EXPECT_EQ(a.id.get("qtype"), "A") << describe(flows[0], a);
  EXPECT_EQ(answerData(a.id), std::vector<std::string>{"10.9.8.7"}) << describe(flows[0], a);

  const Detection alias = identify(flows[1].sample());
  ASSERT_TRUE(alias.matched()) << describe(flows[1], alias);
  EXPECT_EQ(alias.id.protocol, "dns") << describe(flows[1], alias);
  EXPECT_EQ(alias.id.get("qname"), "alias.example.test") << describe(flows[1], alias);
  EXPECT_EQ(answerData(alias.id), (std::vector<std::string>{"db.example.test", "10.9.8.7"}))
      << describe(flows[1], alias);

  const Detection aaaa = identify(flows[2].sample());
  ASSERT_TRUE(aaaa.matched()) << describe(flows[2], aaaa);
  EXPECT_EQ(aaaa.id.protocol, "dns") << describe(flows[2], aaaa);
  EXPECT_EQ(aaaa.id.get("qtype"), "AAAA") << describe(flows[2], aaaa);
  EXPECT_EQ(answerData(aaaa.id), std::vector<std::string>{"fd00::7"}) << describe(flows[2], aaaa);
}

TEST_F(Capture, SshBannersFromOpenssh) {
  const std::uint16_t server = freePort();
  startServer("sshd", "sh -c 'mkdir -p /run/sshd && exec /usr/sbin/sshd -D -e -p " + std::to_string(server) +
                          " -o ListenAddress=127.0.0.1 -o PidFile=none'");
  ASSERT_TRUE(waitForTcp(server, 20s)) << "sshd did not start";
  // "OpenSSH_9.2p1 Debian-2+deb12u10, OpenSSL 3.0..." -> "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u10"
  const auto v = sh("ssh -V 2>&1");
  const std::string software = v.out.substr(0, v.out.find(','));
  ASSERT_EQ(software.rfind("OpenSSH_", 0), 0u) << v.out;
  auto recorder = FlowRecorder::tcp(server);
  ASSERT_TRUE(recorder) << recorder.error().message;
  const auto flows = runClient(**recorder,
                               "ssh -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null "
                               "-o ConnectTimeout=20 -p " + std::to_string((*recorder)->port()) +
                                   " capture@127.0.0.1 true",
                               1, false);  // no key: the login fails after the key exchange
  ASSERT_FALSE(flows.empty());
  save(flows[0], "ssh-openssh");
  const Detection d = identify(flows[0].sample());
  ASSERT_TRUE(d.matched()) << describe(flows[0], d);
  EXPECT_EQ(d.id.protocol, "ssh") << describe(flows[0], d);
  EXPECT_EQ(d.id.get("client_version"), "SSH-2.0-" + software) << describe(flows[0], d);
  EXPECT_EQ(d.id.get("server_version"), "SSH-2.0-" + software) << describe(flows[0], d);  // same package
}

TEST_F(Capture, RedisFromRedisCli) {
  const std::uint16_t server = freePort();
  startServer("redis", "redis-server --port " + std::to_string(server) +
                           " --bind 127.0.0.1 --save '' --appendonly no --dir /tmp --protected-mode no");
  ASSERT_TRUE(waitForTcp(server, 20s)) << "redis-server did not start";
  auto recorder = FlowRecorder::tcp(server);
  ASSERT_TRUE(recorder) << recorder.error().message;
  const auto flows = runClient(**recorder, "redis-cli -h 127.0.0.1 -p " + std::to_string((*recorder)->port()) +
                                               " set greeting hello");
  EXPECT_EQ(firstLine(clientOut_), "OK");
  ASSERT_FALSE(flows.empty());
  save(flows[0], "redis-cli");
  const Detection d = identify(flows[0].sample());
  ASSERT_TRUE(d.matched()) << describe(flows[0], d);
  EXPECT_EQ(d.id.protocol, "redis") << describe(flows[0], d);
  EXPECT_EQ(d.id.get("command"), "SET") << describe(flows[0], d);  // typed "set"
}

TEST_F(Capture, PostgresqlFromPsql) {
  const std::uint16_t server = freePort();
  const std::string bin = "/usr/lib/postgresql/15/bin/";
  const auto init = sh("runuser -u postgres -- " + bin + "initdb -D /tmp/pgdata -U postgres --auth=trust "
                       "-E UTF8 --locale=C >/tmp/initdb.log 2>&1");
  ASSERT_EQ(init.exitCode, 0) << "initdb failed";
  startServer("postgres", "runuser -u postgres -- " + bin + "postgres -D /tmp/pgdata -p " + std::to_string(server) +
                              " -k /tmp -c listen_addresses=127.0.0.1");
  ASSERT_TRUE(waitForTcp(server, 30s)) << "postgres did not start";
  const auto setup = sh(bin + "psql -h 127.0.0.1 -p " + std::to_string(server) +
                        " -U postgres -d postgres -v ON_ERROR_STOP=1 -c 'CREATE ROLE alice LOGIN' "
                        "-c 'CREATE DATABASE shop OWNER alice'");
  ASSERT_EQ(setup.exitCode, 0) << setup.err;
  auto recorder = FlowRecorder::tcp(server);
  ASSERT_TRUE(recorder) << recorder.error().message;
  const std::string conn = "host=127.0.0.1 port=" + std::to_string((*recorder)->port()) + " user=alice dbname=shop";
  const auto flows = runClient(**recorder,
                               bin + "psql '" + conn + " sslmode=disable' -Atc \"select current_user || '@' || "
                               "current_database()\" && " + bin + "psql '" + conn + " sslmode=prefer' -Atc 'select 1'",
                               2);
  EXPECT_EQ(firstLine(clientOut_), "alice@shop");
  ASSERT_GE(flows.size(), 2u);
  save(flows[0], "postgresql-psql");
  save(flows[1], "postgresql-psql-sslrequest");

  const Detection plain = identify(flows[0].sample());
  ASSERT_TRUE(plain.matched()) << describe(flows[0], plain);
  EXPECT_EQ(plain.id.protocol, "postgresql") << describe(flows[0], plain);
  EXPECT_EQ(plain.id.get("user"), "alice") << describe(flows[0], plain);
  EXPECT_EQ(plain.id.get("database"), "shop") << describe(flows[0], plain);

  // sslmode=prefer: an SSLRequest first; the server (no SSL) answers 'N'
  const Detection ssl = identify(flows[1].sample());
  ASSERT_TRUE(ssl.matched()) << describe(flows[1], ssl);
  EXPECT_EQ(ssl.id.protocol, "postgresql") << describe(flows[1], ssl);
  EXPECT_EQ(ssl.id.get("ssl_request"), "true") << describe(flows[1], ssl);
}

TEST_F(Capture, MysqlFromMariadbClient) {
  const std::uint16_t server = freePort();
  const auto install = sh("runuser -u mysql -- mariadb-install-db --no-defaults --datadir=/tmp/mysql "
                          "--skip-test-db >/tmp/install-db.log 2>&1");
  ASSERT_EQ(install.exitCode, 0) << "mariadb-install-db failed";
  startServer("mariadb", "runuser -u mysql -- /usr/sbin/mariadbd --no-defaults --datadir=/tmp/mysql --port=" +
                             std::to_string(server) + " --bind-address=127.0.0.1 --socket=/tmp/mysql.sock "
                             "--pid-file=/tmp/mysql.pid --skip-name-resolve --log-error=/tmp/mariadb.err");
  ASSERT_TRUE(waitForTcp(server, 60s)) << "mariadbd did not start";
  // root@localhost authenticates by unix_socket; the installer ran as mysql, so that user too
  const auto setup = sh("runuser -u mysql -- mariadb --no-defaults -S /tmp/mysql.sock -u mysql -e "
                        "\"CREATE DATABASE inventory; CREATE USER 'bob'@'%' IDENTIFIED BY 'secret'; "
                        "GRANT ALL ON inventory.* TO 'bob'@'%'\"");
  ASSERT_EQ(setup.exitCode, 0) << setup.err;
  auto recorder = FlowRecorder::tcp(server);
  ASSERT_TRUE(recorder) << recorder.error().message;
  const auto flows = runClient(**recorder, "mariadb --no-defaults -h 127.0.0.1 -P " +
                                               std::to_string((*recorder)->port()) +
                                               " -u bob -psecret --skip-ssl -D inventory -Nse 'select version()'");
  const std::string version = firstLine(clientOut_);  // e.g. 10.11.18-MariaDB-0+deb12u1
  ASSERT_FALSE(version.empty());
  ASSERT_FALSE(flows.empty());
  save(flows[0], "mysql-mariadb");
  const Detection d = identify(flows[0].sample());
  ASSERT_TRUE(d.matched()) << describe(flows[0], d);
  EXPECT_EQ(d.id.protocol, "mysql") << describe(flows[0], d);
  // MariaDB's greeting says "5.5.5-<version>" for old clients' sake: either form is right
  const std::string_view reported = d.id.get("server_version");
  EXPECT_TRUE(reported == version || reported == "5.5.5-" + version) << "select version(): " << version << '\n'
                                                                       << describe(flows[0], d);
  EXPECT_EQ(d.id.get("user"), "bob") << describe(flows[0], d);
}

TEST_F(Capture, MongodbHandshakeFromPymongo) {
  SinkServer sink;  // no MongoDB server in Debian
  auto recorder = FlowRecorder::tcp(sink.port());
  ASSERT_TRUE(recorder) << recorder.error().message;
  writeFile("/tmp/mongo_client.py",
            "import sys\n"
            "import pymongo\n"
            "client = pymongo.MongoClient('127.0.0.1', int(sys.argv[1]), appname='bulkhead-capture',\n"
            "                             serverSelectionTimeoutMS=2000, connectTimeoutMS=2000)\n"
            "try:\n"
            "    client.admin.command('ping')\n"
            "except pymongo.errors.PyMongoError as e:\n"
            "    print('no server, as expected:', type(e).__name__)\n");
  const auto flows = runClient(**recorder, "python3 /tmp/mongo_client.py " + std::to_string((*recorder)->port()));
  ASSERT_FALSE(flows.empty());
  ASSERT_FALSE(flows[0].client.empty()) << "pymongo sent nothing";
  save(flows[0], "mongodb-pymongo");
  const Detection d = identify(flows[0].sample());
  ASSERT_TRUE(d.matched()) << describe(flows[0], d);
  EXPECT_EQ(d.id.protocol, "mongodb") << describe(flows[0], d);
  // pymongo 3.11 (bookworm) opens with OP_QUERY {ismaster: 1, client: {...}} on admin.$cmd
  EXPECT_EQ(d.id.get("command"), "ismaster") << describe(flows[0], d);
  EXPECT_TRUE(d.id.get("opcode") == "OP_QUERY" || d.id.get("opcode") == "2004") << describe(flows[0], d);
}

TEST_F(Capture, KafkaFirstRequestFromKcat) {
  SinkServer sink;  // no Kafka broker in Debian
  auto recorder = FlowRecorder::tcp(sink.port());
  ASSERT_TRUE(recorder) << recorder.error().message;
  const auto flows = runClient(**recorder,
                               "timeout 20 kcat -L -m 2 -X client.id=bulkhead-capture -b 127.0.0.1:" +
                                   std::to_string((*recorder)->port()) + " >/tmp/kcat.log 2>&1",
                               1, false);  // no broker: kcat gives up
  ASSERT_FALSE(flows.empty());
  ASSERT_FALSE(flows[0].client.empty()) << "kcat sent nothing";
  save(flows[0], "kafka-kcat");
  const Detection d = identify(flows[0].sample());
  ASSERT_TRUE(d.matched()) << describe(flows[0], d);
  EXPECT_EQ(d.id.protocol, "kafka") << describe(flows[0], d);
  EXPECT_EQ(d.id.get("api_key"), "ApiVersions") << describe(flows[0], d);  // librdkafka asks first
  EXPECT_EQ(d.id.get("client_id"), "bulkhead-capture") << describe(flows[0], d);
}

}  // namespace
}  // namespace bulkhead::net
