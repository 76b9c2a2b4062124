#include "support/flow_recorder.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <string_view>

namespace bulkhead::testing {

namespace {

constexpr std::size_t kChunk = 64 * 1024;
constexpr std::string_view kMagic = "bulkhead-flow";

Error sysError(std::string_view what) { return makeError("{}: {}", what, std::strerror(errno)); }

std::string_view transportName(net::Transport t) { return t == net::Transport::Tcp ? "tcp" : "udp"; }

template <typename T>
bool parseNumber(std::string_view text, T& out) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size() && !text.empty();
}

Result<std::pair<sockaddr_storage, socklen_t>> address(const std::string& host, std::uint16_t port) {
  sockaddr_storage storage{};
  auto* v4 = reinterpret_cast<sockaddr_in*>(&storage);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&storage);
  if (::inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    return std::make_pair(storage, static_cast<socklen_t>(sizeof(sockaddr_in)));
  }
  if (::inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    return std::make_pair(storage, static_cast<socklen_t>(sizeof(sockaddr_in6)));
  }
  return makeError("flow recorder: target host {} is not an IP address", host);
}

}  // namespace

net::FlowSample FlowRecord::sample() const {
  net::FlowSample s;
  s.transport = transport;
  s.serverPort = serverPort;
  s.client = client;
  s.server = server;
  return s;
}

Status saveFlow(const std::string& path, const FlowRecord& flow) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return makeError("{}: cannot create", tmp);
    out << kMagic << " 1 " << transportName(flow.transport) << ' ' << flow.serverPort << ' '
        << flow.client.size() << ' ' << flow.server.size() << '\n';
    out.write(reinterpret_cast<const char*>(flow.client.data()), static_cast<std::streamsize>(flow.client.size()));
    out.write(reinterpret_cast<const char*>(flow.server.data()), static_cast<std::streamsize>(flow.server.size()));
    if (!out.flush()) return makeError("{}: write failed", tmp);
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) return sysError("rename " + tmp + " to " + path);
  return {};
}

Result<FlowRecord> loadFlow(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return makeError("{}: cannot open", path);
  const std::string data((std::istreambuf_iterator<char>(in)), {});
  const auto newline = data.find('\n');
  if (newline == std::string::npos || newline > 128) return makeError("{}: no flow header line", path);
  std::istringstream header(data.substr(0, newline));
  std::vector<std::string> fields;
  for (std::string f; header >> f;) fields.push_back(f);
  if (fields.size() != 6 || fields[0] != kMagic || fields[1] != "1") {
    return makeError("{}: header is not 'bulkhead-flow 1 <tcp|udp> <port> <clientLen> <serverLen>'", path);
  }
  FlowRecord flow;
  if (fields[2] == "tcp") {
    flow.transport = net::Transport::Tcp;
  } else if (fields[2] == "udp") {
    flow.transport = net::Transport::Udp;
  } else {
    return makeError("{}: unknown transport '{}'", path, fields[2]);
  }
  std::size_t clientLen = 0, serverLen = 0;
  if (!parseNumber(fields[3], flow.serverPort) || !parseNumber(fields[4], clientLen) ||
      !parseNumber(fields[5], serverLen)) {
    return makeError("{}: bad number in header", path);
  }
  const std::size_t body = data.size() - newline - 1;
  if (clientLen > body || serverLen != body - clientLen) {
    return makeError("{}: header says {}+{} bytes, the file holds {}", path, clientLen, serverLen, body);
  }
  const auto* bytes = reinterpret_cast<const std::uint8_t*>(data.data()) + newline + 1;
  flow.client.assign(bytes, bytes + clientLen);
  flow.server.assign(bytes + clientLen, bytes + clientLen + serverLen);
  flow.closed = true;
  return flow;
}

// ------------------------------------------------------------------ the relay

struct FlowRecorder::Connection {
  std::array<int, 2> fd{-1, -1};  // 0: the client's connection, 1: ours to the target
  std::array<std::vector<std::uint8_t>, 2> pending;  // bytes still to send to fd[i]
  std::array<bool, 2> eof{false, false};             // fd[i] sent FIN
  std::array<bool, 2> shut{false, false};            // we sent FIN to fd[i]
  std::size_t flow = 0;
};

Result<std::unique_ptr<FlowRecorder>> FlowRecorder::tcp(std::uint16_t targetPort, const std::string& targetHost) {
  std::unique_ptr<FlowRecorder> r(new FlowRecorder());
  r->transport_ = net::Transport::Tcp;
  BH_TRY_STATUS(r->listen(SOCK_STREAM, targetPort, targetHost));
  r->thread_ = std::thread([p = r.get()] { p->run(); });
  return r;
}

