#pragma once
// Idle read connections of one profile, handed out and taken back (store::read(), and the
// repository's reads of packed objects). Internal to tessera::store.
#include <memory>
#include <mutex>
#include <vector>

#include <tessera/store/detail/sqlite.hpp>
#include <tessera/store/profile.hpp>

namespace tessera::store_detail {

class connection_pool {
 public:
  explicit connection_pool(const profile& p) : profile_(&p) {}
  std::unique_ptr<connection> acquire() {
    {
      std::lock_guard lk(m_);
      if (!idle_.empty()) {
        auto c = std::move(idle_.back());
        idle_.pop_back();
        return c;
      }
    }
    return std::make_unique<connection>(profile_->connect());
  }
  void release(std::unique_ptr<connection> c) {
    std::lock_guard lk(m_);
    if (idle_.size() < 8) idle_.push_back(std::move(c));
  }

 private:
  const profile* profile_;
  std::mutex m_;
  std::vector<std::unique_ptr<connection>> idle_;
};

/// A connection on loan from a pool for one scope.
class pooled_connection {
 public:
  explicit pooled_connection(connection_pool& p) : pool_(&p), c_(p.acquire()) {}
  pooled_connection(const pooled_connection&) = delete;
  pooled_connection& operator=(const pooled_connection&) = delete;
  ~pooled_connection() {
    if (c_) pool_->release(std::move(c_));
  }
  connection& operator*() const noexcept { return *c_; }
  connection* operator->() const noexcept { return c_.get(); }

 private:
  connection_pool* pool_;
  std::unique_ptr<connection> c_;
};

}  // namespace tessera::store_detail
