#pragma once
// `docker save` / skopeo docker-archive tarballs: manifest.json names the config and the
// layer files by path; layers are verified against the config's diff_ids.

#include <memory>
#include <string>

#include "image/archive_files.h"
#include "image/source.h"

namespace bulkhead::image {

// `tag` picks the manifest.json entry whose RepoTags holds it ("repo:tag" or just "tag").
std::unique_ptr<ImageSource> makeDockerArchiveSource(std::unique_ptr<ContainerFiles> files,
                                                     std::string tag);

}  // namespace bulkhead::image
