#include "feed/feed_watch.h"
#include <sys/inotify.h>

namespace rampart {

std::unique_ptr<FeedWatch> FeedWatch::open(sd_event* event, const std::vector<std::string>& files,
                                           std::function<void(size_t)> on_change,
                                           std::vector<std::pair<size_t, Error>>& errors) {
  auto watch = std::unique_ptr<FeedWatch>(new FeedWatch());
  watch->on_change_ = std::move(on_change);
  std::vector<std::string> paths;  // of watch->directories_, in order
  for (size_t i = 0; i < files.size(); ++i) {
    const std::string& file = files[i];
    size_t slash = file.rfind('/');
    std::string dir = slash == 0 ? "/" : file.substr(0, slash);
    std::string name = file.substr(slash + 1);
    size_t d = 0;
    while (d < paths.size() && paths[d] != dir) ++d;
    if (d == paths.size()) {
      auto directory = std::make_unique<Directory>();
      directory->watch = watch.get();
      sd_event_source* s = nullptr;
      int r =
          sd_event_add_inotify(event, &s, dir.c_str(), IN_CLOSE_WRITE | IN_MOVED_TO | IN_ONLYDIR,
                               on_inotify, directory.get());
      if (r < 0) {
        errors.emplace_back(i,
                            fail_errno(r, "cannot watch {} for changes of {}", dir, name).error());
        continue;
      }
      directory->source.reset(s);
      paths.push_back(dir);
      watch->directories_.push_back(std::move(directory));
    }
    watch->directories_[d]->names.emplace_back(name, i);
  }
  return watch;
}

int FeedWatch::on_inotify(sd_event_source*, const struct inotify_event* e, void* userdata) {
  auto* directory = static_cast<Directory*>(userdata);
  if (e->len == 0) return 0;
  std::string_view name(e->name);
  for (const auto& [file, index] : directory->names)
    if (file == name) directory->watch->on_change_(index);
  return 0;
}

}  // namespace rampart
