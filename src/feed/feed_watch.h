// Watches blocklist files with inotify on the sd-event loop. It watches each file's directory,
// not the file: a download replaces the file by rename, which a watch on the old inode would
// never see. A file counts as changed when it is closed after writing or renamed into place,
// never half-written.
#pragma once

#include <systemd/sd-event.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/handles_event.h"
namespace rampart {

class FeedWatch {
 public:
  // `files[i]` changed: `on_change(i)`. A directory that cannot be watched (missing) is an
  // error for its files, in `errors` (index, message); the others are still watched.
  static std::unique_ptr<FeedWatch> open(sd_event* event, const std::vector<std::string>& files,
                                         std::function<void(size_t)> on_change,
                                         std::vector<std::pair<size_t, Error>>& errors);

 private:
  struct Directory {
    FeedWatch* watch = nullptr;
    std::vector<std::pair<std::string, size_t>> names;  // base name -> file index
    EventSourcePtr source;
  };
  static int on_inotify(sd_event_source*, const struct inotify_event* e, void* userdata);

  std::function<void(size_t)> on_change_;
  std::vector<std::unique_ptr<Directory>> directories_;
};

}  // namespace rampart
