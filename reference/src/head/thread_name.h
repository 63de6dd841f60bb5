// Names the calling thread as /proc and perf show it (15 characters at most),
// so that a profile of replay tells the reader from the shards.
#pragma once

#include <pthread.h>

#include <string>

namespace walproof::replay_internal {

inline void NameThisThread(const std::string& name) {
  pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());
}

}  // namespace walproof::replay_internal
