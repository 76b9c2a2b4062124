// PostgreSQL: the client's StartupMessage (protocol 3.0) with its user and database, after
// an optional SSLRequest or GSSENCRequest that the server refused with 'N'; a CancelRequest.
// Attributes: user, database, application_name, ssl_request ("true" when the client asked
// for TLS), cancel.
#include "net/protocol/bytes.h"
#include "net/protocol/detector.h"

namespace bulkhead::net {
namespace {

constexpr std::uint32_t kProtocol3 = 196608;  // 3.0
constexpr std::uint32_t kSslRequest = 80877103, kGssRequest = 80877104, kCancel = 80877102;

class PostgresDetector final : public Detector {
 public:
  std::string_view name() const override { return "postgresql"; }

  Detection detect(const FlowSample& flow) const override {
    ByteReader in(flow.client);
    std::uint32_t length = 0, code = 0;
    if (!in.be32(length) || !in.be32(code)) {
      return couldStart(flow.client) ? Detection::needMore()
                                                                : Detection::noMatch();
    }
    Identification id{"postgresql", {}};
    if ((code == kSslRequest || code == kGssRequest) && length == 8) {
      id.add("ssl_request", "true");
      // The server answers one byte: 'N' and the start-up follows in clear, 'S' and TLS does.
      if (flow.server.empty() || flow.server[0] != 'N' || !in.be32(length) || !in.be32(code)) {
        if (!flow.server.empty() && flow.server[0] != 'N' && flow.server[0] != 'S' &&
            flow.server[0] != 'G') {
          return Detection::noMatch();
        }
        return Detection::match(std::move(id));
      }
    }
    if (code == kCancel && length == 16) {
      id.add("cancel", "true");
      return Detection::match(std::move(id));
    }
    if (code != kProtocol3 || length < 9 || length > 10000) return Detection::noMatch();
    // key\0value\0 ... \0, within the message (or the sample, when it ends first).
    std::string_view key, value;
    bool any = false;
    while (in.cstring(key, 64)) {
      if (key.empty()) break;
      if (!in.cstring(value, 1024) || !isPrintable(key)) return Detection::noMatch();
      if (key == "user" || key == "database" || key == "application_name") {
        id.add(std::string(key), printable(value));
      }
      any = true;
    }
    if (!any) {  // no parameter yet: wait for the rest of the message
      return flow.client.size() < length ? Detection::needMore() : Detection::noMatch();
    }
    return Detection::match(std::move(id));
  }

 private:
  // A length that a start-up message could have: the first bytes 0x00 0x00.
  static bool couldStart(Bytes b) {
    return b.size() < 8 && (b.empty() || b[0] == 0) && (b.size() < 2 || b[1] == 0);
  }
};

}  // namespace

const Detector& postgresDetector() {
  static const PostgresDetector d;
  return d;
}

}  // namespace bulkhead::net
