// `bulkhead bench`: CIS-style checks of the host, an image, a container or Kubernetes
// workloads, without any daemon. Exit codes: 0 clean, 1 a failure at or above --fail-on,
// 2 an error (a target that cannot be read, a check file that does not load, a check that
// could not be evaluated).

#include <fmt/format.h>

#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "cli/image_flags.h"
#include "compliance/catalog.h"
#include "compliance/container_collector.h"
#include "compliance/engine.h"
#include "compliance/host_collector.h"
#include "compliance/image_collector.h"
#include "compliance/k8s_collector.h"
#include "compliance/report.h"

namespace bulkhead::cli {
namespace {

using namespace bulkhead::compliance;

struct BenchFlags {
  std::string format = "table";
  std::string output;
  std::string failOn = "none";
  std::vector<std::string> include;
  std::vector<std::string> exclude;
  std::vector<std::string> checkFiles;
  bool onlyFailures = false;
  bool verbose = false;
  // Targets.
  std::string root = "/";
  std::string procDir;
  std::string sysDir;
  ImageFlags image;
  std::string container;
  std::string runcRoot;
  std::vector<std::string> manifests;
  std::string listTarget;
};

void addCommonFlags(CLI::App& cmd, BenchFlags& f) {
  cmd.add_option("--format,-f", f.format, "Output format")
      ->check(CLI::IsMember({"table", "json", "junit", "sarif"}))
      ->capture_default_str();
  cmd.add_option("--output,-o", f.output, "Write the report to this file instead of stdout");
  cmd.add_option("--fail-on", f.failOn,
                 "Exit 1 when a check of this severity or higher fails (info, low, medium, high, critical, none)")
      ->check(CLI::IsMember({"info", "low", "medium", "high", "critical", "none"}))
      ->capture_default_str();
  cmd.add_option("--check,-c", f.include,
                 "Run only these checks: IDs, patterns (BH-HOST-3*), benchmark numbers (2.2) or controls (C-0057)")
      ->delimiter(',');
  cmd.add_option("--skip,-e", f.exclude, "Skip these checks (same forms as --check)")->delimiter(',');
  cmd.add_option("--checks", f.checkFiles, "Also load checks from this YAML file or directory (repeatable)");
  cmd.add_flag("--failed-only", f.onlyFailures, "Table: show only failed checks and errors");
  cmd.add_flag("--evidence", f.verbose, "Table: show the evidence of passed checks too");
}

Result<Catalog> loadCatalog(const BenchFlags& f) {
  auto catalog = Catalog::loadBuiltin();
  if (!catalog) return catalog;
  for (const auto& path : f.checkFiles) {
    auto added = catalog->addPath(path);
    if (!added) return added.error();
  }
  return catalog;
}

std::vector<const Check*> selectChecks(const Catalog& catalog, Target target, const BenchFlags& f) {
  Selection selection{f.include, f.exclude};
  std::vector<const Check*> out;
  for (const Check* c : catalog.forTarget(target)) {
    if (selection.matches(*c)) out.push_back(c);
  }
  return out;
}

int fail(const std::string& message) {
  fmt::print(stderr, "bulkhead: error: {}\n", message);
  return 2;
}

int finish(const Report& report, const BenchFlags& f) {
  std::string text;
  if (f.format == "json") {
    text = renderJson(report);
  } else if (f.format == "junit") {
    text = renderJunit(report);
  } else if (f.format == "sarif") {
    text = renderSarif(report);
  } else {
    text = renderTable(report, TableOptions{f.onlyFailures, f.verbose});
  }
  if (const int rc = writeOutput(text, f.output); rc != 0) return rc;
  if (hasErrors(report)) {
    fmt::print(stderr, "bulkhead: {} check(s) could not be evaluated (status error)\n", report.totals.error);
    return 2;
  }
  if (f.failOn != "none") {
    auto threshold = parseSeverity(f.failOn);
    if (threshold && failsGate(report, *threshold)) return 1;
  }
  return 0;
}

int runHost(const BenchFlags& f) {
  auto catalog = loadCatalog(f);
  if (!catalog) return fail(catalog.error().message);
  const auto checks = selectChecks(*catalog, Target::kHost, f);
  HostOptions options;
  options.root = f.root;
  options.procDir = f.procDir;
  options.sysDir = f.sysDir;
  auto snapshot = collectHost(options, requirementsOf(checks));
  if (!snapshot) return fail(snapshot.error().message);
  std::vector<Subject> subjects{hostSubject(*snapshot)};
  Report report = runChecks(checks, subjects, Target::kHost, subjects[0].name);
  report.inputs = {options.root};
  report.warnings = snapshot->warnings;
  for (const auto& w : snapshot->audit.warnings) report.warnings.push_back(w);
  return finish(report, f);
}

int runImage(BenchFlags& f) {
  auto catalog = loadCatalog(f);
  if (!catalog) return fail(catalog.error().message);
  auto options = readOptions(f.image);
  if (!options) return fail(options.error().message);
  auto snapshot = collectImage(f.image.reference, *options);
  if (!snapshot) return fail(snapshot.error().message);
  std::vector<Subject> subjects{imageSubject(*snapshot)};
  Report report = runChecks(selectChecks(*catalog, Target::kImage, f), subjects, Target::kImage,
                            snapshot->description);
  report.inputs = {f.image.reference};
  report.warnings = snapshot->warnings;
  for (const auto& w : snapshot->accounts.warnings) report.warnings.push_back(w);
  return finish(report, f);
}

int runContainer(const BenchFlags& f) {
  auto catalog = loadCatalog(f);
  if (!catalog) return fail(catalog.error().message);
  ContainerOptions options;
  options.runcRoot = f.runcRoot;
  auto snapshot = collectContainer(f.container, options);
  if (!snapshot) return fail(snapshot.error().message);
  std::vector<Subject> subjects{containerSubject(*snapshot)};
  Report report = runChecks(selectChecks(*catalog, Target::kContainer, f), subjects, Target::kContainer,
                            snapshot->source);
  report.inputs = {f.container};
  report.warnings = snapshot->warnings;
  return finish(report, f);
}

int runK8s(const BenchFlags& f) {
  auto catalog = loadCatalog(f);
  if (!catalog) return fail(catalog.error().message);
  auto manifests = collectK8s(f.manifests);
  if (!manifests) return fail(manifests.error().message);
  Report report = runChecks(selectChecks(*catalog, Target::kK8s, f), manifests->workloads, Target::kK8s,
                            fmt::format("{} workload(s) in {} file(s)", manifests->workloads.size(),
                                        manifests->files.size()));
  report.inputs = manifests->files;
  report.warnings = manifests->warnings;
  for (const auto& [kind, count] : manifests->skippedKinds) {
    report.warnings.push_back(fmt::format("skipped {} {} object(s): no pod spec", count, kind));
  }
  if (manifests->workloads.empty()) report.warnings.push_back("no workloads found");
  return finish(report, f);
}

int runList(const BenchFlags& f) {
  auto catalog = loadCatalog(f);
  if (!catalog) return fail(catalog.error().message);
  std::optional<Target> target;
  if (!f.listTarget.empty()) {
    auto t = parseTarget(f.listTarget);
    if (!t) return fail(t.error().message);
    target = *t;
  }
  Selection selection{f.include, f.exclude};
  nlohmann::json list = nlohmann::json::array();
  std::string text;
  for (const auto& c : catalog->checks()) {
    if ((target && c->target != *target) || !selection.matches(*c)) continue;
    list.push_back({{"id", c->id}, {"target", targetName(c->target)}, {"benchmark", c->benchmark},
                    {"reference", c->reference}, {"controls", c->controls}, {"section", c->section},
                    {"sectionTitle", c->sectionTitle}, {"severity", severityName(c->severity)},
                    {"automated", c->automated}, {"title", c->title}, {"rationale", c->rationale},
                    {"remediation", c->remediation}, {"evaluator", c->evaluator->name()}, {"source", c->source}});
    text += fmt::format("{:<14} {:<9} {:<9} {:<8} {:<9} {}\n", c->id, targetName(c->target),
                        c->reference.empty() ? "-" : c->reference, severityName(c->severity),
                        c->automated ? "automated" : "manual", c->title);
  }
  if (f.format == "json") return writeOutput(list.dump(2) + "\n", f.output);
  return writeOutput(text, f.output);
}

}  // namespace

void addBenchCommand(CLI::App& app, int& exitCode) {
  auto* bench = app.add_subcommand("bench", "CIS-style compliance checks of the host, images, containers and Kubernetes");
  bench->require_subcommand(1);
  auto flags = std::make_shared<BenchFlags>();

  auto* host = bench->add_subcommand("host", "Check this host (CIS Docker 1-3, kernel hardening), or one mounted at --root");
  addCommonFlags(*host, *flags);
  host->add_option("--root", flags->root, "Root of the host file system to audit")->capture_default_str();
  host->add_option("--proc", flags->procDir, "proc file system of that host (default ROOT/proc)");
  host->add_option("--sys", flags->sysDir, "sys file system of that host (default ROOT/sys)");
  host->callback([flags, &exitCode] { exitCode = runHost(*flags); });

  auto* image = bench->add_subcommand("image", "Check an image (CIS Docker 4, Dockle-style checks)");
  addImageFlags(*image, flags->image);
  addCommonFlags(*image, *flags);
  image->callback([flags, &exitCode] { exitCode = runImage(*flags); });

  auto* container = bench->add_subcommand(
      "container", "Check a container: a runc container ID, an OCI bundle directory, or a config.json/state.json");
  container->add_option("container", flags->container, "Container ID, bundle directory or file")->required();
  container->add_option("--runc-root", flags->runcRoot,
                        "runc state directory (default: /run/runc, /run/containerd/runc/*, /run/docker/runtime-runc/moby)");
  addCommonFlags(*container, *flags);
  container->callback([flags, &exitCode] { exitCode = runContainer(*flags); });

  auto* k8s = bench->add_subcommand("k8s", "Check Kubernetes workloads in manifests (Pod Security Standards and more)");
  k8s->add_option("manifests", flags->manifests, "Manifest files or directories (YAML or JSON; - for stdin)")->required();
  addCommonFlags(*k8s, *flags);
  k8s->callback([flags, &exitCode] { exitCode = runK8s(*flags); });

  auto* list = bench->add_subcommand("list", "List the checks");
  list->add_option("--target", flags->listTarget, "Only checks of this target (host, image, container, k8s)");
  list->add_option("--format,-f", flags->format, "Output format")->check(CLI::IsMember({"table", "json"}));
  list->add_option("--output,-o", flags->output, "Write to this file instead of stdout");
  list->add_option("--check,-c", flags->include, "Only these checks")->delimiter(',');
  list->add_option("--checks", flags->checkFiles, "Also load checks from this YAML file or directory");
  list->callback([flags, &exitCode] { exitCode = runList(*flags); });
}

}  // namespace bulkhead::cli
