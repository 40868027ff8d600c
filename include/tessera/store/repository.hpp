#pragma once
// The file repository of a profile: content-addressed (key = BLAKE2b-256 of the bytes),
// deduplicated (the same bytes are stored once), never rewritten: an object is immutable
// because its key is its content, and nodes refer to objects only through immutable
// attributes. Two places, one key space:
//   small objects (<= pack_limit bytes) of a store's repository: table repository_object of
//     the profile's database. put() keeps them pending in memory and the store writes them
//     into the next write transaction it commits (just before COMMIT), so they are committed
//     with, or before, any node that refers to them — also when the put happened inside that
//     transaction. Why: the outputs of a calcjob are mostly a few bytes, and on a filesystem
//     a file each costs an inode, two fsyncs and a rename (measured: most of the engine's CPU
//     per calcjob on this machine's ext4); AiiDA's disk-objectstore packs them too.
//   other objects (and every object of a repository without a database, and objects written
//     before schema version 7): one file each, written atomically (temp file, fsync, rename,
//     fsync of the directory):
//       <profile>/repository/objects/ab/cdef...   one file per object (read-only)
//       <profile>/repository/tmp/                 temp files being written
// Reads look in memory (pending), then the files, then the database. verify() re-hashes
// every object of both and reports mismatches (corruption, tampering).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
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
#include <tessera/store/detail/connection_pool.hpp>
#include <tessera/store/detail/sqlite.hpp>
#include <tessera/store/error.hpp>

namespace tessera {

class repository {
 public:
  /// Objects of at most this many bytes are packed into the database (when the repository
  /// has one): SQLite reads and writes blobs this small faster than the filesystem does
  /// files, and a 64 KiB row keeps the write-ahead log small.
  static constexpr std::size_t pack_limit = 64 * 1024;

  explicit repository(std::filesystem::path root) : root_(std::move(root)) {
    std::error_code ec;
    std::filesystem::create_directories(root_ / "objects", ec);
    if (!ec) std::filesystem::create_directories(root_ / "tmp", ec);
    if (ec) throw repository_error(fmt::format("cannot create repository {}: {}", root_.string(), ec.message()));
  }

  /// Packs small objects into the database `pool` connects to from now on. The store that
  /// owns this repository calls it and writes pending objects into each of its write
  /// transactions (write_pending / committed).
  void attach_database(store_detail::connection_pool& pool) noexcept { pool_ = &pool; }
  [[nodiscard]] bool packs() const noexcept { return pool_ != nullptr; }

  [[nodiscard]] const std::filesystem::path& root() const noexcept { return root_; }
  /// Where an object stored as a file is (packed objects have no file).
  [[nodiscard]] std::filesystem::path path_of(const digest& d) const {
    const auto h = d.hex();
    return root_ / "objects" / h.substr(0, 2) / h.substr(2);
  }
  [[nodiscard]] bool contains(const digest& d) const {
    if (pending(d)) return true;
    if (std::filesystem::exists(path_of(d))) return true;
    return load_packed(d).has_value();
  }

