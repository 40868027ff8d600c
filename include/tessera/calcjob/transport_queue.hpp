#pragma once
// The transport queue of one computer, per runner: it owns one transport and one scheduler
// object and runs every calcjob's transport tasks (upload, submit, retrieve, kill) and the
// job manager's polls on that single connection: one at a time on one thread, or, when the
// transport allows several operations at once (core.local), on up to
// `transport_concurrency` threads (one poll at a time). Blocking work therefore never runs
// on the runner's event loop, a cluster sees one connection per runner, and a connection is
// opened at most once per safe interval (after a failure the transport is closed and
// reopened no sooner). A failed task is retried with exponential back-off
// (computer_settings); after its last attempt its callback gets the error, and the calcjob
// pauses. Tasks of a killed process are cancelled (skipped) before they run again.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <pthread.h>

#include <tessera/calcjob/computer_settings.hpp>
#include <tessera/calcjob/job_manager.hpp>
#include <tessera/calcjob/scheduler.hpp>
#include <tessera/calcjob/transport.hpp>

namespace tessera::calcjob {

class transport_queue {
 public:
  using clock = std::chrono::steady_clock;
  using transport_factory = std::function<std::shared_ptr<transport>()>;
  using scheduler_factory = std::function<std::shared_ptr<scheduler>()>;

  struct task {
    std::string name;  // "upload", "submit", ...: named in log messages
    std::function<void(transport&, scheduler&)> work;
    /// Called on the queue's thread once: error null on success, else the last attempt's.
    std::function<void(std::exception_ptr, int attempts)> done;
    std::shared_ptr<std::atomic<bool>> cancelled;  // set: skip (the process was killed)
    int attempt = 0;
  };

  transport_queue(std::string computer, computer_settings settings, transport_factory tf, scheduler_factory sf)
      : computer_(std::move(computer)),
        settings_(std::move(settings)),
        make_transport_(std::move(tf)),
        make_scheduler_(std::move(sf)),
        jobs_(settings_) {
    std::lock_guard lk(m_);
    start_thread();
  }
  transport_queue(const transport_queue&) = delete;
  transport_queue& operator=(const transport_queue&) = delete;
  ~transport_queue() {
    {
      std::lock_guard lk(m_);
      stop_ = true;
    }
    cv_.notify_all();
    // Threads are only added under m_, by a thread of the queue: once stop_ is set and the
    // lock released, the list no longer grows.
    for (std::size_t i = 0;; ++i) {
      std::thread t;
      {
        std::lock_guard lk(m_);
        if (i >= threads_.size()) break;
        t = std::move(threads_[i]);
      }
      t.join();
    }
    if (transport_ && transport_->is_open()) {
      try {
        transport_->close();
      } catch (...) {
      }
    }
  }

  const std::string& computer() const noexcept { return computer_; }
  const computer_settings& settings() const noexcept { return settings_; }

  void add(task t) {
    {
      std::lock_guard lk(m_);
      tasks_.emplace(clock::now(), std::move(t));
    }
    cv_.notify_all();
  }

  /// Waits (off the loop) for job `id` to finish: `cb` gets its final state or the error.
  void watch(const std::string& id, job_manager::callback cb) {
    {
      std::lock_guard lk(m_);
      jobs_.watch(id, std::move(cb));
    }
    cv_.notify_all();
  }
  void unwatch(const std::string& id) {
    std::lock_guard lk(m_);
    jobs_.unwatch(id);
  }

  /// Connections opened and scheduler polls made so far (for tests and benchmarks).
  std::uint64_t connections_opened() const {
    std::lock_guard lk(m_);
    return connections_;
  }
  std::uint64_t polls() const {
    std::lock_guard lk(m_);
    return jobs_.polls();
  }
  /// Threads running tasks now (1, or up to transport_concurrency once the transport said it
  /// allows several operations at once).
  std::size_t threads() const {
    std::lock_guard lk(m_);
    return threads_.size();
  }

 private:
  // Under m_.
  void start_thread() {
    threads_.emplace_back([this] {
      ::pthread_setname_np(::pthread_self(), "tessera-xport");
      run();
    });
  }

