#pragma once
// An OCI image layout (index.json, blobs/<alg>/<hex>) in a directory or an oci-archive.

#include <memory>
#include <string>

#include "image/archive_files.h"
#include "image/source.h"

namespace bulkhead::image {

// `tag` selects index.json entries by their org.opencontainers.image.ref.name annotation;
// empty takes the index as it is.
std::unique_ptr<OciStore> makeLayoutStore(std::unique_ptr<ContainerFiles> files, std::string kind,
                                          std::string tag);

}  // namespace bulkhead::image
