// PHP Composer: composer.lock and both installed.json formats, hostile JSON, and the
// cataloger's choice between what is installed and what is only declared.

#include "sbom/catalogers/php.h"

#include <gtest/gtest.h>

#include <set>

#include "sbom/catalogers/catalogers.h"
#include "sbom/sbom.h"
#include "support/layout_builder.h"
#include "support/tar_builder.h"

namespace bulkhead::sbom {
namespace {

namespace tb = bulkhead::testing;

constexpr const char* kLock = R"({
  "_readme": ["This file locks the dependencies of your project to a known state"],
  "content-hash": "0123",
  "packages": [
    {"name": "monolog/monolog", "version": "3.5.0", "type": "library", "license": ["MIT"],
     "source": {"type": "git", "url": "https://github.com/Seldaek/monolog.git", "reference": "c915e2634718dbc8a4a15c61b0e62e7a44e14448"}},
    {"name": "psr/log", "version": "3.0.0", "license": ["MIT"]},
    {"name": "symfony/polyfill-mbstring", "version": "v1.28.0", "license": ["MIT"], "type": "library"},
    {"name": "laravel/framework", "version": "v10.0.0", "license": "MIT"},
    {"name": "composer/installers", "version": "v2.2.0", "type": "composer-plugin", "license": ["MIT", "BSD-3-Clause"]}
  ],
  "packages-dev": [
    {"name": "phpunit/phpunit", "version": "10.5.1", "license": ["BSD-3-Clause"]}
  ],
  "aliases": [], "minimum-stability": "stable"
})";

constexpr const char* kInstalledV2 = R"({
  "packages": [
    {"name": "monolog/monolog", "version": "3.5.0", "version_normalized": "3.5.0.0", "license": ["MIT"],
     "install-path": "../monolog/monolog"},
    {"name": "phpunit/phpunit", "version": "10.5.1", "license": ["BSD-3-Clause"]},
    {"name": "noversion/x"}
  ],
  "dev": true,
  "dev-package-names": ["phpunit/phpunit"]
})";

constexpr const char* kInstalledV1 = R"([
  {"name": "guzzlehttp/guzzle", "version": "6.5.5", "license": ["MIT"]},
  {"name": "plain", "version": "1.0.0"}
])";

std::set<std::string> summary(const std::vector<Package>& packages) {
  std::set<std::string> out;
  for (const auto& p : packages) {
    std::string line = p.nameSpace + "|" + p.name + "@" + p.version;
    if (p.metadata.contains("dev")) line += " dev";
    out.insert(line);
  }
  return out;
}

TEST(ComposerLock, PackagesAndDevPackages) {
  auto parsed = php::parseComposerLock(kLock, "/app/composer.lock");
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(summary(parsed->packages),
            (std::set<std::string>{"monolog|monolog@3.5.0", "psr|log@3.0.0",
                                   "symfony|polyfill-mbstring@v1.28.0", "laravel|framework@v10.0.0",
                                   "composer|installers@v2.2.0", "phpunit|phpunit@10.5.1 dev"}));
  for (const auto& p : parsed->packages) {
    if (p.name == "installers") {
      EXPECT_EQ(p.licenses, (std::vector<std::string>{"MIT", "BSD-3-Clause"}));
      EXPECT_EQ(p.metadata.at("type"), "composer-plugin");
    }
    if (p.name == "framework") {
      EXPECT_EQ(p.licenses, std::vector<std::string>{"MIT"});
    }
  }
  Package p = parsed->packages.front();
  p.ecosystem = eco::kComposer;
  EXPECT_EQ(makePurl(p), "pkg:composer/monolog/monolog@3.5.0");
}

