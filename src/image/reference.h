#pragma once
// Registry references: host[:port]/repository[:tag][@digest], with Docker's defaults.

#include <string>
#include <string_view>

#include "core/result.h"
#include "image/digest.h"

namespace bulkhead::image {

struct RegistryReference {
  std::string registry;    // "docker.io", "127.0.0.1:5000"
  std::string repository;  // "library/debian"
  std::string tag;         // empty when only a digest is given
  Digest digest;

  // The tag or digest to ask the registry for (the digest wins when both are given).
  std::string reference() const { return digest.empty() ? tag : digest.str(); }
  // The host that serves the API ("registry-1.docker.io" for docker.io).
  std::string apiHost() const;
  std::string str() const;

  static Result<RegistryReference> parse(std::string_view text);
};

}  // namespace bulkhead::image
