#include "sbom/catalogers/os_support.h"

#include <unordered_map>

namespace bulkhead::sbom {

int layerOfFiles(const image::FileSystemView& fs, const std::vector<std::string>& files) {
  std::unordered_map<int, size_t> votes;
  for (const auto& f : files) {
    const auto* node = fs.find(std::string_view(f).substr(f.starts_with('/') ? 1 : 0));
    if (node == nullptr || node->type == image::EntryType::kDirectory) continue;
    ++votes[node->layer];
  }
  int best = -1;
  size_t bestVotes = 0;
  for (const auto& [layer, count] : votes) {
    if (count > bestVotes || (count == bestVotes && layer < best)) {
      best = layer;
      bestVotes = count;
    }
  }
  return best;
}

}  // namespace bulkhead::sbom
