"""gunicorn's settings for `make run` (`gunicorn -c python:xinfang.serve xinfang.wsgi`): a bounded
number of requests at once — XINFANG_WORKERS processes (2) of XINFANG_THREADS threads (8) each; more
connections wait in gunicorn's queue instead of failing — and an access log that leaves out query
strings (%(U)s is the path alone), which may carry a token or a petitioner's words."""

import os

bind = [os.environ.get("XINFANG_BIND", "127.0.0.1:8000")]
workers = int(os.environ.get("XINFANG_WORKERS", "2"))
threads = int(os.environ.get("XINFANG_THREADS", "8"))
worker_class = "gthread"
accesslog = "-"
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s'
# a request never waits for a worker that died: restarted after this many seconds without a sign of life
timeout = 60
graceful_timeout = 10
# no control socket (gunicornc): one per user by default, which a second server would take over
control_socket_disable = True
