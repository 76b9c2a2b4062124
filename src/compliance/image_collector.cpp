#include "compliance/image_collector.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

#include "compliance/fact_path.h"

namespace bulkhead::compliance {
namespace {

using nlohmann::json;

constexpr size_t kMaxAccountFile = 4u << 20;
constexpr size_t kMaxAccountLines = 100000;

// Calls `f(fields, lineNo)` for each line split on ':'.
template <typename F>
void eachRecord(std::string_view text, size_t maxFields, F&& f) {
  if (text.size() > kMaxAccountFile) text = text.substr(0, kMaxAccountFile);
  int lineNo = 0;
  size_t start = 0;
  while (start < text.size() && static_cast<size_t>(lineNo) < kMaxAccountLines) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    ++lineNo;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string_view> fields;
    size_t i = 0;
    while (i <= line.size() && fields.size() < maxFields) {
      size_t j = line.find(':', i);
      if (j == std::string_view::npos) j = line.size();
      fields.push_back(line.substr(i, j - i));
      i = j + 1;
    }
    f(fields, lineNo);
  }
}

int64_t toId(std::string_view s) {
  int64_t v = -1;
  if (s.empty() || s.size() > 10) return -1;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size() || v < 0) return -1;
  return v;
}

std::string passwordState(std::string_view field) {
  if (field.empty()) return "empty";
  if (field[0] == '!' || field[0] == '*') return "locked";
  return "set";
}

const char* typeName(image::EntryType type) {
  switch (type) {
    case image::EntryType::kFile: return "file";
    case image::EntryType::kDirectory: return "directory";
    case image::EntryType::kSymlink: return "symlink";
    case image::EntryType::kHardlink: return "hardlink";
    case image::EntryType::kCharDevice: return "char";
    case image::EntryType::kBlockDevice: return "block";
    case image::EntryType::kFifo: return "fifo";
    case image::EntryType::kSocket: return "socket";
    case image::EntryType::kWhiteout: return "whiteout";
    case image::EntryType::kOpaque: return "opaque";
  }
  return "other";
}

const char* kindName(image::SourceKind kind) {
  switch (kind) {
    case image::SourceKind::kOciLayout: return "oci-layout";
    case image::SourceKind::kOciArchive: return "oci-archive";
    case image::SourceKind::kDockerArchive: return "docker-archive";
    case image::SourceKind::kRootfs: return "rootfs";
    case image::SourceKind::kRegistry: return "registry";
  }
  return "unknown";
}

// How the image user resolves: root or not, by which account.
json resolveUser(const std::string& spec, const Accounts& accounts) {
  std::string name = spec.substr(0, spec.find(':'));
  json out = {{"spec", spec}};
  if (name.empty()) {
    out["uid"] = 0;
    out["name"] = "root";
    out["root"] = true;
    out["how"] = "no USER set: the container runs as root";
    return out;
  }
  if (const int64_t uid = toId(name); uid >= 0) {
    out["uid"] = uid;
    out["root"] = uid == 0;
    for (const auto& u : accounts.users) {
      if (u.uid == uid) {
        out["name"] = u.name;
        break;
      }
    }
    out["how"] = "numeric user id";
    return out;
  }
  for (const auto& u : accounts.users) {
    if (u.name == name) {
      out["uid"] = u.uid;
      out["name"] = name;
      out["root"] = u.uid == 0;
      out["how"] = fmt::format("/etc/passwd line {}", u.line);
      return out;
    }
  }
  out["uid"] = json();
  out["name"] = name;
  out["root"] = name == "root";
  out["how"] = accounts.passwdExists ? "not in /etc/passwd: the container would not start"
                                     : "no /etc/passwd in the image";
  return out;
}

}  // namespace

void parsePasswd(std::string_view text, Accounts& out) {
  out.passwdExists = true;
  eachRecord(text, 8, [&](const std::vector<std::string_view>& f, int line) {
    if (f.size() < 7) {
      out.warnings.push_back(fmt::format("/etc/passwd:{}: {} fields, expected 7", line, f.size()));
      if (f.size() < 3) return;
    }
    Account a;
    a.name = std::string(f[0].substr(0, 256));
    a.uid = toId(f[2]);
    a.gid = f.size() > 3 ? toId(f[3]) : -1;
    a.home = f.size() > 5 ? std::string(f[5].substr(0, 1024)) : "";
    a.shell = f.size() > 6 ? std::string(f[6].substr(0, 1024)) : "";
    a.line = line;
    if (f[1] == "x") {
      a.password = "unknown";  // in /etc/shadow, filled in by parseShadow
    } else {
      a.password = passwordState(f[1]);
      a.passwordSource = fmt::format("/etc/passwd:{}", line);
    }
    out.users.push_back(std::move(a));
  });
}

