#pragma once
// The job manager of one computer: the jobs that calcjobs wait on, polled together. One
// scheduler poll per computer per poll interval covers all of them, however many (the
// scheduler's status command takes many ids). A failed poll is retried with the computer's
// back-off; after the last attempt every waiting calcjob is told (and pauses). Not
// thread-safe by itself: the transport queue calls it under its lock.
#include <chrono>
#include <exception>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <tessera/calcjob/computer_settings.hpp>
#include <tessera/calcjob/job_state.hpp>

namespace tessera::calcjob {

class job_manager {
 public:
  using clock = std::chrono::steady_clock;
  /// Called once per watch: with the job's final state, or with the poll's error.
  using callback = std::function<void(job_state, std::exception_ptr)>;
  struct notification {
    callback cb;
    job_state state;
    std::exception_ptr error;
    void operator()() const { cb(state, error); }
  };

  explicit job_manager(const computer_settings& s) : settings_(&s) {}

  void watch(const std::string& id, callback cb) { jobs_[id].push_back(std::move(cb)); }
  void unwatch(const std::string& id) { jobs_.erase(id); }
  bool empty() const noexcept { return jobs_.empty(); }
  clock::time_point next_poll() const noexcept { return last_poll_ + wait_; }
  std::vector<std::string> ids() const {
    std::vector<std::string> out;
    out.reserve(jobs_.size());
    for (const auto& [id, cbs] : jobs_) out.push_back(id);
    return out;
  }
  std::uint64_t polls() const noexcept { return polls_; }

  /// Records a poll that started at `started`: finished jobs (and, after the last failed
  /// attempt, all jobs) leave the watch list; what to tell whom is returned.
  std::vector<notification> after_poll(clock::time_point started, const std::map<std::string, job_state>* states,
                                       std::exception_ptr error) {
    ++polls_;
    last_poll_ = started;
    std::vector<notification> out;
    if (error) {
      ++failures_;
      if (failures_ < settings_->retry_max_attempts) {
        wait_ = settings_->backoff(failures_ + 1);
        return out;
      }
      for (auto& [id, cbs] : jobs_) {
        for (auto& cb : cbs) out.push_back({std::move(cb), job_state::unknown, error});
      }
      jobs_.clear();
      failures_ = 0;
      wait_ = settings_->poll_interval;
      return out;
    }
    failures_ = 0;
    wait_ = settings_->poll_interval;
    for (const auto& [id, st] : *states) {
      if (!is_finished(st)) continue;
      auto it = jobs_.find(id);
      if (it == jobs_.end()) continue;
      for (auto& cb : it->second) out.push_back({std::move(cb), st, nullptr});
      jobs_.erase(it);
    }
    return out;
  }

 private:
  const computer_settings* settings_;
  std::map<std::string, std::vector<callback>> jobs_;
  clock::time_point last_poll_{};
  clock::duration wait_{};
  int failures_ = 0;
  std::uint64_t polls_ = 0;
};

}  // namespace tessera::calcjob
