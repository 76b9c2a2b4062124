// The one list of catalogers. Adding one: write catalogers/<name>.cpp with a
// make<Name>Cataloger() factory, declare it in catalogers/catalogers.h, add a line here.

#include "sbom/catalogers/catalogers.h"

namespace bulkhead::sbom {

const std::vector<std::unique_ptr<Cataloger>>& allCatalogers() {
  static const std::vector<std::unique_ptr<Cataloger>> list = [] {
    std::vector<std::unique_ptr<Cataloger>> out;
    // OS packages first.
    out.push_back(makeDpkgCataloger());
    out.push_back(makeApkCataloger());
    out.push_back(makeRpmCataloger());
    out.push_back(makeGoCataloger());
    out.push_back(makeJavaCataloger());
    out.push_back(makeNpmCataloger());
    out.push_back(makePythonCataloger());
    out.push_back(makeRubyCataloger());
    out.push_back(makeRustCataloger());
    out.push_back(makePhpCataloger());
    out.push_back(makeDotnetCataloger());
    // Keep last: its rule takes every executable file (only the first matching rule
    // applies), so every other cataloger's rules must come before it.
    out.push_back(makeBinaryCaptureCataloger());
    return out;
  }();
  return list;
}

}  // namespace bulkhead::sbom
