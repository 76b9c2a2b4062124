#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "core/log.h"

int main(int argc, char** argv) {
  CLI::App app{"Bulkhead: container security in one binary (images, compliance, runtime, network)"};
  app.set_version_flag("--version,-V", std::string("bulkhead ") + BULKHEAD_VERSION);
  app.require_subcommand(1);
  bool verbose = false;
  bool debug = false;
  app.add_flag("-v,--verbose", verbose, "Log progress to stderr");
  app.add_flag("--debug", debug, "Log debugging detail to stderr");
  app.parse_complete_callback([&] {
    if (debug) {
      bulkhead::log::setLevel(bulkhead::log::Level::kDebug);
    } else if (verbose) {
      bulkhead::log::setLevel(bulkhead::log::Level::kInfo);
    }
  });
  int exitCode = 0;
  bulkhead::cli::addImageCommand(app, exitCode);
  bulkhead::cli::addBenchCommand(app, exitCode);
  bulkhead::cli::addSbomCommand(app, exitCode);
  bulkhead::cli::addDbCommand(app, exitCode);
  bulkhead::cli::addAgentCommand(app, exitCode);
  bulkhead::cli::addNetCommand(app, exitCode);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    // Usage errors exit 2, like every other error, so CI gates can tell them from findings.
    return rc == 0 ? 0 : 2;
  }
  return exitCode;
}