void parseShadow(std::string_view text, Accounts& out) {
  out.shadowExists = true;
  eachRecord(text, 9, [&](const std::vector<std::string_view>& f, int line) {
    if (f.size() < 2) return;
    for (auto& u : out.users) {
      if (u.name == f[0] && u.password == "unknown") {
        u.password = passwordState(f[1]);
        u.passwordSource = fmt::format("/etc/shadow:{}", line);
      }
    }
  });
}

void parseGroup(std::string_view text, Accounts& out) {
  out.groupExists = true;
  eachRecord(text, 4, [&](const std::vector<std::string_view>& f, int line) {
    if (f.size() < 3) {
      out.warnings.push_back(fmt::format("/etc/group:{}: {} fields, expected 4", line, f.size()));
      return;
    }
    GroupEntry g;
    g.name = std::string(f[0].substr(0, 256));
    g.gid = toId(f[2]);
    g.line = line;
    if (f.size() > 3) {
      std::string_view m = f[3];
      size_t i = 0;
      while (i < m.size() && g.members.size() < 10000) {
        size_t j = m.find(',', i);
        if (j == std::string_view::npos) j = m.size();
        if (j > i) g.members.emplace_back(m.substr(i, j - i));
        i = j + 1;
      }
    }
    out.groups.push_back(std::move(g));
  });
}

ImageSnapshot snapshotImage(const image::Image& img) {
  ImageSnapshot s;
  s.reference = img.input;
  s.description = img.description;
  s.sourceKind = kindName(img.locator.kind);
  s.config = img.resolved.config;
  s.configDigest = img.resolved.configDigest.empty() ? "" : img.resolved.configDigest.str();
  s.manifestDigest = img.resolved.manifestDigest.empty() ? "" : img.resolved.manifestDigest.str();
  s.repoTags = img.resolved.repoTags;
  s.layers = img.layers.size();
  s.warnings = img.warnings;
  switch (img.locator.kind) {
    case image::SourceKind::kRegistry:
      s.pinnedByDigest = !img.locator.reference.digest.empty();
      s.tag = img.locator.reference.tag;
      if (s.tag.empty() && !s.pinnedByDigest) s.tag = "latest";
      break;
    case image::SourceKind::kRootfs:
      break;
    default:
      s.tag = img.locator.tag;
      if (s.tag.empty() && s.repoTags.size() == 1) {
        const std::string& t = s.repoTags[0];
        const size_t colon = t.rfind(':');
        if (colon != std::string::npos && t.find('/', colon) == std::string::npos) s.tag = t.substr(colon + 1);
      }
      break;
  }
  for (const auto& [path, node] : img.fs.nodes()) {
    ImageFile f;
    f.path = "/" + path;
    f.type = typeName(node.type);
    f.mode = node.mode & 07777u;
    f.uid = node.uid;
    f.gid = node.gid;
    f.size = node.size;
    f.layer = node.layer;
    s.files.push_back(std::move(f));
  }
  if (auto text = img.readFile("etc/passwd", kMaxAccountFile)) parsePasswd(*text, s.accounts);
  if (auto text = img.readFile("etc/shadow", kMaxAccountFile)) parseShadow(*text, s.accounts);
  if (auto text = img.readFile("etc/group", kMaxAccountFile)) parseGroup(*text, s.accounts);
  return s;
}

Result<ImageSnapshot> collectImage(const std::string& reference, image::ReadOptions options) {
  // The default capture keeps /etc/passwd, /etc/shadow and /etc/group as layers stream
  // past; with any other, Image::readFile reads them on demand.
  auto img = image::openImage(reference, options);
  if (!img) return std::move(img).error();
  return snapshotImage(*img);
}

