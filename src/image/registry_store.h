#pragma once
// An OciStore over the OCI Distribution API: manifests by tag or digest, blobs streamed to a
// verified on-disk cache, anonymous, basic and bearer-token authentication.

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/http.h"
#include "image/reference.h"
#include "image/source.h"

namespace bulkhead::image {

struct RegistryOptions {
  bool insecure = false;  // plain http://
  std::string caFile;
  std::string username, password;  // from flags/env; win over config.json
  std::string dockerConfigPath;    // empty = default
  // Blobs are downloaded here, verified, renamed atomically: <dir>/sha256/<hex>.
  // Empty = <cacheDir()>/blobs.
  std::string blobCacheDir;
  HttpOptions http;
  int maxRetries = 3;  // for 429 and 5xx answers; capped at 10
};

std::unique_ptr<OciStore> makeRegistryStore(const RegistryReference& ref,
                                            const RegistryOptions& options);

// One challenge of a WWW-Authenticate header: scheme (lower-cased) and its parameters
// (names lower-cased, quoted values unescaped).
struct AuthChallenge {
  std::string scheme;
  std::map<std::string, std::string> params;
};

// Parses a WWW-Authenticate header that may hold several challenges
// ("Bearer realm=\"https://a/token\",service=\"reg\", Basic realm=\"x\"").
std::vector<AuthChallenge> parseAuthChallenges(std::string_view header);

}  // namespace bulkhead::image
