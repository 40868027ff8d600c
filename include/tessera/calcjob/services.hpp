#pragma once
// What a runner needs to run calcjobs: the plugin factories (transports, schedulers,
// parsers; the plugin layer fills them from its registry, tests may wrap them) and one
// transport queue per computer, made on first use. One per runner (runner::extension), so
// all calcjobs of a runner share a computer's connection and its scheduler polls.
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <tessera/calcjob/computer_settings.hpp>
#include <tessera/calcjob/parser.hpp>
#include <tessera/calcjob/transport_queue.hpp>
#include <tessera/engine/runner.hpp>

namespace tessera::calcjob {

struct plugin_factories {
  std::function<std::shared_ptr<calcjob::transport>(const std::string& name, const nlohmann::json& settings)> make_transport;
  std::function<std::shared_ptr<calcjob::scheduler>(const std::string& name, const nlohmann::json& settings)> make_scheduler;
  std::function<std::shared_ptr<const parser_plugin>(const std::string& name)> make_parser;
};

class services {
 public:
  explicit services(runner& r) : runner_(&r) {}

  static services& of(runner& r) { return r.extension<services>(); }

  /// Sets where plugins come from (before the first calcjob runs on a computer).
  void set_plugins(plugin_factories f) {
    std::lock_guard lk(m_);
    factories_ = std::move(f);
  }

  /// The transport queue of computer `label` (read from the store the first time).
  transport_queue& queue_for(const std::string& label) {
    std::lock_guard lk(m_);
    if (auto it = queues_.find(label); it != queues_.end()) return *it->second;
    if (!factories_.make_transport || !factories_.make_scheduler) {
      throw std::logic_error(fmt::format(
          "cannot run calcjobs on computer '{}': this runner has no transport and scheduler plugins (call "
          "tessera::plugin::use_for_calcjobs(runner, registry) first)",
          label));
    }
    computer_record c;
    {
      auto lease = runner_->storage().read();
      c = lease.computer(label);
    }
    auto settings = computer_settings::of(c);
    auto f = factories_;
    auto q = std::make_unique<transport_queue>(
        label, settings,
        [f, name = c.transport, ts = settings.transport] { return checked(f.make_transport(name, ts), "transport", name); },
        [f, name = c.scheduler, ss = settings.scheduler] { return checked(f.make_scheduler(name, ss), "scheduler", name); });
    auto& ref = *q;
    queues_.emplace(label, std::move(q));
    computers_.emplace(label, std::move(c));
    return ref;
  }

  /// The computer record behind queue_for(label).
  const computer_record& computer(const std::string& label) {
    (void)queue_for(label);
    std::lock_guard lk(m_);
    return computers_.at(label);
  }

  /// The parser plugin `name` (made once, shared).
  std::shared_ptr<const parser_plugin> parser(const std::string& name) {
    std::lock_guard lk(m_);
    if (auto it = parsers_.find(name); it != parsers_.end()) return it->second;
    if (!factories_.make_parser) {
      throw std::logic_error(fmt::format("cannot load parser '{}': this runner has no parser plugins (call "
                                         "tessera::plugin::use_for_calcjobs(runner, registry) first)",
                                         name));
    }
    auto p = checked(factories_.make_parser(name), "parser", name);
    parsers_.emplace(name, p);
    return p;
  }

 private:
  template <class T>
  static std::shared_ptr<T> checked(std::shared_ptr<T> p, const char* what, const std::string& name) {
    if (!p) throw std::runtime_error(fmt::format("no {} plugin named '{}'", what, name));
    return p;
  }

  runner* runner_;
  std::mutex m_;
  plugin_factories factories_;
  std::map<std::string, std::unique_ptr<transport_queue>> queues_;
  std::map<std::string, computer_record> computers_;
  std::map<std::string, std::shared_ptr<const parser_plugin>> parsers_;
};

}  // namespace tessera::calcjob
