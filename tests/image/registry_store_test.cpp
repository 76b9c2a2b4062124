#include "image/registry_store.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "../support/loopback_http_server.h"
#include "core/paths.h"
#include "core/sha256.h"
#include "image/credentials.h"

namespace bulkhead::image {
namespace {

using testing::Connection;
using testing::HttpExchange;
using testing::LoopbackHttpServer;

constexpr std::string_view kRepo = "test/repo";

std::string sha256Digest(std::string_view data) { return "sha256:" + Sha256::hex(data); }

// A small OCI image: an index -> manifest -> config + one layer.
struct FakeImage {
  std::string config =
      R"({"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}})";
  std::string layer;
  std::string manifest;
  std::string index;

  FakeImage() {
    for (uint32_t i = 0; i < 300000; ++i) layer += static_cast<char>((i * 7919u) % 251u);
    manifest = fmt::format(
        R"({{"schemaVersion":2,"mediaType":"{}","config":{{"mediaType":"{}","digest":"{}","size":{}}},)"
        R"("layers":[{{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"{}","size":{}}}]}})",
        media::kOciManifest, media::kOciConfig, sha256Digest(config), config.size(),
        sha256Digest(layer), layer.size());
    index = fmt::format(
        R"({{"schemaVersion":2,"mediaType":"{}","manifests":[{{"mediaType":"{}","digest":"{}","size":{},)"
        R"("platform":{{"os":"linux","architecture":"amd64"}}}}]}})",
        media::kOciIndex, media::kOciManifest, sha256Digest(manifest), manifest.size());
  }

  Descriptor configDescriptor() const {
    return {std::string(media::kOciConfig),
            *Digest::parse(sha256Digest(config)),
            static_cast<int64_t>(config.size()),
            {},
            {}};
  }
  Descriptor layerDescriptor() const {
    return {"application/vnd.oci.image.layer.v1.tar+gzip",
            *Digest::parse(sha256Digest(layer)),
            static_cast<int64_t>(layer.size()),
            {},
            {}};
  }
  Descriptor manifestDescriptor() const {
    return {std::string(media::kOciManifest),
            *Digest::parse(sha256Digest(manifest)),
            static_cast<int64_t>(manifest.size()),
            {},
            {}};
  }
};

enum class Auth { kNone, kBasic, kBearer };

// A distribution-API registry for test/repo with scripted misbehaviour. `hook` runs first
// and may answer a request itself (return true).
class FakeRegistry {
 public:
  using Hook = std::function<bool(const HttpExchange&, Connection&)>;

  explicit FakeRegistry(Auth auth = Auth::kNone, Hook hook = {})
      : auth_(auth),
        hook_(std::move(hook)),
        server_(
            [this](const HttpExchange& exchange, Connection& conn) { handle(exchange, conn); }) {}

  const FakeImage& image() const { return image_; }
  LoopbackHttpServer& server() { return server_; }
  std::string host() const { return server_.host(); }
  std::string url(std::string_view path) const { return server_.url(path); }
  RegistryReference ref(std::string_view tagOrDigest = ":latest") const {
    return *RegistryReference::parse(host() + "/" + std::string(kRepo) + std::string(tagOrDigest));
  }
  int tokenRequests() const { return tokenRequests_.load(); }
  int requestsTo(std::string_view path) const {
    int count = 0;
    for (const HttpExchange& exchange : server_.seen()) count += exchange.path() == path;
    return count;
  }

  std::string user = "alice";
  std::string password = "s3cret";
  bool tokenNeedsCredentials = false;
  std::string tokenField = "token";

 private:
  void handle(const HttpExchange& exchange, Connection& conn) {
    if (exchange.path() == "/token") return token(exchange, conn);
    if (hook_ && hook_(exchange, conn)) return;
    const std::string basic = "Basic " + encodeBase64(user + ":" + password);
    if (auth_ == Auth::kBasic && exchange.header("authorization") != basic) {
      conn.respond(401,
                   R"({"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]})",
                   {{"WWW-Authenticate", R"(Basic realm="fake registry")"}});
      return;
    }
    if (auth_ == Auth::kBearer && exchange.header("authorization") != "Bearer good-token") {
      conn.respond(
          401, "",
          {{"WWW-Authenticate",
            fmt::format(
                R"(Bearer realm="{}",service="fake \"registry\"",scope="repository:{}:pull")",
                url("/token"), kRepo)}});
      return;
    }
    const std::string prefix = "/v2/" + std::string(kRepo);
    const std::string path = exchange.path();
    const std::map<std::string, std::pair<std::string, std::string>> documents = {
        {prefix + "/manifests/latest", {image_.manifest, std::string(media::kOciManifest)}},
        {prefix + "/manifests/multi", {image_.index, std::string(media::kOciIndex)}},
        {prefix + "/manifests/" + sha256Digest(image_.manifest),
         {image_.manifest, std::string(media::kOciManifest)}},
        {prefix + "/manifests/" + sha256Digest(image_.index),
         {image_.index, std::string(media::kOciIndex)}},
    };
    if (auto it = documents.find(path); it != documents.end()) {
      conn.respond(200, it->second.first,
                   {{"Content-Type", it->second.second},
                    {"Docker-Content-Digest", sha256Digest(it->second.first)}});
      return;
    }
    for (const std::string* blob : {&image_.config, &image_.layer}) {
      if (path == prefix + "/blobs/" + sha256Digest(*blob)) {
        conn.respond(200, *blob, {{"Content-Type", "application/octet-stream"}});
        return;
      }
    }
    const bool isBlob = path.find("/blobs/") != std::string::npos;
    conn.respond(
        404,
        isBlob ? R"({"errors":[{"code":"BLOB_UNKNOWN","message":"blob unknown to registry"}]})"
               : R"({"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]})",
        {{"Content-Type", "application/json"}});
  }

  void token(const HttpExchange& exchange, Connection& conn) {
    ++tokenRequests_;
    const std::string expectedQuery =
        "service=fake%20%22registry%22&scope=repository%3Atest%2Frepo%3Apull";
    if (exchange.method == "POST") {
      // Identity-token flow: OAuth2 refresh token in a form post.
      if (exchange.body.find("grant_type=refresh_token") == std::string::npos ||
          exchange.body.find("refresh_token=refresh-me") == std::string::npos) {
        conn.respond(400, R"({"errors":[{"code":"BAD_REQUEST"}]})");
        return;
      }
      conn.respond(200, R"({"access_token":"good-token","expires_in":300})");
      return;
    }
    if (exchange.query() != expectedQuery) {
      conn.respond(400, "unexpected query " + exchange.query());
      return;
    }
    const std::string basic = "Basic " + encodeBase64(user + ":" + password);
    const std::string given = exchange.header("authorization");
    if ((tokenNeedsCredentials && given != basic) || (!given.empty() && given != basic)) {
      conn.respond(401, R"({"errors":[{"code":"UNAUTHORIZED"}]})");
      return;
    }
    // Anonymous callers get a token the registry will not accept.
    conn.respond(200, fmt::format(R"({{"{}":"{}"}})", tokenField,
                                  given.empty() ? "anon-token" : "good-token"));
  }

  FakeImage image_;
  Auth auth_;
  Hook hook_;
  std::atomic<int> tokenRequests_{0};
  LoopbackHttpServer server_;  // last: its threads use the members above
};

