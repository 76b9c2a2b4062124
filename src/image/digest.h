#pragma once
// Content digests as OCI writes them: "algorithm:hex".

#include <string>
#include <string_view>

#include "core/result.h"

namespace bulkhead::image {

struct Digest {
  std::string algorithm;  // "sha256" (verified) or "sha512"
  std::string hex;

  bool empty() const { return hex.empty(); }
  std::string str() const { return empty() ? std::string() : algorithm + ":" + hex; }
  // "sha256:0123456789ab", for messages.
  std::string shortStr() const { return algorithm + ":" + hex.substr(0, 12); }
  bool operator==(const Digest&) const = default;

  static Result<Digest> parse(std::string_view text);
  static Digest sha256(std::string_view hex) { return {"sha256", std::string(hex)}; }
};

}  // namespace bulkhead::image
