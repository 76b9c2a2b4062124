#include "runtime/root_path.h"

#include <elf.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <vector>

#include "core/unique_fd.h"

namespace bulkhead::runtime {
namespace {

constexpr int kMaxLinks = 40;
constexpr size_t kMaxPath = 4096;

std::vector<std::string> componentsOf(std::string_view path) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < path.size()) {
    const size_t next = path.find('/', i);
    const std::string_view part = path.substr(i, next == std::string_view::npos ? std::string_view::npos : next - i);
    if (!part.empty() && part != ".") out.emplace_back(part);
    if (next == std::string_view::npos) break;
    i = next + 1;
  }
  return out;
}

// Reads up to `size` bytes at `offset`; fewer at the end of the file.
ssize_t readAt(int fd, void* buf, size_t size, off_t offset) { return ::pread(fd, buf, size, offset); }

}  // namespace

Result<std::string> resolveInRoot(int rootFd, std::string_view path) {
  if (path.empty() || path[0] != '/') return makeError("'{}' is not an absolute path", path);
  if (path.size() > kMaxPath) return makeError("path of {} bytes is too long", path.size());
  std::vector<std::string> pending = componentsOf(path);
  std::reverse(pending.begin(), pending.end());
  std::vector<std::string> done;  // resolved components from the root
  int links = 0;
  while (!pending.empty()) {
    std::string part = std::move(pending.back());
    pending.pop_back();
    if (part == "..") {
      if (!done.empty()) done.pop_back();
      continue;
    }
    std::string candidate;
    for (const auto& d : done) candidate += d + "/";
    candidate += part;
    struct stat st {};
    if (::fstatat(rootFd, candidate.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno == ENOENT && pending.empty()) {
        done.push_back(std::move(part));
        break;
      }
      return makeError("'{}': /{}: {}", path, candidate, std::strerror(errno));
    }
    if (!S_ISLNK(st.st_mode)) {
      if (!pending.empty() && !S_ISDIR(st.st_mode)) return makeError("'{}': /{} is not a directory", path, candidate);
      done.push_back(std::move(part));
      continue;
    }
    if (++links > kMaxLinks) return makeError("'{}': more than {} symbolic links", path, kMaxLinks);
    std::array<char, kMaxPath> target{};
    const ssize_t n = ::readlinkat(rootFd, candidate.c_str(), target.data(), target.size() - 1);
    if (n < 0) return makeError("'{}': cannot read link /{}: {}", path, candidate, std::strerror(errno));
    const std::string_view link(target.data(), static_cast<size_t>(n));
    if (!link.empty() && link[0] == '/') done.clear();
    auto parts = componentsOf(link);
    for (auto it = parts.rbegin(); it != parts.rend(); ++it) pending.push_back(std::move(*it));
    if (pending.size() > 4096) return makeError("'{}': links expand too far", path);
  }
  std::string out;
  for (const auto& d : done) out += "/" + d;
  return out.empty() ? std::string("/") : out;
}

Result<std::string> resolveParentInRoot(int rootFd, std::string_view path) {
  if (path.empty() || path[0] != '/') return makeError("'{}' is not an absolute path", path);
  while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  const size_t slash = path.rfind('/');
  const std::string_view name = path.substr(slash + 1);
  if (name.empty() || name == "." || name == "..") return resolveInRoot(rootFd, path);
  auto dir = resolveInRoot(rootFd, slash == 0 ? std::string_view("/") : path.substr(0, slash));
  if (!dir) return std::move(dir).error();
  return (*dir == "/" ? std::string() : *dir) + "/" + std::string(name);
}

Result<std::string> interpreterOf(int rootFd, std::string_view path) {
  auto resolved = resolveInRoot(rootFd, path);
  if (!resolved) return std::move(resolved).error();
  const std::string relative = resolved->substr(1);
  UniqueFd file(::openat(rootFd, relative.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK));
  if (file.fd < 0) return makeError("{}: {}", path, std::strerror(errno));
  struct stat st {};
  if (::fstat(file.fd, &st) != 0 || !S_ISREG(st.st_mode)) return std::string();
  std::array<char, 256> head{};
  const ssize_t n = readAt(file.fd, head.data(), head.size(), 0);
  if (n < 4) return std::string();
  if (head[0] == '#' && head[1] == '!') {
    std::string_view line(head.data() + 2, static_cast<size_t>(n) - 2);
    line = line.substr(0, line.find('\n'));
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    line = line.substr(0, line.find_first_of(" \t\r"));
    return line.empty() || line[0] != '/' ? std::string() : std::string(line);
  }
  if (std::memcmp(head.data(), ELFMAG, SELFMAG) != 0 || n < static_cast<ssize_t>(sizeof(Elf64_Ehdr))) return std::string();
  if (head[EI_CLASS] != ELFCLASS64) return std::string();  // 64-bit hosts; 32-bit is rare in images
  Elf64_Ehdr eh;
  std::memcpy(&eh, head.data(), sizeof eh);
  if (eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum > 512) return makeError("{}: malformed ELF program headers", path);
  for (unsigned i = 0; i < eh.e_phnum; ++i) {
    Elf64_Phdr ph;
    const off_t at = static_cast<off_t>(eh.e_phoff + i * sizeof ph);
    if (eh.e_phoff > static_cast<uint64_t>(st.st_size) || readAt(file.fd, &ph, sizeof ph, at) != static_cast<ssize_t>(sizeof ph)) {
      return makeError("{}: truncated ELF program headers", path);
    }
    if (ph.p_type != PT_INTERP) continue;
    if (ph.p_filesz < 2 || ph.p_filesz > kMaxPath) return makeError("{}: malformed PT_INTERP", path);
    std::string interp(ph.p_filesz, '\0');
    if (readAt(file.fd, interp.data(), interp.size(), static_cast<off_t>(ph.p_offset)) != static_cast<ssize_t>(interp.size())) {
      return makeError("{}: truncated PT_INTERP", path);
    }
    interp.resize(std::strlen(interp.c_str()));
    return interp;
  }
  return std::string();
}

}  // namespace bulkhead::runtime