std::vector<std::string> filesUnder(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file()) out.push_back(it->path().string());
  }
  return out;
}

std::string readStream(ByteStream& stream) {
  auto all = readAll(stream, 64u << 20, "test stream");
  EXPECT_TRUE(all) << all.error().message;
  return all ? *all : std::string();
}

class RegistryStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ::unsetenv("BULKHEAD_USERNAME");
    ::unsetenv("BULKHEAD_PASSWORD");
    auto dir = ScratchDir::create("registry-test");
    ASSERT_TRUE(dir) << dir.error().message;
    scratch_.emplace(std::move(*dir));
    options.insecure = true;
    options.blobCacheDir = scratch_->path() + "/blobs";
    options.dockerConfigPath = scratch_->path() + "/no-docker-config.json";
    options.http.connectTimeoutMs = 2000;
    options.http.stallSeconds = 5;
    options.http.totalTimeoutMs = 30000;
    options.maxRetries = 2;
  }

  std::string cacheDir() const { return options.blobCacheDir; }
  std::string scratch() const { return scratch_->path(); }
  std::string writeFile(const std::string& name, const std::string& text) {
    const std::string path = scratch() + "/" + name;
    std::ofstream(path) << text;
    return path;
  }

  RegistryOptions options;
  std::optional<ScratchDir> scratch_;
};

TEST_F(RegistryStoreTest, FetchesRootManifestConfigAndLayer) {
  FakeRegistry registry;
  auto store = makeRegistryStore(registry.ref(), options);
  EXPECT_EQ(store->describe(), "registry " + registry.host() + "/test/repo:latest");

  auto root = store->fetchRoot();
  ASSERT_TRUE(root) << root.error().message;
  EXPECT_EQ(root->mediaType, media::kOciManifest);
  EXPECT_EQ(root->bytes, registry.image().manifest);
  EXPECT_EQ(root->digest.str(), sha256Digest(registry.image().manifest));
  EXPECT_EQ(registry.server().seen().front().header("accept").find(
                "application/vnd.oci.image.index.v1+json"),
            0u);

  auto manifest = store->fetchManifest(registry.image().manifestDescriptor());
  ASSERT_TRUE(manifest) << manifest.error().message;
  EXPECT_EQ(manifest->bytes, registry.image().manifest);

  auto config = store->openBlob(registry.image().configDescriptor());
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(readStream(**config), registry.image().config);

  const Descriptor layer = registry.image().layerDescriptor();
  auto blob = store->openBlob(layer);
  ASSERT_TRUE(blob) << blob.error().message;
  EXPECT_EQ(readStream(**blob), registry.image().layer);
  const std::string cached = cacheDir() + "/sha256/" + layer.digest.hex;
  EXPECT_TRUE(std::filesystem::is_regular_file(cached));
  EXPECT_EQ(filesUnder(cacheDir()).size(), 2u);  // no temporary files left behind

  // The second open is served from the cache.
  const int before = registry.server().requests();
  auto again = store->openBlob(layer);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(readStream(**again), registry.image().layer);
  EXPECT_EQ(registry.server().requests(), before);
}

TEST_F(RegistryStoreTest, FetchesIndexRootsAndManifestsByDigest) {
  FakeRegistry registry;
  auto store = makeRegistryStore(registry.ref(":multi"), options);
  auto root = store->fetchRoot();
  ASSERT_TRUE(root) << root.error().message;
  EXPECT_EQ(root->mediaType, media::kOciIndex);
  EXPECT_EQ(root->bytes, registry.image().index);

  auto byDigest =
      makeRegistryStore(registry.ref("@" + sha256Digest(registry.image().manifest)), options);
  auto pinned = byDigest->fetchRoot();
  ASSERT_TRUE(pinned) << pinned.error().message;
  EXPECT_EQ(pinned->digest.str(), sha256Digest(registry.image().manifest));
}

