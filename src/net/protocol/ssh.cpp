// SSH: the identification string "SSH-protoversion-softwareversion" (RFC 4253 section 4.2)
// that each side sends first. A server may send other lines before it. Attributes:
// client_version, server_version.
#include "net/protocol/bytes.h"
#include "net/protocol/detector.h"

namespace bulkhead::net {
namespace {

enum class Banner { No, More, Yes };

// The identification line of one side, looking at up to 8 lines of at most 255 bytes (the
// server's; a client's must be its first line).
Banner findBanner(std::string_view text, std::string& banner, int lines) {
  for (int line = 0; line < lines; ++line) {
    const auto nl = text.find('\n');
    const std::string_view head = text.substr(0, nl);
    if (head.starts_with("SSH-")) {
      if (nl == std::string_view::npos) {
        return head.size() < 255 ? Banner::More : Banner::No;
      }
      std::string_view v = head;
      if (!v.empty() && v.back() == '\r') v.remove_suffix(1);
      if (v.size() > 255 || !(v.starts_with("SSH-2.0-") || v.starts_with("SSH-1.99-"))) {
        return Banner::No;
      }
      banner = printable(v);
      return Banner::Yes;
    }
    if (nl == std::string_view::npos) {
      return couldBecome(head, "SSH-") && head.size() < 4 ? Banner::More : Banner::No;
    }
    if (nl > 255 || !isPrintable(head.substr(0, head.size() - (head.ends_with('\r') ? 1 : 0)))) {
      return Banner::No;
    }
    text.remove_prefix(nl + 1);
  }
  return Banner::No;
}

class SshDetector final : public Detector {
 public:
  std::string_view name() const override { return "ssh"; }

  Detection detect(const FlowSample& flow) const override {
    std::string client, server;
    const Banner c = findBanner(asText(flow.client), client, 1);
    const Banner s = findBanner(asText(flow.server), server, 8);
    if (c == Banner::Yes || s == Banner::Yes) {
      // Both must speak SSH where both have spoken.
      if ((c == Banner::No && !flow.client.empty()) || (s == Banner::No && !flow.server.empty())) {
        return Detection::noMatch();
      }
      Identification id{"ssh", {}};
      if (c == Banner::Yes) id.add("client_version", client);
      if (s == Banner::Yes) id.add("server_version", server);
      return Detection::match(std::move(id));
    }
    if ((c == Banner::No && !flow.client.empty()) || (s == Banner::No && !flow.server.empty())) {
      return Detection::noMatch();  // a side that spoke something else
    }
    return Detection::needMore();
  }
};

}  // namespace

const Detector& sshDetector() {
  static const SshDetector d;
  return d;
}

}  // namespace bulkhead::net
