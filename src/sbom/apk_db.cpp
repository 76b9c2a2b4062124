#include "sbom/apk_db.h"

#include <fmt/format.h>

namespace bulkhead::sbom {
namespace {

class Warnings {
 public:
  Warnings(std::vector<std::string>& out, size_t max) : out_(out), max_(max) {}
  template <typename... Args>
  void add(fmt::format_string<Args...> format, Args&&... args) {
    if (out_.size() < max_) {
      out_.push_back(fmt::format(format, std::forward<Args>(args)...));
    } else {
      ++dropped_;
    }
  }
  void finish(std::string_view what) {
    if (dropped_ > 0) out_.push_back(fmt::format("{}: {} more warnings", what, dropped_));
  }

 private:
  std::vector<std::string>& out_;
  size_t max_;
  size_t dropped_ = 0;
};

}  // namespace

Result<ApkDatabase> parseApkInstalled(std::string_view text, std::string_view what,
                                      const ApkLimits& limits) {
  ApkDatabase db;
  Warnings warnings(db.warnings, limits.maxWarnings);
  ApkPackage current;
  bool open = false;        // a block has started
  std::string directory;    // the last F: value
  bool directoryOk = true;  // false after an over-long F: (its R: lines are dropped)
  size_t files = 0;
  size_t pathBytes = 0;

  auto finish = [&]() -> Status {
    if (!open) return {};
    open = false;
    directory.clear();
    directoryOk = true;
    if (current.name.empty() || current.version.empty()) {
      warnings.add("{}: line {}: a package without {}", what, current.line,
                   current.name.empty() ? "P: (name)" : "V: (version)");
      current = ApkPackage{};
      return {};
    }
    if (db.packages.size() >= limits.maxPackages) {
      return makeError("{}: more than {} packages", what, limits.maxPackages);
    }
    db.packages.push_back(std::move(current));
    current = ApkPackage{};
    return {};
  };

  size_t lineNumber = 0;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    ++lineNumber;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) {
      BH_TRY_STATUS(finish());
      continue;
    }
    if (line.size() < 2 || line[1] != ':') {
      warnings.add("{}: line {}: expected 'X:value'", what, lineNumber);
      continue;
    }
    if (!open) {
      open = true;
      current.line = lineNumber;
    }
    const char key = line[0];
    const std::string_view value = line.substr(2);
    switch (key) {
      case 'P':
        current.name = value;
        break;
      case 'V':
        current.version = value;
        break;
      case 'A':
        current.architecture = value;
        break;
      case 'o':
        current.origin = value;
        break;
      case 'L':
        current.license = value;
        break;
      case 'm':
        current.maintainer = value;
        break;
      case 'U':
        current.url = value;
        break;
      case 'c':
        current.commit = value;
        break;
      case 'F':
        directoryOk = value.size() <= limits.maxPathLength;
        if (!directoryOk) {
          warnings.add("{}: line {}: directory name longer than {} bytes; its files are left out",
                       what, lineNumber, limits.maxPathLength);
          directory.clear();
        } else {
          directory = value;
          while (!directory.empty() && directory.back() == '/') directory.pop_back();
        }
        break;
      case 'R': {
        if (!directoryOk) break;
        if (value.empty() || value.size() > limits.maxPathLength) {
          warnings.add("{}: line {}: file name empty or longer than {} bytes", what, lineNumber,
                       limits.maxPathLength);
          break;
        }
        std::string path;
        path.reserve(directory.size() + value.size() + 2);
        path += '/';
        if (!directory.empty()) {
          path += directory;
          path += '/';
        }
        path += value;
        if (++files > limits.maxFiles) {
          return makeError("{}: line {}: more than {} files", what, lineNumber, limits.maxFiles);
        }
        pathBytes += path.size();
        if (pathBytes > limits.maxPathBytes) {
          return makeError("{}: line {}: file paths add up to more than {} bytes", what, lineNumber,
                           limits.maxPathBytes);
        }
        current.files.push_back(std::move(path));
        break;
      }
      default:
        break;  // checksums, sizes, dependencies, ACLs, and letters newer apk versions add
    }
  }
  BH_TRY_STATUS(finish());
  warnings.finish(what);
  return db;
}

}  // namespace bulkhead::sbom
