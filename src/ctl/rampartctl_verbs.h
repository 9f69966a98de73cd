// rampartctl's commands: each reads its arguments, calls rampartd and prints the answer.
// `arg` is the command's one argument (an address, a file) or null.
#pragma once

#include "ctl/rampartctl_client.h"
namespace rampart::ctl {

int verb_status(Client& c, const Options& o, const char* arg);
int verb_list(Client& c, const Options& o, const char* arg);
int verb_show(Client& c, const Options& o, const char* address);
int verb_block(Client& c, const Options& o, const char* address);
int verb_unblock(Client& c, const Options& o, const char* address);
int verb_flush(Client& c, const Options& o, const char* arg);
int verb_reload(Client& c, const Options& o, const char* arg);
int verb_explain(Client& c, const Options& o, const char* path);
int verb_submit(Client& c, const Options& o, const char* path);

}  // namespace rampart::ctl
