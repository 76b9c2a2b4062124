#include "core/process.h"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string_view>

extern char** environ;

namespace bulkhead {
namespace {

constexpr std::size_t kMaxStderr = 64 * 1024;

struct Pipe {
  int fd[2] = {-1, -1};
  ~Pipe() {
    for (int f : fd) {
      if (f >= 0) ::close(f);
    }
  }
  void closeEnd(int i) {
    if (fd[i] >= 0) ::close(fd[i]);
    fd[i] = -1;
  }
};

}  // namespace

Status runProgram(const std::vector<std::string>& argv, const std::string& input) {
  if (argv.empty()) return makeError("no program to run");
  const std::string& name = argv[0];
  Pipe in, err;
  // Standard input is a socket so that writing to a child that already exited fails with
  // EPIPE (MSG_NOSIGNAL) instead of raising SIGPIPE in this process.
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in.fd) != 0 || ::pipe2(err.fd, O_CLOEXEC) != 0) {
    return makeError("{}: pipe: {}", name, std::strerror(errno));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in.fd[0], 0);
  posix_spawn_file_actions_adddup2(&actions, err.fd[1], 2);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  const int spawned = ::posix_spawnp(&pid, name.c_str(), &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) return makeError("{}: cannot start: {}", name, std::strerror(spawned));
  in.closeEnd(0);
  err.closeEnd(1);
  // Input and error output together, so that neither side waits on a full pipe.
  std::string stderrText;
  std::size_t written = 0;
  ::fcntl(in.fd[1], F_SETFL, O_NONBLOCK);
  if (input.empty()) in.closeEnd(1);
  while (err.fd[0] >= 0) {
    pollfd fds[2] = {{err.fd[0], POLLIN, 0}, {in.fd[1], POLLOUT, 0}};
    const int n = ::poll(fds, in.fd[1] >= 0 ? 2 : 1, 30000);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // 30 s without progress: give up on the pipes, reap below
    if (in.fd[1] >= 0 && (fds[1].revents & (POLLOUT | POLLERR | POLLHUP)) != 0) {
      const ssize_t w = ::send(in.fd[1], input.data() + written, input.size() - written, MSG_NOSIGNAL);
      if (w > 0) written += static_cast<std::size_t>(w);
      if (w < 0 && errno != EAGAIN) written = input.size();
      if (written >= input.size()) in.closeEnd(1);
    }
    if ((fds[0].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
      char buffer[4096];
      const ssize_t r = ::read(err.fd[0], buffer, sizeof buffer);
      if (r <= 0) {
        err.closeEnd(0);
      } else if (stderrText.size() < kMaxStderr) {
        stderrText.append(buffer, static_cast<std::size_t>(r));
      }
    }
  }
  in.closeEnd(1);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return {};
  // The first lines of what it said (tools such as iptables-restore put their name on the
  // first line and the reason on the next), on one line.
  std::string first;
  for (std::size_t at = 0, lines = 0; at < stderrText.size() && lines < 3; ++lines) {
    const std::size_t end = std::min(stderrText.find('\n', at), stderrText.size());
    std::string_view line(stderrText.data() + at, end - at);
    while (!line.empty() && (line.back() == ' ' || line.back() == '\r')) line.remove_suffix(1);
    if (!line.empty()) first += (first.empty() ? "" : " ") + std::string(line);
    at = end + 1;
  }
  if (WIFEXITED(status)) return makeError("{} exited with {}: {}", name, WEXITSTATUS(status), first);
  return makeError("{} ended by signal {}: {}", name, WTERMSIG(status), first);
}

}  // namespace bulkhead
