"""Mangum's twin: an ASGI app as an AWS Lambda handler (API Gateway REST API events).

Mangum itself is not packaged in Debian, so this is a small adapter written
to do what Mangum does per invocation, and labelled as its twin, not as
Mangum: the event becomes an ASGI HTTP scope (headers from
multiValueHeaders, the query string encoded again from
multiValueQueryStringParameters, the body base64-decoded when
isBase64Encoded), the app runs to completion on one event loop kept for the
life of the process, and what it sent becomes the response document
(statusCode, headers, multiValueHeaders for repeated names, body as text or
base64). Lifespan events are not run (Mangum's lifespan="off").
"""
import asyncio
import base64
from urllib.parse import urlencode

TEXT_TYPES = ("text/", "application/json", "application/javascript", "application/xml")


class LambdaAdapter:
    def __init__(self, app):
        self.app = app
        self.loop = asyncio.new_event_loop()

    def __call__(self, event, context):
        if "httpMethod" not in event:
            raise ValueError("not an API Gateway REST API event")
        headers = []
        for name, values in (event.get("multiValueHeaders") or {}).items():
            for value in values:
                headers.append((name.lower().encode("latin-1"), value.encode("latin-1")))
        query = event.get("multiValueQueryStringParameters") or {}
        body = event.get("body") or ""
        body = base64.b64decode(body) if event.get("isBase64Encoded") else body.encode()
        hosts = (event.get("multiValueHeaders") or {}).get("Host") or ["localhost"]
        scheme = ((event.get("multiValueHeaders") or {}).get("X-Forwarded-Proto") or ["https"])[0]
        source_ip = (event.get("requestContext") or {}).get("identity", {}).get("sourceIp") or "0.0.0.0"
        scope = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.0"},
            "http_version": "1.1",
            "method": event["httpMethod"],
            "scheme": scheme,
            "path": event["path"],
            "raw_path": None,
            "root_path": "",
            "query_string": urlencode(query, doseq=True).encode(),
            "headers": headers,
            "server": (hosts[0], 443 if scheme == "https" else 80),
            "client": (source_ip, 0),
            "aws.event": event,
            "aws.context": context,
        }
        return self.loop.run_until_complete(self.run(scope, body))

    async def run(self, scope, body):
        sent = {"status": 500, "headers": [], "body": []}
        request_done = False

        async def receive():
            nonlocal request_done
            if request_done:
                return {"type": "http.disconnect"}
            request_done = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message):
            if message["type"] == "http.response.start":
                sent["status"] = message["status"]
                sent["headers"] = message.get("headers", [])
            elif message["type"] == "http.response.body":
                sent["body"].append(message.get("body", b""))

        await self.app(scope, receive, send)
        single, multi = {}, {}
        for name, value in sent["headers"]:
            multi.setdefault(name.decode("latin-1").lower(), []).append(value.decode("latin-1"))
        for name, values in list(multi.items()):
            if len(values) == 1:
                single[name] = values[0]
                del multi[name]
        data = b"".join(sent["body"])
        content_type = single.get("content-type", "")
        text = content_type.startswith(TEXT_TYPES) and "content-encoding" not in single
        if text:
            try:
                body_out, encoded = data.decode("utf-8"), False
            except UnicodeDecodeError:
                text = False
        if not text:
            body_out, encoded = base64.b64encode(data).decode("ascii"), True
        document = {"statusCode": sent["status"], "headers": single, "body": body_out, "isBase64Encoded": encoded}
        if multi:
            document["multiValueHeaders"] = multi
        return document
