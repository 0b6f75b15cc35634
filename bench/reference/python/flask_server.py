"""Seed 004's Flask twin: its two CPU-bound routes under gunicorn's sync
workers (serve.py --tier flask), one request at a time per worker process.

/flask/sync_cpu_bound/ hands the loop to a ProcessPoolExecutor and waits
for it (the seed's "sync with processes"); /flask/sync_cpu_bound_slow/
runs it in the worker itself. ?n= sets the count (the seed's 5,000,000
when absent), as the FastAPI twin's routes take it.
"""
from concurrent.futures import ProcessPoolExecutor

from flask import Flask, abort, request

app = Flask(__name__)
executor = None  # made in each worker on first use: a pool does not survive gunicorn's fork


def cpu_bound_operation(n: int) -> int:
    num = 0
    for _ in range(n):
        num += 1
    return num


def count() -> int:
    try:
        n = int(request.args.get("n", "5000000"))
    except ValueError:
        abort(422)
    if n < 0 or n > 1000000000:
        abort(422)
    return n


@app.route("/flask/sync_cpu_bound/")
def sync_cpu_bound():
    global executor
    if executor is None:
        executor = ProcessPoolExecutor()
    result = executor.submit(cpu_bound_operation, count()).result()
    return {"data": result, "message": "sync mode cpu operation"}


@app.route("/flask/sync_cpu_bound_slow/")
def sync_cpu_bound_slow():
    cpu_bound_operation(count())
    return {"message": "sync mode operation but pretend to run in async mode"}
