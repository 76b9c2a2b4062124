#include "support/node_tool.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "core/sha256.h"
#include "support/testbed.h"

namespace bulkhead::testing {
namespace {

namespace stdfs = std::filesystem;

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

bool testbedRequired() {
  const char* must = std::getenv("BULKHEAD_REQUIRE_TESTBED");
  return must != nullptr && std::string(must) == "1";
}

NodeTool installNodeTool(const std::string& source, const std::string& buildRoot,
                         const std::vector<std::string>& files) {
  NodeTool tool;
  const std::string lock = slurp(source + "/package-lock.json");
  if (lock.empty()) {
    tool.error = "missing " + source + "/package-lock.json";
    return tool;
  }
  std::error_code ec;
  stdfs::create_directories(buildRoot, ec);
  tool.dir = buildRoot + "/" + Sha256::hex(lock).substr(0, 16);
  stdfs::create_directories(tool.dir, ec);
  const int lockFd = ::open((buildRoot + "/.install.lock").c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0600);
  if (lockFd < 0 || ::flock(lockFd, LOCK_EX) != 0) {
    tool.error = "cannot lock " + buildRoot + "/.install.lock";
    if (lockFd >= 0) ::close(lockFd);
    return tool;
  }
  std::vector<std::string> all = {"package.json", "package-lock.json"};
  all.insert(all.end(), files.begin(), files.end());
  for (const auto& file : all) {
    stdfs::copy_file(source + "/" + file, tool.dir + "/" + file, stdfs::copy_options::overwrite_existing, ec);
    if (ec) tool.error = "cannot copy " + file + ": " + ec.message();
  }
  if (tool.error.empty() && !stdfs::exists(tool.dir + "/.installed")) {
    auto node = runCommand({"node", "--version"});
    auto npm = runCommand({"npm", "--version"});
    if (node.exitCode != 0 || npm.exitCode != 0) {
      tool.error = "node and npm are needed (scripts/setup.sh installs them): node exit " +
                   std::to_string(node.exitCode) + ", npm exit " + std::to_string(npm.exitCode);
    } else {
      auto ci = runCommand({"npm", "ci", "--prefix", tool.dir, "--no-audit", "--no-fund", "--ignore-scripts",
                            "--loglevel=error"});
      if (ci.exitCode != 0) {
        tool.error = "npm ci of " + source + " failed (is the npm registry reachable?):\n" + ci.err.substr(0, 4000);
      } else {
        std::ofstream(tool.dir + "/.installed", std::ios::binary | std::ios::trunc) << lock;
      }
    }
  }
  ::close(lockFd);
  return tool;
}

}  // namespace bulkhead::testing
