#include "image/registry_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <optional>
#include <thread>

#include "core/json.h"
#include "core/log.h"
#include "core/paths.h"
#include "core/sha256.h"
#include "core/stream.h"
#include "image/credentials.h"

namespace bulkhead::image {
namespace {

using Sink = std::function<Status(const char*, size_t)>;

constexpr size_t kMaxManifestBytes = 4u << 20;
constexpr size_t kMaxTokenBytes = 1u << 20;
constexpr int kMaxRetriesCap = 10;
constexpr std::chrono::milliseconds kBaseBackoff{200};
constexpr std::chrono::milliseconds kMaxBackoff{5000};
constexpr std::string_view kManifestAccept =
    "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, "
    "application/vnd.docker.distribution.manifest.list.v2+json, "
    "application/vnd.docker.distribution.manifest.v2+json";
constexpr std::string_view kCredentialsHint =
    "use --username/--password, BULKHEAD_USERNAME/BULKHEAD_PASSWORD, or docker login config";

// ---- WWW-Authenticate parsing -------------------------------------------------------------

bool isTokenChar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~/:").find(c) != std::string_view::npos;
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

class ChallengeParser {
 public:
  explicit ChallengeParser(std::string_view text) : text_(text) {}

  std::vector<AuthChallenge> parse() {
    std::vector<AuthChallenge> out;
    constexpr size_t kMaxChallenges = 16;
    constexpr size_t kMaxParams = 32;
    while (out.size() < kMaxChallenges) {
      skip(" \t,");
      const std::string scheme = token();
      if (scheme.empty()) {
        if (pos_ >= text_.size()) break;
        ++pos_;  // junk: step over it rather than give up on later challenges
        continue;
      }
      AuthChallenge challenge{lower(scheme), {}};
      while (challenge.params.size() < kMaxParams) {
        const size_t mark = pos_;
        skip(" \t,");
        const std::string name = token();
        skip(" \t");
        if (name.empty() || !consume('=')) {
          pos_ = mark;  // a bare token starts the next challenge (or is token68 junk)
          if (name.empty()) break;
          if (!challenge.params.empty() || pos_ >= text_.size()) break;
          skip(" \t,");
          (void)token();  // token68 right after the scheme ("Basic abc=="): ignored
          while (consume('=')) {
          }
          break;
        }
        skip(" \t");
        challenge.params[lower(name)] = peek() == '"' ? quoted() : token();
      }
      out.push_back(std::move(challenge));
    }
    return out;
  }

 private:
  char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }
  bool consume(char c) {
    if (peek() != c || pos_ >= text_.size()) return false;
    ++pos_;
    return true;
  }
  void skip(std::string_view set) {
    while (pos_ < text_.size() && set.find(text_[pos_]) != std::string_view::npos) ++pos_;
  }
  std::string token() {
    const size_t start = pos_;
    while (pos_ < text_.size() && isTokenChar(text_[pos_])) ++pos_;
    return std::string(text_.substr(start, pos_ - start));
  }
  std::string quoted() {
    std::string out;
    ++pos_;  // opening quote
    while (pos_ < text_.size()) {
      const char c = text_[pos_++];
      if (c == '"') return out;
      if (c == '\\' && pos_ < text_.size()) {
        out += text_[pos_++];
      } else {
        out += c;
      }
    }
    return out;  // unterminated: take what is there
  }