TEST_F(RegistryStoreTest, MediaTypeComesFromTheBodyWhenContentTypeIsGeneric) {
  FakeRegistry registry(Auth::kNone, [](const HttpExchange& exchange, Connection& conn) {
    if (exchange.path() != "/v2/test/repo/manifests/plain") return false;
    conn.respond(200, R"({"schemaVersion":2,"manifests":[]})",
                 {{"Content-Type", "application/json; charset=utf-8"}});
    return true;
  });
  auto store = makeRegistryStore(registry.ref(":plain"), options);
  auto root = store->fetchRoot();
  ASSERT_TRUE(root) << root.error().message;
  EXPECT_EQ(root->mediaType, media::kOciIndex);
  EXPECT_EQ(root->digest.str(), sha256Digest(R"({"schemaVersion":2,"manifests":[]})"));
}

TEST_F(RegistryStoreTest, ContentTypeParametersAreStripped) {
  FakeRegistry registry(Auth::kNone, [](const HttpExchange& exchange, Connection& conn) {
    if (exchange.path() != "/v2/test/repo/manifests/typed") return false;
    conn.respond(
        200, R"({"schemaVersion":2})",
        {{"Content-Type", "application/vnd.docker.distribution.manifest.v2+json ; charset=utf-8"}});
    return true;
  });
  auto root = makeRegistryStore(registry.ref(":typed"), options)->fetchRoot();
  ASSERT_TRUE(root) << root.error().message;
  EXPECT_EQ(root->mediaType, media::kDockerManifest);
}

TEST_F(RegistryStoreTest, LyingDockerContentDigestIsRejected) {
  const std::string lie = sha256Digest("something else");
  FakeRegistry registry(Auth::kNone, [&](const HttpExchange& exchange, Connection& conn) {
    if (exchange.path() != "/v2/test/repo/manifests/latest") return false;
    conn.respond(
        200, R"({"schemaVersion":2})",
        {{"Content-Type", std::string(media::kOciManifest)}, {"Docker-Content-Digest", lie}});
    return true;
  });
  auto root = makeRegistryStore(registry.ref(), options)->fetchRoot();
  ASSERT_FALSE(root);
  EXPECT_CONTAINS(root.error().message, "manifest latest of " + registry.host() + "/test/repo");
  EXPECT_CONTAINS(root.error().message, "digest mismatch");
  EXPECT_CONTAINS(root.error().message, "Docker-Content-Digest");
  EXPECT_CONTAINS(root.error().message, lie);
  EXPECT_CONTAINS(root.error().message, registry.url("/v2/test/repo/manifests/latest"));
}

TEST_F(RegistryStoreTest, RootByDigestMustMatchTheDigest) {
  const FakeImage image;
  const std::string wanted = sha256Digest(image.manifest);
  FakeRegistry registry(Auth::kNone, [&](const HttpExchange& exchange, Connection& conn) {
    if (exchange.path() != "/v2/test/repo/manifests/" + wanted) return false;
    conn.respond(200, image.index, {{"Content-Type", std::string(media::kOciIndex)}});
    return true;
  });
  auto root = makeRegistryStore(registry.ref("@" + wanted), options)->fetchRoot();
  ASSERT_FALSE(root);
  EXPECT_CONTAINS(root.error().message, "manifest " + wanted);
  EXPECT_CONTAINS(root.error().message, "digest mismatch");
}

TEST_F(RegistryStoreTest, ManifestByDescriptorIsVerified) {
  FakeRegistry registry;
  auto store = makeRegistryStore(registry.ref(), options);
  Descriptor wrongSize = registry.image().manifestDescriptor();
  wrongSize.size += 1;
  auto sized = store->fetchManifest(wrongSize);
  ASSERT_FALSE(sized);
  EXPECT_CONTAINS(sized.error().message, "size mismatch");
  EXPECT_CONTAINS(sized.error().message, wrongSize.digest.str());

  // Asking for the index digest but receiving... the index: fine. Asking with a descriptor
  // whose digest is right but the registry sends other bytes: rejected.
  FakeRegistry liar(Auth::kNone, [](const HttpExchange& exchange, Connection& conn) {
    if (exchange.path().find("/manifests/sha256:") == std::string::npos) return false;
    conn.respond(200, FakeImage().index, {{"Content-Type", std::string(media::kOciIndex)}});
    return true;
  });
  Descriptor descriptor = liar.image().manifestDescriptor();
  descriptor.size = static_cast<int64_t>(liar.image().index.size());
  auto swapped = makeRegistryStore(liar.ref(), options)->fetchManifest(descriptor);
  ASSERT_FALSE(swapped);
  EXPECT_CONTAINS(swapped.error().message, "digest mismatch");
}

TEST_F(RegistryStoreTest, MalformedManifestDigestIsRefusedBeforeAnyRequest) {
  FakeRegistry registry;
  Descriptor bad = registry.image().manifestDescriptor();
  bad.digest = Digest{"sha256", "../../../v2/other/manifests/latest"};
  auto manifest = makeRegistryStore(registry.ref(), options)->fetchManifest(bad);
  ASSERT_FALSE(manifest);
  EXPECT_CONTAINS(manifest.error().message, "not a well-formed sha256 digest");
  EXPECT_EQ(registry.server().requests(), 0);
}

TEST_F(RegistryStoreTest, MissingManifestSaysManifestUnknown) {
  FakeRegistry registry;
  auto root = makeRegistryStore(registry.ref(":nope"), options)->fetchRoot();
  ASSERT_FALSE(root);
  EXPECT_CONTAINS(root.error().message, "manifest nope of " + registry.host() + "/test/repo");
  EXPECT_CONTAINS(root.error().message, "manifest unknown");
  EXPECT_CONTAINS(root.error().message, "404");
  EXPECT_CONTAINS(root.error().message, registry.url("/v2/test/repo/manifests/nope"));
}

