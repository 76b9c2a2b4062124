// Ruby: the installed-gemspec reader on the forms RubyGems has written over the years, on
// hostile text, and the cataloger on an image (GEM_HOME and Bundler's vendor/bundle,
// default gems, gem sources' own gemspecs ignored).

#include "sbom/catalogers/ruby.h"

#include <gtest/gtest.h>

#include <set>

#include "sbom/catalogers/catalogers.h"
#include "sbom/sbom.h"
#include "support/layout_builder.h"
#include "support/tar_builder.h"

namespace bulkhead::sbom {
namespace {

namespace tb = bulkhead::testing;

// As RubyGems 3.x writes specifications/rack-3.0.8.gemspec.
constexpr const char* kRack = R"(# -*- encoding: utf-8 -*-
# stub: rack 3.0.8 ruby lib

Gem::Specification.new do |s|
  s.name = "rack".freeze
  s.version = "3.0.8"

  s.required_rubygems_version = Gem::Requirement.new(">= 0".freeze) if s.respond_to? :required_rubygems_version=
  s.metadata = { "bug_tracker_uri" => "https://github.com/rack/rack/issues", "changelog_uri" => "https://github.com/rack/rack/blob/main/CHANGELOG.md" } if s.respond_to? :metadata=
  s.require_paths = ["lib".freeze]
  s.authors = ["Leah Neukirchen".freeze]
  s.date = "2023-06-14"
  s.description = "Rack provides a minimal, modular and adaptable interface.".freeze
  s.email = "leah@vuxu.org".freeze
  s.homepage = "https://github.com/rack/rack".freeze
  s.licenses = ["MIT".freeze]
  s.required_ruby_version = Gem::Requirement.new(">= 2.4.0".freeze)
  s.rubygems_version = "3.4.10".freeze
  s.summary = "A modular Ruby webserver interface.".freeze

  s.installed_by_version = "3.4.10" if s.respond_to? :installed_by_version

  s.specification_version = 4

  s.add_development_dependency(%q<minitest>.freeze, ["~> 5.0"])
  s.add_development_dependency(%q<rake>.freeze, [">= 0"])
end
)";

// RubyGems 1.x style: %q{} literals, no .freeze, a single license, a platform.
constexpr const char* kOld = R"(# -*- encoding: utf-8 -*-

Gem::Specification.new do |spec|
  spec.name = %q{nokogiri}
  spec.version = "1.4.4"
  spec.platform = %q{x86-mingw32}
  spec.license = 'MIT'
  spec.licenses = [
    "MIT",
    'Ruby'
  ]
end
)";

Package parseOne(std::string_view text) {
  auto parsed = ruby::parseGemspec(text, "/specifications/x.gemspec");
  if (!parsed) throw std::runtime_error(parsed.error().message);
  return parsed->packages.at(0);
}

TEST(Gemspec, InstalledSpecForms) {
  const Package rack = parseOne(kRack);
  EXPECT_EQ(rack.name, "rack");
  EXPECT_EQ(rack.version, "3.0.8");
  EXPECT_EQ(rack.licenses, std::vector<std::string>{"MIT"});
  EXPECT_TRUE(rack.metadata.empty());
  const Package old = parseOne(kOld);
  EXPECT_EQ(old.name, "nokogiri");
  EXPECT_EQ(old.version, "1.4.4");
  EXPECT_EQ(old.licenses, std::vector<std::string>{"MIT"});  // the first license assignment wins
  EXPECT_EQ(old.metadata.at("platform"), "x86-mingw32");
  const Package versioned = parseOne(
      "Gem::Specification.new do |s|\n  s.name = 'it\\'s'\n  s.version = "
      "Gem::Version.new(\"2.0.0.pre1\")\n"
      "  s.licenses = [\"Apache-2.0\".freeze, \"BSD-2-Clause\".freeze]\nend\n");
  EXPECT_EQ(versioned.name, "it's");
  EXPECT_EQ(versioned.version, "2.0.0.pre1");
  EXPECT_EQ(versioned.licenses, (std::vector<std::string>{"Apache-2.0", "BSD-2-Clause"}));
}

