// `file_perms` (host): files must have the given owner, group and at most the given mode,
// as docker-bench's section 3 checks them with stat. Not applicable when none of the named
// files exists. Symbolic links are followed, as stat(1) does.
//   params: {path|paths|glob|from: ..., owner: root | [..], group: root | [..], mode: "0644"}

#include <fmt/format.h>

#include "compliance/evaluators/evaluators.h"
#include "compliance/evaluators/file_candidates.h"
#include "compliance/operators.h"

namespace bulkhead::compliance {
namespace {

using nlohmann::json;

class FilePermsParams final : public EvaluatorParams {
 public:
  FileCandidates files;
  std::vector<std::string> owners;
  std::vector<std::string> groups;
  std::optional<Operand> mode;
};

Result<std::vector<std::string>> names(const json& params, const char* key) {
  std::vector<std::string> out;
  if (!params.contains(key)) return out;
  const json& v = params[key];
  for (const auto& item : v.is_array() ? v : json::array({v})) {
    if (item.is_string() && !item.get<std::string>().empty()) {
      out.push_back(item.get<std::string>());
    } else if (item.is_number_integer()) {
      out.push_back(std::to_string(item.get<int64_t>()));
    } else {
      return makeError("params.{}: must be a name, an id or a list of them", key);
    }
  }
  return out;
}

// An owner matches by name, or by number when the check gives a number.
bool nameMatches(const std::vector<std::string>& wanted, const json& file, const char* nameKey,
                 const char* idKey) {
  const std::string name = file.value(nameKey, std::string());
  const std::string id = std::to_string(file.value(idKey, int64_t{-1}));
  for (const auto& w : wanted) {
    if (w == name || w == id) return true;
  }
  return false;
}

class FilePermsEvaluator final : public Evaluator {
 public:
  const char* name() const override { return "file_perms"; }
  const char* summary() const override {
    return "host files have the given owner, group and at most the given mode (n/a when absent)";
  }
  bool supports(Target target) const override { return target == Target::kHost; }

  Result<std::shared_ptr<const EvaluatorParams>> compile(const json& params) const override {
    BH_TRY_STATUS(onlyParams(params, {"path", "paths", "glob", "from", "owner", "group", "mode"}));
    auto out = std::make_shared<FilePermsParams>();
    std::vector<std::string> used;
    auto files = FileCandidates::parse(params, used);
    if (!files) return std::move(files).error();
    out->files = std::move(*files);
    auto owners = names(params, "owner");
    if (!owners) return std::move(owners).error();
    out->owners = std::move(*owners);
    auto groups = names(params, "group");
    if (!groups) return std::move(groups).error();
    out->groups = std::move(*groups);
    if (params.contains("mode")) {
      if (!params["mode"].is_string()) {
        return makeError("params.mode: write modes as quoted octal strings, such as \"0644\"");
      }
      auto mode = Operand::compile(Op::kModeAtMost, params["mode"], true);
      if (!mode) return withContext("params.mode", std::move(mode).error());
      out->mode = std::move(*mode);
    }
    if (out->owners.empty() && out->groups.empty() && !out->mode) {
      return makeError("params: give at least one of owner, group, mode");
    }
    return std::shared_ptr<const EvaluatorParams>(out);
  }

  void require(const EvaluatorParams& params, Requirements& out) const override {
    static_cast<const FilePermsParams&>(params).files.require(out);
  }
  void paths(const EvaluatorParams& params, std::vector<std::string>& out) const override {
    static_cast<const FilePermsParams&>(params).files.factPaths(out);
  }

  Outcome evaluate(const EvaluatorParams& params, const Subject& subject) const override {
    const auto& p = static_cast<const FilePermsParams&>(params);
    Outcome out;
    bool any = false;
    bool failed = false;
    for (const auto& path : p.files.resolve(subject.facts)) {
      const json* file = fileFacts(subject.facts, path);
      if (file != nullptr && file->contains("error")) {
        out.status = Status::kError;
        out.message = file->value("error", std::string());
        return out;
      }
      if (!fileExists(file)) continue;
      any = true;
      const std::string base = appendKey("files", path);
      if (!p.owners.empty()) {
        Observation obs;
        obs.path = base + ".owner";
        obs.observed = fmt::format("{} (uid {})", file->value("owner", std::string("?")), file->value("uid", -1));
        obs.expected = fmt::format("owner {}", fmt::join(p.owners, " or "));
        obs.holds = nameMatches(p.owners, *file, "owner", "uid");
        failed = failed || !obs.holds;
        out.observations.push_back(std::move(obs));
      }
      if (!p.groups.empty()) {
        Observation obs;
        obs.path = base + ".group";
        obs.observed = fmt::format("{} (gid {})", file->value("group", std::string("?")), file->value("gid", -1));
        obs.expected = fmt::format("group {}", fmt::join(p.groups, " or "));
        obs.holds = nameMatches(p.groups, *file, "group", "gid");
        failed = failed || !obs.holds;
        out.observations.push_back(std::move(obs));
      }
      if (p.mode) {
        Observation obs;
        obs.path = base + ".mode";
        const json mode = file->value("mode", json());
        obs.observed = mode.is_number() ? fmt::format("{:04o}", mode.get<uint32_t>() & 07777u) : "unknown";
        obs.expected = p.mode->describe();
        obs.holds = p.mode->test(&mode, &obs.detail);
        failed = failed || !obs.holds;
        out.observations.push_back(std::move(obs));
      }
    }
    if (!any) {
      out.status = Status::kNotApplicable;
      out.message = fmt::format("no such file: {}", p.files.describe());
      return out;
    }
    out.status = failed ? Status::kFail : Status::kPass;
    return out;
  }
};

}  // namespace

const Evaluator& filePermsEvaluator() {
  static const FilePermsEvaluator instance;
  return instance;
}

}  // namespace bulkhead::compliance
