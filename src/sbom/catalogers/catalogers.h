#pragma once
// Factories of the catalogers, one per file in this folder.

#include <memory>

#include "sbom/cataloger.h"

namespace bulkhead::sbom {

std::unique_ptr<Cataloger> makeDpkgCataloger();
std::unique_ptr<Cataloger> makeApkCataloger();
std::unique_ptr<Cataloger> makeRpmCataloger();
std::unique_ptr<Cataloger> makeGoCataloger();
std::unique_ptr<Cataloger> makeJavaCataloger();
std::unique_ptr<Cataloger> makeNpmCataloger();
std::unique_ptr<Cataloger> makePythonCataloger();
std::unique_ptr<Cataloger> makeRubyCataloger();
std::unique_ptr<Cataloger> makeRustCataloger();
std::unique_ptr<Cataloger> makePhpCataloger();
std::unique_ptr<Cataloger> makeDotnetCataloger();
// Not a cataloger of its own: adds the shared "elf-packages" rule (binary_capture.h).
std::unique_ptr<Cataloger> makeBinaryCaptureCataloger();

}  // namespace bulkhead::sbom
