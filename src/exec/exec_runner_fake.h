// A plain fake ExecRunner for unit tests: it runs nothing, records what it was asked to run
// and what was written to each program's stdin, and lets the test print lines and end runs.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "exec/exec_runner.h"
namespace rampart::fakes {

class FakeRunner final : public ExecRunner {
 public:
  struct Started {
    ExecSpec spec;
    ExecCallbacks callbacks;
    std::string stdin_written;
    bool stdin_closed = false;
    bool ended = false;
    bool abandoned = false;  // the ExecRun was destroyed before it ended
  };

  Result<std::unique_ptr<ExecRun>> start(ExecSpec spec, ExecCallbacks callbacks) override {
    if (refuse_next) {
      Error e = *std::exchange(refuse_next, std::nullopt);
      return std::unexpected(e);
    }
    auto started = std::make_shared<Started>(Started{std::move(spec), std::move(callbacks)});
    started->stdin_written = started->spec.input;
    started->stdin_closed = !started->spec.keep_stdin_open;
    runs.push_back(started);
    return std::unique_ptr<ExecRun>(new Run(started, runs.size() - 1));
  }
  std::string describe() const override { return "fake runs"; }
  bool outside_sandbox() const override { return true; }

  // The program of run `i` prints `line` on stdout.
  void print(size_t i, std::string_view line) { runs.at(i)->callbacks.on_stdout(line); }
  // Run `i` ends.
  void end(size_t i, ExecExit exit = {.code = 0}) {
    auto& r = *runs.at(i);
    r.ended = true;
    auto on_exit = std::move(r.callbacks.on_exit);
    on_exit(exit);
  }
  size_t running() const {
    size_t n = 0;
    for (const auto& r : runs) n += !r->ended && !r->abandoned;
    return n;
  }
  std::vector<std::shared_ptr<Started>> runs;
  std::optional<Error> refuse_next;

 private:
  class Run final : public ExecRun {
   public:
    Run(std::shared_ptr<Started> s, size_t index) : s_(std::move(s)), index_(index) {}
    ~Run() override {
      if (!s_->ended) s_->abandoned = true;
    }
    void write_stdin(std::string data, bool close_after) override {
      if (s_->stdin_closed) return;
      s_->stdin_written += data;
      s_->stdin_closed = close_after;
    }
    std::string id() const override { return "fake " + std::to_string(index_); }

   private:
    std::shared_ptr<Started> s_;
    size_t index_;
  };
};

}  // namespace rampart::fakes
