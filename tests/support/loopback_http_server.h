#pragma once
// A tiny scripted HTTP/1.1 server on 127.0.0.1 for tests of hostile and broken peers: each
// connection gets one request and whatever bytes the handler chooses to write (or none).
// Answers always close the connection, so every request is a fresh exchange.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace bulkhead::testing {

struct HttpExchange {
  std::string method;
  std::string target;  // path and query, as sent
  std::string body;
  std::map<std::string, std::string> headers;  // lower-cased names

  std::string path() const { return target.substr(0, target.find('?')); }
  std::string query() const {
    const auto q = target.find('?');
    return q == std::string::npos ? std::string() : target.substr(q + 1);
  }
  std::string header(const std::string& name) const {
    const auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

using HeaderPairs = std::vector<std::pair<std::string, std::string>>;

inline std::string httpAnswer(int status, std::string_view body, const HeaderPairs& headers = {},
                              bool contentLength = true) {
  std::string out = "HTTP/1.1 " + std::to_string(status) + " Scripted\r\nConnection: close\r\n";
  if (contentLength) out += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  for (const auto& [name, value] : headers) out += name + ": " + value + "\r\n";
  out += "\r\n";
  out += body;
  return out;
}

class LoopbackHttpServer;

class Connection {
 public:
  Connection(int fd, LoopbackHttpServer& server) : fd_(fd), server_(server) {}
  // False once the peer has gone away (no SIGPIPE: MSG_NOSIGNAL).
  bool send(std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }
  bool respond(int status, std::string_view body, const HeaderPairs& headers = {}) {
    return send(httpAnswer(status, body, headers));
  }
  LoopbackHttpServer& server() { return server_; }

 private:
  int fd_;
  LoopbackHttpServer& server_;
};

class LoopbackHttpServer {
 public:
  using Handler = std::function<void(const HttpExchange&, Connection&)>;

  // With readRequests false the handler runs as soon as a connection is accepted, with an
  // empty exchange (for peers that talk before listening, such as a non-TLS server).
  explicit LoopbackHttpServer(Handler handler, bool readRequests = true)
      : handler_(std::move(handler)), readRequests_(readRequests) {
    listenFd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listenFd_ < 0) std::abort();
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    if (::bind(listenFd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) std::abort();
    if (::listen(listenFd_, 64) != 0) std::abort();
    socklen_t length = sizeof addr;
    ::getsockname(listenFd_, reinterpret_cast<sockaddr*>(&addr), &length);
    port_ = ntohs(addr.sin_port);
    acceptor_ = std::thread([this] { acceptLoop(); });
  }

  LoopbackHttpServer(const LoopbackHttpServer&) = delete;
  LoopbackHttpServer& operator=(const LoopbackHttpServer&) = delete;

  ~LoopbackHttpServer() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    stopped_.notify_all();
    acceptor_.join();
    std::vector<std::thread> workers;
    {
      std::lock_guard lock(mutex_);
      workers.swap(workers_);
    }
    for (std::thread& worker : workers) worker.join();
    ::close(listenFd_);
  }

  int port() const { return port_; }
  std::string host() const { return "127.0.0.1:" + std::to_string(port_); }
  std::string url(std::string_view path = "") const {
    return "http://" + host() + std::string(path);
  }
  int requests() const { return requests_.load(); }
  std::vector<HttpExchange> seen() const {
    std::lock_guard lock(mutex_);
    return seen_;
  }

  // For handlers that must hang (a peer that accepts and never answers): returns when the
  // server is destroyed, or after `limit` as a safety net.
  void waitForStop(std::chrono::seconds limit = std::chrono::seconds(30)) {
    std::unique_lock lock(mutex_);
    stopped_.wait_for(lock, limit, [this] { return stopping_; });
  }

 private:
  void acceptLoop() {
    for (;;) {
      {
        std::lock_guard lock(mutex_);
        if (stopping_) return;
      }
      pollfd pfd{listenFd_, POLLIN, 0};
      if (::poll(&pfd, 1, 20) <= 0) continue;
      const int fd = ::accept4(listenFd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      std::lock_guard lock(mutex_);
      workers_.emplace_back([this, fd] { serve(fd); });
    }
  }

  void serve(int fd) {
    timeval timeout{5, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    HttpExchange exchange;
    if (!readRequests_ || readRequest(fd, exchange)) {
      ++requests_;
      {
        std::lock_guard lock(mutex_);
        seen_.push_back(exchange);
      }
      Connection connection(fd, *this);
      handler_(exchange, connection);
    }
    ::shutdown(fd, SHUT_WR);
    ::close(fd);
  }

  static bool readRequest(int fd, HttpExchange& exchange) {
    std::string data;
    char buffer[8192];
    size_t headerEnd = std::string::npos;
    while ((headerEnd = data.find("\r\n\r\n")) == std::string::npos) {
      const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
      if (n <= 0 || data.size() > (1u << 20)) return false;
      data.append(buffer, static_cast<size_t>(n));
    }
    const std::string head = data.substr(0, headerEnd);
    std::string body = data.substr(headerEnd + 4);
    size_t lineEnd = head.find("\r\n");
    const std::string requestLine = head.substr(0, lineEnd);
    const auto firstSpace = requestLine.find(' ');
    const auto secondSpace = requestLine.find(' ', firstSpace + 1);
    exchange.method = requestLine.substr(0, firstSpace);
    exchange.target = requestLine.substr(firstSpace + 1, secondSpace - firstSpace - 1);
    while (lineEnd != std::string::npos) {
      const size_t start = lineEnd + 2;
      lineEnd = head.find("\r\n", start);
      const std::string line =
          head.substr(start, lineEnd == std::string::npos ? std::string::npos : lineEnd - start);
      const auto colon = line.find(':');
      if (colon == std::string::npos) continue;
      std::string name = line.substr(0, colon);
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      std::string value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      exchange.headers[name] = value;
    }
    const std::string length = exchange.header("content-length");
    const size_t wanted = length.empty() ? 0 : std::stoul(length);
    while (body.size() < wanted) {
      const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
      if (n <= 0) return false;
      body.append(buffer, static_cast<size_t>(n));
    }
    exchange.body = std::move(body);
    return true;
  }

  Handler handler_;
  bool readRequests_ = true;
  int listenFd_ = -1;
  int port_ = 0;
  std::thread acceptor_;
  mutable std::mutex mutex_;
  std::condition_variable stopped_;
  bool stopping_ = false;
  std::vector<std::thread> workers_;
  std::vector<HttpExchange> seen_;
  std::atomic<int> requests_{0};
};

// A free loopback port with nothing listening on it (for "connection refused").
inline int unusedLoopbackPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t length = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &length);
  ::close(fd);
  return ntohs(addr.sin_port);
}

}  // namespace bulkhead::testing

// Substring check with the whole text in the failure message (no gmock needed).
#define EXPECT_CONTAINS(text, part)                          \
  EXPECT_NE(std::string(text).find(part), std::string::npos) \
      << "expected to find \"" << (part) << "\" in \"" << (text) << "\""
