// Running commands and waiting for conditions, for tests only.
#pragma once

#include <chrono>
#include <functional>
#include <string>

namespace rampart::test {

// Runs a command line through /bin/sh, returns stdout; `status` gets the exit status.
std::string run(const std::string& command, int* status = nullptr);

// Polls `ready` every 10 ms until it holds or `timeout` passes. The timeout only stops a hung
// test; it is never what a test asserts.
bool wait_until(const std::function<bool()>& ready,
                std::chrono::milliseconds timeout = std::chrono::seconds(10));

}  // namespace rampart::test
