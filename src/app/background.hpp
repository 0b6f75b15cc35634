// Work that runs after the response has been sent: Starlette's
// BackgroundTask/BackgroundTasks.
//
//   app::BackgroundTasks tasks;
//   tasks.add([id] -> Task<void> { co_await notify(id); });   // on the loop
//   tasks.add_sync([id] { write_audit_log(id); });             // on the thread pool
//   co_return app::Response::json(body).background(std::move(tasks));
//
// Contract:
//  - The tasks run in the order added, one after the other, once the last
//    byte of the response has been handed to the server and written out
//    (they start on a later turn of the loop than the response's write).
//    They run whatever becomes of the client: one that left does not stop
//    them.
//  - An exception from a task is logged through AppConfig::log, never sent
//    to the client (the response is gone), and the next task still runs.
//  - The request stays in flight until its tasks end, as in uvicorn: the
//    connection's next request waits, and a graceful stop waits for them
//    within its timeout. Long jobs belong in a queue, not here.
//  - What a task captures must stay valid until it ends: capture by value;
//    a task runs after the Request and its views are gone.
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "parser/task.hpp"

namespace strata::app {

class BackgroundTasks {
 public:
  BackgroundTasks& add(std::function<Task<void>()> on_loop);
  BackgroundTasks& add_sync(std::function<void()> on_pool);
  bool empty() const { return tasks_.empty(); }
  size_t size() const { return tasks_.size(); }

  // Runs them all, as described above: on the current request's loop, with
  // its executor for add_sync tasks (without one, as under a bare router,
  // they run on the loop) and its Application's logger.
  Task<void> run();

 private:
  struct Entry {
    std::function<Task<void>()> on_loop;
    std::function<void()> on_pool;
  };
  std::vector<Entry> tasks_;
};

}  // namespace strata::app
