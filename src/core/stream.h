#pragma once
// Pull-based byte streams: blobs, decompressors and archive members all read through this.

#include <cstdint>
#include <memory>
#include <string>

#include "core/result.h"

namespace bulkhead {

class ByteStream {
 public:
  virtual ~ByteStream() = default;
  // Reads up to `size` bytes; 0 means the end of the stream.
  virtual Result<size_t> read(void* buffer, size_t size) = 0;
};

// A file, or a window [offset, offset + length) of one. Owns the descriptor.
class FileStream final : public ByteStream {
 public:
  static Result<std::unique_ptr<FileStream>> open(const std::string& path);
  static Result<std::unique_ptr<FileStream>> openWindow(const std::string& path,
                                                        uint64_t offset, uint64_t length);
  // Takes ownership of an open descriptor of a regular file.
  static std::unique_ptr<FileStream> adopt(int fd, std::string path);
  ~FileStream() override;
  Result<size_t> read(void* buffer, size_t size) override;

 private:
  FileStream(int fd, std::string path, uint64_t offset, uint64_t remaining)
      : fd_(fd), path_(std::move(path)), offset_(offset), remaining_(remaining) {}
  int fd_;
  std::string path_;
  uint64_t offset_;
  uint64_t remaining_;
};

// A stream over bytes held in memory.
class MemoryStream final : public ByteStream {
 public:
  explicit MemoryStream(std::string data) : data_(std::move(data)) {}
  Result<size_t> read(void* buffer, size_t size) override;

 private:
  std::string data_;
  size_t position_ = 0;
};

// Reads a whole stream; more than `maxBytes` is an error naming `what`.
Result<std::string> readAll(ByteStream& stream, size_t maxBytes, std::string_view what);

// Reads a whole regular file (no symlink following) with the same bound.
Result<std::string> readFileBounded(const std::string& path, size_t maxBytes);

}  // namespace bulkhead