TEST_F(RegistryStoreTest, MissingBlobSaysBlobUnknownAndLeavesNothing) {
  FakeRegistry registry;
  Descriptor missing = registry.image().layerDescriptor();
  missing.digest = *Digest::parse(sha256Digest("not there"));
  auto blob = makeRegistryStore(registry.ref(), options)->openBlob(missing);
  ASSERT_FALSE(blob);
  EXPECT_CONTAINS(blob.error().message,
                  "blob " + missing.digest.str() + " from " + registry.host() + "/test/repo");
  EXPECT_CONTAINS(blob.error().message, "blob unknown");
  EXPECT_CONTAINS(blob.error().message, "BLOB_UNKNOWN");
  EXPECT_TRUE(filesUnder(cacheDir()).empty());
}

TEST_F(RegistryStoreTest, RetriesTooManyRequestsThenSucceeds) {
  std::atomic<int> calls{0};
  FakeRegistry registry(Auth::kNone, [&](const HttpExchange& exchange, Connection& conn) {
    if (exchange.path() != "/v2/test/repo/manifests/latest" || calls++ > 0) return false;
    conn.respond(429, R"({"errors":[{"code":"TOOMANYREQUESTS"}]})", {{"Retry-After", "0"}});
    return true;
  });
  auto root = makeRegistryStore(registry.ref(), options)->fetchRoot();
  ASSERT_TRUE(root) << root.error().message;
  EXPECT_EQ(registry.requestsTo("/v2/test/repo/manifests/latest"), 2);
}

TEST_F(RegistryStoreTest, ServerErrorsAreRetriedAFewTimesThenReported) {
  FakeRegistry registry(Auth::kNone, [](const HttpExchange&, Connection& conn) {
    conn.respond(500, "boom");
    return true;
  });
  const auto start = std::chrono::steady_clock::now();
  auto root = makeRegistryStore(registry.ref(), options)->fetchRoot();
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(root);
  EXPECT_CONTAINS(root.error().message, "500 Internal Server Error");
  EXPECT_CONTAINS(root.error().message, "after 2 retries");
  EXPECT_CONTAINS(root.error().message, registry.url("/v2/test/repo/manifests/latest"));
  EXPECT_EQ(registry.server().requests(), 3);
  EXPECT_GE(elapsed, std::chrono::milliseconds(600));  // 200 + 400 ms of backoff
  EXPECT_LT(elapsed, std::chrono::seconds(5));
}

TEST_F(RegistryStoreTest, RetryAfterIsCappedAtFiveSeconds) {
  std::atomic<int> calls{0};
  FakeRegistry registry(Auth::kNone, [&](const HttpExchange&, Connection& conn) {
    if (calls++ > 0) return false;
    conn.respond(503, "", {{"Retry-After", "3600"}});
    return true;
  });
  const auto start = std::chrono::steady_clock::now();
  auto root = makeRegistryStore(registry.ref(), options)->fetchRoot();
  ASSERT_TRUE(root) << root.error().message;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(5800));
}

TEST_F(RegistryStoreTest, UnauthorizedWithoutChallengeOrCredentials) {
  FakeRegistry registry(Auth::kNone, [](const HttpExchange&, Connection& conn) {
    conn.respond(401, "");
    return true;
  });
  auto root = makeRegistryStore(registry.ref(), options)->fetchRoot();
  ASSERT_FALSE(root);
  EXPECT_CONTAINS(root.error().message,
                  "401 Unauthorized from " + registry.url("/v2/test/repo/manifests/latest") +
                      ": credentials required (use --username/--password, "
                      "BULKHEAD_USERNAME/BULKHEAD_PASSWORD, or docker login config)");
}

TEST_F(RegistryStoreTest, BasicAuthWithCredentialsFromOptions) {
  FakeRegistry registry(Auth::kBasic);
  options.username = "alice";
  options.password = "s3cret";
  auto store = makeRegistryStore(registry.ref(), options);
  auto root = store->fetchRoot();
  ASSERT_TRUE(root) << root.error().message;
  auto blob = store->openBlob(registry.image().layerDescriptor());
  ASSERT_TRUE(blob) << blob.error().message;
  EXPECT_EQ(readStream(**blob), registry.image().layer);
  // Basic credentials are reused after the first challenge: 2 requests for the manifest, 1 for the
  // blob.
  EXPECT_EQ(registry.server().requests(), 3);
}

TEST_F(RegistryStoreTest, BasicAuthWithoutCredentialsIsAClearError) {
  FakeRegistry registry(Auth::kBasic);
  auto root = makeRegistryStore(registry.ref(), options)->fetchRoot();
  ASSERT_FALSE(root);
  EXPECT_CONTAINS(root.error().message,
                  "401 Unauthorized from " + registry.url("/v2/test/repo/manifests/latest"));
  EXPECT_CONTAINS(root.error().message, "credentials required");
}

TEST_F(RegistryStoreTest, BasicAuthWithWrongCredentialsSaysRejected) {
  FakeRegistry registry(Auth::kBasic);
  options.username = "alice";
  options.password = "wrong";
  auto root = makeRegistryStore(registry.ref(), options)->fetchRoot();
  ASSERT_FALSE(root);
  EXPECT_CONTAINS(root.error().message,
                  "401 Unauthorized from " + registry.url("/v2/test/repo/manifests/latest"));
  EXPECT_CONTAINS(root.error().message, "rejected the credentials for " + registry.host());
}

