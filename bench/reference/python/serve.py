"""Runs one Python twin of a strata tier, the way `strata serve` runs a tier.

    /usr/bin/python3 serve.py --tier raw|http|app|typed [--host H] [--port N]

  raw    asyncio + uvloop, requests split on CRLF by hand   (strata raw)
  http   uvicorn + httptools, a bare ASGI app                (strata http)
  app    Starlette on uvicorn + httptools                    (strata app)
  typed  FastAPI + pydantic on uvicorn + httptools           (strata typed)

Seed 001's database twins (DATABASE_URL names the PostgreSQL database):
  contacts-asyncpg  FastAPI + asyncpg on uvicorn
  contacts-orm      FastAPI + SQLAlchemy 1.4 ORM (asyncio, asyncpg) on uvicorn
  contacts-django   Django 3.2 + DRF + psycopg2, gunicorn with one uvicorn worker

The socket is bound first (--port 0 picks a free port), then the line
"listening on http://HOST:PORT tier=TIER" is printed, so `strata bench`
treats these servers like its own. SIGINT/SIGTERM stop it with exit 0.
One process, one event loop: the servers are compared one core each.
Run it with Debian's /usr/bin/python3 (make bench-python installs the
packages); a pyenv or venv python3 does not see them.
"""
import argparse
import os
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(1024)
    sock.set_inheritable(True)
    return sock


def run_uvicorn(app, sock: socket.socket, lifespan: str = "off") -> None:
    import uvicorn

    config = uvicorn.Config(
        app,
        loop="uvloop",
        http="httptools",
        interface="asgi3",
        lifespan=lifespan,
        access_log=False,
        log_level="warning",
    )
    uvicorn.Server(config).run(sockets=[sock])


def run_uvicorn_workers(app: str, sock: socket.socket, workers: int, lifespan: str = "on") -> None:
    """uvicorn --workers N on an already bound socket: its own supervisor."""
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    config = uvicorn.Config(
        app,
        loop="uvloop",
        http="httptools",
        interface="asgi3",
        lifespan=lifespan,
        access_log=False,
        log_level="warning",
        workers=workers,
    )
    Multiprocess(config, target=uvicorn.Server(config).run, sockets=[sock]).run()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--tier",
        choices=["raw", "http", "app", "typed", "typed-seed002", "typed-dumproute", "typed-dumproute-ujson", "flask",
                 "contacts-asyncpg", "contacts-orm", "contacts-django"],
        required=True,
    )
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8000)
    ap.add_argument("--workers", type=int, default=1,
                    help="uvicorn worker processes sharing the socket (every tier but raw, asyncio's single loop)")
    args = ap.parse_args()
    if args.workers < 1 or (args.workers > 1 and args.tier == "raw"):
        print("serve.py: --workers must be 1 or more, and 1 for the raw tier (one asyncio loop)", file=sys.stderr)
        return 2

    # Import before binding, so a missing package fails before the line.
    if args.tier == "raw":
        import raw_server as impl
    elif args.tier == "http":
        from asgi_server import app
    elif args.tier == "app":
        from starlette_server import app
    elif args.tier == "typed":
        from fastapi_server import app
    elif args.tier == "typed-seed002":
        from fastapi_seed002 import app
    elif args.tier == "typed-dumproute":
        from fastapi_why import app
    elif args.tier == "typed-dumproute-ujson":
        from fastapi_why import app_ujson as app
    elif args.tier == "contacts-asyncpg":
        from contacts_asyncpg import app
    elif args.tier == "contacts-orm":
        from contacts_orm import app
    elif args.tier == "flask":
        import flask  # noqa: F401  (fails here, before the line, if Flask is missing)
        import gunicorn  # noqa: F401
    else:
        import contacts_django.asgi  # noqa: F401  (fails here, before the line, if Django is missing)
        import gunicorn  # noqa: F401
        import uvicorn.workers  # noqa: F401

    try:
        sock = bind(args.host, args.port)
    except OSError as e:
        print(f"serve.py: cannot listen on {args.host}:{args.port}: {e.strerror}", file=sys.stderr)
        return 1
    host = f"[{args.host}]" if ":" in args.host else args.host
    print(f"listening on http://{host}:{sock.getsockname()[1]} tier={args.tier}", flush=True)

    if args.tier == "raw":
        impl.run(sock)
    elif args.tier == "contacts-django":
        # gunicorn takes the bound socket by its descriptor; exec keeps the
        # pid, so the harness measures gunicorn and its worker as one tree.
        here = os.path.dirname(os.path.abspath(__file__))
        os.execv(
            sys.executable,
            [sys.executable, "-E", "-s", "-B", "-m", "gunicorn", "--bind", f"fd://{sock.fileno()}",
             "--workers", str(args.workers), "--worker-class", "uvicorn.workers.UvicornWorker", "--chdir", here,
             "--log-level", "warning", "contacts_django.asgi:application"],
        )
    elif args.tier == "flask":
        # gunicorn's sync workers, as seed 004 ran Flask: one request at a
        # time per worker process.
        here = os.path.dirname(os.path.abspath(__file__))
        os.execv(
            sys.executable,
            [sys.executable, "-E", "-s", "-B", "-m", "gunicorn", "--bind", f"fd://{sock.fileno()}",
             "--workers", str(args.workers), "--worker-class", "sync", "--timeout", "120", "--chdir", here,
             "--log-level", "warning", "flask_server:app"],
        )
    elif args.workers > 1 and args.tier.startswith("contacts-"):
        run_uvicorn_workers(f"contacts_{args.tier.split('-', 1)[1]}:app", sock, args.workers)
    elif args.workers > 1:
        # Workers import the app by name, as `uvicorn module:app --workers N` does.
        target = {"http": "asgi_server:app", "app": "starlette_server:app", "typed": "fastapi_server:app",
                  "typed-seed002": "fastapi_seed002:app", "typed-dumproute": "fastapi_why:app",
                  "typed-dumproute-ujson": "fastapi_why:app_ujson"}[args.tier]
        run_uvicorn_workers(target, sock, args.workers, lifespan="off")
    else:
        run_uvicorn(app, sock, lifespan="on" if args.tier.startswith("contacts-") else "off")
    return 0


if __name__ == "__main__":
    sys.exit(main())
