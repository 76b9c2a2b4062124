// The registry store against real registries (Debian's docker-registry) started by
// tests/testbed/testbed.sh registry-start: anonymous over http, basic auth over TLS with the
// test bed's CA, and bearer tokens from the test bed's token server.
// BULKHEAD_TESTBED_ENV names the testbed.env file; without it these tests skip.

#include <gtest/gtest.h>

#include <cstdlib>

#include "../support/loopback_http_server.h"
#include "core/paths.h"
#include "image/manifest.h"
#include "image/registry_store.h"
#include "image/verify.h"
#include "support/testbed.h"

namespace bulkhead::image {
namespace {

class RegistryTestbedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* path = std::getenv("BULKHEAD_TESTBED_ENV");
    if (path != nullptr && *path != '\0' && testing::testbedEnv() == nullptr) {
      FAIL() << "BULKHEAD_TESTBED_ENV is set, but " << path << " cannot be read";
    }
    BULKHEAD_REQUIRE_TESTBED();
    if (env("TESTBED_REGISTRY_ANON").empty()) {
      // Fail rather than skip: the variable says a test bed is there.
      FAIL() << path << " has no TESTBED_REGISTRY_ANON: the "
             << "registries are not running (tests/testbed/testbed.sh registry-start)";
    }
    ::unsetenv("BULKHEAD_USERNAME");
    ::unsetenv("BULKHEAD_PASSWORD");
    auto dir = ScratchDir::create("registry-testbed");
    ASSERT_TRUE(dir) << dir.error().message;
    scratch_.emplace(std::move(*dir));
  }

  static std::string env(const std::string& key) { return testing::testbedValue(key); }
  std::string repo() const {
    const std::string value = env("TESTBED_REGISTRY_REPO");
    return value.empty() ? "bulkhead/testbed" : value;
  }
  std::string tag() const {
    const std::string value = env("TESTBED_REGISTRY_TAG");
    return value.empty() ? "bookworm" : value;
  }

  RegistryOptions baseOptions() const {
    RegistryOptions options;
    options.blobCacheDir = scratch_->path() + "/blobs";
    options.dockerConfigPath = scratch_->path() + "/no-docker-config.json";
    options.http.connectTimeoutMs = 5000;
    options.http.stallSeconds = 10;
    options.http.totalTimeoutMs = 120000;
    return options;
  }

  static RegistryReference reference(const std::string& text) {
    auto ref = RegistryReference::parse(text);
    EXPECT_TRUE(ref) << ref.error().message;
    return ref ? *ref : RegistryReference{};
  }

  // Root (index -> amd64 or first manifest), config and the first layer, all verified.
  static void pullOneImage(OciStore& store) {
    auto root = store.fetchRoot();
    ASSERT_TRUE(root) << root.error().message;
    ASSERT_FALSE(root->digest.empty());
    Document manifestDocument = *root;
    if (media::isIndex(root->mediaType)) {
      auto index = parseIndex(root->bytes, "root index");
      ASSERT_TRUE(index) << index.error().message;
      ASSERT_FALSE(index->manifests.empty());
      const Descriptor* chosen = &index->manifests.front();
      for (const Descriptor& descriptor : index->manifests) {
        if (descriptor.platform && descriptor.platform->architecture == "amd64")
          chosen = &descriptor;
      }
      auto fetched = store.fetchManifest(*chosen);
      ASSERT_TRUE(fetched) << fetched.error().message;
      manifestDocument = std::move(*fetched);
    }
    ASSERT_TRUE(media::isManifest(manifestDocument.mediaType)) << manifestDocument.mediaType;
    auto manifest = parseManifest(manifestDocument.bytes, "manifest");
    ASSERT_TRUE(manifest) << manifest.error().message;
    ASSERT_FALSE(manifest->layers.empty());

    auto configStream = store.openBlob(manifest->config);
    ASSERT_TRUE(configStream) << configStream.error().message;
    auto rawConfig = readVerified(**configStream, manifest->config.digest, manifest->config.size,
                                  1u << 20, "config");
    ASSERT_TRUE(rawConfig) << rawConfig.error().message;
    auto config = parseConfig(*rawConfig, "config");
    ASSERT_TRUE(config) << config.error().message;
    EXPECT_FALSE(config->architecture.empty());

    const Descriptor& layer = manifest->layers.front();
    auto layerStream = store.openBlob(layer);
    ASSERT_TRUE(layerStream) << layerStream.error().message;
    VerifyingStream verifying(**layerStream, layer.digest, layer.size, "layer");
    auto bytes = readAll(verifying, 1u << 30, "layer");
    ASSERT_TRUE(bytes) << bytes.error().message;
    EXPECT_TRUE(verifying.verified());
    EXPECT_GT(bytes->size(), 0u);
  }

