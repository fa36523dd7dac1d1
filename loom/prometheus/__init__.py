"""Prometheus metrics for loom (the ``prometheus`` extra: ``prometheus_client``).

* :class:`PrometheusMetricsAdapter` receives the executor's events: use case
  executions by outcome, their durations, errors by kind, and the use cases
  that run interpreted although generated code was expected.
* :class:`PrometheusMiddleware` wraps any ASGI application and counts HTTP
  requests by method, route template and status code.

Neither serves ``/metrics``; :func:`loom.rest.fastapi.app.create_fastapi_app`
does when asked (``metrics_path=``), or mount ``prometheus_client``'s own
ASGI app.
"""

try:
    import prometheus_client  # noqa: F401
except ImportError as error:  # pragma: no cover - depends on the installation
    from loom.install import missing_extra

    raise ImportError(
        missing_extra("loom.prometheus", "prometheus_client", "prometheus")
    ) from error

from loom.prometheus.adapter import PrometheusMetricsAdapter
from loom.prometheus.middleware import PrometheusMiddleware

__all__ = ["PrometheusMetricsAdapter", "PrometheusMiddleware"]
