#include "image/manifest.h"

#include <gtest/gtest.h>

namespace bulkhead::image {
namespace {

const std::string kDigest = "sha256:" + std::string(64, 'b');

TEST(ParseConfig, ReadsEverythingInspectShows) {
  const std::string config = R"({
    "architecture": "arm64", "os": "linux", "variant": "v8", "created": "2024-01-01T00:00:00Z",
    "config": {
      "User": "app", "WorkingDir": "/srv", "Env": ["PATH=/usr/bin", "A=b"],
      "Entrypoint": ["/entry"], "Cmd": "serve", "ExposedPorts": {"8080/tcp": {}, "53/udp": {}},
      "Volumes": {"/data": {}}, "Labels": {"k": "v", "bad": 3}, "StopSignal": "SIGTERM",
      "Healthcheck": {"Test": ["CMD", "true"], "Interval": 30000000000, "Retries": 3}
    },
    "history": [{"created_by": "RUN x", "empty_layer": true}, {"created_by": "ADD y"}],
    "rootfs": {"type": "layers", "diff_ids": [")" + kDigest + R"("]}
  })";
  auto c = parseConfig(config, "config");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->architecture, "arm64");
  EXPECT_EQ(c->variant, "v8");
  EXPECT_EQ(c->user, "app");
  EXPECT_EQ(c->workingDir, "/srv");
  EXPECT_EQ(c->env, (std::vector<std::string>{"PATH=/usr/bin", "A=b"}));
  EXPECT_EQ(c->entrypoint, std::vector<std::string>{"/entry"});
  EXPECT_EQ(c->cmd, std::vector<std::string>{"serve"});
  EXPECT_EQ(c->exposedPorts, (std::vector<std::string>{"53/udp", "8080/tcp"}));
  EXPECT_EQ(c->volumes, std::vector<std::string>{"/data"});
  EXPECT_EQ(c->labels.size(), 1u);
  ASSERT_TRUE(c->healthcheck.has_value());
  EXPECT_EQ(c->healthcheck->test, (std::vector<std::string>{"CMD", "true"}));
  EXPECT_EQ(c->healthcheck->intervalNs, 30000000000);
  EXPECT_EQ(c->healthcheck->retries, 3);
  ASSERT_EQ(c->history.size(), 2u);
  EXPECT_TRUE(c->history[0].emptyLayer);
  EXPECT_EQ(c->history[1].createdBy, "ADD y");
  ASSERT_EQ(c->diffIds.size(), 1u);
  EXPECT_EQ(c->diffIds[0].str(), kDigest);
}

TEST(ParseConfig, RejectsBadDiffIds) {
  auto c = parseConfig(R"({"rootfs": {"diff_ids": ["nope"]}})", "cfg.json");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("cfg.json: rootfs.diff_ids"), std::string::npos);
}

TEST(ParseManifest, ReadsOciAndDockerManifests) {
  const std::string oci = R"({"schemaVersion": 2, "config": {"mediaType": "x", "digest": ")" +
                          kDigest + R"(", "size": 10}, "layers": [{"mediaType":
                          "application/vnd.oci.image.layer.v1.tar+zstd", "digest": ")" + kDigest +
                          R"(", "size": 20}]})";
  auto m = parseManifest(oci, "m");
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ(m->mediaType, media::kOciManifest);
  ASSERT_EQ(m->layers.size(), 1u);
  EXPECT_EQ(m->layers[0].size, 20);
  auto noSize = parseManifest(R"({"schemaVersion": 2, "config": {"digest": ")" + kDigest + R"("}, "layers": []})", "m2");
  ASSERT_FALSE(noSize.ok());
  EXPECT_NE(noSize.error().message.find("no valid size"), std::string::npos);
}

TEST(ParseIndex, ReadsPlatformsAndAnnotations) {
  const std::string text = R"({"schemaVersion": 2, "manifests": [
    {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": ")" + kDigest + R"(",
     "size": 1, "platform": {"os": "linux", "architecture": "arm64", "variant": "v8"},
     "annotations": {"org.opencontainers.image.ref.name": "t"}}]})";
  auto idx = parseIndex(text, "index");
  ASSERT_TRUE(idx.ok()) << idx.error().message;
  ASSERT_EQ(idx->manifests.size(), 1u);
  EXPECT_EQ(idx->manifests[0].platform->str(), "linux/arm64/v8");
  EXPECT_EQ(idx->manifests[0].annotations.at("org.opencontainers.image.ref.name"), "t");
}

TEST(Platform, ParsesAndMatchesVariants) {
  auto p = Platform::parse("linux/arm64");
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(p->accepts(Platform{"linux", "arm64", "v8"}));
  EXPECT_FALSE(p->accepts(Platform{"linux", "amd64", ""}));
  const Platform v7{"linux", "arm", "v7"};
  EXPECT_FALSE(v7.accepts(Platform{"linux", "arm", "v6"}));
  EXPECT_FALSE(Platform::parse("linux").ok());
  EXPECT_FALSE(Platform::parse("a/b/c/d").ok());
}

TEST(DocumentMediaType, GuessesWhenTheDocumentDoesNotSay) {
  EXPECT_EQ(*documentMediaType(R"({"manifests": []})", "x"), media::kOciIndex);
  EXPECT_EQ(*documentMediaType(R"({"layers": []})", "x"), media::kOciManifest);
  EXPECT_EQ(*documentMediaType(R"({"mediaType": "m"})", "x"), "m");
  EXPECT_FALSE(documentMediaType("[]", "x").ok());
}

}  // namespace
}  // namespace bulkhead::image