TEST_F(RegistryStoreTest, CredentialsFromEnvironment) {
  FakeRegistry registry(Auth::kBasic);
  ::setenv("BULKHEAD_USERNAME", "alice", 1);
  ::setenv("BULKHEAD_PASSWORD", "s3cret", 1);
  auto root = makeRegistryStore(registry.ref(), options)->fetchRoot();
  ::unsetenv("BULKHEAD_USERNAME");
  ::unsetenv("BULKHEAD_PASSWORD");
  ASSERT_TRUE(root) << root.error().message;
}

TEST_F(RegistryStoreTest, OptionsWinOverEnvironmentAndConfig) {
  FakeRegistry registry(Auth::kBasic);
  options.dockerConfigPath =
      writeFile("config.json", fmt::format(R"({{"auths":{{"{}":{{"auth":"{}"}}}}}})",
                                           registry.host(), encodeBase64("alice:from-config")));
  ::setenv("BULKHEAD_USERNAME", "alice", 1);
  ::setenv("BULKHEAD_PASSWORD", "from-env", 1);
  options.username = "alice";
  options.password = "s3cret";
  auto root = makeRegistryStore(registry.ref(), options)->fetchRoot();
  ::unsetenv("BULKHEAD_USERNAME");
  ::unsetenv("BULKHEAD_PASSWORD");
  ASSERT_TRUE(root) << root.error().message;
}

TEST_F(RegistryStoreTest, CredentialsFromDockerConfig) {
  FakeRegistry registry(Auth::kBasic);
  options.dockerConfigPath =
      writeFile("config.json", fmt::format(R"({{"auths":{{"http://{}/v1/":{{"auth":"{}"}}}}}})",
                                           registry.host(), encodeBase64("alice:s3cret")));
  auto root = makeRegistryStore(registry.ref(), options)->fetchRoot();
  ASSERT_TRUE(root) << root.error().message;
}

TEST_F(RegistryStoreTest, MalformedDockerConfigIsReportedWhenNeeded) {
  FakeRegistry registry(Auth::kBasic);
  options.dockerConfigPath = writeFile("config.json", "{ not json");
  auto root = makeRegistryStore(registry.ref(), options)->fetchRoot();
  ASSERT_FALSE(root);
  EXPECT_CONTAINS(root.error().message, options.dockerConfigPath);
  EXPECT_CONTAINS(root.error().message, "invalid JSON");

  // An anonymous registry never asks, so the broken file does not matter there.
  FakeRegistry anonymous;
  auto anonRoot = makeRegistryStore(anonymous.ref(), options)->fetchRoot();
  ASSERT_TRUE(anonRoot) << anonRoot.error().message;
}

TEST_F(RegistryStoreTest, BearerTokenFlowWithCredentials) {
  FakeRegistry registry(Auth::kBearer);
  registry.tokenNeedsCredentials = true;
  options.username = "alice";
  options.password = "s3cret";
  auto store = makeRegistryStore(registry.ref(), options);
  auto root = store->fetchRoot();
  ASSERT_TRUE(root) << root.error().message;
  auto manifest = store->fetchManifest(registry.image().manifestDescriptor());
  ASSERT_TRUE(manifest) << manifest.error().message;
  auto blob = store->openBlob(registry.image().layerDescriptor());
  ASSERT_TRUE(blob) << blob.error().message;
  EXPECT_EQ(readStream(**blob), registry.image().layer);
  EXPECT_EQ(registry.tokenRequests(), 1);  // cached for the store's lifetime
}

TEST_F(RegistryStoreTest, BearerTokenInAccessTokenField) {
  FakeRegistry registry(Auth::kBearer);
  registry.tokenField = "access_token";
  options.username = "alice";
  options.password = "s3cret";
  auto root = makeRegistryStore(registry.ref(), options)->fetchRoot();
  ASSERT_TRUE(root) << root.error().message;
}

TEST_F(RegistryStoreTest, BearerAnonymousTokenNotEnoughSaysCredentialsRequired) {
  FakeRegistry registry(Auth::kBearer);
  auto root = makeRegistryStore(registry.ref(), options)->fetchRoot();
  ASSERT_FALSE(root);
  EXPECT_CONTAINS(root.error().message,
                  "401 Unauthorized from " + registry.url("/v2/test/repo/manifests/latest"));
  EXPECT_CONTAINS(root.error().message, "credentials required");
  EXPECT_EQ(registry.tokenRequests(), 1);
}

TEST_F(RegistryStoreTest, BearerTokenEndpointRejectingCredentials) {
  FakeRegistry registry(Auth::kBearer);
  options.username = "alice";
  options.password = "wrong";
  auto root = makeRegistryStore(registry.ref(), options)->fetchRoot();
  ASSERT_FALSE(root);
  EXPECT_CONTAINS(root.error().message, "token endpoint " + registry.url("/token"));
  EXPECT_CONTAINS(root.error().message, "credentials for " + registry.host() + " were rejected");
}

TEST_F(RegistryStoreTest, BearerWithIdentityTokenFromDockerConfig) {
  FakeRegistry registry(Auth::kBearer);
  options.dockerConfigPath =
      writeFile("config.json",
                fmt::format(R"({{"auths":{{"{}":{{"auth":"{}","identitytoken":"refresh-me"}}}}}})",
                            registry.host(), encodeBase64("<token>:")));
  auto root = makeRegistryStore(registry.ref(), options)->fetchRoot();
  ASSERT_TRUE(root) << root.error().message;
  EXPECT_EQ(registry.tokenRequests(), 1);
}

