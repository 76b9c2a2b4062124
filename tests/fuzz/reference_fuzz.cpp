// Image references, platforms and the locator's registry transport on arbitrary text.
// parseLocator only ever sees "registry:" + input: anything else could stat() paths, and a
// fuzzer must not touch the file system.

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "image/locator.h"
#include "image/manifest.h"
#include "image/reference.h"

using namespace bulkhead;
using namespace bulkhead::image;

namespace {

[[noreturn]] void fail(const char* what, const std::string& input) {
  fprintf(stderr, "invariant broken: %s (input '%s')\n", what, input.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);

  if (auto ref = RegistryReference::parse(text)) {
    if (ref->registry.empty() || ref->repository.empty()) fail("empty registry or repository", text);
    if (ref->reference().empty()) fail("no tag and no digest", text);
    (void)ref->apiHost();
    // What str() prints must parse back to the same reference.
    auto again = RegistryReference::parse(ref->str());
    if (!again) fail("str() does not parse back", text);
    if (again->registry != ref->registry || again->repository != ref->repository ||
        again->tag != ref->tag || again->digest != ref->digest) {
      fail("str() parses back to another reference", text);
    }
  }

  if (auto platform = Platform::parse(text)) {
    auto again = Platform::parse(platform->str());
    if (!again || again->str() != platform->str()) fail("platform str() does not parse back", text);
    if (!platform->accepts(*platform)) fail("a platform does not accept itself", text);
  }

  // With the prefix, parseLocator never looks at the file system.
  auto loc = parseLocator("registry:" + text);
  if (loc && loc->kind != SourceKind::kRegistry) fail("registry: gave another kind of source", text);
  if (loc && !loc->path.empty()) fail("registry: gave a path", text);
  return 0;
}
