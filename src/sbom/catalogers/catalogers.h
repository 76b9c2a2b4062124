#pragma once
// Factories of the catalogers, one per file in this folder.

#include <memory>

#include "sbom/cataloger.h"

namespace bulkhead::sbom {

std::unique_ptr<Cataloger> makeDpkgCataloger();

}  // namespace bulkhead::sbom
