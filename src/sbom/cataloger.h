#pragma once
// A cataloger finds one kind of package in an image. Each lives in its own file under
// catalogers/ and is added to the one list in catalogers.cpp.
//
// Collect, then evaluate: before the image is read, every cataloger adds the capture rules
// for the files it needs (package databases, manifests, binaries reduced to their build
// info), so all of them are gathered in the single pass over each layer. catalog() then
// works on the Image: its file-system view, readFile() and derived().

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "image/capture.h"
#include "image/image_reader.h"
#include "sbom/package.h"

namespace bulkhead::sbom {

struct CatalogContext {
  const image::Image& image;
  std::vector<std::string>& warnings;  // per-file problems that do not stop the catalog
};

class Cataloger {
 public:
  virtual ~Cataloger() = default;
  virtual std::string_view name() const = 0;
  // OS catalogers run first: the files their packages own mark language packages as
  // distro-packaged.
  virtual bool osPackages() const { return false; }
  virtual void addCaptureRules(image::CaptureSpec& spec) const = 0;
  // Appends what it finds. A malformed file is a warning naming the file, not an error:
  // one broken package.json must not hide the rest of the image.
  virtual Status catalog(const CatalogContext& context, std::vector<Package>& out) const = 0;
};

// Every cataloger, in the order they run (catalogers.cpp).
const std::vector<std::unique_ptr<Cataloger>>& allCatalogers();

}  // namespace bulkhead::sbom
