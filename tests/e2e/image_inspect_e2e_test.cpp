// The image library and `bulkhead image inspect` on the test bed's real Debian image, in
// every form the test bed makes (OCI layouts with gzip, zstd and plain layers, docker and
// oci archives, a multi-platform and a nested index, the root file system itself) and
// from real registries (anonymous, basic auth over TLS, bearer tokens).

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <tuple>

#include "core/sha256.h"
#include "image/image_reader.h"
#include "image/layer_reader.h"
#include "support/layout_builder.h"
#include "support/testbed.h"

namespace bulkhead::image {
namespace {

using nlohmann::json;
using testing::runCommand;
using testing::testbedValue;

using Snapshot = std::map<std::string, std::tuple<std::string, uint32_t, uint32_t, uint32_t, uint64_t, std::string>>;

Snapshot snapshot(const FileSystemView& fs) {
  Snapshot out;
  for (const auto& [path, n] : fs.nodes()) {
    out[path] = {entryTypeName(n.type), n.mode, n.uid, n.gid, n.size, n.linkTarget};
  }
  return out;
}

// Names the first differences, so a failure says what differs rather than "not equal".
std::string describeDifference(const Snapshot& a, const Snapshot& b) {
  std::string out;
  int shown = 0;
  for (const auto& [path, v] : a) {
    auto it = b.find(path);
    if (it == b.end()) {
      out += "only in first: " + path + "\n";
    } else if (it->second != v) {
      out += "differs: " + path + "\n";
    } else {
      continue;
    }
    if (++shown > 10) return out;
  }
  for (const auto& [path, v] : b) {
    if (!a.count(path)) out += "only in second: " + path + "\n";
    if (++shown > 20) break;
  }
  return out;
}

std::string strip(const std::string& path) { return path.substr(path.find_first_not_of('/')); }

uint32_t octal(const std::string& text) { return static_cast<uint32_t>(std::stoul(text, nullptr, 8)); }

class TestbedImage : public ::testing::Test {
 protected:
  void SetUp() override {
    BULKHEAD_REQUIRE_TESTBED();
    std::ifstream in(testbedValue("TESTBED_EXPECTED"));
    ASSERT_TRUE(in) << "cannot read " << testbedValue("TESTBED_EXPECTED");
    expected_ = json::parse(in);
    options_.cacheDir = testing::makeTempDir("cache");
  }

  Image open(const std::string& input) {
    auto img = openImage(input, options_);
    if (!img.ok()) {
      ADD_FAILURE() << input << ": " << img.error().message;
      return Image{};
    }
    return std::move(*img);
  }

  std::string oci() const { return testbedValue("TESTBED_OCI") + ":bookworm"; }