TEST(ComposerInstalled, BothFormats) {
  auto v2 = php::parseInstalledJson(kInstalledV2, "/app/vendor/composer/installed.json");
  ASSERT_TRUE(v2) << v2.error().message;
  EXPECT_EQ(summary(v2->packages),
            (std::set<std::string>{"monolog|monolog@3.5.0", "phpunit|phpunit@10.5.1 dev"}));
  ASSERT_EQ(v2->warnings.size(), 1u);
  EXPECT_NE(v2->warnings[0].find("/app/vendor/composer/installed.json"), std::string::npos);
  auto v1 = php::parseInstalledJson(kInstalledV1, "/app/vendor/composer/installed.json");
  ASSERT_TRUE(v1) << v1.error().message;
  EXPECT_EQ(summary(v1->packages),
            (std::set<std::string>{"guzzlehttp|guzzle@6.5.5", "|plain@1.0.0"}));
}

TEST(Composer, MalformedIsAnErrorNamingTheFile) {
  for (std::string_view text :
       {"", "{", "{}", "{\"packages\": {}}", "7", "[1, \"x\", null, {\"name\": 5}]"}) {
    auto lock = php::parseComposerLock(text, "/srv/composer.lock");
    if (!lock) {
      EXPECT_NE(lock.error().message.find("/srv/composer.lock"), std::string::npos);
    } else {
      EXPECT_TRUE(lock->packages.empty()) << text;
    }
    auto installed = php::parseInstalledJson(text, "/srv/vendor/composer/installed.json");
    if (!installed) {
      EXPECT_NE(installed.error().message.find("/srv/vendor/composer/installed.json"),
                std::string::npos);
    } else {
      EXPECT_TRUE(installed->packages.empty()) << text;
    }
  }
  EXPECT_FALSE(php::parseComposerLock("{}", "/x"));
  EXPECT_FALSE(php::parseInstalledJson("{}", "/x"));
}

TEST(PhpCataloger, InstalledWinsOverTheLockfile) {
  const std::string dir = tb::makeTempDir("image");
  tb::LayoutBuilder builder(dir + "/layout");
  builder.writeIndexJson({builder.image({tb::makeTar(
      {tb::file("var/www/html/composer.lock", kLock),
       tb::file("var/www/html/vendor/composer/installed.json", kInstalledV2),
       tb::file("var/www/html/vendor/monolog/monolog/composer.lock", kLock),
       tb::file("opt/tool/composer.lock", kLock),
       tb::file("opt/broken/vendor/composer/installed.json", "{\"packages\": 3}")})})});
  image::ReadOptions options;
  options.useCache = false;
  options.capture = sbomCapture();
  auto image = image::openImage("oci:" + dir + "/layout", options);
  ASSERT_TRUE(image) << image.error().message;
  std::vector<std::string> warnings;
  std::vector<Package> packages;
  ASSERT_TRUE(makePhpCataloger()->catalog(CatalogContext{*image, warnings}, packages));
  std::multiset<std::string> locations;
  for (const auto& p : packages) {
    EXPECT_EQ(p.ecosystem, eco::kComposer);
    locations.insert(p.locations.at(0));
    if (p.locations.at(0) == "/opt/tool/composer.lock") {
      EXPECT_EQ(p.metadata.at("source"), "lockfile");
    }
  }
  EXPECT_EQ(locations.count("/var/www/html/vendor/composer/installed.json"), 2u);
  EXPECT_EQ(locations.count("/var/www/html/composer.lock"), 0u);
  EXPECT_EQ(locations.count("/var/www/html/vendor/monolog/monolog/composer.lock"), 0u);
  EXPECT_EQ(locations.count("/opt/tool/composer.lock"), 6u);
  EXPECT_EQ(packages.size(), 8u);
  ASSERT_EQ(warnings.size(), 2u);  // the package without a version, the broken installed.json
  bool broken = false;
  for (const auto& w : warnings)
    broken |= w.find("/opt/broken/vendor/composer/installed.json") != std::string::npos;
  EXPECT_TRUE(broken);
}

}  // namespace
}  // namespace bulkhead::sbom
