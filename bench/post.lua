-- seed 003's wrk script: POST a small JSON User.
wrk.method = "POST"
wrk.body = '{"id": 1, "name": "user", "email": "user@email.com"}'
wrk.headers["Content-Type"] = "application/json"