  json expected_;
  ReadOptions options_;
};

TEST_F(TestbedImage, OciLayoutShowsTheImageTheTestBedBuilt) {
  Image img = open(oci());
  const json& e = expected_["image"];
  EXPECT_EQ(img.resolved.manifestDigest.str(), e["manifest_digest"]);
  EXPECT_EQ(img.resolved.configDigest.str(), e["config_digest"]);
  ASSERT_EQ(img.layers.size(), e["diff_ids"].size());
  for (size_t i = 0; i < img.layers.size(); ++i) {
    EXPECT_EQ(img.layers[i].diffId.str(), e["diff_ids"][i]);
    EXPECT_EQ(img.layers[i].compression, Compression::kGzip);
    EXPECT_FALSE(img.layers[i].fromCache);
  }
  const ImageConfig& c = img.resolved.config;
  const json& ec = e["config"];
  EXPECT_EQ(c.architecture, "amd64");
  EXPECT_EQ(c.user, ec["User"]);
  EXPECT_EQ(json(c.env), ec["Env"]);
  EXPECT_EQ(json(c.entrypoint), ec["Entrypoint"]);
  EXPECT_EQ(json(c.cmd), ec["Cmd"]);
  EXPECT_EQ(c.workingDir, ec["WorkingDir"]);
  EXPECT_EQ(json(c.exposedPorts), ec["ExposedPorts"]);
  EXPECT_EQ(json(c.volumes), ec["Volumes"]);
  EXPECT_EQ(json(c.labels), ec["Labels"]);
  EXPECT_EQ(c.stopSignal, ec["StopSignal"]);
  ASSERT_EQ(c.history.size(), e["history"].size());
  EXPECT_TRUE(c.history.back().emptyLayer);
  EXPECT_EQ(c.history.front().createdBy, e["history"][0]["created_by"]);
  EXPECT_EQ(img.os.id, expected_["os_release"]["ID"]);
  EXPECT_EQ(img.os.versionId, expected_["os_release"]["VERSION_ID"]);
  EXPECT_EQ(img.os.codename, expected_["os_release"]["VERSION_CODENAME"]);
  EXPECT_EQ(img.os.prettyName, expected_["os_release"]["PRETTY_NAME"]);
}

TEST_F(TestbedImage, MergedFileSystemAppliesEveryLayerAndWhiteout) {
  Image img = open(oci());
  const json& merged = expected_["merged"];
  for (const auto& absent : merged["absent"]) {
    EXPECT_EQ(img.fs.find(strip(absent)), nullptr) << absent << " should be deleted";
  }
  for (const auto& f : merged["files"]) {
    const FileNode* node = img.fs.find(strip(f["path"]));
    ASSERT_NE(node, nullptr) << f["path"];
    EXPECT_EQ(node->mode, octal(f["mode"])) << f["path"];
    EXPECT_EQ(node->size, f["size"].get<uint64_t>()) << f["path"];
    auto data = img.readFile(strip(f["path"]));
    ASSERT_TRUE(data.ok()) << data.error().message;
    EXPECT_EQ(Sha256::hex(*data), f["sha256"]) << f["path"];
  }
  for (const auto& s : merged["symlinks"]) {
    const FileNode* node = img.fs.find(strip(s["path"]));
    ASSERT_NE(node, nullptr) << s["path"];
    EXPECT_EQ(node->type, EntryType::kSymlink);
    EXPECT_EQ(node->linkTarget, s["target"]);
    EXPECT_EQ("/" + *img.fs.resolve(strip(s["path"])), s["resolves_to"]);
  }
  for (const auto& h : merged["hardlinks"]) {
    auto data = img.readFile(strip(h["path"]));
    ASSERT_TRUE(data.ok()) << data.error().message;
    EXPECT_EQ(Sha256::hex(*data), h["sha256"]) << h["path"];
  }
  for (const auto& d : merged["dirs"]) {
    const std::string prefix = strip(d["path"]) + "/";
    std::set<std::string> children;
    for (auto it = img.fs.nodes().lower_bound(prefix);
         it != img.fs.nodes().end() && it->first.starts_with(prefix); ++it) {
      if (it->first.find('/', prefix.size()) == std::string::npos) {
        children.insert(it->first.substr(prefix.size()));
      }
    }
    EXPECT_EQ(json(children), d["entries"]) << d["path"];
  }
  // A file only the lazy path can serve (not captured while streaming): read back from
  // the layer blob on demand, and it is the real bash ELF.
  auto bash = img.readFile("bin/bash");
  ASSERT_TRUE(bash.ok()) << bash.error().message;
  EXPECT_EQ(bash->substr(0, 4), "\x7f" "ELF");
  EXPECT_EQ(bash->size(), img.fs.find(*img.fs.resolve("bin/bash"))->size);
}

TEST_F(TestbedImage, EveryFormOfTheImageGivesTheSameFileSystem) {
  const Snapshot reference = snapshot(open(oci()).fs);
  ASSERT_GT(reference.size(), 5000u);
  const std::pair<std::string, Compression> forms[] = {
      {testbedValue("TESTBED_OCI_ZSTD") + ":bookworm", Compression::kZstd},
      {testbedValue("TESTBED_OCI_PLAIN") + ":bookworm", Compression::kNone},
      {testbedValue("TESTBED_DOCKER_ARCHIVE"), Compression::kNone},
      {"oci-archive:" + testbedValue("TESTBED_OCI_ARCHIVE"), Compression::kGzip},
  };
  for (const auto& [input, compression] : forms) {
    options_.useCache = false;
    Image img = open(input);
    ASSERT_FALSE(img.layers.empty()) << input;
    EXPECT_EQ(img.layers[0].compression, compression) << input;
    EXPECT_EQ(img.os.codename, "bookworm") << input;
    const Snapshot got = snapshot(img.fs);
    EXPECT_TRUE(got == reference) << input << "\n" << describeDifference(reference, got);
  }
}

TEST_F(TestbedImage, FirstLayerHoldsExactlyTheDebootstrapRootfs) {
  Image rootfs = open("rootfs:" + testbedValue("TESTBED_ROOTFS"));
  EXPECT_EQ(rootfs.os.codename, "bookworm");
  auto osRelease = rootfs.readFile("etc/os-release");
  ASSERT_TRUE(osRelease.ok()) << osRelease.error().message;
  EXPECT_NE(osRelease->find("bookworm"), std::string::npos);

  Image img = open(oci());
  // Compare the rootfs walk with layer 1 alone, read straight from its blob.
  LayerContents layer1;
  {
    auto stream = FileStream::open(testbedValue("TESTBED_OCI") + "/blobs/sha256/" +
                                   img.resolved.layers[0].blob.digest.hex);
    ASSERT_TRUE(stream.ok());
    auto read = readLayer(**stream, img.resolved.layers[0], {}, "layer 1");
    ASSERT_TRUE(read.ok()) << read.error().message;
    layer1 = std::move(*read);
  }
  FileSystemView fromLayer;
  std::vector<std::string> warnings;
  fromLayer.applyLayer(0, layer1.entries, warnings);
  Snapshot a = snapshot(rootfs.fs);
  Snapshot b = snapshot(fromLayer);
  // A directory walk sees every name of a hardlinked file as a plain file; the tar
  // stores the second name as a link to the first. Directory sizes mean nothing.
  for (auto* s : {&a, &b}) {
    for (auto& [path, v] : *s) {
      if (std::get<0>(v) == "hardlink") {
        std::get<0>(v) = "file";
        std::get<5>(v).clear();
      }
      if (std::get<0>(v) == "dir") std::get<4>(v) = 0;
    }
  }
  EXPECT_TRUE(a == b) << describeDifference(a, b);
}

TEST_F(TestbedImage, PicksThePlatformFromAMultiPlatformIndex) {
  const std::string multi = testbedValue("TESTBED_MULTI") + ":multi";
  Image amd = open(multi);
  EXPECT_EQ(amd.resolved.config.architecture, "amd64");
  EXPECT_EQ(amd.resolved.manifestDigest.str(), expected_["image"]["manifest_digest"]);
  EXPECT_EQ(amd.resolved.indexPlatforms.size(), 2u);

  options_.resolve.platform = *Platform::parse("linux/arm64");
  Image arm = open(multi);
  EXPECT_EQ(arm.resolved.config.architecture, "arm64");
  EXPECT_EQ(arm.resolved.manifestDigest.str(), expected_["foreign_image"]["manifest_digest"]);
  for (const auto& marker : expected_["foreign_image"]["marker_files"]) {
    EXPECT_NE(arm.fs.find(strip(marker)), nullptr) << marker;
  }

  options_.resolve.platform = *Platform::parse("linux/s390x");
  auto none = openImage(multi, options_);
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.error().message.find("no manifest for platform linux/s390x (available: "
                                      "linux/amd64, linux/arm64)"),
            std::string::npos)
      << none.error().message;
}

TEST_F(TestbedImage, ResolvesNestedIndexes) {
  Image img = open(testbedValue("TESTBED_NESTED") + ":nested");
  EXPECT_EQ(img.resolved.manifestDigest.str(), expected_["image"]["manifest_digest"]);
}

TEST_F(TestbedImage, SecondReadComesFromTheLayerCache) {
  Image first = open(oci());
  Image second = open(oci());
  ASSERT_EQ(second.layers.size(), first.layers.size());
  for (const auto& layer : second.layers) EXPECT_TRUE(layer.fromCache);
  EXPECT_TRUE(snapshot(first.fs) == snapshot(second.fs));
  // The zstd form has the same diff_ids but other blobs: a diff_id alone is a claim, not
  // proof, so those layers are read, not borrowed from the gzip form's cache entries.
  Image zstd = open(testbedValue("TESTBED_OCI_ZSTD") + ":bookworm");
  for (const auto& layer : zstd.layers) EXPECT_FALSE(layer.fromCache);
  EXPECT_TRUE(snapshot(first.fs) == snapshot(zstd.fs));
}

// ---- the binary ----

TEST(InspectCli, PrintsJsonAUserCanScript) {
  BULKHEAD_REQUIRE_TESTBED();
  auto r = runCommand({testing::bulkheadBinary(), "image", "inspect", "--no-cache", "-f", "json",
                       testbedValue("TESTBED_OCI") + ":bookworm"});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  json out = json::parse(r.out);
  EXPECT_EQ(out["source"]["kind"], "oci-layout");
  EXPECT_EQ(out["os"]["id"], "debian");
  EXPECT_EQ(out["config"]["user"], "nobody");
  EXPECT_EQ(out["layers"].size(), 3u);
  EXPECT_GT(out["filesystem"]["regularFiles"].get<int>(), 5000);
}

TEST(InspectCli, ErrorsExitWithTwoAndNameTheInput) {
  BULKHEAD_REQUIRE_TESTBED();
  const std::string bin = testing::bulkheadBinary();
  auto missing = runCommand({bin, "image", "inspect", "/nonexistent/image"});
  EXPECT_EQ(missing.exitCode, 2);
  EXPECT_NE(missing.err.find("'/nonexistent/image': no such file or directory"), std::string::npos)
      << missing.err;
  auto badTag = runCommand({bin, "image", "inspect", testbedValue("TESTBED_OCI") + ":nope"});
  EXPECT_EQ(badTag.exitCode, 2);
  EXPECT_NE(badTag.err.find("no image tagged 'nope' (tags: bookworm"), std::string::npos) << badTag.err;
  auto badRef = runCommand({bin, "image", "inspect", "Bad//Ref"});
  EXPECT_EQ(badRef.exitCode, 2);
  EXPECT_NE(badRef.err.find("invalid repository component"), std::string::npos) << badRef.err;
  auto usage = runCommand({bin, "image", "inspect"});
  EXPECT_EQ(usage.exitCode, 2);
}

// ---- registries ----

class TestbedRegistry : public TestbedImage {
 protected:
  testing::CommandResult inspect(std::vector<std::string> args) {
    std::vector<std::string> argv = {testing::bulkheadBinary(), "image", "inspect", "-f", "json",
                                     "--cache-dir", options_.cacheDir};
    argv.insert(argv.end(), args.begin(), args.end());
    return runCommand(argv, {{"HOME", options_.cacheDir}});
  }
};

TEST_F(TestbedRegistry, AnonymousRegistryOverPlainHttp) {
  auto r = inspect({"--insecure", testbedValue("TESTBED_REGISTRY_ANON") + "/bulkhead/testbed:bookworm"});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  json out = json::parse(r.out);
  EXPECT_EQ(out["configDigest"], expected_["image"]["config_digest"]);
  EXPECT_EQ(out["os"]["codename"], "bookworm");
  EXPECT_EQ(out["layers"][0]["compression"], "gzip");
}

TEST_F(TestbedRegistry, MultiPlatformIndexFromARegistry) {
  auto r = inspect({"--insecure", "--platform", "linux/arm64",
                    testbedValue("TESTBED_REGISTRY_ANON") + "/bulkhead/multi:latest"});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_EQ(json::parse(r.out)["platform"], "linux/arm64");
}

TEST_F(TestbedRegistry, BasicAuthOverTlsWithTheTestCa) {
  const std::string ref = testbedValue("TESTBED_REGISTRY_TLS") + "/bulkhead/testbed:bookworm";
  auto r = inspect({"--ca-cert", testbedValue("TESTBED_CA_CERT"), "-u",
                    testbedValue("TESTBED_REGISTRY_USER"), "-p", testbedValue("TESTBED_REGISTRY_PASS"), ref});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_EQ(json::parse(r.out)["configDigest"], expected_["image"]["config_digest"]);

  auto anonymous = inspect({"--ca-cert", testbedValue("TESTBED_CA_CERT"), ref});
  EXPECT_EQ(anonymous.exitCode, 2);
  EXPECT_NE(anonymous.err.find("401"), std::string::npos) << anonymous.err;

  auto untrusted = inspect({"-u", testbedValue("TESTBED_REGISTRY_USER"), "-p",
                            testbedValue("TESTBED_REGISTRY_PASS"), ref});
  EXPECT_EQ(untrusted.exitCode, 2);
  EXPECT_NE(untrusted.err.find(testbedValue("TESTBED_REGISTRY_TLS")), std::string::npos) << untrusted.err;
}

TEST_F(TestbedRegistry, CredentialsFromDockerConfig) {
  const std::string config = options_.cacheDir + "/.docker/config.json";
  std::filesystem::create_directories(options_.cacheDir + "/.docker");
  const std::string userPass = testbedValue("TESTBED_REGISTRY_USER") + ":" + testbedValue("TESTBED_REGISTRY_PASS");
  // base64 by hand would be a second implementation; the shell's base64 is the oracle.
  auto b64 = runCommand({"sh", "-c", "printf %s \"$0\" | base64 -w0", userPass});
  std::ofstream(config) << json{{"auths", {{testbedValue("TESTBED_REGISTRY_TLS"), {{"auth", b64.out}}}}}}.dump();
  auto r = inspect({"--ca-cert", testbedValue("TESTBED_CA_CERT"),
                    testbedValue("TESTBED_REGISTRY_TLS") + "/bulkhead/testbed:bookworm"});
  EXPECT_EQ(r.exitCode, 0) << r.err;
}

TEST_F(TestbedRegistry, BearerTokenAuthFromTheChallenge) {
  const std::string registry = testbedValue("TESTBED_REGISTRY_TOKEN");
  std::vector<std::string> args;
  if (testbedValue("TESTBED_REGISTRY_TOKEN_TLS") == "1") {
    args = {"--ca-cert", testbedValue("TESTBED_CA_CERT")};
  } else {
    args = {"--insecure"};
  }
  auto anonymous = inspect([&] { auto a = args; a.push_back(registry + "/bulkhead/testbed:bookworm"); return a; }());
  EXPECT_EQ(anonymous.exitCode, 2);
  args.insert(args.end(), {"-u", testbedValue("TESTBED_TOKEN_USER"), "-p", testbedValue("TESTBED_TOKEN_PASS"),
                           registry + "/bulkhead/testbed:bookworm"});
  auto r = inspect(args);
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_EQ(json::parse(r.out)["configDigest"], expected_["image"]["config_digest"]);
}

}  // namespace
}  // namespace bulkhead::image