TEST(Gemspec, WhatIsNotAnInstalledSpecIsAnError) {
  for (std::string_view text : std::vector<std::string_view>{
           "", "s.name = x\ns.version = \"1\"\n", "s.name = \"unterminated\ns.version = \"1\"\n",
           "s.name == \"a\"\ns.version = \"1\"\n", "s.name = \"a\"\n", "s.version = \"1\"\n",
           "s.name = %\n", "s.name = %q", std::string_view("\0\0\0", 3)}) {
    auto parsed = ruby::parseGemspec(text, "/usr/local/bundle/specifications/a-1.gemspec");
    ASSERT_FALSE(parsed) << text;
    EXPECT_NE(parsed.error().message.find("/usr/local/bundle/specifications/a-1.gemspec"),
              std::string::npos);
  }
  // Long literals, unbalanced brackets, huge license arrays: bounded, no crash.
  const std::string big = "s.name = \"" + std::string(100'000, 'a') + "\"\ns.version = \"1\"\n";
  EXPECT_FALSE(ruby::parseGemspec(big, "/big"));
  std::string many = "s.name = \"a\"\ns.version = \"1\"\ns.licenses = [";
  for (int i = 0; i < 10'000; ++i) many += "\"L\", ";
  auto parsed = ruby::parseGemspec(many, "/many");
  ASSERT_TRUE(parsed);
  EXPECT_LE(parsed->packages.at(0).licenses.size(), 64u);
}

TEST(Gemspec, Paths) {
  EXPECT_TRUE(ruby::isInstalledGemspec("usr/local/bundle/specifications/rack-3.0.8.gemspec"));
  EXPECT_TRUE(ruby::isInstalledGemspec(
      "usr/lib/ruby/gems/3.1.0/specifications/default/json-2.6.1.gemspec"));
  EXPECT_FALSE(ruby::isInstalledGemspec("usr/local/bundle/gems/rack-3.0.8/rack.gemspec"));
  EXPECT_FALSE(ruby::isInstalledGemspec("specifications/.gemspec"));
}

TEST(RubyCataloger, InstalledSpecsOnly) {
  const std::string dir = tb::makeTempDir("image");
  tb::LayoutBuilder builder(dir + "/layout");
  const std::string json =
      "Gem::Specification.new do |s|\n  s.name = \"json\".freeze\n  s.version = \"2.6.3\"\n"
      "  s.licenses = [\"Ruby\".freeze, \"BSD-2-Clause\".freeze]\nend\n";
  builder.writeIndexJson({builder.image({tb::makeTar(
      {tb::file("usr/local/lib/ruby/gems/3.2.0/specifications/default/json-2.6.3.gemspec", json),
       tb::file("usr/local/bundle/specifications/rack-3.0.8.gemspec", kRack),
       tb::file("usr/local/bundle/gems/rack-3.0.8/rack.gemspec",
                "Gem::Specification.new { |s| s.name = 'x' }"),
       tb::file("app/vendor/bundle/ruby/3.2.0/specifications/broken-1.0.gemspec", "nothing here"),
       tb::file("app/vendor/bundle/ruby/3.2.0/specifications/nokogiri-1.4.4-x86-mingw32.gemspec",
                kOld)})})});
  image::ReadOptions options;
  options.useCache = false;
  options.capture = sbomCapture();
  auto image = image::openImage("oci:" + dir + "/layout", options);
  ASSERT_TRUE(image) << image.error().message;
  std::vector<std::string> warnings;
  std::vector<Package> packages;
  ASSERT_TRUE(makeRubyCataloger()->catalog(CatalogContext{*image, warnings}, packages));
  std::set<std::string> got;
  for (const auto& p : packages) got.insert(p.name + "@" + p.version + " " + p.locations.at(0));
  EXPECT_EQ(
      got,
      (std::set<std::string>{
          "json@2.6.3 /usr/local/lib/ruby/gems/3.2.0/specifications/default/json-2.6.3.gemspec",
          "rack@3.0.8 /usr/local/bundle/specifications/rack-3.0.8.gemspec",
          "nokogiri@1.4.4 "
          "/app/vendor/bundle/ruby/3.2.0/specifications/nokogiri-1.4.4-x86-mingw32.gemspec"}));
  for (const auto& p : packages) {
    EXPECT_EQ(p.ecosystem, eco::kGem);
    if (p.name == "json") {
      EXPECT_EQ(p.metadata.at("default"), "true");
    }
  }
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("/app/vendor/bundle/ruby/3.2.0/specifications/broken-1.0.gemspec"),
            std::string::npos);
  Package rack = packages[0];
  for (const auto& p : packages) {
    if (p.name == "rack") rack = p;
  }
  EXPECT_EQ(makePurl(rack), "pkg:gem/rack@3.0.8");
}

}  // namespace
}  // namespace bulkhead::sbom
