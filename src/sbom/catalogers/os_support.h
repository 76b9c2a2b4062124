#pragma once
// Helpers shared by the OS package catalogers (apk, rpm).

#include <string>
#include <vector>

#include "image/filesystem.h"

namespace bulkhead::sbom {

// The layer that holds most of a package's regular files and links (directories are in
// every layer that touches them); ties go to the lower layer. -1 when none is in the image.
int layerOfFiles(const image::FileSystemView& fs, const std::vector<std::string>& files);

}  // namespace bulkhead::sbom
