// Path resolution inside a container's root (runtime/root_path.h) on a tree the input
// describes: directories, files (their bytes are what interpreterOf reads) and symbolic
// links with any target, as a hostile image or container lays them out; then a path, also
// from the input, resolved whole, by its parent, and for its interpreter. The tree is made
// in a scratch directory by single names relative to directory fds, so nothing the input
// says is ever followed out of it; the resolver itself only reads. The sensitive files the
// path names are found there too (runtime/sensitive_files.h), never out of the tree.
//
// Input: a count byte, then per entry a kind byte (0 directory, 1 file, 2 link), a parent
// byte (an earlier directory's index, or the root), a name and a body, each ended by a NUL;
// the rest is the path.

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/root_path.h"
#include "runtime/sensitive_files.h"

using namespace bulkhead::runtime;

namespace {

// A resolved path is absolute and plain: no empty, "." or ".." component.
void checkPlain(const std::string& path) {
  if (path.empty() || path[0] != '/') std::abort();
  if (path == "/") return;
  if (path.back() == '/' || path.find("//") != std::string::npos) std::abort();
  if (path.find("/./") != std::string::npos || path.find("/../") != std::string::npos) std::abort();
  if (path.ends_with("/.") || path.ends_with("/..")) std::abort();
}

struct Reader {
  std::string_view rest;
  bool empty() const { return rest.empty(); }
  uint8_t byte() {
    if (rest.empty()) return 0;
    const auto b = static_cast<uint8_t>(rest.front());
    rest.remove_prefix(1);
    return b;
  }
  std::string_view text() {
    const size_t end = rest.find('\0');
    const std::string_view s = rest.substr(0, end);
    rest.remove_prefix(end == std::string_view::npos ? rest.size() : end + 1);
    return s;
  }
};

// One name: no '/', not "." or "..", not empty.
bool plainName(std::string_view name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string_view::npos && name.size() < 200;
}

// The scratch directory, removed when the fuzzer exits.
struct Scratch {
  std::filesystem::path dir;
  Scratch() {
    std::string name = (std::filesystem::temp_directory_path() / "bh-root-path-fuzz-XXXXXX").string();
    if (::mkdtemp(name.data()) == nullptr) std::abort();
    dir = name;
  }
  ~Scratch() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const Scratch holder;
  const std::filesystem::path& scratch = holder.dir;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(scratch, ec)) std::filesystem::remove_all(entry.path(), ec);
  const int root = ::open(scratch.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root < 0) std::abort();

  Reader in{std::string_view(reinterpret_cast<const char*>(data), size)};
  std::vector<int> dirs{::open(scratch.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  const unsigned count = in.byte() % 24;
  for (unsigned i = 0; i < count && !in.empty(); ++i) {
    const uint8_t kind = in.byte() % 3;
    const int parent = dirs[in.byte() % dirs.size()];
    const std::string name(in.text());
    const std::string body(in.text());
    if (!plainName(name) || parent < 0) continue;
    if (kind == 0) {
      if (::mkdirat(parent, name.c_str(), 0700) == 0) {
        dirs.push_back(::openat(parent, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      }
    } else if (kind == 1) {
      const int fd = ::openat(parent, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0700);
      if (fd >= 0) {
        if (::write(fd, body.data(), body.size()) < 0) {}
        ::close(fd);
      }
    } else if (!body.empty()) {
      (void)::symlinkat(body.c_str(), parent, name.c_str());
    }
  }
  for (int fd : dirs) {
    if (fd >= 0) ::close(fd);
  }

  const std::string path(in.rest.substr(0, 4096));
  if (auto whole = resolveInRoot(root, path); whole.ok()) checkPlain(*whole);
  if (auto parent = resolveParentInRoot(root, path); parent.ok()) checkPlain(*parent);
  if (auto interpreter = interpreterOf(root, path); interpreter.ok() && !interpreter->empty() && (*interpreter)[0] != '/') {
    std::abort();
  }
  // The sensitive files the input's path names (as a file prefix and as a directory) are
  // absolute paths, at most the limit, and files of the tree: no link leads out of it.
  std::set<ino_t> files;
  for (auto it = std::filesystem::recursive_directory_iterator(scratch, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    struct stat st {};
    if (::lstat(it->path().c_str(), &st) == 0 && S_ISREG(st.st_mode)) files.insert(st.st_ino);
  }
  const auto found = findSensitiveFiles(root, {path, path + "/", "/etc/shadow"}, 16);
  if (found.size() > 16) std::abort();
  for (const SensitiveFile& f : found) {
    if (f.path.empty() || f.path[0] != '/' || !files.contains(f.ino)) std::abort();
  }
  ::close(root);
  return 0;
}