TEST_F(RegistryStoreTest, ExpiredTokenIsRefreshedOnce) {
  std::atomic<int> expired{0};
  FakeRegistry registry(Auth::kBearer, [&](const HttpExchange& exchange, Connection& conn) {
    // The first blob request after the manifest pretends the token expired.
    if (exchange.path().find("/blobs/") == std::string::npos || expired++ > 0) return false;
    conn.respond(
        401, "",
        {{"WWW-Authenticate",
          fmt::format(R"(Bearer realm="{}",service="fake \"registry\"",error="invalid_token")",
                      conn.server().url("/token"))}});
    return true;
  });
  options.username = "alice";
  options.password = "s3cret";
  auto store = makeRegistryStore(registry.ref(), options);
  ASSERT_TRUE(store->fetchRoot());
  auto blob = store->openBlob(registry.image().configDescriptor());
  ASSERT_TRUE(blob) << blob.error().message;
  EXPECT_EQ(registry.tokenRequests(), 2);
}

TEST_F(RegistryStoreTest, BlobDigestMismatchLeavesNothingInTheCache) {
  FakeRegistry registry(Auth::kNone, [](const HttpExchange& exchange, Connection& conn) {
    if (exchange.path().find("/blobs/") == std::string::npos) return false;
    std::string tampered = FakeImage().layer;
    tampered[1000] ^= 1;
    conn.respond(200, tampered);
    return true;
  });
  const Descriptor layer = registry.image().layerDescriptor();
  auto blob = makeRegistryStore(registry.ref(), options)->openBlob(layer);
  ASSERT_FALSE(blob);
  EXPECT_CONTAINS(blob.error().message, "blob " + layer.digest.str() + " from " + registry.host() +
                                            "/test/repo: digest mismatch");
  EXPECT_TRUE(filesUnder(cacheDir()).empty());
}

TEST_F(RegistryStoreTest, BlobLargerThanItsDescriptorIsCutOff) {
  FakeRegistry registry(Auth::kNone, [](const HttpExchange& exchange, Connection& conn) {
    if (exchange.path().find("/blobs/") == std::string::npos) return false;
    conn.respond(200, FakeImage().layer + std::string(1u << 20, 'x'));
    return true;
  });
  const Descriptor layer = registry.image().layerDescriptor();
  auto blob = makeRegistryStore(registry.ref(), options)->openBlob(layer);
  ASSERT_FALSE(blob);
  EXPECT_CONTAINS(blob.error().message, "blob " + layer.digest.str());
  EXPECT_CONTAINS(blob.error().message, "/blobs/" + layer.digest.str() +
                                            " sent more than the 300000 bytes its descriptor says");
  EXPECT_TRUE(filesUnder(cacheDir()).empty());
}

TEST_F(RegistryStoreTest, BlobShorterThanItsDescriptorIsTruncated) {
  FakeRegistry registry(Auth::kNone, [](const HttpExchange& exchange, Connection& conn) {
    if (exchange.path().find("/blobs/") == std::string::npos) return false;
    conn.respond(200, FakeImage().layer.substr(0, 1000));
    return true;
  });
  auto blob =
      makeRegistryStore(registry.ref(), options)->openBlob(registry.image().layerDescriptor());
  ASSERT_FALSE(blob);
  EXPECT_CONTAINS(blob.error().message, "truncated");
  EXPECT_TRUE(filesUnder(cacheDir()).empty());
}

TEST_F(RegistryStoreTest, BlobConnectionClosedMidBody) {
  FakeRegistry registry(Auth::kNone, [](const HttpExchange& exchange, Connection& conn) {
    if (exchange.path().find("/blobs/") == std::string::npos) return false;
    const std::string layer = FakeImage().layer;
    conn.send(fmt::format("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", layer.size()));
    conn.send(std::string_view(layer).substr(0, 50000));
    return true;
  });
  const Descriptor layer = registry.image().layerDescriptor();
  auto blob = makeRegistryStore(registry.ref(), options)->openBlob(layer);
  ASSERT_FALSE(blob);
  EXPECT_CONTAINS(blob.error().message, "blob " + layer.digest.str());
  EXPECT_CONTAINS(blob.error().message, registry.url("/v2/test/repo/blobs/" + layer.digest.str()));
  EXPECT_CONTAINS(blob.error().message, "connection closed early");
  EXPECT_TRUE(filesUnder(cacheDir()).empty());
}

TEST_F(RegistryStoreTest, BlobStallIsReportedAndLeavesNothing) {
  FakeRegistry registry(Auth::kNone, [](const HttpExchange& exchange, Connection& conn) {
    if (exchange.path().find("/blobs/") == std::string::npos) return false;
    conn.send("HTTP/1.1 200 OK\r\nContent-Length: 300000\r\n\r\nabc");
    conn.server().waitForStop();
    return true;
  });
  options.http.stallSeconds = 1;
  const Descriptor layer = registry.image().layerDescriptor();
  auto blob = makeRegistryStore(registry.ref(), options)->openBlob(layer);
  ASSERT_FALSE(blob);
  EXPECT_CONTAINS(blob.error().message, "blob " + layer.digest.str());
  EXPECT_CONTAINS(blob.error().message, "stalled: no data for 1 s");
  EXPECT_TRUE(filesUnder(cacheDir()).empty());
}

TEST_F(RegistryStoreTest, RegistryThatNeverAnswersTimesOut) {
  FakeRegistry registry(Auth::kNone, [](const HttpExchange&, Connection& conn) {
    conn.server().waitForStop();
    return true;
  });
  options.http.stallSeconds = 1;
  auto root = makeRegistryStore(registry.ref(), options)->fetchRoot();
  ASSERT_FALSE(root);
  EXPECT_CONTAINS(root.error().message, registry.url("/v2/test/repo/manifests/latest"));
  EXPECT_CONTAINS(root.error().message, "stalled");
  EXPECT_EQ(registry.server().requests(), 1);  // no retry loop on timeouts
}

