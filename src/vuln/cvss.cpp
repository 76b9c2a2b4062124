#include "vuln/cvss.h"

#include <array>
#include <cmath>
#include <cstdint>
#include <map>

namespace bulkhead::vuln {

double cvssRoundUp(double value) {
  // CVSS v3.1 specification, Appendix A: integer arithmetic avoids 4.0000000001 -> 4.1.
  const auto intInput = static_cast<int64_t>(std::llround(value * 100000));
  if (intInput % 10000 == 0) return static_cast<double>(intInput) / 100000.0;
  return (std::floor(static_cast<double>(intInput) / 10000.0) + 1) / 10.0;
}

namespace {

// v3.0 rounds up with a plain ceiling to one decimal.
double roundUp30(double value) { return std::ceil(value * 10.0 - 1e-9) / 10.0; }

using Metrics = std::map<std::string, std::string, std::less<>>;

Result<Metrics> splitMetrics(std::string_view text, std::string_view vector) {
  Metrics metrics;
  size_t count = 0;
  while (!text.empty()) {
    const auto slash = text.find('/');
    const std::string_view part = text.substr(0, slash);
    text = slash == std::string_view::npos ? std::string_view() : text.substr(slash + 1);
    const auto colon = part.find(':');
    if (colon == std::string_view::npos || colon == 0 || colon + 1 == part.size()) {
      return makeError("CVSS vector {:.80}: malformed metric \"{:.20}\"", vector, part);
    }
    if (++count > 40) return makeError("CVSS vector {:.80}: too many metrics", vector);
    const std::string key(part.substr(0, colon));
    if (metrics.count(key) != 0) {
      return makeError("CVSS vector {:.80}: metric {} given twice", vector, key);
    }
    metrics.emplace(key, std::string(part.substr(colon + 1)));
  }
  return metrics;
}

// Looks up a metric's value weight; nullopt-like -1 when missing or unknown.
double weight(const Metrics& metrics, const char* key,
              std::initializer_list<std::pair<const char*, double>> table, std::string& error) {
  const auto it = metrics.find(key);
  if (it == metrics.end()) {
    if (error.empty()) error = fmt::format("base metric {} missing", key);
    return -1;
  }
  for (const auto& [value, w] : table) {
    if (it->second == value) return w;
  }
  if (error.empty())
    error = fmt::format("metric {} has an unknown value \"{:.10}\"", key, it->second);
  return -1;
}

Result<CvssScore> score3(std::string_view body, int minor, std::string_view vector) {
  auto metrics = splitMetrics(body, vector);
  if (!metrics) return std::move(metrics).error();
  std::string error;
  const double av =
      weight(*metrics, "AV", {{"N", 0.85}, {"A", 0.62}, {"L", 0.55}, {"P", 0.2}}, error);
  const double ac = weight(*metrics, "AC", {{"L", 0.77}, {"H", 0.44}}, error);
  const double ui = weight(*metrics, "UI", {{"N", 0.85}, {"R", 0.62}}, error);
  const double scopeChanged = weight(*metrics, "S", {{"U", 0}, {"C", 1}}, error);
  const double pr = scopeChanged > 0
                        ? weight(*metrics, "PR", {{"N", 0.85}, {"L", 0.68}, {"H", 0.5}}, error)
                        : weight(*metrics, "PR", {{"N", 0.85}, {"L", 0.62}, {"H", 0.27}}, error);
  const std::initializer_list<std::pair<const char*, double>> cia = {
      {"H", 0.56}, {"L", 0.22}, {"N", 0}};
  const double c = weight(*metrics, "C", cia, error);
  const double i = weight(*metrics, "I", cia, error);
  const double a = weight(*metrics, "A", cia, error);
  if (!error.empty()) return makeError("CVSS vector {:.80}: {}", vector, error);
  static const std::array<const char*, 11> kKnown = {"AV", "AC", "PR", "UI", "S", "C",
                                                     "I",  "A",  "E",  "RL", "RC"};
  for (const auto& [key, value] : *metrics) {
    bool known = false;
    for (const char* k : kKnown) known = known || key == k;
    // Environmental metrics (CR, IR, AR, M*) do not change the base score.
    if (!known && key != "CR" && key != "IR" && key != "AR" && key.rfind('M', 0) != 0) {
      return makeError("CVSS vector {:.80}: unknown metric {}", vector, key);
    }
  }
  const double iss = 1 - (1 - c) * (1 - i) * (1 - a);
  const double impact =
      scopeChanged > 0 ? 7.52 * (iss - 0.029) - 3.25 * std::pow(iss - 0.02, 15) : 6.42 * iss;
  const double exploitability = 8.22 * av * ac * pr * ui;
  double base = 0;
  auto roundUp = minor == 0 ? roundUp30 : cvssRoundUp;
  if (impact > 0) {
    base = scopeChanged > 0 ? roundUp(std::min(1.08 * (impact + exploitability), 10.0))
                            : roundUp(std::min(impact + exploitability, 10.0));
  }
  return CvssScore{3, minor, base};
}

Result<CvssScore> score2(std::string_view body, std::string_view vector) {
  auto metrics = splitMetrics(body, vector);
  if (!metrics) return std::move(metrics).error();
  std::string error;
  const double av = weight(*metrics, "AV", {{"L", 0.395}, {"A", 0.646}, {"N", 1.0}}, error);
  const double ac = weight(*metrics, "AC", {{"H", 0.35}, {"M", 0.61}, {"L", 0.71}}, error);
  const double au = weight(*metrics, "Au", {{"M", 0.45}, {"S", 0.56}, {"N", 0.704}}, error);
  const std::initializer_list<std::pair<const char*, double>> cia = {
      {"N", 0}, {"P", 0.275}, {"C", 0.660}};
  const double c = weight(*metrics, "C", cia, error);
  const double i = weight(*metrics, "I", cia, error);
  const double a = weight(*metrics, "A", cia, error);
  if (!error.empty()) return makeError("CVSS vector {:.80}: {}", vector, error);
  const double impact = 10.41 * (1 - (1 - c) * (1 - i) * (1 - a));
  const double exploitability = 20 * av * ac * au;
  const double f = impact == 0 ? 0 : 1.176;
  const double base = std::round(((0.6 * impact) + (0.4 * exploitability) - 1.5) * f * 10) / 10;
  return CvssScore{2, 0, std::max(0.0, base)};
}

}  // namespace

Result<CvssScore> cvssBaseScore(std::string_view vector) {
  std::string_view text = vector;
  if (text.size() > 256) return makeError("CVSS vector longer than 256 bytes");
  if (text.size() >= 2 && text.front() == '(' && text.back() == ')') {
    text = text.substr(1, text.size() - 2);
  }
  if (text.rfind("CVSS:3.1/", 0) == 0) return score3(text.substr(9), 1, vector);
  if (text.rfind("CVSS:3.0/", 0) == 0) return score3(text.substr(9), 0, vector);
  if (text.rfind("CVSS:2.0/", 0) == 0) return score2(text.substr(9), vector);
  if (text.rfind("CVSS:", 0) == 0) {
    return makeError("CVSS vector {:.80}: version not scored (unscored)", vector);
  }
  if (text.rfind("AV:", 0) == 0 && text.find("Au:") != std::string_view::npos) {
    return score2(text, vector);
  }
  return makeError("CVSS vector {:.80}: not a CVSS v2 or v3 vector", vector);
}

std::string severityOfScore(double score) {
  if (score < 0) return {};
  if (score == 0) return "none";
  if (score < 4.0) return "low";
  if (score < 7.0) return "medium";
  if (score < 9.0) return "high";
  return "critical";
}

}  // namespace bulkhead::vuln
