// `strata invoke`: one AWS Lambda event through a tier, in-process, for
// learning and for tests (docs/lambda.md).
//
//   strata invoke --tier app|typed EVENT.json     (- reads stdin)
//
// The tier serves the same routes as `strata serve --tier T` (the seed
// workloads; no database), run by the Lambda adapter's Invoker exactly as a
// function's bootstrap would run them. The response event's JSON goes to
// stdout with a newline.
//
// Exit status: 0 with a response event; 1 with one sentence on stderr when
// the file cannot be read, the event is not an HTTP event of a kind the
// adapter knows, or the app failed the invocation (the error document is
// what the Runtime API would have been sent); 2 for bad arguments.
#pragma once

#include <CLI/CLI.hpp>

namespace strata::cli {

void register_invoke_command(CLI::App& root);

}  // namespace strata::cli
