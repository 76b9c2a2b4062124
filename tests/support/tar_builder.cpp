#include "support/tar_builder.h"

#include <archive.h>
#include <archive_entry.h>
#include <zlib.h>
#include <zstd.h>

#include <cstdlib>
#include <stdexcept>

#include "core/sha256.h"

namespace bulkhead::testing {

TarEntry file(std::string path, std::string content, uint32_t mode) {
  TarEntry e;
  e.path = std::move(path);
  e.content = std::move(content);
  e.mode = mode;
  return e;
}

TarEntry dir(std::string path, uint32_t mode) {
  TarEntry e;
  e.path = std::move(path);
  e.kind = TarEntry::Kind::kDir;
  e.mode = mode;
  return e;
}

TarEntry symlink(std::string path, std::string target) {
  TarEntry e;
  e.path = std::move(path);
  e.kind = TarEntry::Kind::kSymlink;
  e.link = std::move(target);
  e.mode = 0777;
  return e;
}

TarEntry hardlink(std::string path, std::string target) {
  TarEntry e;
  e.path = std::move(path);
  e.kind = TarEntry::Kind::kHardlink;
  e.link = std::move(target);
  return e;
}

std::string makeTar(const std::vector<TarEntry>& entries) {
  archive* a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  std::vector<char> buffer(64u << 20);
  size_t used = 0;
  if (archive_write_open_memory(a, buffer.data(), buffer.size(), &used) != ARCHIVE_OK) {
    throw std::runtime_error("archive_write_open_memory failed");
  }
  for (const auto& e : entries) {
    archive_entry* entry = archive_entry_new();
    archive_entry_set_pathname(entry, e.path.c_str());
    archive_entry_set_perm(entry, e.mode);
    archive_entry_set_uid(entry, e.uid);
    archive_entry_set_gid(entry, e.gid);
    archive_entry_set_mtime(entry, 1700000000, 0);
    switch (e.kind) {
      case TarEntry::Kind::kFile:
        archive_entry_set_filetype(entry, AE_IFREG);
        archive_entry_set_size(entry, static_cast<la_int64_t>(e.content.size()));
        break;
      case TarEntry::Kind::kDir:
        archive_entry_set_filetype(entry, AE_IFDIR);
        break;
      case TarEntry::Kind::kSymlink:
        archive_entry_set_filetype(entry, AE_IFLNK);
        archive_entry_set_symlink(entry, e.link.c_str());
        break;
      case TarEntry::Kind::kHardlink:
        archive_entry_set_filetype(entry, AE_IFREG);
        archive_entry_set_hardlink(entry, e.link.c_str());
        break;
      case TarEntry::Kind::kCharDevice:
        archive_entry_set_filetype(entry, AE_IFCHR);
        archive_entry_set_rdevmajor(entry, 1);
        archive_entry_set_rdevminor(entry, 3);
        break;
      case TarEntry::Kind::kFifo:
        archive_entry_set_filetype(entry, AE_IFIFO);
        break;
    }
    if (archive_write_header(a, entry) != ARCHIVE_OK) {
      throw std::runtime_error(std::string("archive_write_header: ") + archive_error_string(a));
    }
    if (e.kind == TarEntry::Kind::kFile && !e.content.empty()) {
      archive_write_data(a, e.content.data(), e.content.size());
    }
    archive_entry_free(entry);
  }
  archive_write_close(a);
  archive_write_free(a);
  return std::string(buffer.data(), used);
}

std::string gzipBytes(const std::string& data) {
  z_stream z{};
  deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&z, data.size()) + 64, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  if (deflate(&z, Z_FINISH) != Z_STREAM_END) throw std::runtime_error("deflate failed");
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

std::string zstdBytes(const std::string& data) {
  std::string out(ZSTD_compressBound(data.size()), '\0');
  const size_t n = ZSTD_compress(out.data(), out.size(), data.data(), data.size(), 3);
  if (ZSTD_isError(n)) throw std::runtime_error("zstd failed");
  out.resize(n);
  return out;
}

std::string sha256Digest(const std::string& data) { return "sha256:" + Sha256::hex(data); }

}  // namespace bulkhead::testing
