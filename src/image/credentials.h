#pragma once
// Registry credentials as `docker login` leaves them in config.json. Credential helpers
// (credsStore, credHelpers) are external programs and are not run.

#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace bulkhead::image {

struct Credentials {
  std::string username;
  std::string password;
  std::string identityToken;  // an OAuth2 refresh token some registries hand out instead

  bool hasPassword() const { return !username.empty() || !password.empty(); }
};

// $DOCKER_CONFIG/config.json, else $HOME/.docker/config.json ("" when neither is set).
std::string defaultDockerConfigPath();

// The host part of an `auths` key or a registry name, lower-cased, with Docker Hub's
// aliases folded to "docker.io": "https://index.docker.io/v1/" -> "docker.io".
std::string normalizeRegistryHost(std::string_view key);

// Credentials for `registry` ("docker.io", "127.0.0.1:5000") from a Docker config file
// (`dockerConfigPath`, or the default when empty). A missing file or entry gives nullopt; a
// malformed file is an error naming it.
Result<std::optional<Credentials>> lookupCredentials(std::string_view registry,
                                                     const std::string& dockerConfigPath);

// "Basic base64(user:password)".
std::string basicAuthorization(const Credentials& credentials);

// Strict standard base64 (padding optional); nullopt on any invalid input.
std::optional<std::string> decodeBase64(std::string_view text);
std::string encodeBase64(std::string_view data);

}  // namespace bulkhead::image