  std::string_view text_;
  size_t pos_ = 0;
};

// ---- small helpers ------------------------------------------------------------------------

// The host of an http(s) URL, without port, brackets or user info.
std::string urlHost(std::string_view url) {
  const auto scheme = url.find("://");
  if (scheme == std::string_view::npos) return {};
  std::string_view rest = url.substr(scheme + 3);
  rest = rest.substr(0, rest.find_first_of("/?#"));
  if (const auto at = rest.rfind('@'); at != std::string_view::npos) rest = rest.substr(at + 1);
  if (rest.starts_with('[')) {
    const auto close = rest.find(']');
    return lower(rest.substr(1, close == std::string_view::npos ? rest.size() : close - 1));
  }
  return lower(rest.substr(0, rest.find(':')));
}

bool isLoopbackHost(const std::string& host) {
  return host == "localhost" || host.starts_with("127.") || host == "::1";
}

bool isRetryable(long status) { return status == 429 || (status >= 500 && status <= 599); }

// " (MANIFEST_UNKNOWN: manifest unknown)" from a distribution error body, or "".
std::string registryErrorText(const std::string& body) {
  if (body.empty() || body.size() > 64 * 1024) return {};
  auto root = parseJson(body, "registry error", JsonLimits{64 * 1024, 8});
  if (!root) return {};
  const nlohmann::json* errors = jsonArray(*root, "errors");
  if (errors == nullptr || errors->empty()) return {};
  const nlohmann::json& first = (*errors)[0];
  std::string code = jsonString(first, "code");
  std::string message = jsonString(first, "message");
  constexpr size_t kMaxText = 200;  // hostile servers write essays
  if (code.size() > kMaxText) code.resize(kMaxText);
  if (message.size() > kMaxText) message.resize(kMaxText);
  if (code.empty() && message.empty()) return {};
  if (code.empty()) return fmt::format(" ({})", message);
  if (message.empty()) return fmt::format(" ({})", code);
  return fmt::format(" ({}: {})", code, message);
}

std::chrono::milliseconds backoff(int attempt, const HttpResponse& response) {
  const std::string retryAfter = response.header("retry-after");
  if (!retryAfter.empty() && retryAfter.size() <= 6 &&
      std::all_of(retryAfter.begin(), retryAfter.end(),
                  [](char c) { return c >= '0' && c <= '9'; })) {
    return std::min(std::chrono::milliseconds(std::stol(retryAfter) * 1000), kMaxBackoff);
  }
  return std::min(kBaseBackoff * (1L << std::min(attempt, 10)), kMaxBackoff);
}

bool isSha256(const Digest& digest) {
  return digest.algorithm == "sha256" && digest.hex.size() == 64 &&
         std::all_of(digest.hex.begin(), digest.hex.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

Status verifyBytes(std::string_view bytes, const Digest& expected, std::string_view what) {
  if (expected.algorithm != "sha256") {
    return makeError("{}: cannot verify {} digests", what, expected.algorithm);
  }
  const std::string actual = Sha256::hex(bytes);
  if (actual != expected.hex) {
    return makeError("{}: digest mismatch: expected {}, content hashes to sha256:{}", what,
                     expected.str(), actual);
  }
  return {};
}

std::string contentType(const HttpResponse& response) {
  std::string type = response.header("content-type");
  if (const auto semicolon = type.find(';'); semicolon != std::string::npos) type.resize(semicolon);
  while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) type.pop_back();
  return lower(type);
}

// Content-Type when it names an index or manifest; else what the body declares; else the
// Content-Type as given (the resolver rejects types it does not know).
Result<std::string> documentType(const HttpResponse& response, std::string_view what) {
  std::string type = contentType(response);
  if (media::isIndex(type) || media::isManifest(type)) return type;
  auto declared = documentMediaType(response.body, what);
  if (!declared) return std::move(declared).error();
  return declared->empty() ? type : *declared;
}

// Removes a partial download unless it was renamed into place.
class TempFile {
 public:
  TempFile(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  ~TempFile() {
    closeFd();
    if (!path_.empty()) ::unlink(path_.c_str());
  }
  int fd() const { return fd_; }
  const std::string& path() const { return path_; }
  void closeFd() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  void keep() { path_.clear(); }

 private:
  int fd_;
  std::string path_;
};

Status writeAll(int fd, const char* data, size_t size, const std::string& path) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return makeError("cannot write {}: {}", path, std::strerror(errno));
    data += n;
    size -= static_cast<size_t>(n);
  }
  return {};
}

// ---- the store ----------------------------------------------------------------------------

class RegistryStore final : public OciStore {
 public:
  RegistryStore(RegistryReference ref, RegistryOptions options)
      : ref_(std::move(ref)), options_(std::move(options)) {
    if (options_.blobCacheDir.empty()) options_.blobCacheDir = cacheDir() + "/blobs";
    if (!options_.caFile.empty()) options_.http.caFile = options_.caFile;
    options_.maxRetries = std::clamp(options_.maxRetries, 0, kMaxRetriesCap);
    base_ = fmt::format("{}://{}/v2/{}", options_.insecure ? "http" : "https", ref_.apiHost(),
                        ref_.repository);
  }

  std::string describe() const override { return "registry " + ref_.str(); }