  /// Stores bytes; returns their object (key and size). Idempotent.
  file_object put(std::string_view bytes) {
    hasher h;
    h.update(bytes);
    const auto d = h.finish();
    if (pool_ != nullptr && bytes.size() <= pack_limit) {
      // No lookup first: the store writes it with INSERT OR IGNORE, equal bytes land once.
      std::lock_guard lk(pm_);
      if (!pending_.contains(d)) pending_.emplace(d, std::make_shared<const std::string>(bytes));
      return {d, bytes.size()};
    }
    // Already stored: no temp file to create and delete (inode churn is what costs when
    // many small, equal files arrive, e.g. the empty outputs of thousands of jobs).
    if (std::filesystem::exists(path_of(d))) return {d, bytes.size()};
    temp_file tmp(root_ / "tmp");
    tmp.write(bytes.data(), bytes.size());
    return commit(tmp, d, bytes.size());
  }
  /// Stores a file's content, streaming (hashing while copying). Idempotent.
  file_object put_file(const std::filesystem::path& src) {
    const int in = ::open(src.c_str(), O_RDONLY | O_CLOEXEC);
    if (in < 0) throw repository_error(fmt::format("cannot read {}: {}", src.string(), std::strerror(errno)));
    fd_guard g{in};
    std::array<char, 1 << 16> buf{};
    // The first pack_limit + 1 bytes decide: a small file is packed like put()'s bytes.
    std::string head;
    bool eof = false;
    while (!eof && head.size() <= pack_limit) {
      const auto n = read_some(in, buf, src);
      if (n == 0) {
        eof = true;
      } else {
        head.append(buf.data(), n);
      }
    }
    if (eof && pool_ != nullptr) return put(head);
    temp_file tmp(root_ / "tmp");
    hasher h;
    h.update(head);
    tmp.write(head.data(), head.size());
    std::uint64_t size = head.size();
    while (!eof) {
      const auto n = read_some(in, buf, src);
      if (n == 0) break;
      h.update(std::string_view(buf.data(), n));
      tmp.write(buf.data(), n);
      size += n;
    }
    return commit(tmp, h.finish(), size);
  }

  /// The bytes of an object; repository_error if it is missing.
  [[nodiscard]] std::string read(const digest& d) const {
    {
      std::lock_guard lk(pm_);
      if (const auto it = pending_.find(d); it != pending_.end()) return *it->second;
    }
    const auto p = path_of(d);
    const int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      if (auto packed = load_packed(d)) return std::move(*packed);
      throw repository_error(fmt::format("object {} is missing from the repository ({}{})", d.hex(), p.string(),
                                         pool_ != nullptr ? ", nor in the database" : ""));
    }
    fd_guard g{fd};
    std::string out;
    std::array<char, 1 << 16> buf{};
    for (;;) {
      const auto n = read_some(fd, buf, p);
      if (n == 0) break;
      out.append(buf.data(), n);
    }
    return out;
  }
  [[nodiscard]] std::string read(const SinglefileData& f) const { return read(f.content.object); }

