#include "net/nft.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <thread>
#include <vector>

#include "net/protocol/bytes.h"

namespace bulkhead::net {
namespace {

// "Error: Could not process rule: ... (in: add rule ...)": the first line says what, the
// second echoes the command; the caret line under it is left out.
std::string summarise(const std::string& err) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < err.size() && lines.size() < 2) {
    size_t end = err.find('\n', start);
    if (end == std::string::npos) end = err.size();
    std::string line = err.substr(start, end - start);
    while (!line.empty() && (line.back() == ' ' || line.back() == '\t')) line.pop_back();
    if (!line.empty()) lines.push_back(std::move(line));
    start = end + 1;
  }
  if (lines.empty()) return "nftables failed without a message";
  if (lines.size() == 1) return lines[0];
  const size_t first = lines[1].find_first_not_of(" \t");
  return fmt::format("{} (in: {})", lines[0], lines[1].substr(first == std::string::npos ? 0 : first));
}

}  // namespace

Status inNetworkNamespace(int pid, std::string_view what, const std::function<Status()>& work) {
  const auto fail = [&](const Error& e) { return makeError("pid {}: {}: {}", pid, what, e.message); };
  if (pid <= 0) return fail(makeError("not a process ID"));
  const std::string path = "/proc/" + std::to_string(pid) + "/ns/net";
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail(makeError("{}: {}", path, std::strerror(errno)));
  Status result;
  // The thread joins the namespace and ends with it; the caller's threads never move.
  std::thread worker([&] {
    if (::setns(fd, CLONE_NEWNET) != 0) {
      result = makeError("{}: cannot join: {}", path, std::strerror(errno));
      return;
    }
    result = work();
  });
  worker.join();
  ::close(fd);
  if (!result) return fail(result.error());
  return {};
}

bool sameNetworkNamespace(const std::string& a, const std::string& b) {
  struct stat sa {}, sb {};
  return ::stat(a.c_str(), &sa) == 0 && ::stat(b.c_str(), &sb) == 0 && sa.st_dev == sb.st_dev &&
         sa.st_ino == sb.st_ino;
}

// Output and errors are buffered so that they become return values and messages, never the
// process's stderr. Made after setns: its netlink socket belongs to that namespace.
Nft::Nft() : ctx_(nft_ctx_new(NFT_CTX_DEFAULT)) {
  if (ctx_ == nullptr) return;
  nft_ctx_buffer_output(ctx_);
  nft_ctx_buffer_error(ctx_);
}

Nft::~Nft() {
  if (ctx_ != nullptr) nft_ctx_free(ctx_);
}

Result<std::string> Nft::run(const std::string& commands, bool json, unsigned outputFlags) {
  if (ctx_ == nullptr) return makeError("cannot create a libnftables context");
  nft_ctx_output_set_flags(ctx_, outputFlags | (json ? NFT_CTX_OUTPUT_JSON : 0));
  const int rc = nft_run_cmd_from_buffer(ctx_, commands.c_str());
  const std::string out = nft_ctx_get_output_buffer(ctx_);
  const std::string err = nft_ctx_get_error_buffer(ctx_);
  if (rc != 0) return makeError("{}", summarise(err));
  return out;
}

Result<std::pair<int, std::string>> nftAddress(const std::string& text) {
  // inet_pton stops at a NUL: check every byte, so that nothing but the address is taken.
  if (text.empty() || text.size() > INET6_ADDRSTRLEN + 4 ||
      text.find_first_not_of("0123456789abcdefABCDEF:./") != std::string::npos) {
    return makeError("allowed address \"{}\": not an IPv4 or IPv6 address or prefix", printable(text, 64));
  }
  const size_t slash = text.find('/');
  const std::string address = text.substr(0, slash);
  unsigned char bytes[16] = {};
  int family = AF_INET;
  int bits = 32;
  if (::inet_pton(AF_INET, address.c_str(), bytes) != 1) {
    family = AF_INET6;
    bits = 128;
    if (::inet_pton(AF_INET6, address.c_str(), bytes) != 1) {
      return makeError("allowed address \"{}\": not an IPv4 or IPv6 address or prefix", text);
    }
  }
  int length = bits;
  if (slash != std::string::npos) {
    const std::string prefix = text.substr(slash + 1);
    const auto [end, ec] = std::from_chars(prefix.data(), prefix.data() + prefix.size(), length);
    if (prefix.empty() || ec != std::errc() || end != prefix.data() + prefix.size() || length < 0 || length > bits) {
      return makeError("allowed address \"{}\": prefix length is not 0 to {}", text, bits);
    }
  }
  for (int bit = length; bit < bits; ++bit) bytes[bit / 8] &= static_cast<unsigned char>(~(0x80u >> (bit % 8)));
  char canonical[INET6_ADDRSTRLEN] = {};
  ::inet_ntop(family, bytes, canonical, sizeof canonical);
  std::string out = canonical;
  if (length != bits) out += "/" + std::to_string(length);
  return std::pair<int, std::string>{family, out};
}

}  // namespace bulkhead::net
