#pragma once
// The file repository of a profile: content-addressed (key = BLAKE2b-256 of the bytes),
// deduplicated (the same bytes are stored once), written atomically (temp file, fsync,
// rename, fsync of the directory), never rewritten: an object's file is immutable because
// its name is its content, and nodes refer to objects only through immutable attributes.
//   <profile>/repository/objects/ab/cdef...   one file per object (read-only)
//   <profile>/repository/tmp/                 temp files being written
// verify() re-hashes every object and reports mismatches (corruption, tampering).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include <tessera/data/digest.hpp>
#include <tessera/data/folder.hpp>
#include <tessera/data/hasher.hpp>
#include <tessera/data/singlefile.hpp>
#include <tessera/store/error.hpp>

namespace tessera {

class repository {
 public:
  explicit repository(std::filesystem::path root) : root_(std::move(root)) {
    std::error_code ec;
    std::filesystem::create_directories(root_ / "objects", ec);
    if (!ec) std::filesystem::create_directories(root_ / "tmp", ec);
    if (ec) throw repository_error(fmt::format("cannot create repository {}: {}", root_.string(), ec.message()));
  }

  [[nodiscard]] const std::filesystem::path& root() const noexcept { return root_; }
  [[nodiscard]] std::filesystem::path path_of(const digest& d) const {
    const auto h = d.hex();
    return root_ / "objects" / h.substr(0, 2) / h.substr(2);
  }
  [[nodiscard]] bool contains(const digest& d) const { return std::filesystem::exists(path_of(d)); }

  /// Stores bytes; returns their object (key and size). Idempotent.
  file_object put(std::string_view bytes) {
    hasher h;
    h.update(bytes);
    const auto d = h.finish();
    // Already stored: no temp file to create and delete (inode churn is what costs when
    // many small, equal files arrive, e.g. the empty outputs of thousands of jobs).
    if (contains(d)) return {d, bytes.size()};
    temp_file tmp(root_ / "tmp");
    tmp.write(bytes.data(), bytes.size());
    return commit(tmp, d, bytes.size());
  }
  /// Stores a file's content, streaming (hashing while copying). Idempotent.
  file_object put_file(const std::filesystem::path& src) {
    const int in = ::open(src.c_str(), O_RDONLY | O_CLOEXEC);
    if (in < 0) throw repository_error(fmt::format("cannot read {}: {}", src.string(), std::strerror(errno)));
    fd_guard g{in};
    temp_file tmp(root_ / "tmp");
    hasher h;
    std::uint64_t size = 0;
    std::array<char, 1 << 16> buf{};
    for (;;) {
      const auto n = ::read(in, buf.data(), buf.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        throw repository_error(fmt::format("cannot read {}: {}", src.string(), std::strerror(errno)));
      }
      if (n == 0) break;
      const auto un = static_cast<std::size_t>(n);
      h.update(std::string_view(buf.data(), un));
      tmp.write(buf.data(), un);
      size += un;
    }
    return commit(tmp, h.finish(), size);
  }

  /// The bytes of an object; repository_error if it is missing.
  [[nodiscard]] std::string read(const digest& d) const {
    const auto p = path_of(d);
    const int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw repository_error(fmt::format("object {} is missing from the repository ({})", d.hex(), p.string()));
    fd_guard g{fd};
    std::string out;
    std::array<char, 1 << 16> buf{};
    for (;;) {
      const auto n = ::read(fd, buf.data(), buf.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        throw repository_error(fmt::format("cannot read {}: {}", p.string(), std::strerror(errno)));
      }
      if (n == 0) break;
      out.append(buf.data(), static_cast<std::size_t>(n));
    }
    return out;
  }
  [[nodiscard]] std::string read(const SinglefileData& f) const { return read(f.content.object); }

  /// Writes an object to `dest` (a new, writable copy).
  void copy_out(const digest& d, const std::filesystem::path& dest) const {
    const auto p = path_of(d);
    if (!std::filesystem::exists(p)) {
      throw repository_error(fmt::format("object {} is missing from the repository ({})", d.hex(), p.string()));
    }
    std::error_code ec;
    if (dest.has_parent_path()) std::filesystem::create_directories(dest.parent_path(), ec);
    std::filesystem::copy_file(p, dest, std::filesystem::copy_options::overwrite_existing, ec);
    if (ec) throw repository_error(fmt::format("cannot copy object {} to {}: {}", d.hex(), dest.string(), ec.message()));
    std::filesystem::permissions(dest, std::filesystem::perms::owner_write, std::filesystem::perm_options::add, ec);
  }

