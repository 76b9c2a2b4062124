#include "support/testbed.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <optional>
#include <string_view>

namespace bulkhead::testing {

const std::map<std::string, std::string>* testbedEnv() {
  static const std::optional<std::map<std::string, std::string>> env = [] {
    std::optional<std::map<std::string, std::string>> out;
    const char* path = std::getenv("BULKHEAD_TESTBED_ENV");
    if (path == nullptr || *path == '\0') return out;
    std::ifstream in(path);
    if (!in) return out;
    out.emplace();
    std::string line;
    while (std::getline(in, line)) {
      if (line.empty() || line[0] == '#') continue;
      const auto eq = line.find('=');
      if (eq == std::string::npos) continue;
      std::string value = line.substr(eq + 1);
      if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
          value.back() == value.front()) {
        value = value.substr(1, value.size() - 2);
      }
      (*out)[line.substr(0, eq)] = value;
    }
    return out;
  }();
  return env ? &*env : nullptr;
}

std::string testbedValue(const std::string& key) {
  const auto* env = testbedEnv();
  if (env == nullptr) return {};
  auto it = env->find(key);
  return it == env->end() ? std::string() : it->second;
}

std::string bulkheadBinary() {
  const char* path = std::getenv("BULKHEAD_BINARY");
  return path && *path ? path : BULKHEAD_BINARY_PATH;
}

CommandResult runCommand(const std::vector<std::string>& argv,
                         const std::map<std::string, std::string>& env) {
  CommandResult result;
  char outName[] = "/tmp/bulkhead-test-out-XXXXXX";
  char errName[] = "/tmp/bulkhead-test-err-XXXXXX";
  const int outFd = ::mkstemp(outName);
  const int errFd = ::mkstemp(errName);
  // Everything the child needs is made before fork: the test process has threads, and a
  // child that allocates can hang on a lock another thread held (seen under ASan).
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<std::string> envStrings;
  std::vector<char*> envp;
  if (!env.empty()) {
    for (char** e = environ; *e != nullptr; ++e) {
      const std::string_view entry(*e);
      if (!env.contains(std::string(entry.substr(0, entry.find('='))))) envp.push_back(*e);
    }
    for (const auto& [k, v] : env) envStrings.push_back(k + "=" + v);
    for (auto& s : envStrings) envp.push_back(s.data());
    envp.push_back(nullptr);
  }
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(outFd, 1);
    ::dup2(errFd, 2);
    const int devnull = ::open("/dev/null", O_RDONLY);
    ::dup2(devnull, 0);
    if (env.empty()) {
      ::execvp(args[0], args.data());
    } else {
      ::execvpe(args[0], args.data(), envp.data());
    }
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  result.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  auto slurp = [](const char* name) {
    std::ifstream in(name);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  result.out = slurp(outName);
  result.err = slurp(errName);
  ::close(outFd);
  ::close(errFd);
  ::unlink(outName);
  ::unlink(errName);
  return result;
}

}  // namespace bulkhead::testing
