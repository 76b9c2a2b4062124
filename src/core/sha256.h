#pragma once
// Incremental SHA-256 (OpenSSL, which uses the CPU's SHA extensions where present).

#include <openssl/evp.h>

#include <string>
#include <string_view>

namespace bulkhead {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void update(const void* data, size_t size);
  // Lower-case hex of the digest; the object is spent afterwards.
  std::string finishHex();

  static std::string hex(std::string_view data);

 private:
  EVP_MD_CTX* ctx_;
};

}  // namespace bulkhead