TEST_F(RegistryStoreTest, HugeManifestIsRefused) {
  FakeRegistry registry(Auth::kNone, [](const HttpExchange&, Connection& conn) {
    conn.respond(200, std::string(5u << 20, ' '),
                 {{"Content-Type", std::string(media::kOciManifest)}});
    return true;
  });
  auto root = makeRegistryStore(registry.ref(), options)->fetchRoot();
  ASSERT_FALSE(root);
  EXPECT_CONTAINS(root.error().message, registry.url("/v2/test/repo/manifests/latest"));
  EXPECT_CONTAINS(root.error().message, "larger than the limit of 4194304 bytes");
}

TEST_F(RegistryStoreTest, BlobRedirectsAreFollowed) {
  FakeRegistry registry(Auth::kNone, [](const HttpExchange& exchange, Connection& conn) {
    if (exchange.path().starts_with("/v2/test/repo/blobs/")) {
      conn.respond(307, "",
                   {{"Location", "/storage/" + exchange.path().substr(20) + "?signature=x"}});
      return true;
    }
    if (exchange.path().starts_with("/storage/")) {
      conn.respond(200, FakeImage().layer);
      return true;
    }
    return false;
  });
  auto blob =
      makeRegistryStore(registry.ref(), options)->openBlob(registry.image().layerDescriptor());
  ASSERT_TRUE(blob) << blob.error().message;
  EXPECT_EQ(readStream(**blob), registry.image().layer);
}

TEST_F(RegistryStoreTest, CorruptCachedBlobOfWrongSizeIsFetchedAgain) {
  FakeRegistry registry;
  const Descriptor layer = registry.image().layerDescriptor();
  ASSERT_TRUE(makeDirectories(cacheDir() + "/sha256"));
  writeFile("blobs/sha256/" + layer.digest.hex, "short");
  auto blob = makeRegistryStore(registry.ref(), options)->openBlob(layer);
  ASSERT_TRUE(blob) << blob.error().message;
  EXPECT_EQ(readStream(**blob), registry.image().layer);
}

TEST_F(RegistryStoreTest, MalformedBlobDigestIsRefusedBeforeTouchingDisk) {
  FakeRegistry registry;
  Descriptor bad = registry.image().layerDescriptor();
  bad.digest = Digest{"sha256", "../../etc/passwd"};
  auto blob = makeRegistryStore(registry.ref(), options)->openBlob(bad);
  ASSERT_FALSE(blob);
  EXPECT_CONTAINS(blob.error().message, "not a well-formed sha256 digest");
  EXPECT_EQ(registry.server().requests(), 0);
}

// ---- WWW-Authenticate parsing -----------------------------------------------------------

TEST(AuthChallenges, ParsesBearerWithQuotedParams) {
  const auto challenges = parseAuthChallenges(
      R"(Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push")");
  ASSERT_EQ(challenges.size(), 1u);
  EXPECT_EQ(challenges[0].scheme, "bearer");
  EXPECT_EQ(challenges[0].params.at("realm"), "https://auth.example/token");
  EXPECT_EQ(challenges[0].params.at("service"), "registry.example");
  EXPECT_EQ(challenges[0].params.at("scope"), "repository:a/b:pull,push");
}

