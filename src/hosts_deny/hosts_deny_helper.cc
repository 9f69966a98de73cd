// rampart-hosts-deny FILE: applies the edits on stdin ("+ADDRESS" / "-ADDRESS" lines) to a
// hosts.deny file with the same atomic update rampartd uses (hosts_deny.h). rampartd runs it
// as a transient unit that may write FILE's directory, because its own sandbox keeps /etc
// read-only; an admin has no reason to run it by hand. Prints what went wrong on stdout (that
// is what rampartd reads) and exits 1; exits 0 when the file holds the edits.
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <string>

#include "hosts_deny/hosts_deny.h"

int main(int argc, char** argv) {
  if (argc != 2 || argv[1][0] != '/') {
    std::fprintf(stderr, "usage: rampart-hosts-deny /ABSOLUTE/PATH < edits\n");
    return 2;
  }
  std::string input;
  char buf[65536];
  for (;;) {
    ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    input.append(buf, static_cast<size_t>(n));
  }
  auto edits = rampart::parse_hosts_deny_edits(input);
  rampart::Result<void> r;
  if (!edits)
    r = std::unexpected(edits.error());
  else
    r = rampart::update_hosts_deny(argv[1], *edits);
  if (!r) {
    std::printf("%s\n", r.error().message.c_str());
    return 1;
  }
  return 0;
}
