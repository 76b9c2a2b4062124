// TLS: the client's first handshake record, a ClientHello (RFC 8446 section 4.1.2), read for
// the server name (SNI), the offered application protocols (ALPN) and the highest version
// offered; or, with only the server's side, a ServerHello. Attributes: sni, alpn (one per
// offer), version ("1.0" to "1.3").
#include <fmt/format.h>

#include "net/protocol/bytes.h"
#include "net/protocol/detector.h"

namespace bulkhead::net {
namespace {

constexpr std::uint8_t kHandshake = 0x16;
constexpr std::uint8_t kClientHello = 1, kServerHello = 2;
constexpr std::uint16_t kServerName = 0, kAlpn = 16, kSupportedVersions = 43;

std::string versionName(std::uint16_t v) {
  switch (v) {
    case 0x0301: return "1.0";
    case 0x0302: return "1.1";
    case 0x0303: return "1.2";
    case 0x0304: return "1.3";
    default: return fmt::format("0x{:04x}", v);
  }
}

// A record header: handshake, version 3.x, a length a record may have.
enum class Header { No, More, Yes };
Header recordHeader(Bytes b) {
  const std::uint8_t expect[] = {kHandshake, 0x03};
  for (std::size_t i = 0; i < 2 && i < b.size(); ++i) {
    if (b[i] != expect[i]) return Header::No;
  }
  if (b.size() < 11) return b.size() >= 3 && b[2] > 0x04 ? Header::No : Header::More;
  const std::size_t length = std::size_t{b[3]} << 8 | b[4];
  if (b[2] > 0x04 || length < 4 || length > 16384 + 2048) return Header::No;
  return Header::Yes;
}

void readExtensions(ByteReader& in, Identification& id, std::uint16_t& version) {
  std::uint16_t total = 0;
  if (!in.be16(total)) return;
  Bytes all;
  if (!in.take(std::min<std::size_t>(total, in.remaining()), all)) return;
  ByteReader ext(all);
  std::uint16_t type = 0, length = 0;
  Bytes body;
  while (ext.be16(type) && ext.be16(length) && ext.take(length, body)) {
    ByteReader b(body);
    if (type == kServerName) {
      std::uint16_t listLength = 0, nameLength = 0;
      std::uint8_t nameType = 0;
      Bytes name;
      if (b.be16(listLength) && b.u8(nameType) && nameType == 0 && b.be16(nameLength) &&
          b.take(nameLength, name)) {
        id.add("sni", printable(asText(name)));
      }
    } else if (type == kAlpn) {
      std::uint16_t listLength = 0;
      std::uint8_t protoLength = 0;
      Bytes proto;
      if (!b.be16(listLength)) continue;
      while (b.u8(protoLength) && b.take(protoLength, proto)) id.add("alpn", printable(asText(proto)));
    } else if (type == kSupportedVersions) {
      std::uint16_t v = 0;
      if (body.size() == 2) {  // a ServerHello's selected version
        if (b.be16(v)) version = v;
        continue;
      }
      std::uint8_t listLength = 0;
      if (!b.u8(listLength)) continue;
      while (b.be16(v)) {  // a ClientHello's offers: the highest, GREASE values left out
        if ((v & 0x0f0f) != 0x0a0a && v > version && v <= 0x0304) version = v;
      }
    }
  }
}

class TlsDetector final : public Detector {
 public:
  std::string_view name() const override { return "tls"; }

  Detection detect(const FlowSample& flow) const override {
    const bool fromClient = !flow.client.empty();
    const Bytes b = fromClient ? flow.client : flow.server;
    const Header h = recordHeader(b);
    if (h != Header::Yes) return h == Header::More ? Detection::needMore() : Detection::noMatch();
    ByteReader in(b.subspan(5));
    std::uint8_t type = 0;
    std::uint32_t length = 0;
    std::uint16_t legacyVersion = 0;
    if (!in.u8(type) || !in.be24(length) || !in.be16(legacyVersion) || length < 38) {
      return Detection::noMatch();
    }
    if (type != (fromClient ? kClientHello : kServerHello) || (legacyVersion >> 8) != 0x03) {
      return Detection::noMatch();
    }
    Identification id{"tls", {}};
    std::uint16_t version = legacyVersion;
    std::uint8_t sessionLength = 0;
    std::uint16_t suitesLength = 0;
    std::uint8_t compressionLength = 0;
    if (in.skip(32) && in.u8(sessionLength) && sessionLength <= 32 && in.skip(sessionLength)) {
      if (fromClient) {
        if (in.be16(suitesLength) && in.skip(suitesLength) && in.u8(compressionLength) &&
            in.skip(compressionLength)) {
          readExtensions(in, id, version);
        }
      } else if (in.skip(2 + 1)) {  // the chosen suite and compression method
        readExtensions(in, id, version);
      }
    }
    id.add("version", versionName(version));
    return Detection::match(std::move(id));
  }
};

}  // namespace

const Detector& tlsDetector() {
  static const TlsDetector d;
  return d;
}

}  // namespace bulkhead::net
