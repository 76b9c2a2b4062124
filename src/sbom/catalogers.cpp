// The one list of catalogers. Adding one: write catalogers/<name>.cpp with a
// make<Name>Cataloger() factory, declare it in catalogers/catalogers.h, add a line here.

#include "sbom/catalogers/catalogers.h"

namespace bulkhead::sbom {

const std::vector<std::unique_ptr<Cataloger>>& allCatalogers() {
  static const std::vector<std::unique_ptr<Cataloger>> list = [] {
    std::vector<std::unique_ptr<Cataloger>> out;
    // OS packages first.
    out.push_back(makeDpkgCataloger());
    return out;
  }();
  return list;
}

}  // namespace bulkhead::sbom
