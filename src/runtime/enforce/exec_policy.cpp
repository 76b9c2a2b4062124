#include "runtime/enforce/exec_policy.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstring>

#include "runtime/root_path.h"

namespace bulkhead::runtime {

FileId fileIdOf(const struct stat& st) {
  return {static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino), st.st_ctim.tv_sec, st.st_ctim.tv_nsec};
}

Result<std::shared_ptr<const ExecPolicy>> execPolicyFor(const Profile& profile, const std::string& rootfs) {
  const int root = ::open(rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root < 0) return makeError("root file system {}: {}", rootfs, std::strerror(errno));
  auto policy = std::make_shared<ExecPolicy>();
  policy->group = profile.group;
  std::vector<std::string> queue;
  for (const auto& [path, parents] : profile.executables) queue.push_back(path);
  // Interpreters can chain (a script run by a script's interpreter): bounded.
  for (size_t i = 0; i < queue.size() && i < 4 * profile.executables.size() + 16; ++i) {
    const std::string path = queue[i];
    auto resolved = resolveInRoot(root, path);
    if (!resolved) {
      policy->warnings.push_back(resolved.error().message);
      continue;
    }
    // The path as written and as resolved: exec opens are reported resolved, and the
    // profile may hold either form.
    policy->allowed.insert(path);
    if (!policy->allowed.insert(*resolved).second && path != *resolved) continue;
    if (const int file = ::openat(root, resolved->c_str() + 1, O_PATH | O_NOFOLLOW | O_CLOEXEC); file >= 0) {
      struct stat st {};
      if (::fstat(file, &st) == 0 && S_ISREG(st.st_mode)) policy->allowedFiles.insert(fileIdOf(st));
      ::close(file);
    }
    auto interp = interpreterOf(root, *resolved);
    if (!interp) {
      policy->warnings.push_back(interp.error().message);
    } else if (!interp->empty() && !policy->allowed.contains(*interp)) {
      queue.push_back(*interp);
    }
  }
  ::close(root);
  return std::shared_ptr<const ExecPolicy>(std::move(policy));
}

}  // namespace bulkhead::runtime