  /// Writes an object to `dest` (a new, writable copy).
  void copy_out(const digest& d, const std::filesystem::path& dest) const {
    const auto p = path_of(d);
    std::error_code ec;
    if (dest.has_parent_path()) std::filesystem::create_directories(dest.parent_path(), ec);
    if (std::filesystem::exists(p)) {
      std::filesystem::copy_file(p, dest, std::filesystem::copy_options::overwrite_existing, ec);
      if (ec) throw repository_error(fmt::format("cannot copy object {} to {}: {}", d.hex(), dest.string(), ec.message()));
      std::filesystem::permissions(dest, std::filesystem::perms::owner_write, std::filesystem::perm_options::add, ec);
      return;
    }
    const auto bytes = read(d);  // pending or packed; throws naming the object if missing
    const int fd = ::open(dest.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) throw repository_error(fmt::format("cannot copy object {} to {}: {}", d.hex(), dest.string(), std::strerror(errno)));
    fd_guard g{fd};
    write_all(fd, bytes.data(), bytes.size(), dest.string());
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
  /// Re-hashes every object (files and packed) and compares with its key.
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
      check_hash(r, bytes, expected, e.path().string());
    }
    if (pool_ == nullptr) return r;
    store_detail::pooled_connection c(*pool_);
    auto st = c->prepare("SELECT key, content FROM repository_object ORDER BY rowid");
    while (st.step()) {
      ++r.objects;
      const auto key = st.blob(0);
      const auto content = st.blob(1);
      if (key.size() != digest{}.bytes.size()) {
        r.problems.push_back(fmt::format("packed object with a key of {} bytes (expected 32)", key.size()));
        continue;
      }
      digest expected;
      std::memcpy(expected.bytes.data(), key.data(), key.size());
      check_hash(r, std::string_view(reinterpret_cast<const char*>(content.data()), content.size()), expected,
                 fmt::format("packed object {}", expected.hex()));
    }
    return r;
  }

  // ---- pending small objects: the protocol with the owning store ----
  /// Writes every pending object into the write transaction open on `c` and returns their
  /// keys (they stay pending, hence readable, until committed() is told).
  std::vector<digest> write_pending(store_detail::connection& c) const {
    std::vector<std::pair<digest, std::shared_ptr<const std::string>>> batch;
    {
      std::lock_guard lk(pm_);
      if (pending_.empty()) return {};
      batch.assign(pending_.begin(), pending_.end());
    }
    auto st = c.cached("INSERT OR IGNORE INTO repository_object(key, content) VALUES (?, ?)");
    std::vector<digest> keys;
    keys.reserve(batch.size());
    for (const auto& [d, bytes] : batch) {
      st->bind(1, std::span<const std::byte>(reinterpret_cast<const std::byte*>(d.bytes.data()), d.bytes.size()));
      st->bind(2, std::span<const std::byte>(reinterpret_cast<const std::byte*>(bytes->data()), bytes->size()));
      st->run();
      keys.push_back(d);
    }
    return keys;
  }
  /// The transaction write_pending() wrote `keys` into has committed: read them from the
  /// database from now on.
  void committed(const std::vector<digest>& keys) {
    std::lock_guard lk(pm_);
    for (const auto& d : keys) pending_.erase(d);
  }
  [[nodiscard]] std::size_t pending_objects() const {
    std::lock_guard lk(pm_);
    return pending_.size();
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
    void write(const char* p, std::size_t n) { write_all(fd_, p, n, path_); }
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

  static void write_all(int fd, const char* p, std::size_t n, const std::string& what) {
    while (n > 0) {
      const auto w = ::write(fd, p, n);
      if (w < 0) {
        if (errno == EINTR) continue;
        throw repository_error(fmt::format("cannot write {}: {}", what, std::strerror(errno)));
      }
      p += w;
      n -= static_cast<std::size_t>(w);
    }
  }

  static std::size_t read_some(int fd, std::array<char, 1 << 16>& buf, const std::filesystem::path& what) {
    for (;;) {
      const auto n = ::read(fd, buf.data(), buf.size());
      if (n >= 0) return static_cast<std::size_t>(n);
      if (errno != EINTR) throw repository_error(fmt::format("cannot read {}: {}", what.string(), std::strerror(errno)));
    }
  }

  static void check_hash(report& r, std::string_view bytes, const digest& expected, const std::string& where) {
    r.bytes += bytes.size();
    hasher h;
    h.update(bytes);
    const auto got = h.finish();
    if (got != expected) {
      r.problems.push_back(fmt::format("{}: content hashes to {}, expected {} (corrupted or modified)", where, got.hex(),
                                       expected.hex()));
    }
  }

  [[nodiscard]] bool pending(const digest& d) const {
    std::lock_guard lk(pm_);
    return pending_.contains(d);
  }

  [[nodiscard]] std::optional<std::string> load_packed(const digest& d) const {
    if (pool_ == nullptr) return std::nullopt;
    store_detail::pooled_connection c(*pool_);
    auto st = c->cached("SELECT content FROM repository_object WHERE key = ?");
    st->bind(1, std::span<const std::byte>(reinterpret_cast<const std::byte*>(d.bytes.data()), d.bytes.size()));
    if (!st->step()) return std::nullopt;
    const auto b = st->blob(0);
    return std::string(reinterpret_cast<const char*>(b.data()), b.size());
  }

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
  store_detail::connection_pool* pool_ = nullptr;
  mutable std::mutex pm_;
  std::map<digest, std::shared_ptr<const std::string>> pending_;  // put, not yet committed
};

}  // namespace tessera
