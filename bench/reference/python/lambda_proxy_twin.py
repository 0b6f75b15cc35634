"""lambda-proxy's twin: a plain Lambda handler dispatching on a dict of routes.

lambda-proxy (the seed's other side) maps (method, path) to a function that
returns (status, content type, body) and wraps that in an API Gateway
response document, with no ASGI, no event loop and no validation. This is
that shape in a few lines, for the same GET /index?name= as the typed tier.
"""
import json  # noqa: F401  (lambda-proxy answers JSON routes with it; loaded as it would be)


def index(query):
    name = query.get("name")
    return "OK", "text/plain; charset=utf-8", f"Hello {name}" if name else "Hello ASGI World!"


def root(query):
    return "OK", "text/plain; charset=utf-8", "Hello ASGI World!"


ROUTES = {("GET", "/index"): index, ("GET", "/"): root}
STATUS = {"OK": 200, "EMPTY": 204, "NOK": 400}


def handler(event, context):
    route = ROUTES.get((event.get("httpMethod"), event.get("path")))
    if route is None:
        return {"statusCode": 404, "headers": {"content-type": "text/plain"}, "body": "Not Found",
                "isBase64Encoded": False}
    status, content_type, body = route(event.get("queryStringParameters") or {})
    return {"statusCode": STATUS[status], "headers": {"content-type": content_type}, "body": body,
            "isBase64Encoded": False}