  Result<Document> fetchRoot() override {
    const std::string reference = ref_.reference();
    const std::string what =
        fmt::format("manifest {} of {}/{}", reference, ref_.registry, ref_.repository);
    auto response = fetchDocument(reference, "", what);
    if (!response) return std::move(response).error();
    Document document;
    auto type = documentType(*response, what);
    if (!type) return std::move(type).error();
    document.mediaType = std::move(*type);
    if (!ref_.digest.empty()) {
      BH_TRY_STATUS(verifyBytes(response->body, ref_.digest, what));
      document.digest = ref_.digest;
    } else if (auto header = response->header("docker-content-digest"); !header.empty()) {
      auto claimed = Digest::parse(header);
      if (!claimed) {
        return makeError("{}: invalid Docker-Content-Digest header from {}: {}", what,
                         response->effectiveUrl, claimed.error().message);
      }
      if (claimed->algorithm == "sha256") {
        const std::string actual = Sha256::hex(response->body);
        if (actual != claimed->hex) {
          return makeError(
              "{}: digest mismatch: the Docker-Content-Digest header from {} says {}, but the "
              "content hashes to sha256:{}",
              what, response->effectiveUrl, claimed->str(), actual);
        }
      }
      // A digest we cannot check is not trusted: name the document by what we computed.
      document.digest =
          claimed->algorithm == "sha256" ? *claimed : Digest::sha256(Sha256::hex(response->body));
    } else {
      document.digest = Digest::sha256(Sha256::hex(response->body));
    }
    document.bytes = std::move(response->body);
    return document;
  }

  Result<Document> fetchManifest(const Descriptor& descriptor) override {
    const std::string what = fmt::format("manifest {} of {}/{}", descriptor.digest.str(),
                                         ref_.registry, ref_.repository);
    // The digest goes into the URL path, and only sha256 can be verified afterwards.
    if (!isSha256(descriptor.digest)) {
      return makeError("{}: not a well-formed sha256 digest", what);
    }
    if (descriptor.size > static_cast<int64_t>(kMaxManifestBytes)) {
      return makeError("{}: {} bytes exceeds the limit of {} bytes", what, descriptor.size,
                       kMaxManifestBytes);
    }
    auto response = fetchDocument(descriptor.digest.str(), descriptor.mediaType, what);
    if (!response) return std::move(response).error();
    if (descriptor.size >= 0 && response->body.size() != static_cast<uint64_t>(descriptor.size)) {
      return makeError("{}: size mismatch: the descriptor says {} bytes, {} sent {}", what,
                       descriptor.size, response->effectiveUrl, response->body.size());
    }
    BH_TRY_STATUS(verifyBytes(response->body, descriptor.digest, what));
    Document document;
    if (media::isIndex(descriptor.mediaType) || media::isManifest(descriptor.mediaType)) {
      document.mediaType = descriptor.mediaType;
    } else {
      auto type = documentType(*response, what);
      if (!type) return std::move(type).error();
      document.mediaType = std::move(*type);
    }
    document.digest = descriptor.digest;
    document.bytes = std::move(response->body);
    return document;
  }

