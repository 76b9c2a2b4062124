#pragma once
// Each subcommand group registers itself on the root CLI11 app; main.cpp lists them.

#include <CLI/CLI.hpp>

namespace bulkhead::cli {

// Returns the exit code the chosen subcommand produced through `exitCode`.
void addImageCommand(CLI::App& app, int& exitCode);
void addBenchCommand(CLI::App& app, int& exitCode);
void addSbomCommand(CLI::App& app, int& exitCode);
void addDbCommand(CLI::App& app, int& exitCode);
void addAgentCommand(CLI::App& app, int& exitCode);
void addNetCommand(CLI::App& app, int& exitCode);
// `net quarantine`, registered by addNetCommand on its `net` subcommand.
void addNetQuarantineCommand(CLI::App& net, int& exitCode);

}  // namespace bulkhead::cli
