"""gunicorn's settings for voicesurvey, read from the working directory by `gunicorn
voicesurvey.wsgi` when started in the project root (`-c PATH` elsewhere). Flags on the command
line override them: workers (`-w`), the address (`--bind`), where the access log goes
(`--access-logfile -` for standard output). See docs/operations.md, *Production processes*.
"""

import os

# The access log names the path only: no query string and no Referer. Searches carry phone
# numbers in the query string (`?search=+39…`), and a page's address, query string included,
# comes back as the Referer of every request the page makes. The app's own logs redact numbers
# (voicesurvey/logging.py); gunicorn's log lines do not pass through that filter. The response's
# X-Request-ID ties a line to the app's log lines for the same request.
access_log_format = (
    '%(h)s %(l)s %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(L)s "%(a)s" %({x-request-id}o)s'
)

# A large contacts upload takes up to a minute (docs/campaigns-and-contacts.md).
timeout = 120


def child_exit(server, worker):
    """A worker gone (recycled, killed): prometheus-client's multiprocess mode forgets its live
    gauges, while its counters stay in the totals (voicesurvey/metrics.py)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
