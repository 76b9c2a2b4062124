// The list of advisory feed formats: one line per importer.

#include "vuln/importers/importer.h"

namespace bulkhead::vuln {

std::unique_ptr<Importer> makeOsvImporter();
std::unique_ptr<Importer> makeNodejsWgImporter();
std::unique_ptr<Importer> makeDebianListImporter();
std::unique_ptr<Importer> makeAlpineSecdbImporter();

const std::vector<std::unique_ptr<Importer>>& importers() {
  static const auto* const list = [] {
    auto* all = new std::vector<std::unique_ptr<Importer>>();
    all->push_back(makeOsvImporter());
    all->push_back(makeNodejsWgImporter());
    all->push_back(makeDebianListImporter());
    all->push_back(makeAlpineSecdbImporter());
    return all;
  }();
  return *list;
}

const Importer* findImporter(std::string_view format) {
  for (const auto& importer : importers()) {
    if (importer->format() == format) return importer.get();
  }
  return nullptr;
}

}  // namespace bulkhead::vuln