  std::optional<ScratchDir> scratch_;
};

TEST_F(RegistryTestbedTest, AnonymousRegistryOverHttp) {
  RegistryOptions options = baseOptions();
  options.insecure = true;
  auto store = makeRegistryStore(
      reference(env("TESTBED_REGISTRY_ANON") + "/" + repo() + ":" + tag()), options);
  pullOneImage(*store);

  // The same root by digest gives the same bytes.
  auto root = store->fetchRoot();
  ASSERT_TRUE(root) << root.error().message;
  auto pinned = makeRegistryStore(
      reference(env("TESTBED_REGISTRY_ANON") + "/" + repo() + "@" + root->digest.str()), options);
  auto again = pinned->fetchRoot();
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(again->bytes, root->bytes);
}

TEST_F(RegistryTestbedTest, AnonymousMultiPlatformIndex) {
  RegistryOptions options = baseOptions();
  options.insecure = true;
  std::string multi = env("TESTBED_REGISTRY_MULTI_REPO");
  if (multi.empty()) multi = "bulkhead/multi";
  std::string multiTag = env("TESTBED_REGISTRY_MULTI_TAG");
  if (multiTag.empty()) multiTag = "latest";
  auto store = makeRegistryStore(
      reference(env("TESTBED_REGISTRY_ANON") + "/" + multi + ":" + multiTag), options);
  auto root = store->fetchRoot();
  ASSERT_TRUE(root) << root.error().message;
  EXPECT_TRUE(media::isIndex(root->mediaType)) << root->mediaType;
  auto index = parseIndex(root->bytes, "multi index");
  ASSERT_TRUE(index) << index.error().message;
  EXPECT_GE(index->manifests.size(), 2u);
  for (const Descriptor& descriptor : index->manifests) {
    auto manifest = store->fetchManifest(descriptor);
    EXPECT_TRUE(manifest) << manifest.error().message;
  }
  pullOneImage(*store);
}

TEST_F(RegistryTestbedTest, MissingTagIsManifestUnknown) {
  RegistryOptions options = baseOptions();
  options.insecure = true;
  auto store = makeRegistryStore(
      reference(env("TESTBED_REGISTRY_ANON") + "/" + repo() + ":no-such-tag"), options);
  auto root = store->fetchRoot();
  ASSERT_FALSE(root);
  EXPECT_CONTAINS(root.error().message, "manifest unknown");
  EXPECT_CONTAINS(root.error().message, "no-such-tag");
}

TEST_F(RegistryTestbedTest, BasicAuthOverTlsWithTheTestbedCa) {
  RegistryOptions options = baseOptions();
  options.caFile = env("TESTBED_CA_CERT");
  options.username = env("TESTBED_REGISTRY_USER");
  options.password = env("TESTBED_REGISTRY_PASS");
  auto store = makeRegistryStore(
      reference(env("TESTBED_REGISTRY_TLS") + "/" + repo() + ":" + tag()), options);
  pullOneImage(*store);
}

