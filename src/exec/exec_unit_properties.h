// The properties of the transient unit a program runs in (exec_unit.cc): what systemd is told
// in StartTransientUnit, in one place for a reader checking what a script gets.
#pragma once

#include <systemd/sd-bus.h>

#include <string>

#include "exec/exec_runner.h"
namespace rampart {

// Appends the a(sv) properties and the empty a(sa(sv)) of auxiliary units to `m`, with
// `stdin_fd`/`stdout_fd` as the program's stdin and stdout (the message holds duplicates) and
// `ident` as its journal identifier. A negative errno on failure.
int append_exec_unit_properties(sd_bus_message* m, const ExecSpec& spec, int stdin_fd,
                                int stdout_fd, const std::string& ident);

}  // namespace rampart
