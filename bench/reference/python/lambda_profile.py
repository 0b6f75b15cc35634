"""Seed 000's two profiles of the Python twins, on the Lambda event path.

    /usr/bin/python3 -E -s lambda_profile.py --twin fastapi|proxy --event JSON (--profile cold|warm | --split)

  fastapi  FastAPI + pydantic (fastapi_server.py, the typed tier's twin)
           behind lambda_asgi.py, Mangum's twin
  proxy    a lambda-proxy-style dict-dispatch handler (lambda_proxy_twin.py)

--profile cold: cProfile from the first import through the first answer
(the seed's "module import + GET call"); --profile warm: cProfile of one
call alone, after 10 uncounted ones (the seed's "only GET call"). Both print
pstats' table sorted by tottime, top 10, as the seed does.
--split: CLOCK_MONOTONIC nanoseconds at the script's first line, after its
own arguments are read (argparse and json imported: the driver's cost, not
the twin's), after the twin's imports, after building the app, after the
first and the second answers, on one line "cold-split T0 T1 T2 T3 T4 T5",
for `strata profile --cold-split`.
Each mode ends with "answer DOCUMENT", the first response document.
Run each mode in a fresh process: a cold profile is only cold once.
"""
import time

T_START = time.monotonic_ns()

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def import_framework(twin):
    if twin == "fastapi":
        import fastapi  # noqa: F401
        import fastapi.responses  # noqa: F401
        import pydantic  # noqa: F401

        import lambda_asgi  # noqa: F401


def build_handler(twin):
    if twin == "fastapi":
        import fastapi_server
        from lambda_asgi import LambdaAdapter

        return LambdaAdapter(fastapi_server.app)
    import lambda_proxy_twin

    return lambda_proxy_twin.handler


def check(document):
    if document.get("statusCode") != 200 or not document.get("body", "").startswith("Hello "):
        sys.exit(f"lambda_profile: the handler answered wrongly: {json.dumps(document)}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--twin", choices=("fastapi", "proxy"), required=True)
    parser.add_argument("--event", required=True, help="the API Gateway event, as JSON text")
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--profile", choices=("cold", "warm"))
    mode.add_argument("--split", action="store_true")
    args = parser.parse_args()
    event = json.loads(args.event)
    t_args = time.monotonic_ns()

    if args.split:
        import_framework(args.twin)
        t_imports = time.monotonic_ns()
        handler = build_handler(args.twin)
        t_built = time.monotonic_ns()
        first = handler(event, {})
        t_first = time.monotonic_ns()
        handler(event, {})
        t_second = time.monotonic_ns()
        check(first)
        print(f"cold-split {T_START} {t_args} {t_imports} {t_built} {t_first} {t_second}")
        print("answer " + json.dumps(first))
        return

    import cProfile
    import pstats

    profiler = cProfile.Profile()
    if args.profile == "cold":
        profiler.enable()
        import_framework(args.twin)
        handler = build_handler(args.twin)
        first = handler(event, {})
        profiler.disable()
    else:
        import_framework(args.twin)
        handler = build_handler(args.twin)
        first = handler(event, {})
        for _ in range(10):
            handler(event, {})
        profiler.enable()
        handler(event, {})
        profiler.disable()
    check(first)
    pstats.Stats(profiler, stream=sys.stdout).sort_stats("tottime").print_stats(10)
    print("answer " + json.dumps(first))


if __name__ == "__main__":
    main()
