#include "image/credentials.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "core/json.h"
#include "core/log.h"
#include "core/stream.h"

namespace bulkhead::image {
namespace {

constexpr size_t kMaxConfigBytes = 1u << 20;
// user:password pairs and identity tokens are small; anything huge is garbage.
constexpr size_t kMaxAuthField = 64u * 1024;

bool isBase64Char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '/';
}

// Reads the config without O_NOFOLLOW: Kubernetes mounts secrets as symlinks, and this is
// the user's own file, not content from an image.
Result<std::optional<std::string>> readConfig(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT || errno == ENOTDIR) return std::optional<std::string>();
    return makeError("{}: cannot open Docker config: {}", path, std::strerror(errno));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return makeError("{}: Docker config is not a regular file", path);
  }
  auto stream = FileStream::adopt(fd, path);
  auto text = readAll(*stream, kMaxConfigBytes, path);
  if (!text) return std::move(text).error();
  return std::optional<std::string>(std::move(*text));
}

Result<Credentials> parseEntry(const nlohmann::json& entry, const std::string& key,
                               const std::string& path) {
  const std::string what = fmt::format("{}: auths entry '{}'", path, key);
  if (!entry.is_object()) return makeError("{}: not a JSON object", what);
  Credentials credentials;
  credentials.username = jsonString(entry, "username");
  credentials.password = jsonString(entry, "password");
  credentials.identityToken = jsonString(entry, "identitytoken");
  const std::string auth = jsonString(entry, "auth");
  if (auth.size() > kMaxAuthField || credentials.identityToken.size() > kMaxAuthField) {
    return makeError("{}: credential field longer than {} bytes", what, kMaxAuthField);
  }
  if (!auth.empty()) {
    auto decoded = decodeBase64(auth);
    if (!decoded) return makeError("{}: field 'auth' is not valid base64", what);
    const auto colon = decoded->find(':');
    if (colon == std::string::npos) {
      return makeError("{}: field 'auth' does not decode to 'user:password'", what);
    }
    credentials.username = decoded->substr(0, colon);
    credentials.password = decoded->substr(colon + 1);
  }
  return credentials;
}

}  // namespace

std::string defaultDockerConfigPath() {
  if (const char* dir = std::getenv("DOCKER_CONFIG"); dir && *dir) {
    return std::string(dir) + "/config.json";
  }
  if (const char* home = std::getenv("HOME"); home && *home) {
    return std::string(home) + "/.docker/config.json";
  }
  return {};
}

std::string normalizeRegistryHost(std::string_view key) {
  std::string host(key);
  for (char& c : host) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  for (const std::string_view scheme : {"https://", "http://"}) {
    if (host.starts_with(scheme)) {
      host.erase(0, scheme.size());
      break;
    }
  }
  if (const auto slash = host.find('/'); slash != std::string::npos) host.resize(slash);
  if (host == "index.docker.io" || host == "registry-1.docker.io" ||
      host == "registry.hub.docker.com") {
    host = "docker.io";
  }
  return host;
}

Result<std::optional<Credentials>> lookupCredentials(std::string_view registry,
                                                     const std::string& dockerConfigPath) {
  const std::string path = dockerConfigPath.empty() ? defaultDockerConfigPath() : dockerConfigPath;
  if (path.empty()) return std::optional<Credentials>();
  auto text = readConfig(path);
  if (!text) return std::move(text).error();
  if (!text->has_value()) return std::optional<Credentials>();
  auto root = parseJson(**text, path, JsonLimits{kMaxConfigBytes, 16});
  if (!root) return std::move(root).error();
  if (!root->is_object()) return makeError("{}: Docker config is not a JSON object", path);

  const std::string wanted = normalizeRegistryHost(registry);
  const nlohmann::json* found = nullptr;
  std::string foundKey;
  if (const nlohmann::json* auths = jsonObject(*root, "auths")) {
    // An exact key wins over one that only normalises to the same host.
    if (auto exact = auths->find(std::string(registry)); exact != auths->end()) {
      found = &*exact;
      foundKey = exact.key();
    } else {
      for (auto it = auths->begin(); it != auths->end(); ++it) {
        if (normalizeRegistryHost(it.key()) == wanted) {
          found = &*it;
          foundKey = it.key();
          break;
        }
      }
    }
  } else if (root->contains("auths")) {
    return makeError("{}: field 'auths' is not a JSON object", path);
  }

  std::optional<Credentials> result;
  if (found != nullptr) {
    auto credentials = parseEntry(*found, foundKey, path);
    if (!credentials) return std::move(credentials).error();
    if (credentials->hasPassword() || !credentials->identityToken.empty()) {
      result = std::move(*credentials);
    }
  }
  if (!result) {
    const nlohmann::json* helpers = jsonObject(*root, "credHelpers");
    const bool helper = (helpers != nullptr && helpers->contains(wanted)) ||
                        !jsonString(*root, "credsStore").empty();
    if (helper) {
      log::warn(
          "{}: credentials for {} are kept by a credential helper, which bulkhead does "
          "not run; pass them with --username/--password instead",
          path, registry);
    }
  }
  return result;
}

std::optional<std::string> decodeBase64(std::string_view text) {
  std::string clean;
  clean.reserve(text.size() + 3);
  for (const char c : text) {
    if (c == '\n' || c == '\r' || c == ' ' || c == '\t') continue;
    clean += c;
  }
  size_t padding = 0;
  while (!clean.empty() && clean.back() == '=' && padding < 3) {
    clean.pop_back();
    ++padding;
  }
  for (const char c : clean) {
    if (!isBase64Char(c)) return std::nullopt;  // stray '=' in the middle lands here too
  }
  if (clean.size() % 4 == 1) return std::nullopt;
  if (padding != 0 && (clean.size() + padding) % 4 != 0) return std::nullopt;
  // EVP_DecodeBlock wants whole quanta and counts pad bytes as output: pad, then trim.
  const size_t pad = (4 - clean.size() % 4) % 4;
  clean.append(pad, '=');
  if (clean.empty()) return std::string();
  std::string out(clean.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(clean.data()),
                                static_cast<int>(clean.size()));
  if (n < 0 || static_cast<size_t>(n) != out.size()) return std::nullopt;
  out.resize(out.size() - pad);
  return out;
}

std::string encodeBase64(std::string_view data) {
  std::string out((data.size() + 2) / 3 * 4 + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(data.data()),
                                static_cast<int>(data.size()));
  out.resize(n < 0 ? 0 : static_cast<size_t>(n));
  return out;
}

std::string basicAuthorization(const Credentials& credentials) {
  return "Basic " + encodeBase64(credentials.username + ":" + credentials.password);
}

}  // namespace bulkhead::image