  void run() {
    std::unique_lock lk(m_);
    while (!stop_) {
      const auto now = clock::now();
      const bool poll_due = !polling_ && !jobs_.empty() && jobs_.next_poll() <= now;
      const bool task_due = !tasks_.empty() && tasks_.begin()->first <= now;
      if (poll_due) {
        auto ids = jobs_.ids();
        polling_ = true;
        lk.unlock();
        std::map<std::string, job_state> states;
        std::exception_ptr error;
        try {
          ensure_open();
          states = scheduler_->status(*transport_, ids);
        } catch (...) {
          error = std::current_exception();
          after_failure(error);
        }
        lk.lock();
        polling_ = false;
        auto notes = jobs_.after_poll(now, error ? nullptr : &states, error);
        lk.unlock();
        for (const auto& n : notes) n();
        lk.lock();
      } else if (task_due) {
        auto node = tasks_.extract(tasks_.begin());
        lk.unlock();
        run_task(std::move(node.mapped()));
        lk.lock();
      } else {
        auto wake = clock::time_point::max();
        if (!tasks_.empty()) wake = tasks_.begin()->first;
        if (!jobs_.empty() && !polling_) wake = std::min(wake, jobs_.next_poll());
        if (wake == clock::time_point::max()) {
          cv_.wait(lk);
        } else {
          cv_.wait_until(lk, wake);
        }
      }
    }
  }

  void run_task(task t) {
    if (t.cancelled && t.cancelled->load()) return;
    std::exception_ptr error;
    try {
      ensure_open();
      t.work(*transport_, *scheduler_);
    } catch (...) {
      error = std::current_exception();
      after_failure(error);
    }
    ++t.attempt;
    if (!error) {
      t.done(nullptr, t.attempt);
      return;
    }
    bool final = t.attempt >= settings_.retry_max_attempts;
    try {
      std::rethrow_exception(error);
    } catch (const host_key_error&) {
      final = true;  // a wrong host key does not fix itself
    } catch (...) {
    }
    if (final) {
      t.done(error, t.attempt);
      return;
    }
    const auto due = clock::now() + settings_.backoff(t.attempt + 1);
    {
      std::lock_guard lk(m_);
      tasks_.emplace(due, std::move(t));
    }
  }

  // Makes the plugins on first use and opens the connection, no sooner than a safe
  // interval after the last opening. One thread at a time (open_m_): the others wait for it.
  void ensure_open() {
    std::lock_guard open_lock(open_m_);
    if (!transport_) {
      transport_ = make_transport_();
      const auto wanted = std::min<std::size_t>(static_cast<std::size_t>(std::max(1, settings_.transport_concurrency)),
                                                std::max(1u, transport_->max_concurrency()));
      std::lock_guard lk(m_);
      while (!stop_ && threads_.size() < wanted) start_thread();
    }
    if (!scheduler_) scheduler_ = make_scheduler_();
    if (transport_->is_open()) return;
    {
      std::unique_lock lk(m_);
      if (opened_once_) {
        const auto allowed = last_open_ + settings_.safe_interval;
        cv_.wait_until(lk, allowed, [&] { return stop_; });
        if (stop_) throw transport_error("computer '" + computer_ + "': the runner is stopping");
      }
      opened_once_ = true;
      last_open_ = clock::now();
      ++connections_;
    }
    transport_->open();
  }

  // A transport error may have broken the connection: reopen it for the next task.
  void after_failure(const std::exception_ptr& e) {
    try {
      std::rethrow_exception(e);
    } catch (const transport_error&) {
      std::lock_guard open_lock(open_m_);
      if (transport_) {
        try {
          transport_->close();
        } catch (...) {
        }
      }
    } catch (...) {
    }
  }

  const std::string computer_;
  const computer_settings settings_;
  transport_factory make_transport_;
  scheduler_factory make_scheduler_;
  mutable std::mutex m_;
  std::condition_variable cv_;
  std::multimap<clock::time_point, task> tasks_;
  job_manager jobs_;
  bool stop_ = false;
  bool opened_once_ = false;
  clock::time_point last_open_{};
  std::uint64_t connections_ = 0;
  bool polling_ = false;
  std::vector<std::thread> threads_;
  // Made, opened and closed under open_m_; used by the queue's threads (several at once only
  // when transport_->max_concurrency() allows it; scheduler methods are const).
  std::mutex open_m_;
  std::shared_ptr<transport> transport_;
  std::shared_ptr<scheduler> scheduler_;
};

}  // namespace tessera::calcjob