Result<std::unique_ptr<FlowRecorder>> FlowRecorder::udp(std::uint16_t targetPort, const std::string& targetHost) {
  std::unique_ptr<FlowRecorder> r(new FlowRecorder());
  r->transport_ = net::Transport::Udp;
  BH_TRY_STATUS(r->listen(SOCK_DGRAM, targetPort, targetHost));
  r->thread_ = std::thread([p = r.get()] { p->run(); });
  return r;
}

Status FlowRecorder::listen(int type, std::uint16_t targetPort, const std::string& targetHost) {
  auto target = address(targetHost, targetPort);
  if (!target) return std::move(target).error();
  target_ = target->first;
  targetLen_ = target->second;
  targetPort_ = targetPort;
  wakeFd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wakeFd_ < 0) return sysError("flow recorder: eventfd");
  listenFd_ = ::socket(AF_INET, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (listenFd_ < 0) return sysError("flow recorder: socket");
  const int one = 1;
  ::setsockopt(listenFd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in local{};
  local.sin_family = AF_INET;
  local.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(listenFd_, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) {
    return sysError("flow recorder: bind 127.0.0.1:0");
  }
  if (type == SOCK_STREAM && ::listen(listenFd_, 64) != 0) return sysError("flow recorder: listen");
  socklen_t len = sizeof local;
  if (::getsockname(listenFd_, reinterpret_cast<sockaddr*>(&local), &len) != 0) {
    return sysError("flow recorder: getsockname");
  }
  port_ = ntohs(local.sin_port);
  return {};
}

FlowRecorder::~FlowRecorder() {
  if (thread_.joinable()) {
    const std::uint64_t one = 1;
    if (::write(wakeFd_, &one, sizeof one) < 0) std::perror("flow recorder: wake");
    thread_.join();
  }
  if (listenFd_ >= 0) ::close(listenFd_);
  if (wakeFd_ >= 0) ::close(wakeFd_);
}

std::vector<FlowRecord> FlowRecorder::flows() const {
  std::lock_guard lock(mutex_);
  return flows_;
}

bool FlowRecorder::waitFor(const std::function<bool(const std::vector<FlowRecord>&)>& ready,
                           std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return ready(flows_); });
}

std::size_t FlowRecorder::newFlow() {
  std::lock_guard lock(mutex_);
  FlowRecord flow;
  flow.transport = transport_;
  flow.serverPort = targetPort_;
  flows_.push_back(std::move(flow));
  changed_.notify_all();
  return flows_.size() - 1;
}

void FlowRecorder::record(std::size_t flow, bool fromClient, const std::uint8_t* data, std::size_t size) {
  std::lock_guard lock(mutex_);
  auto& bytes = fromClient ? flows_[flow].client : flows_[flow].server;
  const std::size_t take = std::min(size, net::kMaxSample - std::min(net::kMaxSample, bytes.size()));
  bytes.insert(bytes.end(), data, data + take);
  changed_.notify_all();
}

void FlowRecorder::markClosed(std::size_t flow) {
  std::lock_guard lock(mutex_);
  flows_[flow].closed = true;
  changed_.notify_all();
}

void FlowRecorder::run() {
  if (transport_ == net::Transport::Tcp) {
    runTcp();
  } else {
    runUdp();
  }
}

