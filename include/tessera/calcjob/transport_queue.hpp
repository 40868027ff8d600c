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
// Tasks that end in one shell command (submissions) are batched: the commands of the tasks
// of that name due at once run as ONE command (detail/command_batch.hpp), up to the setting
// `batch_commands`; a task's first attempt only, so a retry runs alone and a command that
// fails the batch is found out by itself. Such a task is due `batch_wait` after it was
// added, and takes along the others added meanwhile: submissions reach the queue one by one
// as their processes get there, and a shell start costs more than a short wait.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <pthread.h>

#include <fmt/format.h>

#include <tessera/calcjob/computer_settings.hpp>
#include <tessera/calcjob/detail/command_batch.hpp>
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
    /// Instead of `work`, a task that ends in one shell command: `prepare` does what comes
    /// before it and returns the command (nothing: there is none to run, the task is done);
    /// `finish` reads its result (and throws when it failed). Such tasks may be batched.
    std::function<std::optional<std::string>(transport&, scheduler&)> prepare;
    std::function<void(const command_result&, scheduler&)> finish;
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
      const auto due = batchable(t) ? clock::now() + settings_.batch_wait : clock::now();
      tasks_.emplace(due, std::move(t));
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
  /// Commands run as part of a batch of two or more, and those batches.
  std::uint64_t batched_commands() const {
    std::lock_guard lk(m_);
    return batched_commands_;
  }
  std::uint64_t batches() const {
    std::lock_guard lk(m_);
    return batches_;
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
        auto batch = take_due_tasks(now);
        lk.unlock();
        if (batchable(batch.front())) {
          run_batch(std::move(batch));
        } else {
          run_task(std::move(batch.front()));
        }
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

  // A command task on its first attempt, when batches are on.
  bool batchable(const task& t) const { return t.prepare && t.attempt == 0 && settings_.batch_commands > 1; }

  // Under m_: the first due task, and when it is batchable the other batchable tasks of its
  // name added since (due within batch_wait from now), in order, up to `batch_commands`.
  std::vector<task> take_due_tasks(clock::time_point now) {
    std::vector<task> out;
    out.push_back(std::move(tasks_.extract(tasks_.begin()).mapped()));
    if (!batchable(out.front())) return out;
    const std::string name = out.front().name;  // a copy: out grows
    const auto until = now + settings_.batch_wait;
    for (auto it = tasks_.begin(); it != tasks_.end() && it->first <= until &&
                                   out.size() < static_cast<std::size_t>(settings_.batch_commands);) {
      const task& t = it->second;
      if (batchable(t) && t.name == name) {
        out.push_back(std::move(tasks_.extract(it++).mapped()));
      } else {
        ++it;
      }
    }
    return out;
  }

  void run_task(task t) {
    if (t.cancelled && t.cancelled->load()) return;
    std::exception_ptr error;
    try {
      ensure_open();
      if (t.prepare) {
        if (auto command = t.prepare(*transport_, *scheduler_)) t.finish(transport_->exec_command(*command), *scheduler_);
      } else {
        t.work(*transport_, *scheduler_);
      }
    } catch (...) {
      error = std::current_exception();
      after_failure(error);
    }
    complete(std::move(t), error);
  }

  // Command tasks: each prepares alone (its failure is its own), then their commands run as
  // one; each reads its own result. When the batch itself fails (the connection dropped),
  // every command in it failed this attempt: some may have run, which the task's retry must
  // allow for (a submission finds its job by name first).
  void run_batch(std::vector<task> batch) {
    enum class at { waiting, skipped, settled, queued };  // settled: done, or failed alone
    std::vector<at> where(batch.size(), at::waiting);
    std::vector<std::exception_ptr> errors(batch.size());
    std::vector<std::size_t> queued;  // tasks whose command is in the batch, in its order
    std::vector<std::string> commands;
    try {
      ensure_open();
      for (std::size_t i = 0; i < batch.size(); ++i) {
        if (batch[i].cancelled && batch[i].cancelled->load()) {
          where[i] = at::skipped;
          continue;
        }
        try {
          if (auto command = batch[i].prepare(*transport_, *scheduler_)) {
            where[i] = at::queued;
            queued.push_back(i);
            commands.push_back(std::move(*command));
          } else {
            where[i] = at::settled;
          }
        } catch (...) {
          errors[i] = std::current_exception();
          where[i] = at::settled;
          after_failure(errors[i]);
          if (!transport_->is_open()) throw;  // the connection is gone: the others cannot run either
        }
      }
      // In runs of at most max_batch_bytes of script: a command line has limits (Linux: 128
      // KiB per argument; SSH servers cap a request's size).
      for (std::size_t first = 0; first < commands.size();) {
        std::size_t end = first, bytes = 0;
        do {
          bytes += commands[end].size() + 256;
          ++end;
        } while (end < commands.size() && bytes + commands[end].size() + 256 <= max_batch_bytes);
        const std::span<const std::string> part(commands.data() + first, end - first);
        command_result whole;
        std::vector<std::optional<command_result>> results;
        if (part.size() == 1) {  // alone: as it is
          results.emplace_back(whole = transport_->exec_command(part.front()));
        } else {
          const auto marker = detail::batch_marker();
          whole = transport_->exec_command(detail::batch_script(part, marker));
          results = detail::split_batch_output(whole, marker, part.size());
          std::lock_guard lk(m_);
          ++batches_;
          batched_commands_ += part.size();
        }
        for (std::size_t k = first; k < end; ++k) {
          const auto i = queued[k];
          where[i] = at::settled;
          try {
            if (!results[k - first]) {
              throw transport_error(fmt::format(
                  "computer '{}': the {} command ran in a batch of {} whose output has no complete record of it "
                  "(batch exit status {}): {}",
                  computer_, batch[i].name, part.size(), whole.exit_status, whole.stderr_text));
            }
            batch[i].finish(*results[k - first], *scheduler_);
          } catch (...) {
            errors[i] = std::current_exception();
          }
        }
        first = end;
      }
    } catch (...) {
      const auto e = std::current_exception();
      after_failure(e);
      for (std::size_t i = 0; i < batch.size(); ++i) {
        if (where[i] == at::waiting || where[i] == at::queued) errors[i] = e;
      }
    }
    for (std::size_t i = 0; i < batch.size(); ++i) {
      if (where[i] != at::skipped) complete(std::move(batch[i]), errors[i]);
    }
  }

  // One attempt of `t` ended: done, retried after its back-off, or failed for good.
  void complete(task t, std::exception_ptr error) {
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

  static constexpr std::size_t max_batch_bytes = 64 * 1024;
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
  std::uint64_t batches_ = 0;
  std::uint64_t batched_commands_ = 0;
  std::vector<std::thread> threads_;
  // Made, opened and closed under open_m_; used by the queue's threads (several at once only
  // when transport_->max_concurrency() allows it; scheduler methods are const).
  std::mutex open_m_;
  std::shared_ptr<transport> transport_;
  std::shared_ptr<scheduler> scheduler_;
};

}  // namespace tessera::calcjob