  Result<std::unique_ptr<ByteStream>> openBlob(const Descriptor& descriptor) override {
    const std::string what =
        fmt::format("blob {} from {}/{}", descriptor.digest.str(), ref_.registry, ref_.repository);
    // The digest becomes a file name: only well-formed sha256 digests get that far.
    if (!isSha256(descriptor.digest)) {
      return makeError("{}: not a well-formed sha256 digest (only sha256 blobs can be fetched)",
                       what);
    }
    const std::string dir = options_.blobCacheDir + "/sha256";
    const std::string finalPath = dir + "/" + descriptor.digest.hex;
    struct stat st {};
    if (::stat(finalPath.c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
      if (descriptor.size < 0 || st.st_size == descriptor.size) return openCached(finalPath);
      log::warn("{}: cached copy {} has {} bytes, not {}; downloading again", what, finalPath,
                st.st_size, descriptor.size);
      ::unlink(finalPath.c_str());
    }
    BH_TRY_STATUS(makeDirectories(dir));
    std::string pattern = fmt::format("{}/.{}.partial.XXXXXX", dir, descriptor.digest.hex);
    const int fd = ::mkstemp(pattern.data());
    if (fd < 0) {
      return makeError("{}: cannot create a temporary file in {}: {}", what, dir,
                       std::strerror(errno));
    }
    TempFile temp(fd, pattern);

    const std::string url = base_ + "/blobs/" + descriptor.digest.str();
    Sha256 hasher;
    uint64_t received = 0;
    const Sink sink = [&](const char* data, size_t size) -> Status {
      received += size;
      if (descriptor.size >= 0 && received > static_cast<uint64_t>(descriptor.size)) {
        return makeError("{} sent more than the {} bytes its descriptor says", url,
                         descriptor.size);
      }
      hasher.update(data, size);
      return writeAll(temp.fd(), data, size, temp.path());
    };
    auto response = send(request(url), &sink, what);
    if (!response) return std::move(response).error();
    BH_TRY_STATUS(checkStatus(*response, url, what, "blob unknown"));
    if (descriptor.size >= 0 && received != static_cast<uint64_t>(descriptor.size)) {
      return makeError("{}: truncated: {} sent {} bytes, but the descriptor says {}", what,
                       response->effectiveUrl, received, descriptor.size);
    }
    const std::string actual = hasher.finishHex();
    if (actual != descriptor.digest.hex) {
      return makeError("{}: digest mismatch: expected {}, content from {} hashes to sha256:{}",
                       what, descriptor.digest.str(), response->effectiveUrl, actual);
    }
    temp.closeFd();
    if (::rename(temp.path().c_str(), finalPath.c_str()) != 0) {
      return makeError("{}: cannot move the download into {}: {}", what, finalPath,
                       std::strerror(errno));
    }
    temp.keep();
    return openCached(finalPath);
  }

 private:
  static Result<std::unique_ptr<ByteStream>> openCached(const std::string& path) {
    auto stream = FileStream::open(path);
    if (!stream) return std::move(stream).error();
    return std::unique_ptr<ByteStream>(std::move(*stream));
  }

  HttpRequest request(std::string url) const {
    HttpRequest req;
    req.url = std::move(url);
    req.options = options_.http;
    return req;
  }

  Result<HttpResponse> fetchDocument(const std::string& reference, const std::string& preferred,
                                     const std::string& what) {
    const std::string url = base_ + "/manifests/" + reference;
    HttpRequest req = request(url);
    req.maxBodyBytes = kMaxManifestBytes;
    std::string accept = "Accept: ";
    if (!preferred.empty() && preferred.find_first_of("\r\n,") == std::string::npos &&
        std::string_view(kManifestAccept).find(preferred) == std::string_view::npos) {
      accept += preferred + ", ";
    }
    accept += kManifestAccept;
    req.headers.push_back(std::move(accept));
    auto response = send(std::move(req), nullptr, what);
    if (!response) return response;
    BH_TRY_STATUS(checkStatus(*response, url, what, "manifest unknown"));
    return response;
  }

  // What a final (post-auth, post-retry) non-2xx status means, in words.
  Status checkStatus(const HttpResponse& response, const std::string& url, const std::string& what,
                     std::string_view unknown) const {
    const long status = response.status;
    if (status >= 200 && status < 300) return {};
    const std::string detail = registryErrorText(response.body);
    if (status == 404) {
      return makeError("{}: {}: {} from {}{}", what, unknown, httpStatusText(status), url, detail);
    }
    if (status == 403) {
      return makeError("{}: access denied: {} from {}{}", what, httpStatusText(status), url,
                       detail);
    }
    if (isRetryable(status)) {
      return makeError("{}: {} from {}{}, still after {} retries", what, httpStatusText(status),
                       url, detail, options_.maxRetries);
    }
    return makeError("{}: unexpected {} from {}{}", what, httpStatusText(status), url, detail);
  }

  // Sends with the cached authorization; answers 401 by authenticating once and 429/5xx by
  // retrying with backoff. Every error is prefixed with `what`.
  Result<HttpResponse> send(HttpRequest req, const Sink* sink, const std::string& what) {
    bool authenticated = false;
    bool usedCredentials = false;
    for (int attempt = 0;; ++attempt) {
      HttpRequest current = req;
      const std::string authorization = cachedAuthorization();
      if (!authorization.empty()) current.headers.push_back("Authorization: " + authorization);
      auto response = sink != nullptr ? httpDownload(current, *sink) : httpFetch(current);
      if (!response) return withContext(what, std::move(response).error());
      if (response->status == 401) {
        if (authenticated) return unauthorized(*response, req.url, what, usedCredentials);
        authenticated = true;
        auto used = authenticate(*response, req.url, authorization, what);
        if (!used) return std::move(used).error();
        usedCredentials = *used;
        --attempt;  // authenticating is not a retry
        continue;
      }
      if (isRetryable(response->status) && attempt < options_.maxRetries) {
        const auto delay = backoff(attempt, *response);
        log::debug("{}: {} from {}; retrying in {} ms", what, httpStatusText(response->status),
                   req.url, delay.count());
        std::this_thread::sleep_for(delay);
        continue;
      }
      return response;
    }
  }

  Error unauthorized(const HttpResponse& response, const std::string& url, const std::string& what,
                     bool usedCredentials) const {
    std::string reason;
    for (const AuthChallenge& challenge :
         parseAuthChallenges(response.header("www-authenticate"))) {
      if (auto it = challenge.params.find("error"); it != challenge.params.end()) {
        reason = fmt::format(" ({})", it->second.substr(0, 100));
      }
    }
    if (usedCredentials) {
      return makeError(
          "{}: 401 Unauthorized from {}: the registry rejected the credentials for "
          "{}{}",
          what, url, ref_.registry, reason);
    }
    return makeError("{}: 401 Unauthorized from {}: credentials required ({})", what, url,
                     kCredentialsHint);
  }

  std::string cachedAuthorization() {
    std::lock_guard lock(mutex_);
    return authorization_;
  }

  // Credentials by precedence: options, environment, Docker config. Looked up once, and
  // only when a registry asks, so an unused malformed config.json does not break anonymous
  // pulls.
  Result<std::optional<Credentials>> credentials() {
    std::lock_guard lock(mutex_);
    if (credentialsLoaded_) return credentials_;
    if (!options_.username.empty() || !options_.password.empty()) {
      credentials_ = Credentials{options_.username, options_.password, {}};
    } else if (const char* user = std::getenv("BULKHEAD_USERNAME"); user && *user) {
      const char* password = std::getenv("BULKHEAD_PASSWORD");
      credentials_ = Credentials{user, password ? password : "", {}};
    } else {
      auto found = lookupCredentials(ref_.registry, options_.dockerConfigPath);
      if (!found) return std::move(found).error();
      credentials_ = std::move(*found);
    }
    credentialsLoaded_ = true;
    return credentials_;
  }

  // Answers a 401 challenge; true when credentials went into the new authorization.
  Result<bool> authenticate(const HttpResponse& response, const std::string& url,
                            const std::string& sentAuthorization, const std::string& what) {
    {
      // Another thread may have fetched a fresh token since this request went out.
      std::lock_guard lock(mutex_);
      if (authorization_ != sentAuthorization && !authorization_.empty()) return hasCredentials_;
    }
    const auto challenges = parseAuthChallenges(response.header("www-authenticate"));
    const AuthChallenge* bearer = nullptr;
    const AuthChallenge* basic = nullptr;
    for (const AuthChallenge& challenge : challenges) {
      if (challenge.scheme == "bearer" && bearer == nullptr) bearer = &challenge;
      if (challenge.scheme == "basic" && basic == nullptr) basic = &challenge;
    }
    auto found = credentials();
    if (!found) return withContext(what, std::move(found).error());
    const std::optional<Credentials>& creds = *found;

    std::string authorization;
    bool used = false;
    if (bearer != nullptr) {
      auto token = fetchToken(*bearer, url, creds, what);
      if (!token) return std::move(token).error();
      authorization = "Bearer " + *token;
      used = creds.has_value();
    } else if (basic != nullptr || challenges.empty()) {
      // No challenge at all: Basic is the only scheme that needs none.
      if (!creds || !creds->hasPassword()) {
        return makeError("{}: 401 Unauthorized from {}: credentials required ({})", what, url,
                         kCredentialsHint);
      }
      authorization = basicAuthorization(*creds);
      used = true;
    } else {
      return makeError("{}: 401 Unauthorized from {}: unsupported authentication scheme '{}'", what,
                       url, challenges.front().scheme.substr(0, 40));
    }
    std::lock_guard lock(mutex_);
    authorization_ = std::move(authorization);
    hasCredentials_ = used;
    return used;
  }

  // The bearer token flow of the distribution spec (docs/spec/auth/token.md), including the
  // OAuth2 refresh-token form for identity tokens from `docker login`.
  Result<std::string> fetchToken(const AuthChallenge& challenge, const std::string& url,
                                 const std::optional<Credentials>& creds, const std::string& what) {
    const auto realmIt = challenge.params.find("realm");
    if (realmIt == challenge.params.end() || realmIt->second.empty()) {
      return makeError("{}: Bearer challenge from {} has no realm", what, url);
    }
    const std::string& realm = realmIt->second;
    if (!realm.starts_with("https://") && !realm.starts_with("http://")) {
      return makeError("{}: Bearer realm '{}' from {} is not an http(s) URL", what,
                       realm.substr(0, 200), url);
    }
    const auto serviceIt = challenge.params.find("service");
    const std::string service = serviceIt == challenge.params.end() ? "" : serviceIt->second;
    const std::string scope = fmt::format("repository:{}:pull", ref_.repository);
    if (creds && realm.starts_with("http://") && !options_.insecure &&
        !isLoopbackHost(urlHost(realm))) {
      return makeError(
          "{}: refusing to send credentials for {} over plain http to token "
          "endpoint {} (use --insecure if that is intended)",
          what, ref_.registry, realm);
    }

    HttpRequest req = request(realm);
    req.maxBodyBytes = kMaxTokenBytes;
    if (creds && !creds->identityToken.empty()) {
      req.method = "POST";
      req.headers.push_back("Content-Type: application/x-www-form-urlencoded");
      req.body =
          fmt::format("grant_type=refresh_token&client_id=bulkhead&refresh_token={}&scope={}",
                      urlEncode(creds->identityToken), urlEncode(scope));
      if (!service.empty()) req.body += "&service=" + urlEncode(service);
    } else {
      std::string query;
      if (!service.empty()) query = "service=" + urlEncode(service) + "&";
      query += "scope=" + urlEncode(scope);
      req.url += (realm.find('?') == std::string::npos ? "?" : "&") + query;
      if (creds && creds->hasPassword())
        req.headers.push_back("Authorization: " + basicAuthorization(*creds));
    }
    const std::string tokenWhat = fmt::format("{}: token endpoint {}", what, realm);
    auto response = retrying(req, tokenWhat);
    if (!response) return std::move(response).error();
    if (response->status == 401 || response->status == 403) {
      if (creds) {
        return makeError("{}: {}: the credentials for {} were rejected", tokenWhat,
                         httpStatusText(response->status), ref_.registry);
      }
      return makeError("{}: 401 Unauthorized from {}: credentials required ({})", what, url,
                       kCredentialsHint);
    }
    if (response->status < 200 || response->status >= 300) {
      return makeError("{}: unexpected {}{}", tokenWhat, httpStatusText(response->status),
                       registryErrorText(response->body));
    }
    auto json = parseJson(response->body, tokenWhat, JsonLimits{kMaxTokenBytes, 16});
    if (!json) return std::move(json).error();
    std::string token = jsonString(*json, "token");
    if (token.empty()) token = jsonString(*json, "access_token");
    if (token.empty()) return makeError("{}: answer has no 'token' or 'access_token'", tokenWhat);
    if (token.find_first_of("\r\n") != std::string::npos) {
      return makeError("{}: token contains a line break", tokenWhat);
    }
    return token;
  }

  // For requests that need no authentication (token endpoints): retries 429/5xx only.
  Result<HttpResponse> retrying(const HttpRequest& req, const std::string& what) {
    for (int attempt = 0;; ++attempt) {
      auto response = httpFetch(req);
      if (!response) return withContext(what, std::move(response).error());
      if (isRetryable(response->status) && attempt < options_.maxRetries) {
        std::this_thread::sleep_for(backoff(attempt, *response));
        continue;
      }
      if (isRetryable(response->status)) {
        return makeError("{}: {}{}, still after {} retries", what, httpStatusText(response->status),
                         registryErrorText(response->body), options_.maxRetries);
      }
      return response;
    }
  }

  RegistryReference ref_;
  RegistryOptions options_;
  std::string base_;  // scheme://host/v2/<repository>

  std::mutex mutex_;
  std::string authorization_;  // "Bearer ..." or "Basic ...", reused for the store's lifetime
  bool hasCredentials_ = false;
  bool credentialsLoaded_ = false;
  std::optional<Credentials> credentials_;
};

}  // namespace

std::vector<AuthChallenge> parseAuthChallenges(std::string_view header) {
  return ChallengeParser(header).parse();
}

std::unique_ptr<OciStore> makeRegistryStore(const RegistryReference& ref,
                                            const RegistryOptions& options) {
  return std::make_unique<RegistryStore>(ref, options);
}

}  // namespace bulkhead::image