void FlowRecorder::runTcp() {
  std::vector<Connection> connections;
  std::vector<std::uint8_t> buffer(kChunk);
  auto closeConnection = [&](Connection& c) {
    for (int& fd : c.fd) {
      if (fd >= 0) ::close(fd);
      fd = -1;
    }
    markClosed(c.flow);
  };
  for (;;) {
    std::vector<pollfd> fds{{wakeFd_, POLLIN, 0}, {listenFd_, POLLIN, 0}};
    for (const auto& c : connections) {
      for (int i = 0; i < 2; ++i) {
        short events = 0;
        if (!c.eof[i] && c.pending[1 - i].empty()) events |= POLLIN;  // back-pressure
        if (!c.pending[i].empty()) events |= POLLOUT;
        fds.push_back({events != 0 ? c.fd[i] : -1, events, 0});  // poll skips fd -1
      }
    }
    if (::poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      std::perror("flow recorder: poll");
      break;
    }
    if (fds[0].revents != 0) break;
    for (std::size_t k = 0; k < connections.size(); ++k) {
      Connection& c = connections[k];
      bool failed = false;
      for (int i = 0; i < 2 && !failed; ++i) {
        const pollfd& p = fds[2 + 2 * k + static_cast<std::size_t>(i)];
        bool acted = false;
        if ((p.events & POLLIN) && (p.revents & (POLLIN | POLLHUP | POLLERR))) {
          acted = true;
          const ssize_t n = ::recv(c.fd[i], buffer.data(), buffer.size(), 0);
          if (n > 0) {
            record(c.flow, i == 0, buffer.data(), static_cast<std::size_t>(n));
            c.pending[1 - i].assign(buffer.begin(), buffer.begin() + n);
          } else if (n == 0) {
            c.eof[i] = true;
          } else if (errno != EAGAIN && errno != EINTR) {
            failed = true;
          }
        }
        if (!failed && (p.events & POLLOUT) && (p.revents & (POLLOUT | POLLHUP | POLLERR))) {
          acted = true;
          const ssize_t n = ::send(c.fd[i], c.pending[i].data(), c.pending[i].size(), MSG_NOSIGNAL);
          if (n > 0) {
            c.pending[i].erase(c.pending[i].begin(), c.pending[i].begin() + n);
          } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
            failed = true;
          }
        }
        // a hang-up or error we had no use for would wake poll for ever
        if (!acted && (p.revents & (POLLHUP | POLLERR))) failed = true;
      }
      if (failed) {
        closeConnection(c);
        continue;
      }
      for (int i = 0; i < 2; ++i) {  // pass a FIN on once everything before it is through
        if (c.eof[1 - i] && c.pending[i].empty() && !c.shut[i]) {
          ::shutdown(c.fd[i], SHUT_WR);
          c.shut[i] = true;
        }
      }
      if (c.shut[0] && c.shut[1]) closeConnection(c);
    }
    std::erase_if(connections, [](const Connection& c) { return c.fd[0] < 0; });
    if (fds[1].revents & POLLIN) {
      for (;;) {
        const int client = ::accept4(listenFd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (client < 0) break;
        const int server = ::socket(target_.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        // loopback: a blocking connect returns at once
        if (server < 0 || ::connect(server, reinterpret_cast<const sockaddr*>(&target_), targetLen_) != 0) {
          std::perror("flow recorder: connect to the target");
          if (server >= 0) ::close(server);
          ::close(client);
          continue;
        }
        ::fcntl(server, F_SETFL, ::fcntl(server, F_GETFL) | O_NONBLOCK);
        Connection c;
        c.fd = {client, server};
        c.flow = newFlow();
        connections.push_back(std::move(c));
      }
    }
  }
  for (auto& c : connections) closeConnection(c);
}

void FlowRecorder::runUdp() {
  struct Session {
    sockaddr_storage client{};
    socklen_t clientLen = 0;
    int fd = -1;  // connected to the target
    std::size_t flow = 0;
    bool sawClient = false, sawServer = false;
  };
  std::map<std::string, Session> sessions;  // by the client's address bytes
  std::vector<std::uint8_t> buffer(kChunk);
  for (;;) {
    std::vector<pollfd> fds{{wakeFd_, POLLIN, 0}, {listenFd_, POLLIN, 0}};
    std::vector<Session*> order;
    for (auto& [key, s] : sessions) {
      fds.push_back({s.fd, POLLIN, 0});
      order.push_back(&s);
    }
    if (::poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      std::perror("flow recorder: poll");
      break;
    }
    if (fds[0].revents != 0) break;
    for (std::size_t k = 0; k < order.size(); ++k) {
      if (!(fds[2 + k].revents & POLLIN)) continue;
      Session& s = *order[k];
      const ssize_t n = ::recv(s.fd, buffer.data(), buffer.size(), 0);
      if (n < 0) continue;  // e.g. ECONNREFUSED: nothing listens on the target yet
      if (!s.sawServer) {
        s.sawServer = true;
        record(s.flow, false, buffer.data(), static_cast<std::size_t>(n));
        markClosed(s.flow);
      }
      ::sendto(listenFd_, buffer.data(), static_cast<std::size_t>(n), 0, reinterpret_cast<sockaddr*>(&s.client),
               s.clientLen);
    }
    if (fds[1].revents & POLLIN) {
      for (;;) {
        sockaddr_storage from{};
        socklen_t fromLen = sizeof from;
        const ssize_t n =
            ::recvfrom(listenFd_, buffer.data(), buffer.size(), 0, reinterpret_cast<sockaddr*>(&from), &fromLen);
        if (n < 0) break;
        const std::string key(reinterpret_cast<const char*>(&from), fromLen);
        auto it = sessions.find(key);
        if (it == sessions.end()) {
          Session s;
          s.client = from;
          s.clientLen = fromLen;
          s.fd = ::socket(target_.ss_family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
          if (s.fd < 0 || ::connect(s.fd, reinterpret_cast<const sockaddr*>(&target_), targetLen_) != 0) {
            std::perror("flow recorder: udp socket to the target");
            if (s.fd >= 0) ::close(s.fd);
            continue;
          }
          s.flow = newFlow();
          it = sessions.emplace(key, s).first;
        }
        Session& s = it->second;
        if (!s.sawClient) {
          s.sawClient = true;
          record(s.flow, true, buffer.data(), static_cast<std::size_t>(n));
        }
        ::send(s.fd, buffer.data(), static_cast<std::size_t>(n), 0);
      }
    }
  }
  for (auto& [key, s] : sessions) ::close(s.fd);
}

}  // namespace bulkhead::testing