  // ---- data values whose content lives here ----
  SinglefileData add_file(const std::filesystem::path& src, std::string filename = {}) {
    if (filename.empty()) filename = src.filename().string();
    check_filename(filename);
    return {std::move(filename), put_file(src)};
  }
  SinglefileData add_bytes(std::string_view bytes, std::string filename) {
    check_filename(filename);
    return {std::move(filename), put(bytes)};
  }
  /// Every regular file below `dir` (symlinks are refused: they would not be reproducible).
  FolderData add_folder(const std::filesystem::path& dir) {
    if (!std::filesystem::is_directory(dir)) throw repository_error(fmt::format("{} is not a directory", dir.string()));
    FolderData f;
    for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
      if (e.is_symlink()) throw repository_error(fmt::format("{} is a symbolic link: not stored", e.path().string()));
      if (!e.is_regular_file()) continue;
      f.files.emplace(std::filesystem::relative(e.path(), dir).generic_string(), put_file(e.path()));
    }
    return f;
  }
  /// Recreates a folder's files below `dest`.
  void materialize(const FolderData& f, const std::filesystem::path& dest) const {
    for (const auto& [rel, obj] : f.files) {
      if (!is_safe_relative_path(rel)) throw repository_error(fmt::format("unsafe path '{}' in folder data", rel));
      copy_out(obj.object, dest / rel);
    }
  }

  struct report {
    std::size_t objects = 0;
    std::uint64_t bytes = 0;
    std::vector<std::string> problems;  // one line per mismatch / missing / stray object
    [[nodiscard]] bool ok() const noexcept { return problems.empty(); }
  };
  /// Re-hashes every object and compares with its name.
  [[nodiscard]] report verify() const {
    report r;
    for (const auto& e : std::filesystem::recursive_directory_iterator(root_ / "objects")) {
      if (!e.is_regular_file()) continue;
      const auto name = e.path().parent_path().filename().string() + e.path().filename().string();
      ++r.objects;
      digest expected;
      try {
        expected = digest::from_hex(name);
      } catch (const std::exception&) {
        r.problems.push_back(fmt::format("{}: not an object name", e.path().string()));
        continue;
      }
      std::string bytes;
      try {
        bytes = read(expected);
      } catch (const repository_error& ex) {
        r.problems.push_back(ex.what());
        continue;
      }
      r.bytes += bytes.size();
      hasher h;
      h.update(bytes);
      const auto got = h.finish();
      if (got != expected) {
        r.problems.push_back(fmt::format("{}: content hashes to {}, expected {} (corrupted or modified)",
                                         e.path().string(), got.hex(), expected.hex()));
      }
    }
    return r;
  }

 private:
  struct fd_guard {
    explicit fd_guard(int f) noexcept : fd(f) {}
    int fd;
    fd_guard(const fd_guard&) = delete;
    fd_guard& operator=(const fd_guard&) = delete;
    ~fd_guard() {
      if (fd >= 0) ::close(fd);
    }
  };

  class temp_file {
   public:
    explicit temp_file(const std::filesystem::path& dir) {
      std::string tmpl = (dir / "obj-XXXXXX").string();
      fd_ = ::mkstemp(tmpl.data());
      if (fd_ < 0) throw repository_error(fmt::format("cannot create a temp file in {}: {}", dir.string(), std::strerror(errno)));
      path_ = tmpl;
    }
    temp_file(const temp_file&) = delete;
    temp_file& operator=(const temp_file&) = delete;
    ~temp_file() {
      if (fd_ >= 0) ::close(fd_);
      if (!path_.empty()) ::unlink(path_.c_str());
    }
    void write(const char* p, std::size_t n) {
      while (n > 0) {
        const auto w = ::write(fd_, p, n);
        if (w < 0) {
          if (errno == EINTR) continue;
          throw repository_error(fmt::format("cannot write {}: {}", path_, std::strerror(errno)));
        }
        p += w;
        n -= static_cast<std::size_t>(w);
      }
    }
    /// fsync + close; the file stays until renamed or destroyed.
    void finish() {
      if (::fchmod(fd_, 0444) != 0 || ::fsync(fd_) != 0) {
        throw repository_error(fmt::format("cannot sync {}: {}", path_, std::strerror(errno)));
      }
      ::close(fd_);
      fd_ = -1;
    }
    [[nodiscard]] const std::string& path() const noexcept { return path_; }
    void release() noexcept { path_.clear(); }

   private:
    int fd_ = -1;
    std::string path_;
  };

  static void check_filename(const std::string& name) {
    if (!is_safe_relative_path(name) || name.find('/') != std::string::npos) {
      throw repository_error(fmt::format("invalid file name '{}' (a plain name without directories)", name));
    }
  }

  static void sync_dir(const std::filesystem::path& dir) {
    const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return;
    (void)::fsync(fd);
    ::close(fd);
  }

  file_object commit(temp_file& tmp, const digest& d, std::uint64_t size) {
    const auto dest = path_of(d);
    if (std::filesystem::exists(dest)) return {d, size};  // deduplicated; temp file removed
    tmp.finish();
    std::error_code ec;
    std::filesystem::create_directories(dest.parent_path(), ec);
    if (::rename(tmp.path().c_str(), dest.c_str()) != 0) {
      throw repository_error(fmt::format("cannot move object into {}: {}", dest.string(), std::strerror(errno)));
    }
    tmp.release();
    sync_dir(dest.parent_path());
    return {d, size};
  }

  std::filesystem::path root_;
};

}  // namespace tessera