TEST_F(RegistryTestbedTest, TlsRegistryWithoutCredentialsIsUnauthorized) {
  RegistryOptions options = baseOptions();
  options.caFile = env("TESTBED_CA_CERT");
  auto root = makeRegistryStore(reference(env("TESTBED_REGISTRY_TLS") + "/" + repo() + ":" + tag()),
                                options)
                  ->fetchRoot();
  ASSERT_FALSE(root);
  EXPECT_CONTAINS(root.error().message,
                  "401 Unauthorized from https://" + env("TESTBED_REGISTRY_TLS"));
  EXPECT_CONTAINS(root.error().message, "credentials required");
}

TEST_F(RegistryTestbedTest, TlsRegistryWithWrongPasswordIsRejected) {
  RegistryOptions options = baseOptions();
  options.caFile = env("TESTBED_CA_CERT");
  options.username = env("TESTBED_REGISTRY_USER");
  options.password = "wrong-password";
  auto root = makeRegistryStore(reference(env("TESTBED_REGISTRY_TLS") + "/" + repo() + ":" + tag()),
                                options)
                  ->fetchRoot();
  ASSERT_FALSE(root);
  EXPECT_CONTAINS(root.error().message, "401 Unauthorized");
  EXPECT_CONTAINS(root.error().message, "rejected the credentials");
}

TEST_F(RegistryTestbedTest, TlsRegistryWithoutTheCaIsATlsFailure) {
  RegistryOptions options = baseOptions();
  options.username = env("TESTBED_REGISTRY_USER");
  options.password = env("TESTBED_REGISTRY_PASS");
  // No caFile: the system's trust store, which does not hold the test bed's CA.
  auto root = makeRegistryStore(reference(env("TESTBED_REGISTRY_TLS") + "/" + repo() + ":" + tag()),
                                options)
                  ->fetchRoot();
  ASSERT_FALSE(root);
  EXPECT_CONTAINS(root.error().message, "https://" + env("TESTBED_REGISTRY_TLS"));
  EXPECT_CONTAINS(root.error().message, "TLS failure");
}

TEST_F(RegistryTestbedTest, BearerTokenRegistry) {
  RegistryOptions options = baseOptions();
  options.insecure = env("TESTBED_REGISTRY_TOKEN_SCHEME") != "https";
  options.caFile = env("TESTBED_CA_CERT");
  options.username = env("TESTBED_TOKEN_USER");
  options.password = env("TESTBED_TOKEN_PASS");
  auto store = makeRegistryStore(
      reference(env("TESTBED_REGISTRY_TOKEN") + "/" + repo() + ":" + tag()), options);
  pullOneImage(*store);
}

TEST_F(RegistryTestbedTest, BearerTokenRegistryWithoutCredentialsIsUnauthorized) {
  RegistryOptions options = baseOptions();
  options.insecure = env("TESTBED_REGISTRY_TOKEN_SCHEME") != "https";
  auto root = makeRegistryStore(
                  reference(env("TESTBED_REGISTRY_TOKEN") + "/" + repo() + ":" + tag()), options)
                  ->fetchRoot();
  ASSERT_FALSE(root);
  EXPECT_CONTAINS(root.error().message, "401 Unauthorized from ");
  EXPECT_CONTAINS(root.error().message, env("TESTBED_REGISTRY_TOKEN"));
  EXPECT_CONTAINS(root.error().message, "credentials required");
}

TEST_F(RegistryTestbedTest, BearerTokenRegistryWithWrongPasswordIsRejected) {
  RegistryOptions options = baseOptions();
  options.insecure = env("TESTBED_REGISTRY_TOKEN_SCHEME") != "https";
  options.username = env("TESTBED_TOKEN_USER");
  options.password = "wrong-password";
  auto root = makeRegistryStore(
                  reference(env("TESTBED_REGISTRY_TOKEN") + "/" + repo() + ":" + tag()), options)
                  ->fetchRoot();
  ASSERT_FALSE(root);
  EXPECT_CONTAINS(root.error().message, "token endpoint");
  EXPECT_CONTAINS(root.error().message, "were rejected");
}

}  // namespace
}  // namespace bulkhead::image