TEST(AuthChallenges, ParsesSeveralChallengesEscapesAndOddSpacing) {
  const auto challenges = parseAuthChallenges(
      R"(  BEARER Realm = "https://a/t" , error="insufficient_scope", service="s \"q\" \\" ,Basic realm=plain)");
  ASSERT_EQ(challenges.size(), 2u);
  EXPECT_EQ(challenges[0].scheme, "bearer");
  EXPECT_EQ(challenges[0].params.at("realm"), "https://a/t");
  EXPECT_EQ(challenges[0].params.at("error"), "insufficient_scope");
  EXPECT_EQ(challenges[0].params.at("service"), R"(s "q" \)");
  EXPECT_EQ(challenges[1].scheme, "basic");
  EXPECT_EQ(challenges[1].params.at("realm"), "plain");
}

TEST(AuthChallenges, SurvivesGarbage) {
  EXPECT_TRUE(parseAuthChallenges("").empty());
  EXPECT_TRUE(parseAuthChallenges(" , ,").empty());
  const auto unterminated = parseAuthChallenges(R"(Bearer realm="https://a/t)");
  ASSERT_EQ(unterminated.size(), 1u);
  EXPECT_EQ(unterminated[0].params.at("realm"), "https://a/t");
  const auto token68 = parseAuthChallenges("Basic dXNlcjpwYXNz==, Bearer realm=\"r\"");
  ASSERT_EQ(token68.size(), 2u);
  EXPECT_EQ(token68[1].params.at("realm"), "r");
  EXPECT_LE(parseAuthChallenges(std::string(100000, ',') + "x").size(), 16u);
  EXPECT_LE(parseAuthChallenges(std::string(10000, '=')).size(), 16u);
}

// ---- credentials ------------------------------------------------------------------------

class CredentialsTest : public RegistryStoreTest {};

TEST_F(CredentialsTest, MissingFileIsNotAnError) {
  auto found = lookupCredentials("example.com", scratch() + "/absent/config.json");
  ASSERT_TRUE(found) << found.error().message;
  EXPECT_FALSE(found->has_value());
}

TEST_F(CredentialsTest, KeyVariantsAreNormalised) {
  const std::string auth = encodeBase64("bob:pw:with:colons");
  for (const std::string key : {"registry.example:5000", "https://registry.example:5000",
                                "http://registry.example:5000/v1/", "REGISTRY.example:5000"}) {
    const std::string path =
        writeFile("config.json", fmt::format(R"({{"auths":{{"{}":{{"auth":"{}"}}}}}})", key, auth));
    auto found = lookupCredentials("registry.example:5000", path);
    ASSERT_TRUE(found) << found.error().message;
    ASSERT_TRUE(found->has_value()) << key;
    EXPECT_EQ((*found)->username, "bob") << key;
    EXPECT_EQ((*found)->password, "pw:with:colons") << key;
  }
}

TEST_F(CredentialsTest, DockerHubUnderItsIndexUrl) {
  const std::string path = writeFile(
      "config.json",
      fmt::format(
          R"({{"auths":{{"https://index.docker.io/v1/":{{"auth":"{}"}},"other.example":{{"auth":"{}"}}}}}})",
          encodeBase64("hubuser:hubpw"), encodeBase64("x:y")));
  auto found = lookupCredentials("docker.io", path);
  ASSERT_TRUE(found) << found.error().message;
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->username, "hubuser");
  auto none = lookupCredentials("quay.io", path);
  ASSERT_TRUE(none) << none.error().message;
  EXPECT_FALSE(none->has_value());
}

TEST_F(CredentialsTest, ExactKeyWinsOverNormalisedOne) {
  const std::string path = writeFile(
      "config.json",
      fmt::format(
          R"({{"auths":{{"https://host.example":{{"auth":"{}"}},"host.example":{{"auth":"{}"}}}}}})",
          encodeBase64("normalised:1"), encodeBase64("exact:2")));
  auto found = lookupCredentials("host.example", path);
  ASSERT_TRUE(found && found->has_value());
  EXPECT_EQ((*found)->username, "exact");
}

TEST_F(CredentialsTest, UsernamePasswordAndIdentityTokenFields) {
  const std::string path = writeFile(
      "config.json",
      R"({"auths":{"a.example":{"username":"u","password":"p"},"b.example":{"identitytoken":"tok"},"c.example":{}}})");
  auto a = lookupCredentials("a.example", path);
  ASSERT_TRUE(a && a->has_value());
  EXPECT_EQ((*a)->username, "u");
  EXPECT_EQ((*a)->password, "p");
  auto b = lookupCredentials("b.example", path);
  ASSERT_TRUE(b && b->has_value());
  EXPECT_EQ((*b)->identityToken, "tok");
  auto c = lookupCredentials("c.example", path);  // what credsStore users have: an empty entry
  ASSERT_TRUE(c);
  EXPECT_FALSE(c->has_value());
}

TEST_F(CredentialsTest, UnpaddedBase64IsAccepted) {
  // "ab:c" encodes to "YWI6Yw==": without its padding, as some tools write it.
  const std::string path = writeFile("config.json", R"({"auths":{"h.example":{"auth":"YWI6Yw"}}})");
  auto found = lookupCredentials("h.example", path);
  ASSERT_TRUE(found) << found.error().message;
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->username, "ab");
  EXPECT_EQ((*found)->password, "c");
}

TEST_F(CredentialsTest, MalformedFilesAreErrorsNamingTheFile) {
  const struct {
    const char* text;
    const char* problem;
  } cases[] = {
      {"{ not json", "invalid JSON"},
      {"[1,2]", "not a JSON object"},
      {R"({"auths":[]})", "'auths' is not a JSON object"},
      {R"({"auths":{"h.example":{"auth":"!!!not base64"}}})", "not valid base64"},
      {R"({"auths":{"h.example":{"auth":"bm9jb2xvbg=="}}})", "does not decode to 'user:password'"},
      {R"({"auths":{"h.example":"string"}})", "not a JSON object"},
  };
  for (const auto& c : cases) {
    const std::string path = writeFile("config.json", c.text);
    auto found = lookupCredentials("h.example", path);
    ASSERT_FALSE(found) << c.text;
    EXPECT_CONTAINS(found.error().message, path);
    EXPECT_CONTAINS(found.error().message, c.problem);
  }
}

TEST_F(CredentialsTest, DefaultPathHonoursDockerConfig) {
  const char* saved = std::getenv("DOCKER_CONFIG");
  const std::string savedValue = saved ? saved : "";
  ::setenv("DOCKER_CONFIG", scratch().c_str(), 1);
  EXPECT_EQ(defaultDockerConfigPath(), scratch() + "/config.json");
  writeFile("config.json",
            fmt::format(R"({{"auths":{{"d.example":{{"auth":"{}"}}}}}})", encodeBase64("d:e")));
  auto found = lookupCredentials("d.example", "");
  if (saved) {
    ::setenv("DOCKER_CONFIG", savedValue.c_str(), 1);
  } else {
    ::unsetenv("DOCKER_CONFIG");
  }
  ASSERT_TRUE(found) << found.error().message;
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->username, "d");
}

TEST(Base64, RoundTripsAndRejectsJunk) {
  for (const std::string text : {"", "a", "ab", "abc", "abcd", "user:pa ss\xff"}) {
    auto decoded = decodeBase64(encodeBase64(text));
    ASSERT_TRUE(decoded.has_value()) << text;
    EXPECT_EQ(*decoded, text);
  }
  EXPECT_EQ(decodeBase64("YQ"), std::optional<std::string>("a"));
  EXPECT_EQ(decodeBase64("YWI"), std::optional<std::string>("ab"));
  EXPECT_EQ(decodeBase64("YW Jj\n"), std::optional<std::string>("abc"));
  EXPECT_FALSE(decodeBase64("Y").has_value());
  EXPECT_FALSE(decodeBase64("YQ=").has_value());
  EXPECT_FALSE(decodeBase64("Y=Q=").has_value());
  EXPECT_FALSE(decodeBase64("YQ$$").has_value());
  EXPECT_FALSE(decodeBase64("====").has_value());
}

}  // namespace
}  // namespace bulkhead::image
