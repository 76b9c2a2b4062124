// MySQL and MariaDB: the server speaks first, with an initial handshake packet (protocol
// version 10, the server version, a connection id); the client answers with a handshake
// response holding the user name, or with an SSL request. Attributes: server_version,
// user, ssl_request.
#include "net/protocol/bytes.h"
#include "net/protocol/detector.h"

namespace bulkhead::net {
namespace {

constexpr std::uint32_t kClientSsl = 0x800, kClientProtocol41 = 0x200;

// A packet header: a 3-byte little-endian length and a sequence number.
bool packet(ByteReader& in, std::uint32_t& length, std::uint8_t& sequence) {
  std::uint8_t b0 = 0, b1 = 0, b2 = 0;
  if (!in.u8(b0) || !in.u8(b1) || !in.u8(b2) || !in.u8(sequence)) return false;
  length = std::uint32_t{b2} << 16 | std::uint32_t{b1} << 8 | b0;
  return true;
}

class MysqlDetector final : public Detector {
 public:
  std::string_view name() const override { return "mysql"; }

  Detection detect(const FlowSample& flow) const override {
    ByteReader in(flow.server);
    std::uint32_t length = 0;
    std::uint8_t sequence = 0, protocol = 0;
    if (!packet(in, length, sequence) || !in.u8(protocol)) {
      return flow.server.size() < 5 && flow.client.empty() ? Detection::needMore()
                                                           : Detection::noMatch();
    }
    if (sequence != 0 || protocol != 10 || length < 30 || length > 1024) return Detection::noMatch();
    // The greeting is short: wait for all of it before judging.
    if (flow.server.size() < 4 + length) return Detection::needMore();
    std::string_view version;
    if (!in.cstring(version, 64) || version.empty() || !isPrintable(version)) return Detection::noMatch();
    if (version[0] < '0' || version[0] > '9') return Detection::noMatch();
    // connection id (4), auth data part 1 (8), filler 0, capabilities (2)
    std::uint8_t filler = 1;
    if (!in.skip(4 + 8) || !in.u8(filler) || filler != 0) return Detection::noMatch();

    Identification id{"mysql", {}};
    id.add("server_version", printable(version));
    readResponse(flow.client, id);
    return Detection::match(std::move(id));
  }

 private:
  // The client's handshake response (protocol 4.1): capabilities, max packet, charset, 23
  // zero bytes, the user name; only the first 32 bytes when it asks for TLS first.
  static void readResponse(Bytes client, Identification& id) {
    ByteReader in(client);
    std::uint32_t length = 0, capabilities = 0;
    std::uint8_t sequence = 0;
    if (!packet(in, length, sequence) || sequence != 1 || !in.le32(capabilities) ||
        (capabilities & kClientProtocol41) == 0 || !in.skip(4 + 1 + 23)) {
      return;
    }
    if (length == 32 && (capabilities & kClientSsl)) {
      id.add("ssl_request", "true");
      return;
    }
    std::string_view user;
    if (in.cstring(user, 256)) id.add("user", printable(user));
  }
};

}  // namespace

const Detector& mysqlDetector() {
  static const MysqlDetector d;
  return d;
}

}  // namespace bulkhead::net
