#include "image/reference.h"

#include <gtest/gtest.h>

namespace bulkhead::image {
namespace {

struct Case {
  const char* input;
  const char* registry;
  const char* repository;
  const char* tag;
  const char* digest;
};

TEST(RegistryReference, ParsesTheFormsUsersWrite) {
  const std::string d = "sha256:" + std::string(64, 'a');
  const Case cases[] = {
      {"debian", "docker.io", "library/debian", "latest", ""},
      {"debian:bookworm", "docker.io", "library/debian", "bookworm", ""},
      {"team/app:1.2", "docker.io", "team/app", "1.2", ""},
      {"127.0.0.1:5000/bulkhead/testbed:bookworm", "127.0.0.1:5000", "bulkhead/testbed", "bookworm", ""},
      {"localhost/app", "localhost", "app", "latest", ""},
      {"ghcr.io/org/sub/app:v1.0-rc_1", "ghcr.io", "org/sub/app", "v1.0-rc_1", ""},
      {"registry.local:443/a__b/c-d.e", "registry.local:443", "a__b/c-d.e", "latest", ""},
  };
  for (const auto& c : cases) {
    auto ref = RegistryReference::parse(c.input);
    ASSERT_TRUE(ref.ok()) << c.input << ": " << ref.error().message;
    EXPECT_EQ(ref->registry, c.registry) << c.input;
    EXPECT_EQ(ref->repository, c.repository) << c.input;
    EXPECT_EQ(ref->tag, c.tag) << c.input;
    EXPECT_EQ(ref->digest.str(), c.digest) << c.input;
  }
  auto pinned = RegistryReference::parse("127.0.0.1:5000/x/y:t@" + d);
  ASSERT_TRUE(pinned.ok());
  EXPECT_EQ(pinned->tag, "t");
  EXPECT_EQ(pinned->reference(), d);  // the digest wins over the tag
  auto byDigest = RegistryReference::parse("x/y@" + d);
  ASSERT_TRUE(byDigest.ok());
  EXPECT_EQ(byDigest->tag, "");
  EXPECT_EQ(byDigest->apiHost(), "registry-1.docker.io");
}

TEST(RegistryReference, RejectsMalformedReferencesWithAReason) {
  const std::pair<std::string, std::string> bad[] = {
      {"", "empty"},
      {"UPPER/case", "invalid repository component 'UPPER'"},
      {"a//b", "invalid repository component ''"},
      {"a/b:", "invalid tag ''"},
      {"a/b:-x", "invalid tag '-x'"},
      {"a/b@sha256:abc", "expected 64 hex digits"},
      {"a/b@md5:" + std::string(32, 'a'), "unsupported algorithm 'md5'"},
      {"a/b@sha256:" + std::string(64, 'A'), "not lower-case hex"},
      {"a/" + std::string(300, 'b'), "longer than 255"},
      {std::string(2000, 'a'), "exceeds the limit"},
      {"host.io/", "missing repository"},
  };
  for (const auto& [input, why] : bad) {
    auto ref = RegistryReference::parse(input);
    ASSERT_FALSE(ref.ok()) << input;
    EXPECT_NE(ref.error().message.find(why), std::string::npos)
        << input << " gave: " << ref.error().message;
  }
}

TEST(Digest, ValidatesAlgorithmAndLength) {
  EXPECT_TRUE(Digest::parse("sha512:" + std::string(128, '0')).ok());
  EXPECT_FALSE(Digest::parse("sha256" + std::string(64, '0')).ok());
  EXPECT_EQ(Digest::parse("sha256:" + std::string(64, 'f'))->shortStr(), "sha256:ffffffffffff");
}

}  // namespace
}  // namespace bulkhead::image