Subject imageSubject(const ImageSnapshot& s) {
  Subject subject;
  subject.target = Target::kImage;
  subject.name = "image " + s.reference;
  json& f = subject.facts;
  f["reference"] = s.reference;
  f["description"] = s.description;
  f["sourceKind"] = s.sourceKind;
  f["tag"] = s.tag.empty() ? json() : json(s.tag);
  f["pinnedByDigest"] = s.pinnedByDigest;
  f["repoTags"] = s.repoTags;
  f["layers"] = s.layers;
  const auto& c = s.config;
  json env = json::array();
  for (const auto& e : c.env) {
    const size_t eq = e.find('=');
    env.push_back({{"name", e.substr(0, eq)}, {"value", eq == std::string::npos ? "" : e.substr(eq + 1)}});
  }
  json config = {{"user", c.user},
                 {"env", std::move(env)},
                 {"entrypoint", c.entrypoint},
                 {"cmd", c.cmd},
                 {"workingDir", c.workingDir},
                 {"exposedPorts", c.exposedPorts},
                 {"volumes", c.volumes},
                 {"labels", c.labels},
                 {"stopSignal", c.stopSignal}};
  if (c.healthcheck) {
    config["healthcheck"] = {{"test", c.healthcheck->test},
                             {"disabled", !c.healthcheck->test.empty() && c.healthcheck->test[0] == "NONE"},
                             {"retries", c.healthcheck->retries}};
  }
  f["config"] = std::move(config);
  f["user"] = resolveUser(c.user, s.accounts);
  json history = json::array();
  for (size_t i = 0; i < c.history.size(); ++i) {
    history.push_back({{"index", i},
                       {"createdBy", c.history[i].createdBy},
                       {"emptyLayer", c.history[i].emptyLayer},
                       {"comment", c.history[i].comment}});
  }
  f["history"] = std::move(history);
  json files = json::object();
  for (const auto& file : s.files) {
    files[file.path] = {{"path", file.path}, {"type", file.type}, {"mode", file.mode}, {"uid", file.uid},
                        {"gid", file.gid}, {"size", file.size}, {"layer", file.layer}};
  }
  f["files"] = std::move(files);
  json users = json::array();
  json uids = json::array();
  json names = json::array();
  for (const auto& u : s.accounts.users) {
    users.push_back({{"name", u.name}, {"uid", u.uid}, {"gid", u.gid}, {"home", u.home}, {"shell", u.shell},
                     {"password", u.password}, {"passwordSource", u.passwordSource}, {"line", u.line}});
    if (u.uid >= 0) uids.push_back(u.uid);
    names.push_back(u.name);
  }
  json groups = json::array();
  json gids = json::array();
  json groupNames = json::array();
  for (const auto& g : s.accounts.groups) {
    groups.push_back({{"name", g.name}, {"gid", g.gid}, {"members", g.members}, {"line", g.line}});
    if (g.gid >= 0) gids.push_back(g.gid);
    groupNames.push_back(g.name);
  }
  f["accounts"] = {{"passwdExists", s.accounts.passwdExists}, {"shadowExists", s.accounts.shadowExists},
                   {"groupExists", s.accounts.groupExists}, {"users", std::move(users)},
                   {"uids", std::move(uids)}, {"userNames", std::move(names)}, {"groups", std::move(groups)},
                   {"gids", std::move(gids)}, {"groupNames", std::move(groupNames)},
                   {"warnings", s.accounts.warnings}};

  const std::string configFile = s.configDigest.empty() ? "image config" : "image config " + s.configDigest;
  subject.file = configFile;
  subject.addOrigin("config.user", Origin{configFile, "config.User", ""});
  subject.addOrigin("config.env", Origin{configFile, "config.Env", ""});
  subject.addOrigin("config.healthcheck", Origin{configFile, "config.Healthcheck", ""});
  subject.addOrigin("config.exposedPorts", Origin{configFile, "config.ExposedPorts", ""});
  subject.addOrigin("config.volumes", Origin{configFile, "config.Volumes", ""});
  subject.addOrigin("history", Origin{configFile, "history", ""});
  subject.addOrigin("user", Origin{configFile, "config.User", ""});
  subject.addOrigin("files", Origin{"", "", "", true});
  subject.addOrigin("accounts.users", Origin{"/etc/passwd", "users", ""});
  subject.addOrigin("accounts.uids", Origin{"/etc/passwd", "uids", ""});
  subject.addOrigin("accounts.groups", Origin{"/etc/group", "groups", ""});
  subject.addOrigin("accounts.gids", Origin{"/etc/group", "gids", ""});
  subject.addOrigin("tag", Origin{s.reference, "tag", ""});
  return subject;
}

}  // namespace bulkhead::compliance
